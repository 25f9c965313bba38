"""Response envelopes: campaigns, leads, jobs and queue-management wrap results in ``status``/``data``."""

from __future__ import annotations

from typing import Any


def success(data: Any, message: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": "success"}
    if message is not None:
        body["message"] = message
    body["data"] = data
    return body


def unauthorized_body(message: str) -> dict[str, Any]:
    return {"status": "error", "error": {"code": 401, "name": "Unauthorized", "message": message}}
