"""Health routes (public, bare bodies)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

router = APIRouter()


@router.get("/")
def health() -> dict[str, Any]:
    return {"status": "healthy", "service": "fastapi-k8-proto"}


@router.get("/ready")
def ready() -> dict[str, Any]:
    return {"status": "ready"}


@router.get("/live")
def live() -> dict[str, Any]:
    return {"status": "alive"}
