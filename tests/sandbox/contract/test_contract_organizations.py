"""Organizations (contract §1.3): bare bodies, {data, meta} list, sanitising, 400/404/422."""

from __future__ import annotations

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


def unique(prefix: str = "Org") -> str:
    return f"{prefix} {uuid.uuid4().hex[:10]}"


def test_create_201_bare(api: Api) -> None:
    name = unique("Sample Org")
    resp = api.post(
        "/organizations/", json={"name": name, "description": "Organization created for the samples"}
    )
    body = check_sample(resp, "create_organization")
    assert body["name"] == name
    assert body["description"] == "Organization created for the samples"
    assert body["campaign_count"] == 0
    uuid.UUID(body["id"])


def test_list_200_data_meta(api: Api) -> None:
    api.create_org()
    body = check_sample(api.get("/organizations/"), "extra_list_organizations")
    assert body["meta"]["page"] == 1
    assert body["meta"]["limit"] == 10
    assert body["meta"]["total"] >= 1
    assert "status" not in body


def test_list_paging_and_order(api: Api) -> None:
    marker = uuid.uuid4().hex[:10]
    names = [api.create_org(f"Paged {marker} {i}")["name"] for i in range(3)]
    resp = api.get("/organizations/", params={"search": marker, "limit": 2, "page": 1})
    assert resp.status_code == 200, describe(resp)
    body = resp.json()
    assert body["meta"] == {"page": 1, "limit": 2, "total": 3, "pages": 2}, body["meta"]
    # created_at descending: the newest first
    assert [o["name"] for o in body["data"]] == [names[2], names[1]]
    page2 = api.get("/organizations/", params={"search": marker, "limit": 2, "page": 2}).json()
    assert [o["name"] for o in page2["data"]] == [names[0]]


def test_list_search_matches_description(api: Api) -> None:
    marker = uuid.uuid4().hex[:10]
    resp = api.post("/organizations/", json={"name": unique(), "description": f"about {marker} things"})
    assert resp.status_code == 201
    found = api.get("/organizations/", params={"search": marker.upper()}).json()
    assert [o["id"] for o in found["data"]] == [resp.json()["id"]]


def test_list_empty_has_one_page(api: Api) -> None:
    body = api.get("/organizations/", params={"search": uuid.uuid4().hex}).json()
    assert body == {"data": [], "meta": {"page": 1, "limit": 10, "total": 0, "pages": 1}}


@pytest.mark.parametrize("params", [{"page": 0}, {"limit": 0}, {"limit": 101}, {"page": "x"}])
def test_list_bad_paging_422(api: Api, params: dict[str, Any]) -> None:
    assert_validation_error(api.get("/organizations/", params=params), loc_prefix="query")


def test_list_without_slash_307_keeps_query(api: Api) -> None:
    resp = api.get("/organizations", params={"page": 1, "limit": 5})
    assert resp.status_code == 307, describe(resp)
    location = resp.headers["location"]
    assert "/api/v1/organizations/?" in location and "limit=5" in location and "page=1" in location, location


def test_create_without_slash_307(api: Api) -> None:
    resp = api.post("/organizations", json={"name": unique(), "description": "d"})
    assert resp.status_code == 307, describe(resp)
    assert resp.headers["location"].endswith("/api/v1/organizations/"), resp.headers


def test_redirect_keeps_method_body_and_token(api: Api) -> None:
    """requests follows the 307 with the same method, body and Authorization header (contract §1.0)."""
    name = unique("Redirected")
    resp = api.post("/organizations", json={"name": name, "description": "d"}, allow_redirects=True)
    assert resp.status_code == 201, describe(resp)
    assert resp.json()["name"] == name
    assert [r.status_code for r in resp.history] == [307]


def test_get_200_bare(api: Api, org: dict[str, Any]) -> None:
    resp = api.get(f"/organizations/{org['id']}")
    assert resp.status_code == 200, describe(resp)
    assert_same_shape(resp.json(), load_sample("create_organization"))
    assert resp.json()["id"] == org["id"]


def test_get_404(api: Api) -> None:
    assert_detail(api.get(f"/organizations/{MISSING}"), 404, f"Organization {MISSING} not found")
    assert_detail(api.get("/organizations/nope"), 404, "Organization nope not found")


def test_update_put_200(api: Api) -> None:
    created = api.create_org()
    resp = api.put(f"/organizations/{created['id']}", json={"description": "changed"})
    assert resp.status_code == 200, describe(resp)
    body = resp.json()
    assert_same_shape(body, load_sample("create_organization"))
    assert body["description"] == "changed"
    assert body["name"] == created["name"]  # partial update
    renamed = api.put(f"/organizations/{created['id']}", json={"name": "Renamed Org"}).json()
    assert renamed["name"] == "Renamed Org" and renamed["description"] == "changed"


