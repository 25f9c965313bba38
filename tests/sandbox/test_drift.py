"""The planted contract drifts (settings field defects, drift.py): each changes what it says and nothing else.

The suite's @contract feature reporting each of them is tests/selftest/test_contract_drift.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from sandbox_helpers import fast_settings

from campaign_sandbox.__main__ import parse
from campaign_sandbox.drift import DRIFTS
from campaign_sandbox.server import SandboxServer
from support.api import Api
from support.sandboxes import Sandboxes


def started(sandboxes: Sandboxes, defects: str) -> tuple[SandboxServer, Api]:
    server = sandboxes.start(fast_settings(defects=defects))
    return server, sandboxes.user(server).with_org()


def document(api: Api) -> dict[str, Any]:
    response = api.get("openapi.json")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_names_are_checked_and_a_flag_or_variable_lists_them(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match=r"unknown defect 'drift-typo' \(known: .*drift-field-renamed"):
        fast_settings(defects="drift-typo")
    assert parse(["--defects", "drift-enum-added,drift-path-removed"])[1].defects == {
        "drift-enum-added",
        "drift-path-removed",
    }
    assert fast_settings().defects == frozenset()
    monkeypatch.setenv("SANDBOX_DEFECTS", "drift-field-renamed")
    assert parse([])[1].defects == {"drift-field-renamed"}
    assert set(DRIFTS) == {"drift-field-renamed", "drift-enum-added", "drift-path-removed"}


def test_field_renamed_in_the_campaign_answers_and_the_document(sandboxes: Sandboxes) -> None:
    _, api = started(sandboxes, "drift-field-renamed")
    created = api.create_campaign(api.org_id)  # type: ignore[arg-type]
    read = api.data("GET", f"campaigns/{created['id']}")
    listed = api.data("GET", "campaigns/", params={"organization_id": api.org_id})["campaigns"]
    for campaign in (created, read, *listed):
        assert "status_message" not in campaign and campaign["status_text"], campaign
    schema = document(api)["components"]["schemas"]["CampaignOut"]["properties"]
    assert "status_text" in schema and "status_message" not in schema
    # Nothing else: the other routes still answer as always.
    assert (
        api.data("GET", "queue-management/status")["circuit_breakers"]["openai"]["circuit_state"] == "closed"
    )


def test_enum_added_to_the_document_only(sandboxes: Sandboxes) -> None:
    _, api = started(sandboxes, "drift-enum-added")
    enum = document(api)["components"]["schemas"]["JobStatus"]["enum"]
    assert enum == ["PENDING", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED", "PAUSED", "RETRYING"]
    assert api.get("jobs/", params={"status": "RETRYING"}).status_code == 422  # no job can have it


def test_path_removed_from_the_routes_and_the_document(sandboxes: Sandboxes) -> None:
    _, api = started(sandboxes, "drift-path-removed")
    created = api.create_campaign(api.org_id)  # type: ignore[arg-type]
    assert api.get(f"campaigns/{created['id']}").status_code == 404
    assert api.patch(f"campaigns/{created['id']}", json={"name": "x"}).status_code == 404
    assert api.anonymous().get(f"campaigns/{created['id']}").status_code == 401  # the auth still comes first
    assert api.post(f"campaigns/{created['id']}/start", json={}).status_code == 200  # its neighbours stay
    paths = document(api)["paths"]
    assert "/api/v1/campaigns/{campaign_id}" not in paths and "/api/v1/campaigns/{campaign_id}/start" in paths


def test_no_drift_named_is_the_sandbox_as_always(sandboxes: Sandboxes) -> None:
    _, api = started(sandboxes, "")
    created = api.create_campaign(api.org_id)  # type: ignore[arg-type]
    assert "status_message" in api.data("GET", f"campaigns/{created['id']}")
    assert "RETRYING" not in document(api)["components"]["schemas"]["JobStatus"]["enum"]
