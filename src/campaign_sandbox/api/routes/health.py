"""Health routes (public, bare bodies)."""

from __future__ import annotations

from fastapi import APIRouter

from campaign_sandbox.schemas import responses as rs

router = APIRouter()


@router.get("/", response_model=rs.Health)
def health() -> rs.Health:
    return rs.Health()


@router.get("/ready", response_model=rs.Probe)
def ready() -> rs.Probe:
    return rs.Probe(status="ready")


@router.get("/live", response_model=rs.Probe)
def live() -> rs.Probe:
    return rs.Probe(status="alive")