def test_update_404(api: Api) -> None:
    resp = api.put(f"/organizations/{MISSING}", json={"name": "Whatever"})
    assert_detail(resp, 404, f"Organization {MISSING} not found")


def test_update_422(api: Api, org: dict[str, Any]) -> None:
    assert_validation_error(api.put(f"/organizations/{org['id']}", json={"name": "ab"}), loc_prefix="body")
    assert_validation_error(
        api.put(f"/organizations/{org['id']}", json={"description": ""}), loc_prefix="body"
    )


def test_update_400_after_sanitising(api: Api, org: dict[str, Any]) -> None:
    resp = api.put(f"/organizations/{org['id']}", json={"name": "<b>ab</b>"})
    assert_detail(resp, 400, "Name must be at least 3 characters long")


@pytest.mark.parametrize(
    "body",
    [
        {"description": "no name"},
        {"name": "No description"},
        {"name": "ab", "description": "d"},
        {"name": "x" * 256, "description": "d"},
        {"name": "Fine name", "description": ""},
        {"name": 12345, "description": "d"},
        {"name": None, "description": "d"},
    ],
)
def test_create_422(api: Api, body: dict[str, Any]) -> None:
    assert_validation_error(api.post("/organizations/", json=body), loc_prefix="body")


def test_create_name_of_255_is_accepted(api: Api) -> None:
    resp = api.post("/organizations/", json={"name": "n" * 255, "description": "d"})
    assert resp.status_code == 201, describe(resp)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"name": "<b></b>", "description": "d"}, "Name is required"),
        ({"name": "<i>ab</i>", "description": "d"}, "Name must be at least 3 characters long"),
        ({"name": "Valid name", "description": "<p></p>"}, "Description is required"),
    ],
)
def test_create_400_after_sanitising(api: Api, body: dict[str, Any], detail: str) -> None:
    assert_detail(api.post("/organizations/", json=body), 400, detail)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("A & B", "A &amp; B"),
        ("<script>alert(1)</script>Org", "alert(1)Org"),
        ('Bob\'s "Org"', "Bob&#x27;s &quot;Org&quot;"),
        ("  <img src=x onerror=y>Trimmed  ", "Trimmed"),
        ("a < b", "a &lt; b"),
        ("x > y", "x &gt; y"),
        ("a < b > c", "a  c"),  # "< b >" is a tag for the regex <[^>]+>
    ],
)
def test_create_sanitises_html(api: Api, raw: str, stored: str) -> None:
    resp = api.post("/organizations/", json={"name": raw, "description": raw})
    assert resp.status_code == 201, describe(resp)
    body = resp.json()
    assert (body["name"], body["description"]) == (stored, stored)
    assert api.get(f"/organizations/{body['id']}").json()["name"] == stored


def test_update_sanitises_html(api: Api, org: dict[str, Any]) -> None:
    created = api.create_org()
    resp = api.put(f"/organizations/{created['id']}", json={"description": "<b>R&D</b>"})
    assert resp.status_code == 200, describe(resp)
    assert resp.json()["description"] == "R&amp;D"


def test_org_campaigns_bare_array(api: Api) -> None:
    created = api.create_org()
    empty = api.get(f"/organizations/{created['id']}/campaigns")
    assert empty.status_code == 200, describe(empty)
    assert empty.json() == []
    first = api.create_campaign(created["id"])
    second = api.create_campaign(created["id"])
    resp = api.get(f"/organizations/{created['id']}/campaigns")
    assert resp.status_code == 200, describe(resp)
    body = resp.json()
    assert isinstance(body, list), describe(resp)
    assert [c["id"] for c in body] == [second["id"], first["id"]]  # created_at descending
    assert_same_shape(body[0], load_sample("create_campaign")["data"], label="create_campaign data")
    paged = api.get(f"/organizations/{created['id']}/campaigns", params={"skip": 1, "limit": 1}).json()
    assert [c["id"] for c in paged] == [first["id"]]
    assert api.get(f"/organizations/{created['id']}").json()["campaign_count"] == 2


def test_org_campaigns_404(api: Api) -> None:
    assert_detail(api.get(f"/organizations/{MISSING}/campaigns"), 404, f"Organization {MISSING} not found")


@pytest.mark.parametrize("params", [{"skip": -1}, {"limit": 0}, {"limit": 1001}])
def test_org_campaigns_422(api: Api, org: dict[str, Any], params: dict[str, Any]) -> None:
    assert_validation_error(
        api.get(f"/organizations/{org['id']}/campaigns", params=params), loc_prefix="query"
    )


def test_campaign_text_is_not_sanitised(api: Api, org: dict[str, Any]) -> None:
    """Quirk 38: only organization text is escaped."""
    resp = api.post("/campaigns/", json=campaign_body(org["id"], name="<b>A & B</b>"))
    assert resp.status_code == 201, describe(resp)
    assert resp.json()["data"]["name"] == "<b>A & B</b>"
