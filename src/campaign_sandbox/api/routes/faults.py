"""Fault control for the fake providers, outside /api/v1 (mounted only when enabled; public)."""

from __future__ import annotations

from fastapi import APIRouter

from campaign_sandbox.api.deps import Runtime
from campaign_sandbox.breaker import SERVICES, Service
from campaign_sandbox.errors import BadRequest
from campaign_sandbox.providers import FaultMode
from campaign_sandbox.schemas import responses as rs
from campaign_sandbox.schemas.requests import FaultRequest

router = APIRouter()

_MODES = [m.value for m in FaultMode]


@router.get("/faults", response_model=rs.FaultList)
def list_faults(runtime: Runtime) -> rs.FaultList:
    return rs.FaultList.model_validate({"faults": runtime.faults.snapshot()})


@router.post("/faults", response_model=rs.FaultSet)
def set_fault(body: FaultRequest, runtime: Runtime) -> rs.FaultSet:
    try:
        service = Service(body.service.lower())
    except ValueError:
        raise BadRequest(f"Unknown service {body.service!r}; valid: {[s.value for s in SERVICES]}") from None
    try:
        mode = FaultMode(body.mode.lower())
    except ValueError:
        raise BadRequest(f"Unknown mode {body.mode!r}; valid: {_MODES}") from None
    fault = runtime.faults.set(service, mode, body.delay_ms)
    return rs.FaultSet(service=service.value, **fault.as_dict())


@router.delete("/faults", response_model=rs.FaultList)
def clear_faults(runtime: Runtime) -> rs.FaultList:
    runtime.faults.clear()
    return rs.FaultList.model_validate({"faults": runtime.faults.snapshot()})
