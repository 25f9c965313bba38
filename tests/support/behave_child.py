"""How the tests start behave in a child process so that Ctrl-C reaches it.

CI may start the tests with SIGINT ignored (`nohup ... &`, jobs without a terminal): a child inherits the
ignored SIGINT, Python then never raises KeyboardInterrupt, and the runner keeps an inherited ignore on
purpose. The child therefore resets SIGINT itself before behave starts. (preexec_fn could reset it too, but is
unsafe with the sandbox threads of the tests.)
"""

from __future__ import annotations

import sys

BEHAVE_WITH_SIGINT = (
    "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "from behave.__main__ import main; sys.exit(main(sys.argv[1:]))"
)


def behave_argv(*args: str) -> list[str]:
    """`python -m behave <args>`, with SIGINT working in the child whatever the parent ignores."""
    return [sys.executable, "-c", BEHAVE_WITH_SIGINT, *args]
