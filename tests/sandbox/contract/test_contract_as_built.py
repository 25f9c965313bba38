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
from sqlalchemy import bindparam, create_engine, text

from support.polling import wait_until
from support.sandboxes import Sandboxes

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
def as_built(sandboxes: Sandboxes) -> Callable[..., AsBuilt]:
    """Fresh as-built sandboxes (settings overrides as keywords), stopped after the test."""

    def make(**overrides: Any) -> AsBuilt:
        server = start_sandbox(sandboxes, profile="as-built", **overrides)
        api = sandboxes.user(server)
        return AsBuilt(server, api, api.create_org()["id"])

    return make


@pytest.fixture(scope="module")
def shared() -> Iterator[AsBuilt]:
    """The module's as-built sandbox, no rate limits: for tests that trip no breaker and inject no fault."""
    with Sandboxes() as sandboxes:
        server = start_sandbox(sandboxes, profile="as-built", rate_limits="off")
        api = sandboxes.user(server)
        yield AsBuilt(server, api, api.create_org()["id"])


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
    # The published limits (OpenAI 15 requests per 60 s). One worker keeps the count exact: with several, a
    # late success of an allowed call can wipe earlier rejections from the window (as on the platform).
    sandbox = as_built(workers=1)
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
    assert len(rejected) == 5, describe_jobs(jobs)  # the fifth rejection opened the breaker
    for job in rejected:
        errors = json.loads(job["error"])
        assert errors["email_copy"] == OPENAI_RATE_LIMITED, job
        assert errors["instantly"].endswith("due to missing fields: email_copy_gen_results"), job
    assert len(paused) == leads - 20, describe_jobs(jobs)
    assert {j["error"] for j in paused} == {OPENAI_GATE}, describe_jobs(jobs)

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


def test_a_manual_pause_pauses_campaigns_and_resume_dispatches_nothing(
    as_built: Callable[..., AsBuilt],
) -> None:
    """§5.2 manual open, §10 #15 #18: jobs past the gate meet the OpenAI check; only the gate's resume."""
    sandbox = as_built(rate_limits="off")
    # Holds the first leads inside Perplexity, long enough for the pause below even on a loaded machine.
    sandbox.api.set_fault("perplexity", "slow", delay_ms=3000)
    campaign_id = sandbox.start(total=5)

    def enriching() -> list[dict[str, Any]] | None:
        return _by_status(sandbox.api.jobs(campaign_id)).get("PROCESSING")

    in_perplexity = wait_until(enriching, timeout_s=20, what="enrichment jobs PROCESSING")
    paused = sandbox.api.pause_service("openai", reason="operator pause")
    assert paused["campaigns_paused"] == 1, paused  # the endpoint pauses campaigns itself, as built too
    campaign = sandbox.api.campaign(campaign_id)
    assert campaign["status"] == "PAUSED", campaign
    assert campaign["status_message"] == "Campaign paused: Service openai unavailable: operator pause"
    sandbox.settled()

    jobs = sandbox.api.jobs(campaign_id)
    enrich = _by_status(jobs)
    assert set(enrich) == {"PAUSED"}, describe_jobs(jobs)
    held = {j["id"] for j in in_perplexity}
    check = {j["id"] for j in enrich["PAUSED"] if j["error"] == OPENAI_CHECK}
    gate = {j["id"] for j in enrich["PAUSED"] if j["error"] == OPENAI_GATE}
    assert check and held <= check, describe_jobs(jobs)
    assert gate and check | gate == {j["id"] for j in enrich["PAUSED"]}, describe_jobs(jobs)
    assert sandbox.status()["paused_jobs_by_service"]["openai"] == len(gate)
    listed = sandbox.api.get("/queue-management/paused-jobs/openai").json()["data"]
    assert {j["id"] for j in listed["paused_jobs"]} == gate, listed
    leads = sandbox.api.get("/queue-management/paused-leads/openai").json()["data"]
    assert (leads["paused_leads"], leads["count"]) == ([], 0), leads  # quirk 32, as in the sample

    resumed = sandbox.api.resume_service("openai")
    assert (resumed["jobs_resumed"], resumed["campaigns_eligible"], resumed["campaigns_resumed"]) == (
        len(gate),
        1,
        1,
    ), resumed
    campaign = sandbox.api.campaign(campaign_id)
    assert campaign["status"] == "RUNNING", campaign
    assert campaign["status_message"] == "Campaign resumed - services are available"
    assert campaign["status_error"] == "Service openai unavailable: operator pause"  # quirk 13
    sandbox.settled()
    after = _by_status(sandbox.api.jobs(campaign_id))
    assert {j["id"] for j in after["PENDING"]} == gate  # PENDING with nothing queued: for ever
    assert {j["id"] for j in after["PAUSED"]} == check  # invisible to resume (quirk 18)

    # /campaigns/{id}/resume only flips the campaign: nothing queued, no job touched.
    resp = sandbox.api.post(f"/campaigns/{campaign_id}/pause", json={"reason": "hold"})
    assert resp.status_code == 200, describe(resp)
    resp = sandbox.api.post(f"/campaigns/{campaign_id}/resume")
    assert resp.status_code == 200, describe(resp)
    assert sandbox.api.campaign(campaign_id)["status"] == "RUNNING"
    sandbox.settled()
    assert _by_status(sandbox.api.jobs(campaign_id)) == after


