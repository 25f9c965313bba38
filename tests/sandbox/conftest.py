"""Fixtures of the sandbox's own tests: sandboxes on SQLite or PostgreSQL with fast settings."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sandbox_helpers import Client, fast_settings

from campaign_sandbox.server import SandboxServer


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str | None:
    """None (the default temporary SQLite file) or the test PostgreSQL."""
    if request.param == "postgres":
        return str(request.getfixturevalue("pg_url"))
    return None


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., tuple[SandboxServer, Client]]]:
    """Start sandboxes with fast settings (overrides as keywords) and a logged-in client; stop them after."""
    started: list[tuple[SandboxServer, Client]] = []

    def make(**overrides: Any) -> tuple[SandboxServer, Client]:
        server = SandboxServer(fast_settings(**overrides))
        server.start()
        client = Client(server.url)
        started.append((server, client))
        return server, client

    try:
        yield make
    finally:
        for server, client in started:
            client.close()
            server.stop()
