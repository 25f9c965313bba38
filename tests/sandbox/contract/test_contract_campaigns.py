"""Campaigns (contract §1.4, §4.2): envelopes, lifecycle routes and their 400/404/409/422 answers."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from contract_shapes import assert_same_shape, load_sample
from contract_support import (
    MISSING,
    Api,
    assert_detail,
    assert_validation_error,
    campaign_body,
    check_sample,
    describe,
)

CREATED_MESSAGE = "Campaign created successfully. All services are available."
TRANSITIONS = {
    "CREATED": ["RUNNING", "FAILED"],
    "RUNNING": ["PAUSED", "COMPLETED", "FAILED"],
    "PAUSED": ["RUNNING", "FAILED"],
    "COMPLETED": [],
    "FAILED": [],
}


def start_failure_detail_sample() -> dict[str, Any]:
    detail: dict[str, Any] = load_sample("extra_error_503_start_while_apollo_paused")["detail"]
    return detail


def to_dict_sample(with_jobs: bool) -> dict[str, Any]:
    campaign: dict[str, Any] = copy.deepcopy(load_sample("get_campaign_details")["data"]["campaign"])
    if not with_jobs:
        del campaign["jobs"]
    return campaign


# --- create ---------------------------------------------------------------------------------------


def test_create_201(api: Api, org: dict[str, Any]) -> None:
    body = campaign_body(org["id"], name="Sample Campaign A", totalRecords=10)
    resp = api.post("/campaigns/", json=body)
    data = check_sample(resp, "create_campaign")["data"]
    for key in ("name", "description", "organization_id", "fileName", "totalRecords", "url"):
        assert data[key] == body[key], key
    assert data["status"] == "CREATED"
    assert data["status_message"] == CREATED_MESSAGE
    assert data["status_error"] is None
    assert data["completed_at"] is None and data["failed_at"] is None
    assert data["valid_transitions"] == TRANSITIONS["CREATED"]
    uuid.UUID(data["id"])


def test_create_without_description_stores_empty_string(api: Api, org: dict[str, Any]) -> None:
    body = campaign_body(org["id"])
    del body["description"]
    resp = api.post("/campaigns/", json=body)
    assert resp.status_code == 201, describe(resp)
    assert resp.json()["data"]["description"] == ""


def test_create_ignores_unknown_fields_and_accepts_long_description(api: Api, org: dict[str, Any]) -> None:
    body = campaign_body(org["id"], description="d" * 10_000, color="blue")
    resp = api.post("/campaigns/", json=body)
    assert resp.status_code == 201, describe(resp)
    assert "color" not in resp.json()["data"]
    assert len(resp.json()["data"]["description"]) == 10_000


def test_create_does_not_check_the_url(api: Api, org: dict[str, Any]) -> None:
    resp = api.post("/campaigns/", json=campaign_body(org["id"], url="not a url"))
    assert resp.status_code == 201, describe(resp)


def test_create_without_slash_307(api: Api, org: dict[str, Any]) -> None:
    resp = api.post("/campaigns", json=campaign_body(org["id"]))
    assert resp.status_code == 307, describe(resp)
    assert resp.headers["location"].endswith("/api/v1/campaigns/"), resp.headers


@pytest.mark.parametrize(
    "change",
    [
        {"name": None},
        {"name": ""},
        {"name": "n" * 256},
        {"organization_id": None},
        {"organization_id": "x" * 37},
        {"fileName": ""},
        {"fileName": "f" * 256},
        {"totalRecords": -1},
        {"totalRecords": "ten"},
        {"totalRecords": 1.5},
        {"url": ""},
        {"name": 42},
    ],
)
def test_create_422(api: Api, org: dict[str, Any], change: dict[str, Any]) -> None:
    assert_validation_error(
        api.post("/campaigns/", json=campaign_body(org["id"], **change)), loc_prefix="body"
    )


@pytest.mark.parametrize("field", ["name", "organization_id", "fileName", "totalRecords", "url"])
def test_create_missing_required_field_422(api: Api, org: dict[str, Any], field: str) -> None:
    body = campaign_body(org["id"])
    del body[field]
    errors = assert_validation_error(api.post("/campaigns/", json=body), loc_prefix="body")
    assert any(e["loc"][-1] == field and e["type"] == "missing" for e in errors), errors


@pytest.mark.parametrize("org_id", [MISSING, ""])
def test_create_unknown_org_400(api: Api, org_id: str) -> None:
    assert_detail(
        api.post("/campaigns/", json=campaign_body(org_id)), 400, f"Organization {org_id} not found"
    )


# --- list ------------------------------------------------------------------------------------------


def test_list_envelope(api: Api, org: dict[str, Any]) -> None:
    api.create_campaign(org["id"])
    body = check_sample(api.get("/campaigns/"), "extra_list_campaigns")
    assert body["data"]["page"] == 1 and body["data"]["per_page"] == 10
    assert body["data"]["total"] >= 1


def test_list_filters_and_pages(api: Api) -> None:
    own = api.create_org()
    ids = [api.create_campaign(own["id"])["id"] for _ in range(3)]
    api.force_status(ids[0], "RUNNING")
    resp = api.get("/campaigns/", params={"organization_id": own["id"], "per_page": 2, "page": 1})
    assert resp.status_code == 200, describe(resp)
    data = resp.json()["data"]
    assert (data["total"], data["page"], data["per_page"], data["pages"]) == (3, 1, 2, 2), data
    assert [c["id"] for c in data["campaigns"]] == [ids[2], ids[1]]  # created_at descending
    page2 = api.get("/campaigns/", params={"organization_id": own["id"], "per_page": 2, "page": 2}).json()[
        "data"
    ]
    assert [c["id"] for c in page2["campaigns"]] == [ids[0]]
    running = api.get("/campaigns/", params={"organization_id": own["id"], "status": "RUNNING"}).json()[
        "data"
    ]
    assert [c["id"] for c in running["campaigns"]] == [ids[0]]
    assert running["total"] == 1


@pytest.mark.parametrize("status", ["running", "BOGUS"])
def test_list_unknown_status_is_an_empty_list_not_422(api: Api, org: dict[str, Any], status: str) -> None:
    resp = api.get("/campaigns/", params={"organization_id": org["id"], "status": status})
    assert resp.status_code == 200, describe(resp)
    assert resp.json() == {
        "status": "success",
        "data": {"campaigns": [], "total": 0, "page": 1, "per_page": 10, "pages": 1},
    }


def test_list_unknown_org_400(api: Api) -> None:
    assert_detail(
        api.get("/campaigns/", params={"organization_id": MISSING}), 400, f"Organization {MISSING} not found"
    )


@pytest.mark.parametrize("params", [{"per_page": 101}, {"per_page": 0}, {"page": 0}, {"page": "one"}])
def test_list_bad_paging_422(api: Api, params: dict[str, Any]) -> None:
    assert_validation_error(api.get("/campaigns/", params=params), loc_prefix="query")


def test_list_per_page_100_is_allowed(api: Api) -> None:
    resp = api.get("/campaigns/", params={"per_page": 100})
    assert resp.status_code == 200, describe(resp)


def test_list_without_slash_307_keeps_query(api: Api) -> None:
    resp = api.get("/campaigns", params={"page": 2, "per_page": 5})
    assert resp.status_code == 307, describe(resp)
    location = resp.headers["location"]
    assert "/api/v1/campaigns/?" in location and "page=2" in location and "per_page=5" in location, location


# --- get / patch -----------------------------------------------------------------------------------


def test_get_200(api: Api, started: dict[str, Any]) -> None:
    campaign_id = started["campaign"]["id"]
    data = check_sample(api.get(f"/campaigns/{campaign_id}"), "get_campaign")["data"]
    assert data["id"] == campaign_id
    assert data["valid_transitions"] == TRANSITIONS[data["status"]]


def test_get_404(api: Api) -> None:
    resp = api.get(f"/campaigns/{MISSING}")
    check_sample(resp, "extra_error_404_campaign")
    assert_detail(resp, 404, f"Campaign {MISSING} not found")


def test_patch_partial_200(api: Api, org: dict[str, Any]) -> None:
    campaign = api.create_campaign(org["id"])
    resp = api.patch(f"/campaigns/{campaign['id']}", json={"name": "Renamed", "totalRecords": 7})
    assert resp.status_code == 200, describe(resp)
    data = resp.json()["data"]
    assert_same_shape(resp.json(), load_sample("get_campaign"))
    assert (data["name"], data["totalRecords"], data["fileName"]) == ("Renamed", 7, campaign["fileName"])
    assert api.campaign(campaign["id"])["name"] == "Renamed"


def test_patch_bypasses_the_state_machine(api: Api, org: dict[str, Any]) -> None:
    campaign = api.create_campaign(org["id"])
    data = api.force_status(campaign["id"], "COMPLETED")
    assert data["valid_transitions"] == []
    data = api.force_status(campaign["id"], "CREATED")
    assert data["valid_transitions"] == TRANSITIONS["CREATED"]


def test_patch_404(api: Api) -> None:
    assert_detail(
        api.patch(f"/campaigns/{MISSING}", json={"name": "x"}), 404, f"Campaign {MISSING} not found"
    )


def test_patch_unknown_org_400(api: Api, org: dict[str, Any]) -> None:
    campaign = api.create_campaign(org["id"])
    resp = api.patch(f"/campaigns/{campaign['id']}", json={"organization_id": MISSING})
    assert_detail(resp, 400, f"Organization {MISSING} not found")


@pytest.mark.parametrize("change", [{"status": "BOGUS"}, {"status": "running"}, {"totalRecords": "many"}])
def test_patch_422(api: Api, org: dict[str, Any], change: dict[str, Any]) -> None:
    campaign = api.create_campaign(org["id"])
    assert_validation_error(api.patch(f"/campaigns/{campaign['id']}", json=change), loc_prefix="body")


# --- start/validate and start ----------------------------------------------------------------------


def test_validate_200_created(api: Api, org: dict[str, Any]) -> None:
    campaign = api.create_campaign(org["id"])
    resp = api.get(f"/campaigns/{campaign['id']}/start/validate")
    body = check_sample(resp, "extra_validate_campaign_start")
    # With every breaker closed, the whole answer is fixed by the contract.
    assert body == load_sample("extra_validate_campaign_start")


def test_validate_paused(api: Api, org: dict[str, Any]) -> None:
    campaign = api.create_campaign(org["id"])
    api.force_status(campaign["id"], "PAUSED")
    resp = api.get(f"/campaigns/{campaign['id']}/start/validate")
    assert resp.status_code == 200, describe(resp)
    data = resp.json()["data"]
    assert_same_shape(resp.json(), load_sample("extra_validate_campaign_start"))
    assert data["can_start"] is False and data["campaign_status_valid"] is False
    assert data["validation_details"]["campaign_status"] == {
        "current_status": "PAUSED",
        "can_start": False,
        "reason": "Cannot start paused campaign - resume it first",
    }
    assert data["errors"] == ["Campaign status issue: Cannot start paused campaign - resume it first"]


def test_validate_404(api: Api) -> None:
    assert_detail(api.get(f"/campaigns/{MISSING}/start/validate"), 404, f"Campaign {MISSING} not found")


def test_start_200(api: Api, started: dict[str, Any]) -> None:
    resp = started["start"]
    data = check_sample(resp, "start_campaign")["data"]
    assert data["status"] == "RUNNING"
    assert data["status_message"] == "Starting campaign process"
    assert data["valid_transitions"] == TRANSITIONS["RUNNING"]
    fetch = [j for j in started["jobs"] if j["job_type"] == "FETCH_LEADS"]
    assert len(fetch) == 1, started["jobs"]
    assert fetch[0]["name"] == "FETCH_LEADS"
    assert fetch[0]["description"] == f"Fetch leads for campaign {started['campaign']['name']}"


def test_start_404(api: Api) -> None:
    assert_detail(api.post(f"/campaigns/{MISSING}/start", json={}), 404, f"Campaign {MISSING} not found")


@pytest.mark.parametrize(
    ("status", "code", "reason"),
    [
        ("PAUSED", 409, "Cannot start paused campaign - resume it first"),
        ("RUNNING", 400, "Campaign is already running"),
        ("COMPLETED", 400, "Cannot start completed campaign"),
        ("FAILED", 400, "Cannot start failed campaign"),
    ],
)
def test_start_in_wrong_status_object_detail(
    api: Api, org: dict[str, Any], status: str, code: int, reason: str
) -> None:
    campaign = api.create_campaign(org["id"])
    api.force_status(campaign["id"], status)
    resp = api.post(f"/campaigns/{campaign['id']}/start", json={})
    assert resp.status_code == code, describe(resp)
    body = resp.json()
    assert set(body) == {"detail"}, describe(resp)
    assert_same_shape(body["detail"], start_failure_detail_sample(), label="start failure detail")
    detail = body["detail"]
    assert detail["message"] == "Cannot start campaign due to validation failures"
    assert detail["errors"] == [f"Campaign status issue: {reason}"]
    assert detail["warnings"] == []
    assert detail["validation_details"]["campaign_status"] == {
        "current_status": status,
        "can_start": False,
        "reason": reason,
    }
    assert api.campaign(campaign["id"])["status"] == status
    assert api.jobs(campaign["id"]) == []


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"url": "https://example.com/#/people"}, "Invalid Apollo search URL format"),
        ({"url": "http://app.apollo.io/#/people"}, "Invalid Apollo search URL format"),
        ({"url": "https://app.apollo.io/#/people?x=<y>"}, "URL contains invalid characters"),
        ({"url": "https://app.apollo.io/#/people?x={y}"}, "URL contains invalid characters"),
        ({"url": "https://app.apollo.io/#/people?x=a|b"}, "URL contains invalid characters"),
        ({"url": "https://app.apollo.io/#/people?x=[1]"}, "URL contains invalid characters"),
        ({"url": "https://app.apollo.io/#/people?x=`y`"}, "URL contains invalid characters"),
        ({"totalRecords": 0}, "Count must be greater than 0"),
        ({"totalRecords": 1001}, "Count cannot exceed 1000"),
    ],
)
def test_start_url_and_count_checks_400_string_detail(
    api: Api, org: dict[str, Any], change: dict[str, Any], detail: str
) -> None:
    campaign = api.create_campaign(org["id"], **change)
    assert_detail(api.post(f"/campaigns/{campaign['id']}/start", json={}), 400, detail)
    assert api.campaign(campaign["id"])["status"] == "CREATED"
    assert api.jobs(campaign["id"]) == []


# --- pause / resume ---------------------------------------------------------------------------------


def test_pause_running_200(api: Api, org: dict[str, Any]) -> None:
    campaign = api.create_campaign(org["id"])
    api.force_status(campaign["id"], "RUNNING")
    resp = api.post(f"/campaigns/{campaign['id']}/pause", json={"reason": "contract check"})
    assert resp.status_code == 200, describe(resp)
    message = f"Campaign {campaign['id']} has been paused"
    assert resp.json() == {
        "status": "success",
        "message": message,
        "data": {
            "id": campaign["id"],
            "status": "PAUSED",
            "status_message": "Campaign paused: contract check",
            "message": message,
        },
    }
    stored = api.campaign(campaign["id"])
    assert (stored["status"], stored["status_error"]) == ("PAUSED", "contract check")
    assert stored["valid_transitions"] == TRANSITIONS["PAUSED"]


def test_pause_default_reason(api: Api, org: dict[str, Any]) -> None:
    campaign = api.create_campaign(org["id"])
    api.force_status(campaign["id"], "RUNNING")
    resp = api.post(f"/campaigns/{campaign['id']}/pause")
    assert resp.status_code == 200, describe(resp)
    assert resp.json()["data"]["status_message"] == "Campaign paused: Manual pause requested"


@pytest.mark.parametrize("status", ["CREATED", "PAUSED", "COMPLETED", "FAILED"])
def test_pause_not_running_400(api: Api, org: dict[str, Any], status: str) -> None:
    campaign = api.create_campaign(org["id"])
    api.force_status(campaign["id"], status)
    resp = api.post(f"/campaigns/{campaign['id']}/pause", json={})
    assert_detail(
        resp, 400, f"Cannot pause campaign in {status} status. Only running campaigns can be paused."
    )


def test_pause_404(api: Api) -> None:
    assert_detail(api.post(f"/campaigns/{MISSING}/pause", json={}), 404, f"Campaign {MISSING} not found")


def test_resume_paused_200(api: Api, org: dict[str, Any]) -> None:
    campaign = api.create_campaign(org["id"])
    api.force_status(campaign["id"], "RUNNING")
    assert api.post(f"/campaigns/{campaign['id']}/pause", json={"reason": "r"}).status_code == 200
    resp = api.post(f"/campaigns/{campaign['id']}/resume")
    assert resp.status_code == 200, describe(resp)
    message = f"Campaign {campaign['id']} has been resumed"
    assert resp.json() == {
        "status": "success",
        "message": message,
        "data": {
            "id": campaign["id"],
            "status": "RUNNING",
            "status_message": "Campaign resumed - services are available",
            "message": message,
        },
    }
    assert api.campaign(campaign["id"])["status"] == "RUNNING"


def test_resume_running_400_sample(api: Api, org: dict[str, Any]) -> None:
    campaign = api.create_campaign(org["id"])
    api.force_status(campaign["id"], "RUNNING")
    resp = api.post(f"/campaigns/{campaign['id']}/resume")
    check_sample(resp, "extra_error_400_resume_campaign")
    assert resp.json() == load_sample("extra_error_400_resume_campaign")


@pytest.mark.parametrize("status", ["CREATED", "COMPLETED", "FAILED"])
def test_resume_not_paused_400(api: Api, org: dict[str, Any], status: str) -> None:
    campaign = api.create_campaign(org["id"])
    api.force_status(campaign["id"], status)
    resp = api.post(f"/campaigns/{campaign['id']}/resume")
    assert_detail(
        resp, 400, f"Cannot resume campaign in {status} status. Only paused campaigns can be resumed."
    )


def test_resume_404(api: Api) -> None:
    assert_detail(api.post(f"/campaigns/{MISSING}/resume"), 404, f"Campaign {MISSING} not found")


# --- details / results ------------------------------------------------------------------------------


def test_details_200(api: Api, started: dict[str, Any]) -> None:
    campaign = started["campaign"]
    resp = api.get(f"/campaigns/{campaign['id']}/details")
    data = check_sample(resp, "get_campaign_details")["data"]
    assert data["campaign"]["id"] == campaign["id"]
    assert data["campaign"]["jobs"] == []
    assert "valid_transitions" not in data["campaign"]
    assert data["instantly_analytics"]["campaign_id"] == campaign["id"]
    assert data["instantly_analytics"]["campaign_name"] == campaign["name"]
    assert isinstance(data["instantly_analytics"]["campaign_is_evergreen"], bool)


def test_details_of_a_new_campaign_uses_empty_strings(api: Api, org: dict[str, Any]) -> None:
    campaign = api.create_campaign(org["id"])
    resp = api.get(f"/campaigns/{campaign['id']}/details")
    assert resp.status_code == 200, describe(resp)
    data = resp.json()["data"]
    assert_same_shape(resp.json(), load_sample("get_campaign_details"), label="get_campaign_details")
    assert data["campaign"]["status_error"] == ""  # to_dict(): "" instead of null
    assert data["campaign"]["status_message"] == CREATED_MESSAGE


def test_details_404(api: Api) -> None:
    assert_detail(api.get(f"/campaigns/{MISSING}/details"), 404, f"Campaign {MISSING} not found")


def test_results_200(api: Api, started: dict[str, Any]) -> None:
    campaign = started["campaign"]
    resp = api.get(f"/campaigns/{campaign['id']}/results")
    assert resp.status_code == 200, describe(resp)
    body = resp.json()
    assert set(body) == {"status", "data"} and body["status"] == "success", describe(resp)
    assert set(body["data"]) == {"campaign", "results"}, describe(resp)
    assert_same_shape(body["data"]["campaign"], to_dict_sample(with_jobs=False), label="to_dict campaign")
    assert body["data"]["campaign"]["id"] == campaign["id"]
    results = body["data"]["results"]
    assert isinstance(results, dict) and results, describe(resp)
    assert set(results) <= {"FETCH_LEADS", "ENRICH_LEAD"}, results  # keyed by job *name*
    assert results.get("FETCH_LEADS") == (
        f"Successfully fetched {len(started['leads'])} leads and queued enrichment tasks"
    )


def test_results_404_without_completed_jobs(api: Api, org: dict[str, Any]) -> None:
    campaign = api.create_campaign(org["id"])
    assert_detail(
        api.get(f"/campaigns/{campaign['id']}/results"), 404, "No completed jobs found for this campaign"
    )


def test_results_404_unknown(api: Api) -> None:
    assert_detail(api.get(f"/campaigns/{MISSING}/results"), 404, f"Campaign {MISSING} not found")


# --- the other campaign routes (contract §1.4) ------------------------------------------------------


def test_lead_stats_200(api: Api, started: dict[str, Any]) -> None:
    resp = api.get(f"/campaigns/{started['campaign']['id']}/leads/stats")
    assert resp.status_code == 200, describe(resp)
    expected = {"status": "success", "data": load_sample("get_campaign_details")["data"]["lead_stats"]}
    assert_same_shape(resp.json(), expected, label="get_campaign_details lead_stats")


def test_instantly_analytics_200(api: Api, started: dict[str, Any]) -> None:
    campaign = started["campaign"]
    resp = api.get(f"/campaigns/{campaign['id']}/instantly/analytics")
    assert resp.status_code == 200, describe(resp)
    sample = load_sample("get_campaign_details")["data"]["instantly_analytics"]
    assert_same_shape(resp.json(), {"status": "success", "data": sample}, label="instantly_analytics")
    data = resp.json()["data"]
    assert (data["campaign_id"], data["campaign_name"]) == (campaign["id"], campaign["name"])


@pytest.mark.parametrize("route", ["leads/stats", "instantly/analytics"])
def test_stats_routes_404(api: Api, route: str) -> None:
    assert_detail(api.get(f"/campaigns/{MISSING}/{route}"), 404, f"Campaign {MISSING} not found")


def test_cleanup(api: Api, org: dict[str, Any]) -> None:
    campaign = api.create_campaign(org["id"])
    path = f"/campaigns/{campaign['id']}/cleanup"
    assert_detail(api.post(path, json={}), 400, "Days parameter is required")
    assert_detail(api.post(path, json={"days": 0}), 400, "Days must be a positive integer")
    assert_validation_error(api.post(path, json={"days": "soon"}), loc_prefix="body")
    unknown = api.post(f"/campaigns/{MISSING}/cleanup", json={"days": 3})
    assert_detail(unknown, 404, f"Campaign {MISSING} not found")
    resp = api.post(path, json={"days": 3})
    assert resp.status_code == 200, describe(resp)
    assert resp.json() == {
        "status": "success",
        "message": f"Cleanup task queued for campaign {campaign['id']}",
        "jobs_deleted": 0,
    }