@pytest.mark.postgres
def test_the_rate_limit_trip_on_postgresql(as_built: Callable[..., AsBuilt], pg_url: str) -> None:
    """The same trip on the platform's database (shared with other tests: only this test's rows are read)."""
    sandbox = as_built(database_url=pg_url)
    campaigns: list[str] = []
    try:
        campaigns += [sandbox.start(total=5, name=f"pg {i}") for i in range(3)]
        sandbox.settled()
        assert sandbox.status()["circuit_breakers"]["openai"]["circuit_state"] == "open"
        for cid in campaigns:
            enrich = _by_status(sandbox.api.jobs(cid))
            done = len(enrich.get("COMPLETED", [])) + len(enrich.get("PAUSED", []))
            assert done == len(sandbox.api.leads(cid))
            assert sandbox.api.campaign(cid)["status"] == "RUNNING"
        errors = {j["error"] for cid in campaigns for j in sandbox.api.jobs(cid) if j["error"]}
        assert any(OPENAI_RATE_LIMITED in e for e in errors), errors
    finally:
        # Campaigns RUNNING for ever would be paused by a later test's trip on the same database.
        _delete_campaigns(sandbox.server.database_url, campaigns)


def _delete_campaigns(database_url: str, campaign_ids: list[str]) -> None:
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            for table in ("jobs", "leads"):
                conn.execute(
                    text(f"DELETE FROM {table} WHERE campaign_id IN :ids").bindparams(
                        bindparam("ids", expanding=True)
                    ),
                    {"ids": campaign_ids},
                )
            conn.execute(
                text("DELETE FROM campaigns WHERE id IN :ids").bindparams(bindparam("ids", expanding=True)),
                {"ids": campaign_ids},
            )
    finally:
        engine.dispose()


# --- §4.3, §10 #14 #16 #26: pausing does not stop work ----------------------------------------------------


