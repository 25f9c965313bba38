"""Fault control for the fake providers, outside /api/v1 (mounted only when enabled; public)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from campaign_sandbox.api.deps import Runtime
from campaign_sandbox.breaker import SERVICES, Service
from campaign_sandbox.providers import FaultMode
from campaign_sandbox.schemas.requests import FaultRequest

router = APIRouter()

_MODES = [m.value for m in FaultMode]


@router.get("/faults")
def list_faults(runtime: Runtime) -> dict[str, Any]:
    return {"faults": runtime.faults.snapshot()}


@router.post("/faults")
def set_fault(body: FaultRequest, runtime: Runtime) -> dict[str, Any]:
    try:
        service = Service(body.service.lower())
    except ValueError:
        valid = [s.value for s in SERVICES]
        raise HTTPException(
            status_code=400, detail=f"Unknown service {body.service!r}; valid: {valid}"
        ) from None
    try:
        mode = FaultMode(body.mode.lower())
    except ValueError:
        raise HTTPException(status_code=400, detail=f"Unknown mode {body.mode!r}; valid: {_MODES}") from None
    fault = runtime.faults.set(service, mode, body.delay_ms)
    return {"service": service.value, **fault.as_dict()}


@router.delete("/faults")
def clear_faults(runtime: Runtime) -> dict[str, Any]:
    runtime.faults.clear()
    return {"faults": runtime.faults.snapshot()}
