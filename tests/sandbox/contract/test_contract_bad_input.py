"""Bad input never yields a 500 or a stack trace: the platform answers with its 4xx (contract §1.0)."""

from __future__ import annotations

from typing import Any

import pytest
from contract_support import MISSING, Api, assert_no_server_error, assert_validation_error, describe

# (method, path) of every route that takes a JSON body; "{org}" / "{campaign}" / "{lead}" are filled in.
BODY_ROUTES = [
    ("POST", "/auth/signup"),
    ("POST", "/auth/login"),
    ("POST", "/organizations/"),
    ("PUT", "/organizations/{org}"),
    ("POST", "/campaigns/"),
    ("PATCH", "/campaigns/{campaign}"),
    ("POST", "/leads/"),
    ("PUT", "/leads/{lead}"),
    ("POST", "/queue-management/pause-service"),
    ("POST", "/queue-management/resume-service"),
    ("POST", "/queue-management/pause-campaigns-for-service"),
    ("POST", "/queue-management/resume-campaigns-for-service"),
]


@pytest.fixture(scope="module")
def ids(api: Api, org: dict[str, Any]) -> dict[str, str]:
    campaign = api.create_campaign(org["id"])
    email = f"bad-input-{campaign['id']}@x.io"
    lead = api.post("/leads/", json={"campaign_id": campaign["id"], "email": email})
    assert lead.status_code == 201, describe(lead)
    return {"org": org["id"], "campaign": campaign["id"], "lead": lead.json()["data"]["id"]}


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
@pytest.mark.parametrize(
    "payload",
    ['{"name": ', "not json at all", "[1, 2, 3]", '"a string"', "null", "{'single': 'quotes'}"],
    ids=["truncated", "text", "array", "string", "null", "python-dict"],
)
def test_malformed_json_is_422(api: Api, ids: dict[str, str], method: str, path: str, payload: str) -> None:
    resp = api.request(method, path.format(**ids), data=payload, headers={"Content-Type": "application/json"})
    assert_no_server_error(resp)
    assert_validation_error(resp, loc_prefix="body")


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
def test_form_encoded_body_is_a_4xx(api: Api, ids: dict[str, str], method: str, path: str) -> None:
    resp = api.request(method, path.format(**ids), data={"name": "x"})
    assert_no_server_error(resp)
    assert 400 <= resp.status_code < 500, describe(resp)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/organizations/{MISSING}"),
        ("PUT", f"/organizations/{MISSING}"),
        ("GET", f"/organizations/{MISSING}/campaigns"),
        ("GET", f"/campaigns/{MISSING}"),
        ("PATCH", f"/campaigns/{MISSING}"),
        ("GET", f"/campaigns/{MISSING}/start/validate"),
        ("POST", f"/campaigns/{MISSING}/start"),
        ("POST", f"/campaigns/{MISSING}/pause"),
        ("POST", f"/campaigns/{MISSING}/resume"),
        ("GET", f"/campaigns/{MISSING}/details"),
        ("GET", f"/campaigns/{MISSING}/results"),
        ("GET", f"/leads/{MISSING}"),
        ("PUT", f"/leads/{MISSING}"),
        ("GET", "/jobs/2147483647"),
        ("GET", "/jobs/2147483647/status"),
        ("POST", "/jobs/2147483647/cancel"),
        ("GET", "/campaigns/'; DROP TABLE campaigns; --"),
        ("GET", "/leads/%00"),
        ("GET", "/organizations/" + "x" * 2000),
    ],
)
def test_unknown_ids_are_404(api: Api, method: str, path: str) -> None:
    resp = api.request(method, path, json={})
    assert_no_server_error(resp)
    assert resp.status_code == 404, describe(resp)
    assert isinstance(resp.json().get("detail"), str), describe(resp)


@pytest.mark.parametrize("job_id", ["abc", "1.5", "-", "99999999999999999999999"])
def test_non_int_job_ids_are_422(api: Api, job_id: str) -> None:
    resp = api.get(f"/jobs/{job_id}")
    assert_no_server_error(resp)
    assert resp.status_code in (404, 422), describe(resp)
    if job_id in ("abc", "1.5"):
        assert_validation_error(resp, loc_prefix="path")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/organizations/", {"name": "N" * 10_000, "description": "d"}),
        ("POST", "/organizations/", {"name": ["a", "b", "c"], "description": "d"}),
        ("POST", "/organizations/", {"name": {"x": 1}, "description": "d"}),
        ("PUT", "/organizations/{org}", {"name": "N" * 256}),
        ("POST", "/campaigns/", {"name": "N" * 256}),
        ("POST", "/campaigns/", {"totalRecords": [3]}),
        ("PATCH", "/campaigns/{campaign}", {"name": "N" * 256}),
        ("PATCH", "/campaigns/{campaign}", {"fileName": "F" * 256}),
        ("PATCH", "/campaigns/{campaign}", {"instantly_campaign_id": "i" * 65}),
        ("PATCH", "/campaigns/{campaign}", {"status": ["RUNNING"]}),
        ("POST", "/leads/", {"email": "e" * 10_000}),
        ("PUT", "/leads/{lead}", {"linkedin_url": "l" * 256}),
        ("PUT", "/leads/{lead}", {"raw_data": [1, 2]}),
        ("POST", "/auth/signup", {"email": ["x@hellacooltestingdomain.pizza"], "password": 1}),
        ("POST", "/auth/login", {"email": "x@hellacooltestingdomain.pizza", "password": ""}),
        ("POST", "/queue-management/pause-service", {"service": "openai", "reason": {"nested": True}}),
    ],
)
def test_wrong_types_and_oversized_fields_are_422(
    api: Api, ids: dict[str, str], method: str, path: str, body: dict[str, Any]
) -> None:
    if path == "/campaigns/":
        body = {
            "name": "n",
            "organization_id": ids["org"],
            "fileName": "f.csv",
            "totalRecords": 1,
            "url": "https://app.apollo.io/#/people",
            **body,
        }
    if path == "/leads/":
        body = {"campaign_id": ids["campaign"], **body}
    resp = api.request(method, path.format(**ids), json=body)
    assert_no_server_error(resp)
    assert_validation_error(resp, loc_prefix="body")


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/campaigns/", {"page": "-1"}),
        ("/campaigns/", {"per_page": "1e9"}),
        ("/jobs/", {"page": "x"}),
        ("/jobs/", {"status": "pending"}),
        ("/leads/", {"per_page": "0"}),
        ("/organizations/", {"limit": "1000"}),
    ],
)
def test_bad_query_parameters_are_422(api: Api, path: str, params: dict[str, str]) -> None:
    resp = api.get(path, params=params)
    assert_no_server_error(resp)
    assert_validation_error(resp, loc_prefix="query")


@pytest.mark.parametrize("service", ["nope", "OPEN AI", "perplexity ", "x" * 300])
def test_unknown_service_names_are_400(api: Api, service: str) -> None:
    for path in ("paused-jobs", "paused-leads", "paused-campaigns"):
        resp = api.get(f"/queue-management/{path}/{service}")
        assert_no_server_error(resp)
        assert resp.status_code in (400, 404), describe(resp)
    resp = api.post("/queue-management/pause-service", json={"service": service})
    assert_no_server_error(resp)
    assert resp.status_code == 400, describe(resp)
    assert resp.json()["detail"].startswith(f"Invalid service name: {service}. "), describe(resp)