def test_paused_work_runs_on_and_the_fetch_unpauses_its_campaign(as_built: Callable[..., AsBuilt]) -> None:
    sandbox = as_built(rate_limits="off", workers=1)
    sandbox.api.set_fault("apollo", "slow", delay_ms=2500)  # holds the only worker in the first fetch
    first = sandbox.start(total=5, name="fetching")
    queued = sandbox.start(total=5, name="queued behind it")  # its FETCH_LEADS job waits PENDING
    paused = sandbox.api.pause_service("apollo", reason="apollo maintenance")
    assert (paused["jobs_paused"], paused["campaigns_paused"]) == (1, 2), paused
    fetch = next(j for j in sandbox.api.jobs(queued) if j["job_type"] == "FETCH_LEADS")
    assert fetch["status"] == "PAUSED", fetch
    assert fetch["error"] == "Paused due to apollo service unavailability: apollo maintenance", fetch
    sandbox.settled()
    # Both fetches ran anyway (the task ignores the job's and the campaign's status, and Apollo's breaker),
    # set their campaigns RUNNING again, and every lead was enriched while Apollo stays open.
    assert sandbox.status()["circuit_breakers"]["apollo"]["circuit_state"] == "open"
    for campaign_id in (first, queued):
        jobs = sandbox.api.jobs(campaign_id)
        leads = sandbox.api.leads(campaign_id)
        assert _by_status(jobs, "FETCH_LEADS").keys() == {"COMPLETED"}, describe_jobs(jobs)
        assert len(_by_status(jobs).get("COMPLETED", [])) == len(leads) > 0, describe_jobs(jobs)
        campaign = sandbox.api.campaign(campaign_id)
        assert campaign["status"] == "RUNNING", campaign
        assert (
            campaign["status_message"] == f"Successfully fetched {len(leads)} leads, enrichment in progress"
        )
        assert campaign["status_error"] == "Service apollo unavailable: apollo maintenance", campaign


# --- §10 #25 #26, §4.4: which failures feed which breaker -------------------------------------------------


def test_http_errors_count_as_successes_and_only_openai_exceptions_trip(
    as_built: Callable[..., AsBuilt], caplog: pytest.LogCaptureFixture
) -> None:
    sandbox = as_built(rate_limits="off")

    started: list[str] = []

    def run(service: str) -> tuple[str, list[dict[str, Any]]]:
        sandbox.api.heal()
        sandbox.api.set_fault(service, "error")
        started.append(sandbox.start(total=5, name=f"{service} failing"))
        sandbox.settled()
        return started[-1], sandbox.api.jobs(started[-1])

    # Perplexity: every call fails over HTTP, the breaker hears successes; enrichment fails, the rest skips.
    campaign_id, jobs = run("perplexity")
    enrich = _by_status(jobs)["COMPLETED"]
    assert len(enrich) == len(sandbox.api.leads(campaign_id)) >= 5
    for job in enrich:
        assert json.loads(job["result"]) == {
            "email_verification_success": True,
            "enrichment_success": False,
            "email_copy_success": False,
            "instantly_success": False,
        }, job
        errors = json.loads(job["error"])
        assert errors["enrichment"] == "[fake-perplexity] service unavailable (fault injected, mode=error)"
        assert errors["email_copy"] == "Skipped due to enrichment failure"
        assert errors["instantly"].startswith("Skipping Instantly lead creation for lead "), errors
    lead = sandbox.api.leads(campaign_id)[0]
    assert lead["enrichment_results"] == {"error": errors["enrichment"]}
    assert lead["email_copy_gen_results"] is None

    # Instantly: the same, at the last step.
    campaign_id, jobs = run("instantly")
    for job in _by_status(jobs)["COMPLETED"]:
        result = json.loads(job["result"])
        assert (result["email_copy_success"], result["instantly_success"]) == (True, False), job
        assert json.loads(job["error"]) == {
            "instantly": "[fake-instantly] service unavailable (fault injected, mode=error)"
        }, job

    # MillionVerifier is an in-process stub: a fault there changes nothing.
    campaign_id, jobs = run("millionverifier")
    assert all(json.loads(j["result"])["instantly_success"] for j in _by_status(jobs)["COMPLETED"])

    # Apollo: the fetch fails the campaign, and its breaker is never fed.
    campaign_id, jobs = run("apollo")
    fetch = jobs[0]
    assert (fetch["job_type"], fetch["status"]) == ("FETCH_LEADS", "FAILED"), fetch
    campaign = sandbox.api.campaign(campaign_id)
    assert campaign["status"] == "FAILED" and campaign["status_error"] == fetch["error"], campaign

    breakers = sandbox.status()["circuit_breakers"]
    assert all(b["circuit_state"] == "closed" and b["failure_count"] == 0 for b in breakers.values()), (
        breakers
    )

    # OpenAI: client exceptions are failures; five open the breaker, and still no campaign pauses.
    campaign_id, jobs = run("openai")
    breakers = sandbox.status()["circuit_breakers"]
    assert breakers["openai"]["circuit_state"] == "open" and breakers["openai"]["failure_count"] == 5
    failed = [j for j in _by_status(jobs)["COMPLETED"] if not json.loads(j["result"])["email_copy_success"]]
    assert len(failed) >= 5, describe_jobs(jobs)
    # As in the recorded sample: no email_copy entry, only Instantly's skip.
    assert all(set(json.loads(j["error"])) == {"instantly"} for j in failed), describe_jobs(jobs)
    statuses = {cid: sandbox.api.campaign(cid)["status"] for cid in started}
    assert [s for s in statuses.values() if s != "RUNNING"] == ["FAILED"], statuses  # apollo's only
    assert "campaign pause handler failed: name 'asyncio' is not defined" in caplog.text


