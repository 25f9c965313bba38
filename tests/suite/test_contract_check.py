"""contract_check against the platform's own OpenAPI document and recorded answers (contract/), and against
copies of them with one thing changed: each change is one exact line, additions are never drifts."""

from __future__ import annotations

import copy
import json
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from campaign_acceptance.client import Answer, PlatformClient
from campaign_acceptance.contract_check import ContractCheck, check_answers, check_document, read_document
from campaign_sandbox.core.config import SandboxSettings
from support.sandboxes import Sandboxes

CONTRACT = Path(__file__).resolve().parents[2] / "contract"
# The recorded answers (contract/samples) of the routes the suite reads, by route name.
SAMPLES = {
    "signup": "signup",
    "login": "login",
    "create_organization": "create_organization",
    "create_campaign": "create_campaign",
    "get_campaign": "get_campaign",
    "list_campaigns": "extra_list_campaigns",
    "list_jobs": "get_campaign_jobs",
    "list_leads": "extra_get_campaign_leads",
    "queue_status": "queue_status",
    "start_campaign": "start_campaign",
    "pause_service": "pause_service",
    "resume_service": "resume_service",
    "health": "extra_health",
}


def platform_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((CONTRACT / "openapi.json").read_text(encoding="utf-8"))
    return document


def recorded_answers() -> dict[str, Answer]:
    index = json.loads((CONTRACT / "samples" / "_index.json").read_text(encoding="utf-8"))
    return {
        route: Answer(
            index[sample]["status_code"], json.loads((CONTRACT / "samples" / f"{sample}.json").read_text())
        )
        for route, sample in SAMPLES.items()
    }


