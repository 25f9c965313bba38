"""The suite's console formatter (console.SuiteFormatter), on behave run for real in a tiny project: no
empty Background line, no header of a scenario the selection left out, one line per feature for those."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

from support.behave_child import behave_argv

BEHAVE_INI = """\
[behave]
runner = campaign_acceptance.runner:VerdictRunner
default_format = campaign_acceptance.console:SuiteFormatter
junit = true
show_skipped = true

[behave.userdata]
reports_dir = out
"""

FEATURES = {
    "a_mixed": """\
        Feature: Mixed
          Background:
            Given step setup passes

          @wanted
          Scenario: wanted one
            Given step one passes

          Scenario: unwanted one
            Given step two passes
        """,
    "b_unwanted": """\
        Feature: All left out
          Background:
            Given step setup passes

          Scenario: left out one
            Given step three passes

          Scenario Outline: left out <n>
            Given step <n> passes
            Examples:
              | n    |
              | four |
              | five |
        """,
}

STEPS = """\
from behave import step


@step("step {name} passes")
def passes(context, name):
    pass
"""


def run(tmp_path: Path, *args: str) -> list[str]:
    (tmp_path / "features" / "steps").mkdir(parents=True)
    (tmp_path / "behave.ini").write_text(BEHAVE_INI)
    (tmp_path / "features" / "steps" / "steps.py").write_text(STEPS)
    for name, text in FEATURES.items():
        (tmp_path / "features" / f"{name}.feature").write_text(textwrap.dedent(text))
    done = subprocess.run(
        behave_argv("features", *args), cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]


def test_only_what_runs_is_printed_and_what_does_not_is_one_line_per_feature(tmp_path: Path) -> None:
    lines = run(tmp_path, "--tags=@wanted")
    # The Background's steps are shown (and timed) in the scenario; its empty header line is not.
    assert [line.split(" ... ")[0] for line in lines[:5]] == [
        "Feature: Mixed",
        "  not selected: 1 scenario (by --tags=@wanted)",
        "  Scenario: wanted one",
        "    Given step setup passes",
        "    Given step one passes",
    ]
    assert lines[5] == "Feature: All left out: not selected: 3 scenarios (by --tags=@wanted)"
    assert not any(
        "Background" in line or "unwanted one" in line or "left out four" in line for line in lines
    )
    assert lines[6].startswith("5 scenarios in ") and lines[6].endswith(": 1 passed, 4 not selected")
    assert lines[-1] == "verdict: PASSED (exit 0): The 1 executed scenario passed"
