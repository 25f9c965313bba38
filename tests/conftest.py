"""Shared fixtures: ``pg_url``, a throwaway PostgreSQL for tests marked ``postgres``; ``sandboxes``, the one
way a test starts sandboxes (tests/support)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support.pgserver import PgServer, PgUnavailable
from support.sandboxes import Sandboxes


def pytest_configure(config: pytest.Config) -> None:
    # The platform's default secret is 20 bytes; PyJWT warns about it on every token (the sandbox mutes this
    # itself, but pytest resets warning filters per test).
    config.addinivalue_line("filterwarnings", "ignore::jwt.warnings.InsecureKeyLengthWarning")


@pytest.fixture
def sandboxes() -> Iterator[Sandboxes]:
    """Start sandboxes with ``sandboxes.start(settings)`` and users with ``sandboxes.user(server)``; every one
    is stopped (closed) after the test."""
    with Sandboxes() as started:
        yield started


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A ``postgresql+psycopg://`` URL of an empty database.

    CAMPAIGN_TEST_PG_URL, when set, is used as is. Otherwise a cluster is started from the Debian binaries
    and removed at the end of the session. Without binaries: a failure under CI (CI set), a skip otherwise.
    """
    given = os.environ.get("CAMPAIGN_TEST_PG_URL")
    if given:
        yield given
        return
    try:
        server = PgServer()
    except PgUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL tests cannot run under CI: {exc}", pytrace=False)
        pytest.skip(str(exc))
    try:
        url = server.start()
    except Exception:
        server.stop()
        raise
    try:
        yield url
    finally:
        server.stop()
