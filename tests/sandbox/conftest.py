"""Fixtures of the sandbox's own tests: sandboxes on SQLite or PostgreSQL with fast settings."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sandbox_helpers import fast_settings

from campaign_sandbox.server import SandboxServer
from support.api import Api
from support.sandboxes import Sandboxes


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str | None:
    """None (the default temporary SQLite file) or the test PostgreSQL."""
    if request.param == "postgres":
        return str(request.getfixturevalue("pg_url"))
    return None


@pytest.fixture
def make_sandbox(sandboxes: Sandboxes) -> Callable[..., tuple[SandboxServer, Api]]:
    """Start sandboxes with fast settings (overrides as keywords) and a logged-in user with an organization
    of its own."""

    def make(**overrides: Any) -> tuple[SandboxServer, Api]:
        server = sandboxes.start(fast_settings(**overrides))
        return server, sandboxes.user(server).with_org()

    return make
