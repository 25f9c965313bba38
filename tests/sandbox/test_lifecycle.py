"""Campaigns run for real: start → fetch → one enrichment per lead → COMPLETED (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox_dbcheck import enrichment_facts

from support.polling import wait_until


def test_ten_campaigns_of_twenty_leads_complete_with_every_lead_enriched_once(
    make_sandbox: Callable[..., Any], database_url: str | None
) -> None:
    server, client = make_sandbox(database_url=database_url, provider_latency_ms=10)
    ids = [client.new_campaign(20, name=f"campaign {i}") for i in range(10)]
    for cid in ids:
        started = client.start(cid)
        assert started["status"] == "RUNNING"
        assert started["status_message"] == "Starting campaign process"

    wait_until(
        lambda: all(s == "COMPLETED" for s in client.statuses(ids).values()), 60, "all campaigns COMPLETED"
    )

    facts = enrichment_facts(server.database_url, ids)
    assert facts.leads == 200
    assert facts.enrich_jobs == 200
    assert facts.leads_without_completed_job == 0
    assert facts.leads_with_several_jobs == 0
    assert facts.duplicate_emails == 0
    campaign = client.campaign(ids[0])
    assert campaign["completed_at"] is not None
    assert campaign["status_message"] == "Campaign completed: 20 leads enriched"
    jobs = client.call("GET", "/jobs/", params={"campaign_id": ids[0], "per_page": 100})["data"]["jobs"]
    fetch = [j for j in jobs if j["job_type"] == "FETCH_LEADS"]
    assert [j["result"] for j in fetch] == ["Successfully fetched 20 leads and queued enrichment tasks"]
    enrich = [j for j in jobs if j["job_type"] == "ENRICH_LEAD"]
    assert {j["status"] for j in enrich} == {"COMPLETED"}
    leads = client.call("GET", "/leads/", params={"campaign_id": ids[0], "per_page": 100})["data"]["leads"]
    assert all(lead["email"].endswith("@leads.invalid") for lead in leads)
    assert all(lead["enrichment_job_id"] == str(j["id"]) for lead, j in _pair(leads, enrich))
    assert all(lead["instantly_lead_record"] and lead["email_copy_gen_results"] for lead in leads)


def _pair(
    leads: list[dict[str, Any]], jobs: list[dict[str, Any]]
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    by_email = {j["description"].removeprefix("Enrich lead "): j for j in jobs}
    return [(lead, by_email[lead["email"]]) for lead in leads]


def test_emails_stay_unique_across_sandbox_runs_on_one_database(
    make_sandbox: Callable[..., Any], database_url: str | None, tmp_path: Any
) -> None:
    url = database_url or f"sqlite:///{tmp_path / 'shared.db'}"
    ids = []
    for _run in range(2):
        server, client = make_sandbox(database_url=url)
        cid = client.new_campaign(15)
        client.start(cid)

        def completed(c: Any = client, i: str = cid) -> bool:
            return bool(c.campaign(i)["status"] == "COMPLETED")

        wait_until(completed, 30, "campaign COMPLETED")
        ids.append(cid)
        database = server.database_url
    facts = enrichment_facts(database, ids)
    assert facts.leads == 30
    assert facts.duplicate_emails == 0
    assert facts.leads_without_completed_job == 0


def test_lead_cap_limits_the_fetch(make_sandbox: Callable[..., Any]) -> None:
    _server, client = make_sandbox(lead_cap=4)
    cid = client.new_campaign(50)
    client.start(cid)
    wait_until(lambda: client.campaign(cid)["status"] == "COMPLETED", 30, "campaign COMPLETED")
    leads = client.call("GET", "/leads/", params={"campaign_id": cid, "per_page": 100})["data"]
    assert leads["total"] == 4


def test_start_checks_url_and_count_and_keeps_the_campaign_created(make_sandbox: Callable[..., Any]) -> None:
    _server, client = make_sandbox()
    cases = [(0, "https://app.apollo.io/x", "Count must be greater than 0"),
             (1001, "https://app.apollo.io/x", "Count cannot exceed 1000"),
             (5, "https://example.com/", "Invalid Apollo search URL format"),
             (5, "https://app.apollo.io/<x>", "URL contains invalid characters")]  # fmt: skip
    for total, url, message in cases:
        body = {
            "name": "c",
            "organization_id": client.org_id,
            "fileName": "f",
            "totalRecords": total,
            "url": url,
        }
        cid = client.call("POST", "/campaigns/", 201, json=body)["data"]["id"]
        assert client.call("POST", f"/campaigns/{cid}/start", 400, json={}) == {"detail": message}
        assert client.campaign(cid)["status"] == "CREATED"


def test_manual_pause_parks_the_work_and_resume_finishes_it(make_sandbox: Callable[..., Any]) -> None:
    _server, client = make_sandbox(provider_latency_ms=20, workers=2)
    cid = client.new_campaign(20)
    client.start(cid)
    wait_until(
        lambda: client.campaign(cid)["status_message"].startswith("Successfully fetched"), 20, "the fetch"
    )
    paused = client.call("POST", f"/campaigns/{cid}/pause", json={"reason": "coffee"})
    assert paused["message"] == f"Campaign {cid} has been paused"
    assert paused["data"]["status_message"] == "Campaign paused: coffee"

    def settled() -> bool:
        jobs = client.call("GET", "/jobs/", params={"campaign_id": cid, "per_page": 100})["data"]["jobs"]
        return not any(j["status"] in ("PROCESSING", "PENDING") for j in jobs) and len(jobs) == 21

    wait_until(settled, 30, "the paused campaign's work to park")
    assert client.campaign(cid)["status"] == "PAUSED"
    jobs = client.call("GET", "/jobs/", params={"campaign_id": cid, "per_page": 100})["data"]["jobs"]
    parked = [j["error"] for j in jobs if j["status"] == "PAUSED"]
    expected = f"Job paused: campaign {cid} is PAUSED (Campaign paused: coffee)"
    assert parked and all(error == expected for error in parked), parked
    resumed = client.call("POST", f"/campaigns/{cid}/resume")
    assert resumed["data"]["status_message"] == "Campaign resumed - services are available"
    wait_until(lambda: client.campaign(cid)["status"] == "COMPLETED", 30, "campaign COMPLETED")
    jobs = client.call("GET", "/jobs/", params={"campaign_id": cid, "per_page": 100})["data"]["jobs"]
    assert sum(1 for j in jobs if j["job_type"] == "ENRICH_LEAD") == 20
