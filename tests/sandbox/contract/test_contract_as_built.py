"""The as-built profile: the platform at 9baca9e as contract §4.3, §5, §7 and §10 describe it.

One module-wide as-built sandbox (rate limits off) serves the tests that trip nothing; every test that opens
a breaker, injects a fault or pauses "every RUNNING campaign" gets a fresh one. "Nothing will ever run" is
checked through the sandbox's own worker pool (nothing queued, nothing running), never by waiting it out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from contract_support import OPEN_REASON, Api, describe, start_sandbox

from polling import wait_until

OPENAI_GATE = "Job paused: Required service openai unavailable: " + OPEN_REASON.format("OPENAI")
OPENAI_CHECK = "Paused due to OpenAI circuit breaker: OpenAI API circuit breaker is open: " + (
    OPEN_REASON.format("OPENAI")
)
OPENAI_RATE_LIMITED = "Rate limit exceeded for OpenAI API. Remaining requests: 0. Try again in 60 seconds."


@dataclass
class AsBuilt:
    """One as-built sandbox: its server (for the worker pool), a logged-in client and an organization."""

    server: Any
    api: Api
    org_id: str

    def start(self, total: int = 5, name: str | None = None) -> str:
        extra = {"name": name} if name else {}
        campaign = self.api.create_campaign(self.org_id, totalRecords=total, **extra)
        resp = self.api.post(f"/campaigns/{campaign['id']}/start", json={})
        assert resp.status_code == 200, describe(resp)
        return str(campaign["id"])

    def settled(self, what: str = "the worker pool to go idle", timeout_s: float = 30.0) -> None:
        """Nothing queued and nothing running: from here on no job changes unless a request submits work."""
        wait_until(self.server.runtime.pool.idle, timeout_s=timeout_s, what=what)

    def fetched(self, campaign_id: str) -> list[dict[str, Any]]:
        def done() -> list[dict[str, Any]] | None:
            jobs = self.api.jobs(campaign_id)
            fetch = [j for j in jobs if j["job_type"] == "FETCH_LEADS"]
            return jobs if fetch and fetch[0]["status"] == "COMPLETED" else None

        return wait_until(done, timeout_s=30, what=f"the fetch of campaign {campaign_id}")

    def status(self) -> dict[str, Any]:
        resp = self.api.get("/queue-management/status")
        assert resp.status_code == 200, describe(resp)
        data: dict[str, Any] = resp.json()["data"]
        return data


@pytest.fixture
def as_built() -> Iterator[Callable[..., AsBuilt]]:
    """Fresh as-built sandboxes (settings overrides as keywords), stopped after the test."""
    servers: list[Any] = []

    def make(**overrides: Any) -> AsBuilt:
        server = start_sandbox(profile="as-built", **overrides)
        servers.append(server)
        api = Api(str(server.url)).signup_and_login()
        return AsBuilt(server, api, api.create_org()["id"])

    try:
        yield make
    finally:
        for server in servers:
            server.stop()


@pytest.fixture(scope="module")
def shared() -> Iterator[AsBuilt]:
    """The module's as-built sandbox, no rate limits: for tests that trip no breaker and inject no fault."""
    server = start_sandbox(profile="as-built", rate_limits="off")
    try:
        api = Api(str(server.url)).signup_and_login()
        yield AsBuilt(server, api, api.create_org()["id"])
    finally:
        server.stop()


def _by_status(jobs: list[dict[str, Any]], job_type: str = "ENRICH_LEAD") -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for job in jobs:
        if job["job_type"] == job_type:
            out.setdefault(job["status"], []).append(job)
    return out


# --- §4.3 / §4.5: the lead source and the end of a campaign -----------------------------------------------


def test_lead_source_ignores_total_records_and_campaigns_never_complete(shared: AsBuilt) -> None:
    """§4.3 mock Apify (10 records per fetch from one shared pool, those with an email kept), §10 #11."""
    small, large = shared.start(total=2, name="asked for 2"), shared.start(total=500, name="asked for 500")
    shared.settled()
    counts = {}
    for campaign_id in (small, large):
        jobs = shared.fetched(campaign_id)
        leads = shared.api.leads(campaign_id)
        counts[campaign_id] = len(leads)
        assert 5 <= len(leads) <= 10, f"campaign {campaign_id}: {len(leads)} leads"
        fetch = next(j for j in jobs if j["job_type"] == "FETCH_LEADS")
        assert fetch["result"] == f"Successfully fetched {len(leads)} leads and queued enrichment tasks"
        enriched = _by_status(jobs)
        assert len(enriched.get("COMPLETED", [])) == len(leads), describe_jobs(jobs)
        assert all(json.loads(j["result"])["email_copy_success"] for j in enriched["COMPLETED"])
        campaign = shared.api.campaign(campaign_id)
        # Every lead enriched, and still RUNNING with the fetch's message: nothing ever sets COMPLETED.
        assert campaign["status"] == "RUNNING", campaign
        fetched = f"Successfully fetched {len(leads)} leads, enrichment in progress"
        assert campaign["status_message"] == fetched
        assert campaign["completed_at"] is None
    assert counts[small] > 2 and counts[large] < 500
    emails = [lead["email"] for cid in (small, large) for lead in shared.api.leads(cid)]
    assert len(set(emails)) == len(emails)


