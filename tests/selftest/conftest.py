"""Fixtures of the behave self-tests: sandboxes of the test's own (to inject faults, pause services and read
the database while behave runs against them) and an operator logged in to them."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from selftest_support import SandboxApi, SandboxFactory

from campaign_sandbox.core.config import SandboxSettings
from campaign_sandbox.server import SandboxServer

# A manual pause must not flip to half-open while a test runs; everything else as the suite's default.
OWN_SANDBOX_DEFAULTS: dict[str, Any] = {"fault_control": True, "breaker_recovery_timeout_s": 600.0}


@pytest.fixture
def own_sandbox(tmp_path: Path) -> Iterator[SandboxFactory]:
    """``own_sandbox(**settings)`` starts a sandbox (SQLite file under tmp_path unless ``database_url`` is
    given, so its rows can still be read after it stopped) and returns it with a logged-in operator."""
    started: list[tuple[SandboxServer, SandboxApi]] = []

    def make(**overrides: Any) -> tuple[SandboxServer, SandboxApi]:
        index = len(started)
        settings: dict[str, Any] = {
            **OWN_SANDBOX_DEFAULTS,
            "database_url": f"sqlite:///{tmp_path / f'sandbox-{index}.db'}",
            **overrides,
        }
        server = SandboxServer(SandboxSettings(**settings))
        server.start(timeout=30.0)
        try:
            api = SandboxApi(server.url)
        except BaseException:
            server.stop()
            raise
        started.append((server, api))
        return server, api

    try:
        yield make
    finally:
        for server, api in reversed(started):
            api.close()
            server.stop()
