"""Test helpers for the sandbox's own tests: a small HTTP client and bounded polling."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from campaign_sandbox.core.config import SandboxSettings

# Fast numbers: tiny latencies, a breaker that opens after 3 failures and never recovers on its own in a test.
FAST = {
    "workers": 8,
    "provider_latency_ms": 2,
    "fetch_latency_ms": 5,
    "breaker_failure_threshold": 3,
    "breaker_failure_window_s": 300.0,
    "breaker_recovery_timeout_s": 600.0,
    "breaker_success_threshold": 2,
    "fault_control": True,
    "hang_timeout_s": 5.0,
}
APOLLO_URL = "https://app.apollo.io/#/people?personTitles%5B%5D=CEO&page=1"


def fast_settings(**overrides: Any) -> SandboxSettings:
    return SandboxSettings(**{**FAST, **overrides})


class Client:
    """A logged-in user of one sandbox."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url
        self.http = httpx.Client(base_url=base_url, timeout=10.0)
        email = f"t-{uuid.uuid4().hex[:10]}@hellacooltestingdomain.pizza"
        password = "Secret#Pass123"
        body = {"email": email, "password": password, "confirm_password": password}
        assert self.http.post("/api/v1/auth/signup", json=body).status_code == 201
        login = self.http.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert login.status_code == 200, login.text
        self.http.headers["Authorization"] = f"Bearer {login.json()['token']['access_token']}"
        org = self.http.post(
            "/api/v1/organizations/", json={"name": "Test org", "description": "sandbox tests"}
        )
        assert org.status_code == 201, org.text
        self.org_id: str = org.json()["id"]

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        response = self.http.request(method, f"/api/v1{path}", **kwargs)
        assert response.status_code == expect, (
            f"{method} {path}: {response.status_code} {response.text[:500]}"
        )
        return response.json()

    def create_campaign(self, total: int, name: str = "campaign") -> str:
        body = {
            "name": name,
            "organization_id": self.org_id,
            "fileName": "leads.csv",
            "totalRecords": total,
            "url": APOLLO_URL,
        }
        return str(self.call("POST", "/campaigns/", 201, json=body)["data"]["id"])

    def start(self, campaign_id: str) -> dict[str, Any]:
        return dict(self.call("POST", f"/campaigns/{campaign_id}/start", json={})["data"])

    def campaign(self, campaign_id: str) -> dict[str, Any]:
        return dict(self.call("GET", f"/campaigns/{campaign_id}")["data"])

    def statuses(self, ids: list[str]) -> dict[str, str]:
        return {cid: self.campaign(cid)["status"] for cid in ids}

    def breakers(self) -> dict[str, Any]:
        return dict(self.call("GET", "/queue-management/status")["data"]["circuit_breakers"])

    def fault(self, service: str, mode: str, delay_ms: int | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"service": service, "mode": mode}
        if delay_ms is not None:
            body["delay_ms"] = delay_ms
        response = self.http.post("/sandbox/faults", json=body)
        assert response.status_code == 200, response.text
        return dict(response.json())
