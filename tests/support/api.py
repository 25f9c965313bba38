"""The one HTTP client of the tests: requests against a sandbox (or any target speaking the platform's API).

Paths are relative to the API prefix (``campaign_common.api_path``) unless they start with ``//`` (the host's
root, e.g. ``//sandbox/faults``).
Redirects are never followed, so a 307 is visible to the test. The raw verbs return the response; the helpers
assert the happy path on the way and return what it answered.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import requests

from campaign_common.api_path import api_path

SIGNUP_DOMAIN = "hellacooltestingdomain.pizza"  # the platform only lets whitelisted addresses sign up
PASSWORD = "Passw0rd!x"
APOLLO_URL = (
    "https://app.apollo.io/#/people?contactEmailStatusV2%5B%5D=verified&personTitles%5B%5D=Job Title&page=1"
)
SIMPLE_APOLLO_URL = "https://app.apollo.io/#/people?personTitles%5B%5D=CEO&page=1"
# The body the self-tests' own campaigns are made with (beside create_campaign's defaults).
SELFTEST_CAMPAIGN = {"fileName": "selftest.csv", "url": SIMPLE_APOLLO_URL}
REQUEST_TIMEOUT_S = 15.0


@dataclass
class Api:
    """Requests against one target, as one user (``token``) or anonymously."""

    base_url: str
    token: str | None = None
    session: requests.Session = field(default_factory=requests.Session)
    email: str | None = None  # of the signed-up user
    user_id: str | None = None
    org_id: str | None = None  # the organization of with_org()

    def url(self, path: str) -> str:
        if path.startswith("//"):
            return self.base_url + path[1:]
        return self.base_url + api_path(path)

    def request(
        self, method: str, path: str, *, token: str | None = None, **kwargs: Any
    ) -> requests.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        bearer = token if token is not None else self.token
        if bearer and "Authorization" not in headers:
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

    def close(self) -> None:
        self.session.close()

    def anonymous(self) -> Api:
        return Api(self.base_url, None)

    def call(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        """The JSON body of a request that must answer ``expect``."""
        response = self.request(method, path, **kwargs)
        assert response.status_code == expect, describe(response)
        return response.json()

    def data(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        """Like call(), but the platform's ``{"status", "data"}`` envelope unwrapped."""
        body = self.call(method, path, expect, **kwargs)
        if isinstance(body, dict) and set(body) >= {"status", "data"}:
            return body["data"]
        return body

    # --- a user and an organization of its own ------------------------------------------------------

    def signup_and_login(self, password: str = PASSWORD) -> Api:
        """Sign up a fresh whitelisted user, log in, and return an Api carrying its token."""
        email = f"{uuid.uuid4().hex}@{SIGNUP_DOMAIN}"
        body = {"email": email, "password": password, "confirm_password": password}
        signup = self.post("/auth/signup", json=body, token="")
        assert signup.status_code == 201, describe(signup)
        login = self.post("/auth/login", json={"email": email, "password": password}, token="")
        assert login.status_code == 200, describe(login)
        user_id = str(signup.json()["user"]["id"])
        return Api(self.base_url, login.json()["token"]["access_token"], email=email, user_id=user_id)

    def create_org(self, name: str | None = None, description: str = "contract tests") -> dict[str, Any]:
        name = name or f"Contract Org {uuid.uuid4().hex[:8]}"
        resp = self.post("/organizations/", json={"name": name, "description": description})
        assert resp.status_code == 201, describe(resp)
        org: dict[str, Any] = resp.json()
        return org

    def with_org(self, name: str = "Test org", description: str = "sandbox tests") -> Api:
        """This user with an organization of its own (``org_id``), for new_campaign()."""
        self.org_id = str(self.create_org(name, description)["id"])
        return self

    # --- campaigns, jobs, leads ---------------------------------------------------------------------

    def create_campaign(self, organization_id: str, /, **overrides: Any) -> dict[str, Any]:
        body = campaign_body(organization_id, **overrides)
        resp = self.post("/campaigns/", json=body)
        assert resp.status_code == 201, describe(resp)
        campaign: dict[str, Any] = resp.json()["data"]
        return campaign

    def new_campaign(self, total: int, name: str = "campaign") -> str:
        """A campaign of ``total`` leads in with_org()'s organization; its id."""
        assert self.org_id is not None, "with_org() first"
        body = {
            "name": name,
            "organization_id": self.org_id,
            "fileName": "leads.csv",
            "totalRecords": total,
            "url": SIMPLE_APOLLO_URL,
        }
        return str(self.call("POST", "/campaigns/", 201, json=body)["data"]["id"])

    def start(self, campaign_id: str) -> dict[str, Any]:
        return dict(self.call("POST", f"/campaigns/{campaign_id}/start", json={})["data"])

    def campaign(self, campaign_id: str) -> dict[str, Any]:
        resp = self.get(f"/campaigns/{campaign_id}")
        assert resp.status_code == 200, describe(resp)
        data: dict[str, Any] = resp.json()["data"]
        return data

    def campaign_status(self, campaign_id: str) -> str:
        return str(self.campaign(campaign_id)["status"])

    def statuses(self, ids: list[str]) -> dict[str, str]:
        return {cid: self.campaign_status(cid) for cid in ids}

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

    # --- breakers, services, faults -----------------------------------------------------------------

    def breakers(self) -> dict[str, Any]:
        """data.circuit_breakers of GET /queue-management/circuit-breakers."""
        resp = self.get("/queue-management/circuit-breakers")
        assert resp.status_code == 200, describe(resp)
        cbs: dict[str, Any] = resp.json()["data"]["circuit_breakers"]
        return cbs

    def status_breakers(self) -> dict[str, Any]:
        """data.circuit_breakers of GET /queue-management/status (what the suite's client reads)."""
        return dict(self.call("GET", "/queue-management/status")["data"]["circuit_breakers"])

    def breaker_states(self) -> dict[str, str]:
        return {str(k): str(v["circuit_state"]) for k, v in self.status_breakers().items()}

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

    def set_fault(self, service: str, mode: str, delay_ms: int | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"service": service, "mode": mode}
        if delay_ms is not None:
            body["delay_ms"] = delay_ms
        resp = self.post("//sandbox/faults", json=body, token="")
        assert resp.status_code == 200, describe(resp)
        return dict(resp.json())

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
