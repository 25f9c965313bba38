"""Dependencies shared by the routes: the runtime and its domain layer."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from campaign_sandbox.domain import Domain
from campaign_sandbox.runtime import SandboxRuntime


def get_runtime(request: Request) -> SandboxRuntime:
    runtime: SandboxRuntime = request.app.state.runtime
    return runtime


Runtime = Annotated[SandboxRuntime, Depends(get_runtime)]


def get_domain(runtime: Runtime) -> Domain:
    return runtime.domain


# Every domain method is its own transaction, committed before it returns, so a client can never act on an
# answer whose rows are not committed yet, and a failed commit is an error answer, not a success.
DomainDep = Annotated[Domain, Depends(get_domain)]