# --- §5.1, §10 #20-#24: the breaker's own life as built ---------------------------------------------------


def test_a_tripped_breaker_closes_by_itself_after_half_open_and_three_successes(
    as_built: Callable[..., AsBuilt],
) -> None:
    sandbox = as_built(rate_limits="off", breaker_recovery_timeout_s=2.0)

    def openai_state(state: str) -> Callable[[], dict[str, Any] | None]:
        def read() -> dict[str, Any] | None:
            breaker: dict[str, Any] = sandbox.status()["circuit_breakers"]["openai"]
            return breaker if breaker["circuit_state"] == state else None

        return read

    sandbox.api.set_fault("openai", "error")
    tripped = sandbox.start(total=5, name="trips openai")
    sandbox.settled()
    opened = sandbox.status()["circuit_breakers"]["openai"]
    assert opened["circuit_state"] == "open", opened
    stuck = _by_status(sandbox.api.jobs(tripped)).get("PAUSED", [])
    sandbox.api.heal()

    # Reading the status after the recovery time flips it half_open; queue_paused/pause_info stay (quirk 22).
    half = wait_until(openai_state("half_open"), timeout_s=10, what="openai half_open")
    assert half["queue_paused"] is True and half["pause_info"] == opened["pause_info"], half

    # In half_open one failure re-opens: the old failures are still in the window (quirk 24).
    sandbox.api.set_fault("openai", "error")
    sandbox.start(total=5, name="re-opens openai")
    sandbox.settled()
    reopened = sandbox.status()["circuit_breakers"]["openai"]
    assert (reopened["circuit_state"], reopened["failure_count"]) == ("open", 6), reopened
    sandbox.api.heal()

    wait_until(openai_state("half_open"), timeout_s=10, what="openai half_open again")
    healthy = sandbox.start(total=5, name="closes openai")
    sandbox.settled()
    closed = sandbox.status()["circuit_breakers"]["openai"]
    assert closed == {
        "circuit_state": "closed",
        "queue_paused": False,
        "pause_info": None,
        "failure_count": 0,
        "failure_threshold": 5,
    }, closed
    assert all(
        json.loads(j["result"])["email_copy_success"]
        for j in _by_status(sandbox.api.jobs(healthy))["COMPLETED"]
    )
    # Closing re-dispatched nothing (quirk 23): the trip's campaign is RUNNING, its paused jobs still PAUSED.
    assert sandbox.api.campaign(tripped)["status"] == "RUNNING"
    assert stuck and _by_status(sandbox.api.jobs(tripped)).get("PAUSED", []) == stuck


