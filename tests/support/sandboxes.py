"""The one way tests start sandboxes: ``Sandboxes`` starts each with the settings its suite needs (every suite
keeps its own defaults) and stops every one of them at the end, also when the test fails. The command line
(``python -m campaign_sandbox``) is run by ``run_cli`` and served by ``serving_cli``."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from campaign_sandbox.core.config import SandboxSettings
from campaign_sandbox.server import SandboxServer
from support.api import Api

START_TIMEOUT_S = 30.0
SRC = Path(__file__).resolve().parents[2] / "src"


class Sandboxes:
    """Sandboxes of one test (the ``sandboxes`` fixture) or of a module or session (``with Sandboxes():``)."""

    def __init__(self) -> None:
        self._servers: list[SandboxServer] = []
        self._users: list[Api] = []

    def start(self, settings: SandboxSettings) -> SandboxServer:
        server = SandboxServer(settings, host="127.0.0.1", port=0)
        self._servers.append(server)  # stopped at the end even if the start fails half-way
        url = server.start(timeout=START_TIMEOUT_S)
        assert url.startswith("http://127.0.0.1:"), url
        return server

    def user(self, server: SandboxServer) -> Api:
        """A signed-up, logged-in user of ``server``, closed at the end."""
        api = Api(server.url).signup_and_login()
        self._users.append(api)
        return api

    def stop(self) -> None:
        for api in reversed(self._users):
            api.close()
        for server in reversed(self._servers):
            server.stop()
        self._users.clear()
        self._servers.clear()

    def __enter__(self) -> Sandboxes:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "campaign_sandbox", *args]


def _cli_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC)}


def run_cli(*args: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    """The sandbox's command line run to its end (bad arguments, unusable settings)."""
    return subprocess.run(
        _cli(*args), capture_output=True, text=True, timeout=timeout, env=_cli_env(), check=False
    )


@contextmanager
def serving_cli(*args: str) -> Iterator[str]:
    """The sandbox's command line serving: yields the line it announces itself with; terminated at the end."""
    proc = subprocess.Popen(
        _cli(*args), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=_cli_env()
    )
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline()
    finally:
        proc.terminate()
        proc.wait(timeout=15)
