"""Queue management on the shared sandbox: read-only routes and invalid service names (contract §1.7).

Routes that open breakers or pause every RUNNING campaign run on sandboxes of their own
(test_contract_breakers.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from contract_shapes import SERVICES, assert_same_shape, load_sample, timestamp_style
from contract_support import (
    CLOSED,
    VALID_SERVICES_TEXT,
    Api,
    assert_detail,
    assert_validation_error,
    check_sample,
    describe,
)


def invalid(raw: str) -> str:
    return f"Invalid service name: {raw}. {VALID_SERVICES_TEXT}"


def test_status_200_all_closed(api: Api) -> None:
    body = check_sample(api.get("/queue-management/status"), "queue_status")
    data = body["data"]
    assert list(data["circuit_breakers"]) == list(SERVICES)
    assert data["circuit_breakers"] == {svc: CLOSED for svc in SERVICES}
    assert list(data["job_counts"]) == ["PENDING", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED", "PAUSED"]
    assert list(data["paused_jobs_by_service"]) == list(SERVICES)
    assert timestamp_style(data["timestamp"]) == "naive", data["timestamp"]


def test_circuit_breakers_200_timestamp_unknown(api: Api) -> None:
    resp = api.get("/queue-management/circuit-breakers")
    body = check_sample(resp, "extra_circuit_breakers")
    assert body == load_sample("extra_circuit_breakers")  # all closed: fully fixed by the contract
    assert list(body["data"]["circuit_breakers"]) == list(SERVICES)


def test_campaign_status_200(api: Api, org: dict[str, Any]) -> None:
    campaign = api.create_campaign(org["id"])
    api.force_status(campaign["id"], "RUNNING")
    body = check_sample(api.get("/queue-management/campaign-status"), "campaign_status")
    data = body["data"]
    statuses = ["RUNNING", "PAUSED", "CREATED", "COMPLETED", "FAILED"]
    assert list(data["totals"]) == ["total_campaigns", *statuses]
    assert list(data["campaigns_by_status"]) == statuses
    assert data["totals"]["total_campaigns"] == sum(data["totals"][s] for s in statuses)
    for status in statuses:
        items = data["campaigns_by_status"][status]
        assert len(items) == data["totals"][status]
        assert {item["status"] for item in items} <= {status}
    running_ids = [item["id"] for item in data["campaigns_by_status"]["RUNNING"]]
    assert campaign["id"] in running_ids
    assert data["timestamp"] is None


def test_paused_jobs_200(api: Api) -> None:
    body = check_sample(api.get("/queue-management/paused-jobs/openai"), "extra_paused_jobs_openai")
    assert body["data"] == {"service": "openai", "paused_jobs": [], "count": 0}


def test_paused_leads_200(api: Api) -> None:
    body = check_sample(api.get("/queue-management/paused-leads/openai"), "extra_paused_leads_openai")
    assert body == load_sample("extra_paused_leads_openai")


def test_paused_campaigns_200(api: Api) -> None:
    resp = api.get("/queue-management/paused-campaigns/perplexity")
    body = check_sample(resp, "extra_paused_campaigns_perplexity")
    data = body["data"]
    assert data["service"] == "perplexity"
    assert data["count"] == len(data["paused_campaigns"])
    assert data["message"] == f"Found {data['count']} campaigns paused due to perplexity issues"


@pytest.mark.parametrize("route", ["paused-jobs", "paused-leads", "paused-campaigns"])
def test_service_in_path_is_lower_cased(api: Api, route: str) -> None:
    resp = api.get(f"/queue-management/{route}/OpenAI")
    assert resp.status_code == 200, describe(resp)
    assert resp.json()["data"]["service"] == "openai"


@pytest.mark.parametrize("route", ["paused-jobs", "paused-leads", "paused-campaigns"])
@pytest.mark.parametrize("raw", ["nope", "NoPe", "open_ai"])
def test_invalid_service_in_path_400(api: Api, route: str, raw: str) -> None:
    assert_detail(api.get(f"/queue-management/{route}/{raw}"), 400, invalid(raw))


def test_pause_unknown_service_sample(api: Api) -> None:
    resp = api.post("/queue-management/pause-service", json={"service": "nope"})
    check_sample(resp, "extra_error_400_pause_unknown_service")
    assert resp.json() == load_sample("extra_error_400_pause_unknown_service")


@pytest.mark.parametrize(
    "route",
    ["pause-service", "resume-service", "pause-campaigns-for-service", "resume-campaigns-for-service"],
)
@pytest.mark.parametrize("raw", ["nope", "Apollo.io", ""])
def test_invalid_service_in_body_400(api: Api, route: str, raw: str) -> None:
    assert_detail(api.post(f"/queue-management/{route}", json={"service": raw}), 400, invalid(raw))
    # nothing was opened by the failed calls
    assert all(cb["circuit_state"] == "closed" for cb in api.breakers().values())


@pytest.mark.parametrize(
    "route",
    ["pause-service", "resume-service", "pause-campaigns-for-service", "resume-campaigns-for-service"],
)
@pytest.mark.parametrize("body", [{}, {"service": 5}, {"service": None}])
def test_bad_body_422(api: Api, route: str, body: dict[str, Any]) -> None:
    assert_validation_error(api.post(f"/queue-management/{route}", json=body), loc_prefix="body")


def test_status_shape_is_the_same_as_circuit_breakers(api: Api) -> None:
    status = api.get("/queue-management/status").json()["data"]["circuit_breakers"]
    breakers = api.get("/queue-management/circuit-breakers").json()["data"]["circuit_breakers"]
    assert_same_shape(status, breakers)