def test_after_a_rate_limit_trip_the_breaker_closes_by_itself_and_the_paused_jobs_never_run(
    as_built: Callable[..., AsBuilt],
) -> None:
    """§5.1, §7 with fast numbers: lock-out and recovery both end after a quiet period (60 s as built)."""
    sandbox = as_built(rate_limits="off,openai=15/1", breaker_recovery_timeout_s=1.0, workers=1)
    tripped = [sandbox.start(total=5, name=f"trip {i}") for i in range(3)]
    sandbox.settled()
    assert sandbox.status()["circuit_breakers"]["openai"]["circuit_state"] == "open"
    paused = {j["id"] for cid in tripped for j in _by_status(sandbox.api.jobs(cid)).get("PAUSED", [])}
    assert paused

    def half_open() -> bool:
        return bool(sandbox.status()["circuit_breakers"]["openai"]["circuit_state"] == "half_open")

    wait_until(half_open, timeout_s=10, what="openai half_open after the recovery time")
    later = sandbox.start(total=5, name="after recovery")
    sandbox.settled()
    breaker = sandbox.status()["circuit_breakers"]["openai"]
    assert (breaker["circuit_state"], breaker["queue_paused"]) == ("closed", False), breaker
    later_jobs = sandbox.api.jobs(later)
    assert all(json.loads(j["result"])["email_copy_success"] for j in later_jobs[1:]), describe_jobs(
        later_jobs
    )
    still = {j["id"] for cid in tripped for j in _by_status(sandbox.api.jobs(cid)).get("PAUSED", [])}
    assert still == paused  # nothing ran them, and nothing will: the pool is idle
    assert all(sandbox.api.campaign(cid)["status"] == "RUNNING" for cid in tripped)


def test_a_manual_pause_lasts_until_a_read_and_its_pause_info_outlives_the_state(
    as_built: Callable[..., AsBuilt],
) -> None:
    """§10 #20 #21 #22: reads flip OPEN to half_open; the state key expires before queue_paused does."""
    sandbox = as_built(
        rate_limits="off",
        breaker_recovery_timeout_s=1.0,
        breaker_failure_window_s=1.0,  # the state key lives 2 x window after its last write
        breaker_pause_info_ttl_s=6.0,
    )
    sandbox.api.pause_service("perplexity", reason="maintenance")

    def perplexity(condition: Callable[[dict[str, Any]], bool]) -> Callable[[], dict[str, Any] | None]:
        def read() -> dict[str, Any] | None:
            breaker: dict[str, Any] = sandbox.status()["circuit_breakers"]["perplexity"]
            return breaker if condition(breaker) else None

        return read

    first = perplexity(lambda b: True)()
    assert first is not None and (first["circuit_state"], first["queue_paused"]) == ("open", True), first
    assert first["pause_info"]["reason"] == "circuit_breaker_open"  # even for a manual pause
    half = wait_until(perplexity(lambda b: b["circuit_state"] == "half_open"), timeout_s=10, what="half_open")
    assert half["queue_paused"] is True and half["pause_info"] == first["pause_info"], half
    stale = wait_until(perplexity(lambda b: b["circuit_state"] == "closed"), timeout_s=10, what="closed")
    assert stale["queue_paused"] is True and stale["pause_info"] == first["pause_info"], stale
    gone = wait_until(perplexity(lambda b: not b["queue_paused"]), timeout_s=15, what="pause info gone")
    assert (gone["circuit_state"], gone["pause_info"]) == ("closed", None), gone


def test_half_open_after_a_manual_pause_needs_the_whole_threshold_to_reopen(
    as_built: Callable[..., AsBuilt],
) -> None:
    """§5.1: a manual pause has no failures in its window, so half_open re-opens only after 5 (quirk 24)."""
    sandbox = as_built(rate_limits="off", breaker_recovery_timeout_s=0.3)
    sandbox.api.pause_service("openai")
    wait_until(
        lambda: sandbox.status()["circuit_breakers"]["openai"]["circuit_state"] == "half_open",
        timeout_s=10,
        what="openai half_open",
    )
    sandbox.api.set_fault("openai", "error")
    campaign_id = sandbox.start(total=5)
    sandbox.settled()
    breaker = sandbox.status()["circuit_breakers"]["openai"]
    assert (breaker["circuit_state"], breaker["failure_count"]) == ("open", 5), breaker
    jobs = sandbox.api.jobs(campaign_id)
    failed = [j for j in _by_status(jobs)["COMPLETED"] if not json.loads(j["result"])["email_copy_success"]]
    assert len(failed) >= 5, describe_jobs(jobs)


