"""routes.ROUTES cannot go stale: the client calls exactly its routes with only what they declare, and every
platform field the suite's modules read from an answer is declared there."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from campaign_acceptance.client import PlatformClient
from campaign_acceptance.routes import ROUTES
from campaign_sandbox.core.config import SandboxSettings
from support.sandboxes import Sandboxes

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "campaign_acceptance"
# The modules that read the platform's answers (the others read the suite's own files and reports).
READERS = ("client", "monitor", "scenarios", "capacity", "matchers", "lifecycle")
# Keys those modules read from something that is not an answer of a route.
NOT_ANSWERS = {
    "loc": "a pydantic validation error (lifecycle, settings)",
    "msg": "a pydantic validation error",
    "title": "the OpenAPI document's info (lifecycle.platform_version)",
    "version": "the OpenAPI document's info",
}


def platform_field_names() -> set[str]:
    """Every property name of the platform's recorded OpenAPI document (contract/openapi.json)."""
    document = json.loads((ROOT / "contract" / "openapi.json").read_text(encoding="utf-8"))
    return {
        name for schema in document["components"]["schemas"].values() for name in schema.get("properties", {})
    }


def keys_read(source: str) -> set[str]:
    """String keys read with ``x["key"]`` or ``x.get("key")`` in a module's source."""
    keys = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            keys.add(node.slice.value)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            keys.add(node.args[0].value)
    return {k for k in keys if isinstance(k, str)}


def declared() -> set[str]:
    names = {"status", "data"}  # the envelope, which the client removes
    for route in ROUTES.values():
        names |= {part.removesuffix("[]") for f in route.reads for part in f.path.split(".")}
        names |= set(route.body) | set(route.query)
    return names


def undeclared(source: str) -> set[str]:
    return (keys_read(source) & platform_field_names()) - declared() - set(NOT_ANSWERS)


@pytest.mark.parametrize("module", READERS)
def test_every_platform_field_a_module_reads_is_declared(module: str) -> None:
    source = (SRC / f"{module}.py").read_text(encoding="utf-8")
    assert not undeclared(source), f"{module}.py reads fields routes.ROUTES does not declare"


def test_a_field_read_without_declaring_it_is_caught() -> None:
    # What the check above would say if a step started reading a campaign field nobody declared.
    assert undeclared('def f(c):\n    return c["instantly_campaign_id"], c.get("status_error")\n') == {
        "instantly_campaign_id",
        "status_error",
    }


def test_the_client_refuses_a_parameter_or_body_field_its_route_does_not_declare() -> None:
    client = PlatformClient("http://127.0.0.1:9")  # nothing is sent: the refusal comes first
    with pytest.raises(ValueError, match=r"GET /jobs/: query parameter status not declared"):
        client._route("list_jobs", params={"campaign_id": "c", "status": "PAUSED"})
    with pytest.raises(ValueError, match=r"POST /campaigns/: body field priority not declared"):
        client._route("create_campaign", json={"name": "n", "priority": 1})
    assert client.request_count == 0


def test_the_client_calls_exactly_the_routes_of_the_table(sandboxes: Sandboxes) -> None:
    """Every client operation against a real sandbox: the routes answered are the table, no more, no less."""
    # A slow lead fetch keeps the campaign RUNNING while it is paused and resumed.
    server = sandboxes.start(SandboxSettings(workers=2, fetch_latency_ms=10_000))
    with PlatformClient(server.url) as client:
        email = "routes-table@hellacooltestingdomain.pizza"
        client.health()
        client.signup(email, "Aa1!routes-table")
        client.login(email, "Aa1!routes-table")
        org = client.create_organization("Routes table", "every route once")
        campaign = client.create_campaign(org["id"], "routes table", 2)
        client.get_campaign(campaign["id"])
        client.list_campaigns(org["id"])
        client.organization_campaigns(org["id"])
        client.start_campaign(campaign["id"])
        client.pause_campaign(campaign["id"], "routes table")
        client.resume_campaign(campaign["id"])
        client.list_jobs(campaign["id"])
        client.jobs_page(campaign["id"])
        client.list_leads(campaign["id"])
        client.breakers()
        client.pause_service("apollo", "routes table")
        client.resume_service("apollo")
        assert sorted(client.answers) == sorted(ROUTES)
        token = str(client._session.headers["Authorization"]).removeprefix("Bearer ")
        assert len(token) > 20 and token not in repr(client.answers)  # kept answers hold no token
