"""HTTP helpers for the contract tests: a thin client, bounded polling and the platform's fixed strings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from contract_shapes import assert_same_shape, load_sample, path_template, sample_index

API = "/api/v1"
PASSWORD = "Passw0rd!x"
APOLLO_URL = (
    "https://app.apollo.io/#/people?contactEmailStatusV2%5B%5D=verified&personTitles%5B%5D=Job Title&page=1"
)
VALID_SERVICES_TEXT = "Valid services: ['perplexity', 'openai', 'apollo', 'instantly', 'millionverifier']"
OPEN_REASON = "Circuit breaker OPEN for ThirdPartyService.{} - service unavailable"
REQUEST_TIMEOUT_S = 15.0
# The sandboxes of these tests sign tokens with this key, so tests can forge expired or foreign tokens.
SECRET_KEY = "contract-tests-secret-key-0123456789abcdef"
VALIDATION_KEYS = frozenset({"type", "loc", "msg", "input", "ctx", "url"})


@dataclass
class Api:
    """Requests against one sandbox; paths are relative to ``/api/v1`` unless they start with ``//``.

    Redirects are never followed, so a 307 is visible to the test.
    """

    base_url: str
    token: str | None = None
    session: requests.Session = field(default_factory=requests.Session)

    def url(self, path: str) -> str:
        if path.startswith("//"):
            return self.base_url + path[1:]
        return f"{self.base_url}{API}{path}"

    def request(
        self, method: str, path: str, *, token: str | None = None, **kwargs: Any
    ) -> requests.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        bearer = token if token is not None else self.token
        if bearer is not None and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {bearer}"
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", REQUEST_TIMEOUT_S)
        return self.session.request(method, self.url(path), headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def anonymous(self) -> Api:
        return Api(self.base_url, None)

    # --- setup helpers (assert the happy path on the way) ---------------------------------------------------

    def signup_and_login(self) -> Api:
        """Sign up a fresh whitelisted user, log in, and return an Api carrying its token."""
        email = f"{uuid.uuid4().hex}@hellacooltestingdomain.pizza"
        body = {"email": email, "password": PASSWORD, "confirm_password": PASSWORD}
        signup = self.post("/auth/signup", json=body, token="")
        assert signup.status_code == 201, describe(signup)
        login = self.post("/auth/login", json={"email": email, "password": PASSWORD}, token="")
        assert login.status_code == 200, describe(login)
        return Api(self.base_url, login.json()["token"]["access_token"])

    def create_org(self, name: str | None = None) -> dict[str, Any]:
        name = name or f"Contract Org {uuid.uuid4().hex[:8]}"
        resp = self.post("/organizations/", json={"name": name, "description": "contract tests"})
        assert resp.status_code == 201, describe(resp)
        org: dict[str, Any] = resp.json()
        return org

    def create_campaign(self, organization_id: str, /, **overrides: Any) -> dict[str, Any]:
        body = campaign_body(organization_id, **overrides)
        resp = self.post("/campaigns/", json=body)
        assert resp.status_code == 201, describe(resp)
        campaign: dict[str, Any] = resp.json()["data"]
        return campaign

    def campaign(self, campaign_id: str) -> dict[str, Any]:
        resp = self.get(f"/campaigns/{campaign_id}")
        assert resp.status_code == 200, describe(resp)
        data: dict[str, Any] = resp.json()["data"]
        return data

    def force_status(self, campaign_id: str, status: str) -> dict[str, Any]:
        """PATCH bypasses the state machine (contract §1.4, quirk 12): a deterministic RUNNING."""
        resp = self.patch(f"/campaigns/{campaign_id}", json={"status": status})
        assert resp.status_code == 200, describe(resp)
        data: dict[str, Any] = resp.json()["data"]
        assert data["status"] == status, describe(resp)
        return data

    def jobs(self, campaign_id: str) -> list[dict[str, Any]]:
        resp = self.get("/jobs/", params={"campaign_id": campaign_id, "per_page": 100})
        assert resp.status_code == 200, describe(resp)
        jobs: list[dict[str, Any]] = resp.json()["data"]["jobs"]
        return jobs

    def leads(self, campaign_id: str) -> list[dict[str, Any]]:
        resp = self.get("/leads/", params={"campaign_id": campaign_id, "per_page": 100})
        assert resp.status_code == 200, describe(resp)
        leads: list[dict[str, Any]] = resp.json()["data"]["leads"]
        return leads

    def breakers(self) -> dict[str, Any]:
        resp = self.get("/queue-management/circuit-breakers")
        assert resp.status_code == 200, describe(resp)
        cbs: dict[str, Any] = resp.json()["data"]["circuit_breakers"]
        return cbs

    def pause_service(self, service: str, reason: str = "contract test pause") -> dict[str, Any]:
        resp = self.post("/queue-management/pause-service", json={"service": service, "reason": reason})
        assert resp.status_code == 200, describe(resp)
        data: dict[str, Any] = resp.json()["data"]
        return data

    def resume_service(self, service: str) -> dict[str, Any]:
        resp = self.post("/queue-management/resume-service", json={"service": service})
        assert resp.status_code == 200, describe(resp)
        data: dict[str, Any] = resp.json()["data"]
        return data

    def set_fault(self, service: str, mode: str, delay_ms: int | None = None) -> None:
        body: dict[str, Any] = {"service": service, "mode": mode}
        if delay_ms is not None:
            body["delay_ms"] = delay_ms
        resp = self.post("//sandbox/faults", json=body, token="")
        assert resp.status_code == 200, describe(resp)

    def heal(self) -> None:
        resp = self.delete("//sandbox/faults", token="")
        assert resp.status_code == 200, describe(resp)


def campaign_body(organization_id: str, /, **overrides: Any) -> dict[str, Any]:
    name = overrides.pop("name", f"Contract Campaign {uuid.uuid4().hex[:8]}")
    body: dict[str, Any] = {
        "name": name,
        "description": name,
        "organization_id": organization_id,
        "fileName": "leads-file.csv",
        "totalRecords": 3,
        "url": APOLLO_URL,
    }
    body.update(overrides)
    return body


def describe(resp: requests.Response) -> str:
    """One line for assertion messages: request, status and a short body."""
    text = resp.text
    if len(text) > 600:
        text = text[:600] + "..."
    return f"{resp.request.method} {resp.request.url} -> {resp.status_code}: {text}"


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


def start_sandbox(**overrides: Any) -> Any:
    try:
        from campaign_sandbox.server import SandboxServer
    except ImportError as exc:
        pytest.fail(f"campaign_sandbox.server is not importable yet: {exc}", pytrace=False)
    server = SandboxServer(sandbox_settings(**overrides), host="127.0.0.1", port=0)
    url = server.start(timeout=30.0)
    assert url.startswith("http://127.0.0.1:"), url
    return server