def schemas(document: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = document["components"]["schemas"]
    return found


def test_the_platform_document_has_everything_the_suite_uses() -> None:
    found = check_document(platform_document())
    print("\n" + found.render())  # the output the lead's note quotes (pytest -s)
    assert found.drifts == []
    # Its queue status answer is a bare object: the breakers are checked on real answers only.
    assert found.notes == ["`GET /queue-management/status`: the answer is not described by the document"]
    assert (
        found.summary_of_unused()
        == "28 operations and 85 answer fields the suite does not use (not a failure)"
    )


def test_the_platform_recorded_answers_have_everything_the_suite_reads() -> None:
    found = check_answers(recorded_answers())
    print("\n" + found.render())
    assert found.drifts == []
    assert found.notes == []


def test_breaker_answers_in_every_recorded_state_have_what_the_suite_reads() -> None:
    index = json.loads((CONTRACT / "samples" / "_index.json").read_text(encoding="utf-8"))
    for sample in ("extra_queue_status_after_manual_pause", "extra_queue_status_breaker_tripped_openai"):
        body = json.loads((CONTRACT / "samples" / f"{sample}.json").read_text())
        found = check_answers({"queue_status": Answer(index[sample]["status_code"], body)})
        assert found.drifts == [], sample


def changed(change: Any) -> ContractCheck:
    document = platform_document()
    change(document)
    return check_document(document)


CAMPAIGN = "CampaignResponse"


@pytest.mark.parametrize(
    ("change", "line"),
    [
        (
            lambda d: schemas(d)[CAMPAIGN]["properties"].pop("status_message"),
            "`GET /campaigns/{id}`: field `status_message` missing",
        ),
        (lambda d: schemas(d)["JobStatus"]["enum"].append("RETRYING"), "`JobStatus`: new value `RETRYING`"),
        (
            lambda d: schemas(d)["JobType"]["enum"].remove("ENRICH_LEAD"),
            "`JobType`: value `ENRICH_LEAD` missing",
        ),
        (lambda d: d["paths"].pop("/api/v1/campaigns/{campaign_id}"), "`GET /campaigns/{id}`: path missing"),
        (
            lambda d: d["paths"]["/api/v1/campaigns/{campaign_id}"].pop("get"),
            "`GET /campaigns/{id}`: method missing (the path has PATCH)",
        ),
        (
            lambda d: d["paths"].__setitem__("/api/v1/jobs", d["paths"].pop("/api/v1/jobs/")),
            "`GET /jobs/`: path missing (the document has `/api/v1/jobs`)",
        ),
        (
            lambda d: d["paths"]["/api/v1/jobs/"]["get"]["parameters"].pop(3),
            "`GET /jobs/`: query parameter `campaign_id` missing",
        ),
        (
            lambda d: d["paths"]["/api/v1/jobs/"]["get"]["parameters"][2].__setitem__("required", True),
            "`GET /jobs/`: query parameter `status` is required, the suite does not send it",
        ),
        (
            lambda d: schemas(d)["CampaignCreate"]["properties"].pop("fileName"),
            "`POST /campaigns/`: request field `fileName` missing",
        ),
        (
            lambda d: schemas(d)["CampaignCreate"]["required"].append("priority"),
            "`POST /campaigns/`: request field `priority` is required, the suite does not send it",
        ),
        (
            lambda d: schemas(d)[CAMPAIGN]["properties"].__setitem__("totalRecords", {"type": "string"}),
            "`GET /campaigns/{id}`: field `totalRecords` is string, the suite reads integer",
        ),
        (
            lambda d: schemas(d)["JobResponse"]["properties"].__setitem__(
                "id", {"anyOf": [{"type": "integer"}, {"type": "null"}]}
            ),
            "`GET /jobs/`: field `jobs[].id` may be null, the suite reads an integer",
        ),
        (
            lambda d: schemas(d)["CampaignDetailResponse"]["properties"].pop("data"),
            '`GET /campaigns/{id}`: answer not wrapped in {"status", "data"}',
        ),
        (
            lambda d: d["paths"]["/api/v1/campaigns/"]["post"]["responses"].pop("201"),
            "`POST /campaigns/`: no success answer documented (the suite expects 201)",
        ),
    ],
)
def test_each_change_the_suite_relies_on_is_one_line(change: Any, line: str) -> None:
    found = changed(change)
    assert line in found.drifts, found.render()
    # Only that difference (a schema shared by two routes says it once per route).
    assert all(d == line or d.split(":")[1:] == line.split(":")[1:] or "[]." in d for d in found.drifts)


def test_a_campaign_field_renamed_is_said_for_each_route_that_reads_it() -> None:
    def rename(d: dict[str, Any]) -> None:
        props = schemas(d)[CAMPAIGN]["properties"]
        props["status_text"] = props.pop("status_message")

    assert changed(rename).drifts == [
        "`GET /campaigns/{id}`: field `status_message` missing",
        "`GET /campaigns/`: field `campaigns[].status_message` missing",
        "`GET /organizations/{id}/campaigns`: field `[].status_message` missing",
    ]


def test_additions_the_suite_does_not_use_are_never_drifts() -> None:
    plain = check_document(platform_document())

    def add(d: dict[str, Any]) -> None:
        schemas(d)[CAMPAIGN]["properties"]["priority"] = {"type": "integer"}
        d["paths"]["/api/v1/campaigns/{campaign_id}/archive"] = {"post": {"responses": {"200": {}}}}

    found = changed(add)
    assert found.drifts == []
    assert set(found.unused) - set(plain.unused) == {
        "GET /campaigns/{id}: priority",
        "GET /campaigns/: campaigns[].priority",
        "GET /organizations/{id}/campaigns: [].priority",
        "POST /campaigns/: priority",
        "POST /campaigns/{id}/archive",
    }


def test_a_different_success_status_is_a_note() -> None:
    def ok_instead_of_created(d: dict[str, Any]) -> None:
        responses = d["paths"]["/api/v1/campaigns/"]["post"]["responses"]
        responses["200"] = responses.pop("201")

    found = changed(ok_instead_of_created)
    assert found.drifts == []
    assert found.notes == [
        "`POST /campaigns/`: documented success status 200, the contract says 201 "
        "(the client accepts any 2xx)",
        "`GET /queue-management/status`: the answer is not described by the document",
    ]


def answers_changed(route: str, change: Any) -> ContractCheck:
    answers = recorded_answers()
    body = copy.deepcopy(answers[route].body)
    change(body)
    answers[route] = Answer(answers[route].status, body)
    return check_answers(answers)


@pytest.mark.parametrize(
    ("route", "change", "line"),
    [
        (
            "get_campaign",
            lambda b: b["data"].pop("status_message"),
            "`GET /campaigns/{id}`: field `status_message` missing",
        ),
        (
            "get_campaign",
            lambda b: b["data"].__setitem__("status", "ARCHIVED"),
            "`CampaignStatus`: new value `ARCHIVED`",
        ),
        (
            "get_campaign",
            lambda b: b.pop("status"),
            '`GET /campaigns/{id}`: answer not wrapped in {"status": "success", "data": ...}',
        ),
        (
            "list_jobs",
            lambda b: b["data"]["jobs"][0].__setitem__("status", "RETRYING"),
            "`JobStatus`: new value `RETRYING`",
        ),
        (
            "list_jobs",
            lambda b: b["data"]["jobs"][0].__setitem__("id", "1"),
            "`GET /jobs/`: field `jobs[].id` is string, the suite reads integer",
        ),
        (
            "queue_status",
            lambda b: b["data"]["circuit_breakers"]["openai"].__setitem__("circuit_state", "forced_open"),
            "`CircuitState`: new value `forced_open`",
        ),
        (
            "queue_status",
            lambda b: b["data"]["circuit_breakers"].pop("apollo"),
            "`ThirdPartyService`: value `apollo` missing",
        ),
        (
            "queue_status",
            lambda b: b["data"]["circuit_breakers"]["openai"].__setitem__("failure_count", None),
            "`GET /queue-management/status`: field `circuit_breakers.*.failure_count` is null, "
            "the suite reads an integer",
        ),
        (
            "login",
            lambda b: b["token"].pop("access_token"),
            "`POST /auth/login`: field `token.access_token` missing",
        ),
        ("create_organization", lambda b: b.pop("id"), "`POST /organizations/`: field `id` missing"),
    ],
)
def test_each_answer_difference_the_suite_relies_on_is_one_line(route: str, change: Any, line: str) -> None:
    assert answers_changed(route, change).drifts == [line]


def test_an_empty_list_is_a_note_not_a_drift() -> None:
    found = answers_changed("list_jobs", lambda b: b["data"].__setitem__("jobs", []))
    assert found.drifts == []
    assert found.notes == ["`GET /jobs/`: `jobs` was empty: its items were not checked"]


def test_the_document_is_read_where_the_platform_serves_it(sandboxes: Sandboxes) -> None:
    server = sandboxes.start(SandboxSettings(workers=1))
    with PlatformClient(server.url) as client:
        assert read_document(client)[0] is None  # as on the platform, the document needs a token (quirk 9)
        client.signup("contract-document@hellacooltestingdomain.pizza", "Aa1!contract-document")
        client.login("contract-document@hellacooltestingdomain.pizza", "Aa1!contract-document")
        document, where = read_document(client)
    assert where == "/api/v1/openapi.json"
    assert document is not None and check_document(document).drifts == []


def test_a_target_without_a_document_says_why(tmp_path: Path) -> None:
    # A real HTTP server that serves nothing but an empty folder: neither document address exists.
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with PlatformClient(f"http://127.0.0.1:{server.server_address[1]}", retries=0) as client:
            document, why = read_document(client)
    finally:
        server.shutdown()
        server.server_close()
    assert document is None
    assert why == (
        "the target serves no OpenAPI document "
        "(GET /api/v1/openapi.json answered 404; GET /openapi.json answered 404)"
    )
