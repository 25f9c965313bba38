"""`python -m campaign_acceptance [behave arguments]` (also the `campaign-acceptance` command): the suite from
any directory, with the same arguments as behave.

behave reads its configuration (the runner that gives the verdict, JUnit, userdata) only from the current
directory; this command reads the suite's own behave.ini wherever it is started, and runs the suite's
features when no path is given. Relative paths (reports_dir, feature paths) stay relative to where it runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

from behave.__main__ import run_behave
from behave.configuration import Configuration, read_configuration

SUITE_ROOT = Path(__file__).resolve().parents[2]  # src/campaign_acceptance/__main__.py -> the checkout
BEHAVE_INI = SUITE_ROOT / "behave.ini"
CANNOT_TEST = 3


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not BEHAVE_INI.is_file():
        print(f"cannot test: the suite's behave.ini is not at {BEHAVE_INI}", file=sys.stderr)
        return CANNOT_TEST
    config = Configuration(args, load_config=False, **read_configuration(str(BEHAVE_INI)))
    if not config.paths:
        config.paths = [str(SUITE_ROOT / "features")]
    return int(run_behave(config))


if __name__ == "__main__":
    sys.exit(main())
