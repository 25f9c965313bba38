"""Dependencies shared by the routes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from campaign_sandbox.breaker import Service
from campaign_sandbox.runtime import SandboxRuntime
from campaign_sandbox.services import InvalidService, parse_service


def get_runtime(request: Request) -> SandboxRuntime:
    runtime: SandboxRuntime = request.app.state.runtime
    return runtime


Runtime = Annotated[SandboxRuntime, Depends(get_runtime)]


def read_session(runtime: Runtime) -> Iterator[Session]:
    with runtime.store.read() as session:
        yield session


def write_session(runtime: Runtime) -> Iterator[Session]:
    with runtime.store.write() as session:
        yield session


# scope="function": the session ends (the write commits) before the response is sent. With FastAPI's
# default a client could act on a 201 before its row was committed (a signup then a login failing), and a
# failed commit would still have been answered with success.
ReadSession = Annotated[Session, Depends(read_session, scope="function")]
WriteSession = Annotated[Session, Depends(write_session, scope="function")]


def service_or_400(raw: str) -> Service:
    try:
        return parse_service(raw)
    except InvalidService as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
