"""Helpers of the contract tests: samples, assertions, sandbox settings and the platform's fixed strings
(the client is tests/support's one Api)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from contract_shapes import assert_same_shape, load_sample, path_template, sample_index

from campaign_sandbox.server import SandboxServer
from support.api import APOLLO_URL, PASSWORD, Api, campaign_body, describe
from support.sandboxes import Sandboxes

__all__ = [
    "APOLLO_URL",
    "PASSWORD",
    "Api",
    "campaign_body",
    "describe",
]  # the client's part, re-exported for the contract tests

VALID_SERVICES_TEXT = "Valid services: ['perplexity', 'openai', 'apollo', 'instantly', 'millionverifier']"
OPEN_REASON = "Circuit breaker OPEN for ThirdPartyService.{} - service unavailable"
# The sandboxes of these tests sign tokens with this key, so tests can forge expired or foreign tokens.
SECRET_KEY = "contract-tests-secret-key-0123456789abcdef"
VALIDATION_KEYS = frozenset({"type", "loc", "msg", "input", "ctx", "url"})
MISSING = "00000000-0000-0000-0000-000000000000"  # an id no row has
CLOSED = {  # a breaker's status when nothing failed
    "circuit_state": "closed",
    "queue_paused": False,
    "pause_info": None,
    "failure_count": 0,
    "failure_threshold": 5,
}


def check_sample(resp: requests.Response, name: str, **options: Any) -> Any:
    """Assert that ``resp`` answers the recorded request ``name`` like the platform did; return its JSON.

    Checks the method and path template of the request against ``_index.json``, the status code,
    and the body's shape against the sample.
    """
    recorded = sample_index()[name]
    method = resp.request.method
    assert method == recorded["method"], f"{name}: test sent {method}, the sample used {recorded['method']}"
    live_path = path_template(urlsplit(resp.request.url or "").path)
    recorded_path = path_template(recorded["path"])
    assert live_path == recorded_path, f"{name}: test called {live_path}, the sample recorded {recorded_path}"
    expected = recorded["status_code"]
    assert resp.status_code == expected, f"{name}: expected {expected}; {describe(resp)}"
    body = resp.json()
    assert_same_shape(body, load_sample(name), label=name, **options)
    return body


def assert_no_server_error(resp: requests.Response) -> None:
    assert resp.status_code < 500, describe(resp)
    assert "Traceback" not in resp.text, describe(resp)


def assert_detail(resp: requests.Response, status: int, detail: Any) -> None:
    assert resp.status_code == status, describe(resp)
    assert resp.json() == {"detail": detail}, describe(resp)


def assert_validation_error(
    resp: requests.Response, *, loc_prefix: str | None = None
) -> list[dict[str, Any]]:
    """422 with FastAPI's list-of-errors body (contract §1.0, format 3)."""
    assert resp.status_code == 422, describe(resp)
    body = resp.json()
    assert set(body) == {"detail"}, describe(resp)
    errors: list[dict[str, Any]] = body["detail"]
    assert isinstance(errors, list) and errors, describe(resp)
    for error in errors:
        keys = set(error)
        assert {"type", "loc", "msg", "input"} <= keys <= VALIDATION_KEYS, describe(resp)
        assert error["loc"][0] in ("body", "query", "path"), describe(resp)
    if loc_prefix is not None:
        assert any(e["loc"][0] == loc_prefix for e in errors), describe(resp)
    return errors


# --- sandboxes -----------------------------------------------------------------------------------


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


def start_sandbox(sandboxes: Sandboxes, **overrides: Any) -> SandboxServer:
    """A sandbox with the contract tests' settings (overrides as keywords), stopped with ``sandboxes``."""
    return sandboxes.start(sandbox_settings(**overrides))
