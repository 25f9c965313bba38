"""Planted contract drifts (entries of the defect catalogue, settings field ``defects``): the sandbox changes
its contract the way a platform release might, so the suite's ``@contract`` feature can be shown to report
each one exactly.

- ``drift-field-renamed``: campaign answers call ``status_message`` ``status_text``, and so does the
  OpenAPI document;
- ``drift-enum-added``: the OpenAPI document's ``JobStatus`` has a new value ``RETRYING`` (no job has it);
- ``drift-path-removed``: ``GET``/``PATCH /api/v1/campaigns/{campaign_id}`` are gone, from the routes and from
  the document.

Nothing else changes; with no drift named, nothing here runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from campaign_common.api_path import api_path
from campaign_sandbox.defects import Defect

__all__ = ["DRIFTS", "RENAMED_FIELD", "apply_drifts"]

FIELD_RENAMED, ENUM_ADDED, PATH_REMOVED = (
    Defect.DRIFT_FIELD_RENAMED.value,
    Defect.DRIFT_ENUM_ADDED.value,
    Defect.DRIFT_PATH_REMOVED.value,
)
DRIFTS = (FIELD_RENAMED, ENUM_ADDED, PATH_REMOVED)  # entries of the defect catalogue (defects.py)
RENAMED_FIELD = ("status_message", "status_text")
ADDED_JOB_STATUS = "RETRYING"
REMOVED_PATH = api_path("campaigns/{campaign_id}")
_REMOVED = re.compile(re.escape(api_path("campaigns/")) + r"[^/]+")
_CAMPAIGNS = api_path("campaigns")
_CAMPAIGN_SCHEMA = "CampaignOut"  # schemas.responses.CampaignOut: the campaign object of every answer


def apply_drifts(app: FastAPI, names: frozenset[str]) -> None:
    """Plant the named drifts in a built app (main.create_app calls it before adding the auth middleware,
    so a removed route answers like a missing one: 401 without a token, 404 with one)."""
    if not names & set(DRIFTS):
        return
    if PATH_REMOVED in names:
        app.add_middleware(_RemovePath)
    if FIELD_RENAMED in names:
        app.add_middleware(_RenameField)
    generate = app.openapi

    def drifted_document() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            _drift_document(document, names)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = drifted_document  # type: ignore[method-assign]


def _drift_document(document: dict[str, Any], names: frozenset[str]) -> None:
    schemas = document.get("components", {}).get("schemas", {})
    if FIELD_RENAMED in names:
        old, new = RENAMED_FIELD
        campaign = schemas[_CAMPAIGN_SCHEMA]
        campaign["properties"] = {new if k == old else k: v for k, v in campaign["properties"].items()}
        campaign["required"] = [new if k == old else k for k in campaign.get("required", [])]
    if ENUM_ADDED in names:
        schemas["JobStatus"]["enum"].append(ADDED_JOB_STATUS)
    if PATH_REMOVED in names:
        del document["paths"][REMOVED_PATH]


def _renamed(node: Any) -> Any:
    old, new = RENAMED_FIELD
    if isinstance(node, dict):
        return {(new if k == old else k): _renamed(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_renamed(v) for v in node]
    return node


class _RemovePath:
    """Answers the removed path as FastAPI answers a path it has no route for."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _REMOVED.fullmatch(str(scope["path"])):
            body = b'{"detail":"Not Found"}'
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 404, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


class _RenameField:
    """Rewrites the JSON answers of the campaign routes with the field renamed (length header updated)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope["path"]).startswith(_CAMPAIGNS):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def hold(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                await _send_renamed(send, start, b"".join(chunks))

        await self.app(scope, receive, hold)


async def _send_renamed(send: Callable[[Message], Any], start: Message | None, body: bytes) -> None:
    assert start is not None
    headers = list(start.get("headers", []))
    if any(k == b"content-type" and v.startswith(b"application/json") for k, v in headers):
        body = json.dumps(_renamed(json.loads(body))).encode() if body else body
        headers = [(k, v) for k, v in headers if k != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": body})
