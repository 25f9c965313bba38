"""Leads (contract §1.5) and jobs (contract §1.6)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from contract_shapes import JOB_STATUSES, JOB_TYPES, assert_same_shape, load_sample
from contract_support import (
    MISSING,
    Api,
    assert_detail,
    assert_no_server_error,
    assert_validation_error,
    check_sample,
    describe,
)


def lead_sample() -> dict[str, Any]:
    lead: dict[str, Any] = load_sample("extra_get_campaign_leads")["data"]["leads"][0]
    return lead


def lead_envelope_sample() -> dict[str, Any]:
    return {"status": "success", "data": lead_sample()}


def job_envelope_sample() -> dict[str, Any]:
    sample: dict[str, Any] = load_sample("extra_get_job")
    return sample


@pytest.fixture
def campaign(api: Api, org: dict[str, Any]) -> dict[str, Any]:
    return api.create_campaign(org["id"])


def new_lead_email() -> str:
    return f"lead-{uuid.uuid4().hex}@leads.invalid"


# --- leads ---------------------------------------------------------------------------------------


def test_leads_list_by_campaign(api: Api, started: dict[str, Any]) -> None:
    campaign_id = started["campaign"]["id"]
    resp = api.get("/leads/", params={"campaign_id": campaign_id})
    data = check_sample(resp, "extra_get_campaign_leads")["data"]
    assert data["total"] == len(started["leads"]) == started["campaign"]["totalRecords"]
    assert (data["page"], data["per_page"], data["pages"]) == (1, 10, 1)
    assert {lead["campaign_id"] for lead in data["leads"]} == {campaign_id}
    emails = [lead["email"] for lead in data["leads"]]
    assert all(emails) and len(set(emails)) == len(emails), emails


def test_leads_list_paging(api: Api, started: dict[str, Any]) -> None:
    campaign_id = started["campaign"]["id"]
    resp = api.get("/leads/", params={"campaign_id": campaign_id, "per_page": 2, "page": 2})
    assert resp.status_code == 200, describe(resp)
    data = resp.json()["data"]
    total = len(started["leads"])
    assert (data["total"], data["per_page"], data["page"], data["pages"]) == (total, 2, 2, -(-total // 2))
    assert len(data["leads"]) == min(2, total - 2)


def test_leads_list_unknown_campaign_is_empty(api: Api) -> None:
    resp = api.get("/leads/", params={"campaign_id": MISSING})
    assert resp.status_code == 200, describe(resp)
    assert resp.json()["data"] == {"leads": [], "total": 0, "page": 1, "per_page": 10, "pages": 1}


@pytest.mark.parametrize("params", [{"per_page": 101}, {"per_page": 0}, {"page": 0}])
def test_leads_list_422(api: Api, params: dict[str, Any]) -> None:
    assert_validation_error(api.get("/leads/", params=params), loc_prefix="query")


def test_leads_without_slash_307(api: Api) -> None:
    resp = api.get("/leads", params={"campaign_id": MISSING})
    assert resp.status_code == 307, describe(resp)
    assert f"/api/v1/leads/?campaign_id={MISSING}" in resp.headers["location"], resp.headers


def test_lead_create_201(api: Api, campaign: dict[str, Any]) -> None:
    body = {
        "campaign_id": campaign["id"],
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": new_lead_email(),
        "company": "Analytical Engines",
        "raw_data": {"source": "contract"},
    }
    resp = api.post("/leads/", json=body)
    assert resp.status_code == 201, describe(resp)
    assert_same_shape(resp.json(), lead_envelope_sample(), label="lead envelope")
    data = resp.json()["data"]
    for key, value in body.items():
        assert data[key] == value, key
    assert data["phone"] is None and data["enrichment_job_id"] is None
    uuid.UUID(data["id"])


def test_lead_email_is_not_validated(api: Api, campaign: dict[str, Any]) -> None:
    resp = api.post(
        "/leads/", json={"campaign_id": campaign["id"], "email": f"not-an-email-{uuid.uuid4().hex}"}
    )
    assert resp.status_code == 201, describe(resp)


def test_lead_create_same_email_and_campaign_updates(api: Api, campaign: dict[str, Any]) -> None:
    email = new_lead_email()
    first = api.post("/leads/", json={"campaign_id": campaign["id"], "email": email, "first_name": "One"})
    second = api.post("/leads/", json={"campaign_id": campaign["id"], "email": email, "first_name": "Two"})
    assert (first.status_code, second.status_code) == (201, 201), describe(second)
    assert second.json()["data"]["id"] == first.json()["data"]["id"]
    assert second.json()["data"]["first_name"] == "Two"
    assert [lead["id"] for lead in api.leads(campaign["id"])] == [first.json()["data"]["id"]]


@pytest.mark.parametrize(
    "change",
    [
        {"campaign_id": None},
        {"campaign_id": "c" * 37},
        {"first_name": "f" * 101},
        {"last_name": "l" * 101},
        {"email": "e" * 256},
        {"phone": "1" * 51},
        {"company": "c" * 256},
        {"enrichment_job_id": "9" * 37},
        {"raw_data": ["not", "an", "object"]},
        {"raw_data": "text"},
        {"email_verification": 5},
    ],
)
def test_lead_create_422(api: Api, campaign: dict[str, Any], change: dict[str, Any]) -> None:
    body = {"campaign_id": campaign["id"], "email": new_lead_email(), **change}
    assert_validation_error(api.post("/leads/", json=body), loc_prefix="body")


def test_lead_create_without_campaign_422(api: Api) -> None:
    errors = assert_validation_error(api.post("/leads/", json={"email": new_lead_email()}), loc_prefix="body")
    assert any(e["loc"][-1] == "campaign_id" and e["type"] == "missing" for e in errors), errors


def test_lead_create_unknown_campaign_no_stack_trace(api: Api) -> None:
    """The platform answers 500 {"detail": "Error creating lead"} (FK violation); never a traceback."""
    resp = api.post("/leads/", json={"campaign_id": MISSING, "email": new_lead_email()})
    assert "Traceback" not in resp.text, describe(resp)
    if resp.status_code >= 500:
        assert resp.json() == {"detail": "Error creating lead"}, describe(resp)
    else:
        assert 400 <= resp.status_code < 500, describe(resp)


def test_lead_get_200(api: Api, started: dict[str, Any]) -> None:
    lead = started["leads"][0]
    resp = api.get(f"/leads/{lead['id']}")
    assert resp.status_code == 200, describe(resp)
    assert_same_shape(resp.json(), lead_envelope_sample(), label="lead envelope")
    assert resp.json()["data"]["id"] == lead["id"]


def test_lead_get_404(api: Api) -> None:
    assert_detail(api.get(f"/leads/{MISSING}"), 404, "Lead not found")


def test_lead_update_put_200(api: Api, campaign: dict[str, Any]) -> None:
    created = api.post(
        "/leads/", json={"campaign_id": campaign["id"], "email": new_lead_email(), "title": "CTO"}
    )
    assert created.status_code == 201, describe(created)
    lead_id = created.json()["data"]["id"]
    resp = api.put(f"/leads/{lead_id}", json={"phone": "+1 555 0100", "enrichment_results": {"ok": True}})
    assert resp.status_code == 200, describe(resp)
    assert_same_shape(resp.json(), lead_envelope_sample(), label="lead envelope")
    data = resp.json()["data"]
    assert (data["phone"], data["title"], data["enrichment_results"]) == ("+1 555 0100", "CTO", {"ok": True})


def test_lead_update_404(api: Api) -> None:
    assert_detail(api.put(f"/leads/{MISSING}", json={"first_name": "x"}), 404, "Lead not found")


def test_lead_update_422(api: Api, started: dict[str, Any]) -> None:
    lead_id = started["leads"][0]["id"]
    assert_validation_error(api.put(f"/leads/{lead_id}", json={"first_name": "f" * 101}), loc_prefix="body")


# --- jobs ----------------------------------------------------------------------------------------


def test_jobs_list_by_campaign(api: Api, started: dict[str, Any]) -> None:
    campaign_id = started["campaign"]["id"]
    resp = api.get("/jobs/", params={"campaign_id": campaign_id, "per_page": 100})
    data = check_sample(resp, "get_campaign_jobs")["data"]
    jobs = data["jobs"]
    assert {j["campaign_id"] for j in jobs} == {campaign_id}
    assert data["total"] == len(jobs) == 1 + len(started["leads"])
    assert sorted(j["job_type"] for j in jobs) == ["ENRICH_LEAD"] * len(started["leads"]) + ["FETCH_LEADS"]
    for job in jobs:
        assert job["status"] in JOB_STATUSES and job["job_type"] in JOB_TYPES
        assert isinstance(job["id"], int)
    fetch = next(j for j in jobs if j["job_type"] == "FETCH_LEADS")
    assert (
        fetch["result"] == f"Successfully fetched {len(started['leads'])} leads and queued enrichment tasks"
    )
    enrich_descriptions = {j["description"] for j in jobs if j["job_type"] == "ENRICH_LEAD"}
    assert enrich_descriptions == {f"Enrich lead {lead['email']}" for lead in started["leads"]}


def test_jobs_status_filter(api: Api, started: dict[str, Any]) -> None:
    campaign_id = started["campaign"]["id"]
    resp = api.get("/jobs/", params={"campaign_id": campaign_id, "status": "COMPLETED", "per_page": 100})
    assert resp.status_code == 200, describe(resp)
    assert {j["status"] for j in resp.json()["data"]["jobs"]} <= {"COMPLETED"}
    none = api.get("/jobs/", params={"campaign_id": campaign_id, "status": "CANCELLED"}).json()["data"]
    assert none == {"jobs": [], "total": 0, "page": 1, "per_page": 10, "pages": 1}


@pytest.mark.parametrize(
    "params", [{"status": "BOGUS"}, {"status": "completed"}, {"per_page": 101}, {"page": 0}]
)
def test_jobs_list_422(api: Api, params: dict[str, Any]) -> None:
    assert_validation_error(api.get("/jobs/", params=params), loc_prefix="query")


def test_jobs_without_slash_307(api: Api) -> None:
    resp = api.get("/jobs", params={"status": "PENDING"})
    assert resp.status_code == 307, describe(resp)
    assert "/api/v1/jobs/?status=PENDING" in resp.headers["location"], resp.headers


def fetch_job(started: dict[str, Any]) -> dict[str, Any]:
    job: dict[str, Any] = next(j for j in started["jobs"] if j["job_type"] == "FETCH_LEADS")
    return job


def test_job_get_200(api: Api, started: dict[str, Any]) -> None:
    job = fetch_job(started)
    data = check_sample(api.get(f"/jobs/{job['id']}"), "extra_get_job")["data"]
    assert data["id"] == job["id"] and data["status"] == "COMPLETED"
    assert data["completed_at"] is not None


def test_job_get_404(api: Api) -> None:
    assert_detail(api.get("/jobs/999999"), 404, "Job 999999 not found")


@pytest.mark.parametrize("suffix", ["", "/status"])
def test_job_non_int_id_422(api: Api, suffix: str) -> None:
    assert_validation_error(api.get(f"/jobs/abc{suffix}"), loc_prefix="path")


def test_job_status_200(api: Api, started: dict[str, Any]) -> None:
    job = fetch_job(started)
    resp = api.get(f"/jobs/{job['id']}/status")
    assert resp.status_code == 200, describe(resp)
    body = resp.json()
    assert body["status"] == "success" and set(body) == {"status", "data"}, describe(resp)
    data = body["data"]
    assert set(data) == {"id", "status", "created_at", "updated_at", "completed_at"}, describe(resp)
    assert (data["id"], data["status"]) == (job["id"], "COMPLETED")
    assert isinstance(data["created_at"], str) and isinstance(data["completed_at"], str)


def test_job_status_404(api: Api) -> None:
    resp = api.get("/jobs/999999/status")
    assert resp.status_code == 404, describe(resp)
    assert resp.json() == {"detail": "Job 999999 not found"}, describe(resp)


def test_job_cancel_completed_400(api: Api, started: dict[str, Any]) -> None:
    job = fetch_job(started)
    assert_detail(
        api.post(f"/jobs/{job['id']}/cancel"), 400, "Cannot cancel job in JobStatus.COMPLETED status"
    )
    assert api.get(f"/jobs/{job['id']}").json()["data"]["status"] == "COMPLETED"


def test_job_cancel_404(api: Api) -> None:
    resp = api.post("/jobs/999999/cancel")
    assert resp.status_code == 404, describe(resp)
    assert resp.json() == {"detail": "Job 999999 not found"}, describe(resp)
    assert_no_server_error(api.post("/jobs/abc/cancel"))
    assert_validation_error(api.post("/jobs/abc/cancel"), loc_prefix="path")
