"""The FastAPI application: the platform's routers under /api/v1, its auth middleware, the fault control."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic.version import version_short
from sqlalchemy.exc import DBAPIError, StatementError

from campaign_common.api_path import API_PREFIX
from campaign_sandbox.api.middleware import AuthMiddleware
from campaign_sandbox.api.routes import (
    auth,
    campaigns,
    faults,
    health,
    jobs,
    leads,
    organizations,
    queue_management,
)
from campaign_sandbox.core.config import SandboxSettings
from campaign_sandbox.drift import apply_drifts
from campaign_sandbox.errors import DomainError
from campaign_sandbox.runtime import SandboxRuntime

log = logging.getLogger("campaign_sandbox")


_URL_LESS = ("json_invalid",)


def with_error_urls(errors: Sequence[Any]) -> list[Any]:
    """Put back pydantic's ``url`` on each 422 entry (newer FastAPI drops it; the platform's answers have it).

    Custom errors (the email check) and FastAPI's own JSON errors have none on the platform either.
    """
    out = []
    for error in errors:
        entry = dict(error)
        custom = entry.get("type") == "value_error" and str(entry.get("msg", "")).startswith(
            "value is not a valid"
        )
        if "url" not in entry and not custom and entry.get("type") not in _URL_LESS:
            entry["url"] = f"https://errors.pydantic.dev/{version_short()}/v/{entry.get('type')}"
        out.append(entry)
    return out


def create_app(
    settings: SandboxSettings | None = None, clock: Callable[[], float] = time.monotonic
) -> FastAPI:
    """Build the app and its runtime (database opened and tables created now; workers start with the app).

    Raises ``StoreError`` when the database is unusable.
    """
    settings = settings or SandboxSettings()
    runtime = SandboxRuntime(settings, clock)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        runtime.start()
        try:
            yield
        finally:
            runtime.close()

    app = FastAPI(
        title="campaign-sandbox (fastapi-k8-proto stand-in)",
        openapi_url=f"{API_PREFIX}/openapi.json",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.settings = settings

    app.include_router(health.router, prefix=f"{API_PREFIX}/health", tags=["health"])
    app.include_router(auth.router, prefix=f"{API_PREFIX}/auth", tags=["auth"])
    app.include_router(jobs.router, prefix=f"{API_PREFIX}/jobs", tags=["jobs"])
    app.include_router(campaigns.router, prefix=f"{API_PREFIX}/campaigns", tags=["campaigns"])
    app.include_router(organizations.router, prefix=f"{API_PREFIX}/organizations", tags=["organizations"])
    app.include_router(leads.router, prefix=f"{API_PREFIX}/leads", tags=["leads"])
    app.include_router(queue_management.router, prefix=f"{API_PREFIX}/queue-management", tags=["queue"])
    if settings.fault_control:
        app.include_router(faults.router, prefix="/sandbox", tags=["sandbox"])

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            status_code=422, content={"detail": jsonable_encoder(with_error_urls(exc.errors()))}
        )

    @app.exception_handler(DomainError)
    async def _refused(_request: Request, exc: DomainError) -> JSONResponse:
        # The refusal's type is its status (errors.py); the body is FastAPI's ``{"detail": ...}``.
        return JSONResponse(status_code=exc.status_code, content={"detail": exc.detail})

    @app.exception_handler(DBAPIError)
    @app.exception_handler(StatementError)
    async def _database_rejected(_request: Request, exc: Exception) -> JSONResponse:
        # Input the database refuses (e.g. a NUL byte on PostgreSQL) is bad input, not a server error.
        log.debug("database rejected a request: %s", exc)
        return JSONResponse(status_code=400, content={"detail": "Invalid request data"})

    apply_drifts(app, settings.defects)  # planted contract drifts (none by default), inside the auth
    # Added last, so it is the outermost middleware (it runs before routing, as on the platform).
    app.add_middleware(AuthMiddleware, user_exists=runtime.domain.user_exists, secret_key=settings.secret_key)
    return app
