"""Bad input gets the platform's 4xx answers, never a 500 or a stack trace."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sandbox_helpers import fast_settings

from support.api import Api
from support.sandboxes import Sandboxes


@pytest.fixture(scope="module")
def client() -> Iterator[Api]:
    with Sandboxes() as sandboxes:
        yield sandboxes.user(sandboxes.start(fast_settings())).with_org()


def _status(client: Api, method: str, path: str, **kwargs: Any) -> int:
    return client.request(method, path, **kwargs).status_code


def test_malformed_json_is_422(client: Api) -> None:
    response = client.post("/campaigns/", data=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


@pytest.mark.parametrize(
    ("method", "path", "detail"),
    [
        ("GET", "/campaigns/nope", "Campaign nope not found"),
        ("GET", "/organizations/nope", "Organization nope not found"),
        ("GET", "/leads/nope", "Lead not found"),
        ("GET", "/jobs/999999", "Job 999999 not found"),
        ("GET", "/jobs/99999999999999999999", "Job 99999999999999999999 not found"),
        ("POST", "/jobs/0/cancel", "Job 0 not found"),
    ],
)
def test_unknown_ids_are_404(client: Api, method: str, path: str, detail: str) -> None:
    assert client.call(method, path, 404) == {"detail": detail}


def test_wrong_types_and_oversized_fields_are_422(client: Api) -> None:
    assert _status(client, "GET", "/jobs/abc") == 422
    assert _status(client, "GET", "/campaigns/", params={"per_page": 101}) == 422
    assert _status(client, "GET", "/jobs/", params={"status": "paused"}) == 422
    body = {
        "name": "x" * 256,
        "organization_id": client.org_id,
        "fileName": "f",
        "totalRecords": 1,
        "url": "u",
    }
    assert _status(client, "POST", "/campaigns/", json=body) == 422
    body = {
        "name": "x",
        "organization_id": client.org_id,
        "fileName": "f",
        "totalRecords": "many",
        "url": "u",
    }
    assert _status(client, "POST", "/campaigns/", json=body) == 422
    assert _status(client, "POST", "/leads/", json={"campaign_id": "c" * 37}) == 422


def test_unknown_service_names_are_400(client: Api) -> None:
    expected = (
        "Invalid service name: nope. Valid services: ['perplexity', 'openai', 'apollo', 'instantly', "
        "'millionverifier']"
    )
    assert client.call("POST", "/queue-management/pause-service", 400, json={"service": "nope"}) == {
        "detail": expected
    }
    assert client.call("GET", "/queue-management/paused-jobs/nope", 400) == {"detail": expected}


def test_nul_bytes_and_unknown_references_are_4xx(client: Api) -> None:
    body = {
        "name": "x\x00y",
        "organization_id": client.org_id,
        "fileName": "f",
        "totalRecords": 1,
        "url": "u",
    }
    assert _status(client, "POST", "/campaigns/", json=body) in (201, 400)
    assert _status(client, "POST", "/leads/", json={"campaign_id": "missing"}) == 400
    assert _status(client, "POST", "/jobs/", json={"name": "j", "campaign_id": "missing"}) == 400
    cid = client.new_campaign(1)
    assert _status(client, "PATCH", f"/campaigns/{cid}", json={"name": None}) == 400


def test_unknown_paths_need_a_token_first(client: Api) -> None:
    anonymous = client.get("/nowhere", headers={"Authorization": ""})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["message"] == "Token is missing"
    assert _status(client, "GET", "/nowhere") == 404
