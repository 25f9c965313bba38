"""The domain's refusals. Each kind is one HTTP status (main.py maps them); the text is the platform's."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A request the rules refuse; ``detail`` is the body's ``detail`` (a text, or an object)."""

    status_code = 400

    def __init__(self, detail: str | dict[str, Any]) -> None:
        super().__init__(detail)
        self.detail = detail


class BadRequest(DomainError):
    status_code = 400


class Unauthorized(DomainError):
    status_code = 401


class Forbidden(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class ServiceUnavailable(DomainError):
    status_code = 503