def describe_jobs(jobs: list[dict[str, Any]]) -> str:
    return "; ".join(f"{j['id']} {j['job_type']} {j['status']} {j['error']}" for j in jobs)


# --- §5.2, §7, §10 #11 #15 #18 #27 #28: the OpenAI breaker opened by the platform's own limiter -----------


def test_three_campaigns_open_the_openai_breaker_through_the_local_rate_limit(
    as_built: Callable[..., AsBuilt],
) -> None:
    sandbox = as_built()  # the published limits: OpenAI 15 requests per 60 s
    campaigns = [sandbox.start(total=5, name=f"rate-limited {i}") for i in range(3)]
    sandbox.settled()
    breakers = sandbox.status()["circuit_breakers"]
    assert breakers["openai"]["circuit_state"] == "open", breakers
    assert breakers["openai"]["failure_count"] == 5, breakers
    assert all(breakers[s]["circuit_state"] == "closed" for s in breakers if s != "openai"), breakers

    jobs = [j for cid in campaigns for j in sandbox.api.jobs(cid)]
    enrich = _by_status(jobs)
    completed, paused = enrich.get("COMPLETED", []), enrich.get("PAUSED", [])
    leads = sum(len(sandbox.api.leads(cid)) for cid in campaigns)
    assert leads >= 21 and len(completed) + len(paused) == leads, describe_jobs(jobs)
    # The 15 allowed calls succeed; the rejected ones end COMPLETED without copy, naming the local limiter.
    copied = [j for j in completed if json.loads(j["result"])["email_copy_success"]]
    rejected = [j for j in completed if not json.loads(j["result"])["email_copy_success"]]
    assert len(copied) == 15, describe_jobs(jobs)
    assert len(rejected) >= 5, describe_jobs(jobs)
    for job in rejected:
        errors = json.loads(job["error"])
        assert errors["email_copy"] == OPENAI_RATE_LIMITED, job
        assert errors["instantly"].endswith("due to missing fields: email_copy_gen_results"), job
    assert paused, describe_jobs(jobs)
    assert {j["error"] for j in paused} <= {OPENAI_GATE, OPENAI_CHECK}, describe_jobs(jobs)

    # The automatic trip paused no campaign (the worker's handler fails as built, §5.2, quirk 27).
    for cid in campaigns:
        campaign = sandbox.api.campaign(cid)
        assert campaign["status"] == "RUNNING", campaign
        assert campaign["status_message"].startswith("Successfully fetched "), campaign
        assert campaign["status_error"] is None, campaign

    # Only the gate's texts hold the lower-case service name (quirk 18).
    gate = [j for j in paused if j["error"] == OPENAI_GATE]
    status = sandbox.status()
    assert status["paused_jobs_by_service"]["openai"] == len(gate), status
    assert status["job_counts"]["PAUSED"] == len(paused), status

    # Resume finds only those, sets them PENDING and dispatches nothing (quirk 15, 18).
    resumed = sandbox.api.resume_service("openai")
    assert resumed["jobs_resumed"] == len(gate), resumed
    assert resumed["campaigns_eligible"] == 0, resumed
    sandbox.settled()
    after = _by_status([j for cid in campaigns for j in sandbox.api.jobs(cid)])
    assert sorted(j["id"] for j in after.get("PENDING", [])) == sorted(j["id"] for j in gate)
    assert all(j["error"] is None for j in after.get("PENDING", []))
    still = [j for j in after.get("PAUSED", []) if j["error"] == OPENAI_CHECK]
    assert len(still) == len(paused) - len(gate)
    assert "PROCESSING" not in after
    assert all(sandbox.api.campaign(cid)["status"] == "RUNNING" for cid in campaigns)