# --- §7, §10 #29: the limits are configurable, and each service's limit has its own effect ------------------


def test_raised_limits_let_three_campaigns_through_and_an_apollo_limit_fetches_nothing(
    as_built: Callable[..., AsBuilt],
) -> None:
    sandbox = as_built(rate_limits="x10,apollo=3/60")
    campaigns = [sandbox.start(total=5, name=f"raised {i}") for i in range(4)]
    sandbox.settled()
    counts = {cid: len(sandbox.api.leads(cid)) for cid in campaigns}
    empty = [cid for cid, n in counts.items() if n == 0]
    assert len(empty) == 1 and sum(counts.values()) >= 21, counts
    for cid in campaigns:
        jobs = sandbox.api.jobs(cid)
        fetch = _by_status(jobs, "FETCH_LEADS")["COMPLETED"][0]
        assert fetch["result"] == f"Successfully fetched {counts[cid]} leads and queued enrichment tasks"
        enriched = _by_status(jobs).get("COMPLETED", [])
        assert len(enriched) == counts[cid], describe_jobs(jobs)
        assert all(json.loads(j["result"])["instantly_success"] for j in enriched), describe_jobs(jobs)
        campaign = sandbox.api.campaign(cid)
        assert campaign["status"] == "RUNNING", campaign
    assert sandbox.api.campaign(empty[0])["status_message"] == (
        "Successfully fetched 0 leads, enrichment in progress"
    )
    breakers = sandbox.status()["circuit_breakers"]
    assert all(b["circuit_state"] == "closed" and b["failure_count"] == 0 for b in breakers.values()), (
        breakers
    )


def test_perplexity_and_instantly_limits(as_built: Callable[..., AsBuilt]) -> None:
    sandbox = as_built(rate_limits="perplexity=2/60,instantly=1/60", workers=1)  # exact counts, as above
    # Campaign creation calls Instantly too: the first one uses the only request, the second gets no id.
    first = sandbox.api.create_campaign(sandbox.org_id, name="first creation")
    campaign_id = sandbox.start(total=5)
    assert first["instantly_campaign_id"] is not None
    assert sandbox.api.campaign(campaign_id)["instantly_campaign_id"] is None
    sandbox.settled()
    jobs = sandbox.api.jobs(campaign_id)
    enrich = _by_status(jobs)
    rate_text = "Rate limit exceeded for {} API. Remaining requests: 0. Try again in 60 seconds."
    # Two leads passed Perplexity; their Instantly calls were refused and count as Instantly failures.
    through = enrich["COMPLETED"]
    assert len(through) == 2, describe_jobs(jobs)
    for job in through:
        assert json.loads(job["error"]) == {"instantly": rate_text.format("Instantly")}, job
    # Five refusals opened Perplexity's breaker; their jobs are PAUSED, invisible to the by-service counts.
    limited_jobs = [
        j for j in enrich["PAUSED"] if j["error"].startswith("Paused due to Perplexity rate limit")
    ]
    assert len(limited_jobs) >= 5, describe_jobs(jobs)
    assert all(
        j["error"] == f"Paused due to Perplexity rate limit: {rate_text.format('Perplexity')}"
        for j in limited_jobs
    )
    gate = [j for j in enrich["PAUSED"] if j not in limited_jobs]
    assert all(j["error"].startswith("Job paused: Required service perplexity unavailable") for j in gate)
    status = sandbox.status()
    breakers = status["circuit_breakers"]
    assert (breakers["perplexity"]["circuit_state"], breakers["perplexity"]["failure_count"]) == ("open", 5)
    assert (breakers["instantly"]["circuit_state"], breakers["instantly"]["failure_count"]) == ("closed", 2)
    assert status["paused_jobs_by_service"]["perplexity"] == len(gate)
    assert sandbox.api.campaign(campaign_id)["status"] == "RUNNING"
