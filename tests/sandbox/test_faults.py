"""Injected provider faults trip the real breaker; campaigns pause; heal + resume finishes every lead once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from sandbox_dbcheck import enrichment_facts

from support.api import Api
from support.polling import wait_until

OPENAI_TRIP = "Campaign paused: Service openai unavailable: Circuit breaker opened for openai: "


def _jobs(client: Api, cid: str) -> list[dict[str, Any]]:
    return list(client.call("GET", "/jobs/", params={"campaign_id": cid, "per_page": 100})["data"]["jobs"])


def _settled(client: Api, ids: list[str]) -> bool:
    return all(not any(j["status"] in ("PROCESSING", "PENDING") for j in _jobs(client, cid)) for cid in ids)


def test_failing_provider_opens_breaker_pauses_campaigns_and_resume_finishes_every_lead_once(
    make_sandbox: Callable[..., Any], database_url: str | None
) -> None:
    # The fetches hang until all three campaigns are RUNNING, so the trip finds them all running (a campaign
    # started while a non-critical breaker is open runs on, its jobs paused by the gate, as on the platform).
    server, client = make_sandbox(database_url=database_url)
    client.set_fault("apollo", "hang")
    client.set_fault("openai", "error")
    ids = [client.new_campaign(10, name=f"fault {i}") for i in range(3)]
    for cid in ids:
        client.start(cid)
    client.set_fault("apollo", "ok")

    wait_until(
        lambda: client.status_breakers()["openai"]["circuit_state"] == "open",
        30,
        "the openai breaker to open",
    )
    wait_until(lambda: set(client.statuses(ids).values()) == {"PAUSED"}, 30, "every campaign PAUSED")
    for cid in ids:
        campaign = client.campaign(cid)
        assert campaign["status_message"].startswith(OPENAI_TRIP)
        assert campaign["status_message"].endswith("(failures: 3) (type: exception)")
        assert campaign["status_error"] == campaign["status_message"].removeprefix("Campaign paused: ")
    wait_until(lambda: _settled(client, ids), 30, "in-flight enrichments to settle")

    status = client.call("GET", "/queue-management/status")["data"]
    openai = status["circuit_breakers"]["openai"]
    assert openai["queue_paused"] is True
    assert openai["pause_info"]["reason"] == "circuit_breaker_open"
    assert openai["failure_count"] == 3
    assert openai["failure_threshold"] == 3
    assert status["paused_jobs_by_service"]["openai"] > 0
    assert status["job_counts"]["PAUSED"] >= status["paused_jobs_by_service"]["openai"]
    paused = client.call("GET", "/queue-management/paused-campaigns/openai")["data"]
    assert paused["count"] >= 3

    # While the breaker is open, resuming a campaign is refused with the platform's text.
    refused = client.call("POST", f"/campaigns/{ids[0]}/resume", 400)
    assert refused["detail"].startswith("Cannot resume campaign: Required services are unavailable: openai (")

    httpx.delete(f"{server.url}/sandbox/faults").raise_for_status()
    resumed = client.call("POST", "/queue-management/resume-service", json={"service": "openai"})["data"]
    assert resumed["campaigns_resumed"] == resumed["campaigns_eligible"] == 3
    assert client.status_breakers()["openai"]["circuit_state"] == "closed"

    wait_until(lambda: set(client.statuses(ids).values()) == {"COMPLETED"}, 60, "every campaign COMPLETED")
    facts = enrichment_facts(server.database_url, ids)
    assert facts.leads == 30
    assert facts.enrich_jobs == 30
    assert facts.leads_without_completed_job == 0
    assert facts.leads_with_several_jobs == 0


def test_apollo_error_fails_the_fetch_and_the_campaign(make_sandbox: Callable[..., Any]) -> None:
    _server, client = make_sandbox()
    client.set_fault("apollo", "error")
    cid = client.new_campaign(5)
    client.start(cid)
    campaign = wait_until(
        lambda: (c := client.campaign(cid))["status"] == "FAILED" and c, 20, "the campaign to fail"
    )
    assert "fault injected, mode=error" in campaign["status_error"]
    assert campaign["status_message"] == "Starting campaign process"
    assert campaign["failed_at"] is not None
    [job] = _jobs(client, cid)
    assert (job["status"], job["error"]) == ("FAILED", campaign["status_error"])


def test_hanging_provider_holds_work_until_healed(make_sandbox: Callable[..., Any]) -> None:
    server, client = make_sandbox()
    client.set_fault("perplexity", "hang")
    cid = client.new_campaign(4)
    client.start(cid)
    wait_until(
        lambda: sum(j["status"] == "PROCESSING" for j in _jobs(client, cid)) == 4, 20, "4 enrichments hanging"
    )
    assert client.campaign(cid)["status"] == "RUNNING"
    faults = httpx.get(f"{server.url}/sandbox/faults").json()["faults"]
    assert faults["perplexity"] == {"mode": "hang", "delay_ms": None}
    client.set_fault("perplexity", "ok")
    wait_until(lambda: client.campaign(cid)["status"] == "COMPLETED", 20, "campaign COMPLETED")


def test_hang_times_out_into_a_failure(make_sandbox: Callable[..., Any]) -> None:
    _server, client = make_sandbox(hang_timeout_s=0.2, breaker_failure_threshold=1)
    client.set_fault("instantly", "hang")
    cid = client.new_campaign(2)
    client.start(cid)
    wait_until(lambda: client.campaign(cid)["status"] == "PAUSED", 20, "the campaign to pause")
    assert "request timed out" in client.campaign(cid)["status_message"]


def test_slow_provider_still_succeeds(make_sandbox: Callable[..., Any]) -> None:
    _server, client = make_sandbox()
    assert client.set_fault("millionverifier", "slow", delay_ms=30) == {
        "service": "millionverifier",
        "mode": "slow",
        "delay_ms": 30,
    }
    cid = client.new_campaign(3)
    client.start(cid)
    wait_until(lambda: client.campaign(cid)["status"] == "COMPLETED", 20, "campaign COMPLETED")
    assert client.status_breakers()["millionverifier"]["circuit_state"] == "closed"


def test_manual_pause_service_and_resume_service(
    make_sandbox: Callable[..., Any], database_url: str | None
) -> None:
    server, client = make_sandbox(database_url=database_url, provider_latency_ms=20, workers=2)
    cid = client.new_campaign(12)
    client.start(cid)
    wait_until(
        lambda: client.campaign(cid)["status_message"].startswith("Successfully fetched"), 20, "the fetch"
    )
    data = client.call(
        "POST", "/queue-management/pause-service", json={"service": "Perplexity", "reason": "maintenance"}
    )["data"]
    assert data["service"] == "perplexity"
    assert data["campaigns_paused"] >= 1
    assert data["message"].startswith("Service perplexity paused successfully: ")
    campaign = client.campaign(cid)
    assert campaign["status"] == "PAUSED"
    assert campaign["status_message"] == "Campaign paused: Service perplexity unavailable: maintenance"
    assert campaign["status_error"] == "Service perplexity unavailable: maintenance"
    start = client.call("POST", f"/campaigns/{client.new_campaign(3)}/start", 200, json={})["data"]
    assert start["status_message"].startswith("Starting campaign process (with warnings: ")
    wait_until(lambda: _settled(client, [cid]), 30, "in-flight enrichments to settle")
    # Every paused job of the campaign names the service, so the platform's matching finds all of them.
    jobs = client.call("GET", "/jobs/", params={"campaign_id": cid, "per_page": 100})["data"]["jobs"]
    paused_ids = {j["id"] for j in jobs if j["status"] == "PAUSED"}
    listed = client.call("GET", "/queue-management/paused-jobs/perplexity")["data"]["paused_jobs"]
    assert paused_ids <= {j["id"] for j in listed}

    resumed = client.call("POST", "/queue-management/resume-service", json={"service": "perplexity"})["data"]
    assert resumed["campaigns_resumed"] >= 1
    wait_until(lambda: client.campaign(cid)["status"] == "COMPLETED", 30, "campaign COMPLETED")
    facts = enrichment_facts(server.database_url, [cid])
    assert (facts.leads, facts.enrich_jobs, facts.leads_without_completed_job) == (12, 12, 0)


def test_fault_control_protocol(make_sandbox: Callable[..., Any]) -> None:
    server, _client = make_sandbox()
    base = f"{server.url}/sandbox/faults"
    listing = httpx.get(base).json()["faults"]
    assert list(listing) == ["perplexity", "openai", "apollo", "instantly", "millionverifier"]
    assert all(entry == {"mode": "ok", "delay_ms": None} for entry in listing.values())
    assert httpx.post(base, json={"service": "nope", "mode": "error"}).status_code == 400
    assert httpx.post(base, json={"service": "openai", "mode": "explode"}).status_code == 400
    assert httpx.post(base, json={"service": "openai"}).status_code == 422
    assert httpx.post(base, json={"service": "openai", "mode": "error"}).json() == {
        "service": "openai",
        "mode": "error",
        "delay_ms": None,
    }
    cleared = httpx.delete(base).json()["faults"]
    assert cleared["openai"] == {"mode": "ok", "delay_ms": None}


def test_fault_control_is_404_when_disabled(make_sandbox: Callable[..., Any]) -> None:
    server, _client = make_sandbox(fault_control=False)
    response = httpx.get(f"{server.url}/sandbox/faults")
    assert response.status_code == 404


def test_campaign_started_while_a_breaker_is_open_finishes_after_resume_service(
    make_sandbox: Callable[..., Any],
) -> None:
    _server, client = make_sandbox()
    client.call("POST", "/queue-management/pause-service", json={"service": "openai", "reason": "down"})
    cid = client.new_campaign(5)
    assert client.start(cid)["status"] == "RUNNING"
    gate = (
        "Job paused: Required service openai unavailable: Circuit breaker OPEN for ThirdPartyService.OPENAI"
    )
    wait_until(
        lambda: (
            [j["error"][: len(gate)] for j in _jobs(client, cid) if j["job_type"] == "ENRICH_LEAD"]
            == [gate] * 5
        ),
        20,
        "five enrichments paused by the gate",
    )
    paused_jobs = client.call("GET", "/queue-management/paused-jobs/openai")["data"]
    assert paused_jobs["count"] == 5
    resumed = client.call("POST", "/queue-management/resume-service", json={"service": "openai"})["data"]
    assert resumed["jobs_resumed"] == 5
    wait_until(lambda: client.campaign(cid)["status"] == "COMPLETED", 20, "campaign COMPLETED")
