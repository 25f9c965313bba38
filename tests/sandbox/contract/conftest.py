"""Fixtures of the sandbox contract tests: running sandboxes, users with tokens, an organization.

One session-wide sandbox serves the tests that do not touch global state. Tests that open
breakers, inject faults or pause "every RUNNING campaign" get a fresh sandbox of their own
(``fresh_api``), so their counts are exact and nothing leaks into other tests.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from contract_shapes import SAMPLES_DIR
from contract_support import Api

SECRET_KEY = "contract-tests-secret-key-0123456789abcdef"


def sandbox_settings(**overrides: Any) -> Any:
    """Fast settings, with the platform's breaker numbers (5 failures / 300 s, 60 s, 3 successes)."""
    try:
        from campaign_sandbox.core.config import SandboxSettings
    except ImportError as exc:  # the sandbox is written concurrently; say so plainly
        pytest.fail(f"campaign_sandbox is not importable yet: {exc}", pytrace=False)
    values: dict[str, Any] = {
        "database_url": None,
        "secret_key": SECRET_KEY,
        "workers": 4,
        "provider_latency_ms": 2,
        "fetch_latency_ms": 30,
        "lead_cap": None,
        "breaker_failure_threshold": 5,
        "breaker_failure_window_s": 300.0,
        "breaker_recovery_timeout_s": 60.0,
        "breaker_success_threshold": 3,
        "fault_control": True,
        "hang_timeout_s": 5.0,
    }
    values.update(overrides)
    return SandboxSettings(**values)


def start_sandbox(**overrides: Any) -> Any:
    try:
        from campaign_sandbox.server import SandboxServer
    except ImportError as exc:
        pytest.fail(f"campaign_sandbox.server is not importable yet: {exc}", pytrace=False)
    server = SandboxServer(sandbox_settings(**overrides), host="127.0.0.1", port=0)
    url = server.start(timeout=30.0)
    assert url.startswith("http://127.0.0.1:"), url
    return server


@pytest.fixture(scope="session", autouse=True)
def _samples_present() -> None:
    if not (SAMPLES_DIR / "_index.json").is_file():
        pytest.fail(
            f"platform samples not found at {SAMPLES_DIR} "
            "(shared/platform/samples beside the repository root)",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def sandbox_url() -> Iterator[str]:
    """Base URL (no /api/v1) of the session's sandbox, fault control on."""
    server = start_sandbox()
    try:
        yield str(server.url)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def anon(sandbox_url: str) -> Api:
    return Api(sandbox_url)


@pytest.fixture(scope="session")
def api(anon: Api) -> Api:
    """An authenticated client of the session's sandbox (a fresh whitelisted user)."""
    return anon.signup_and_login()


@pytest.fixture(scope="session")
def org(api: Api) -> dict[str, Any]:
    return api.create_org()


@pytest.fixture
def sandbox_factory() -> Iterator[Callable[..., Api]]:
    """Start extra sandboxes (settings overrides as keyword arguments); each is stopped after the test."""
    servers: list[Any] = []

    def make(**overrides: Any) -> Api:
        server = start_sandbox(**overrides)
        servers.append(server)
        return Api(str(server.url))

    try:
        yield make
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def fresh_api(sandbox_factory: Callable[..., Api]) -> Api:
    """An authenticated client of a sandbox of its own (for breaker, fault and bulk-pause tests)."""
    return sandbox_factory().signup_and_login()
