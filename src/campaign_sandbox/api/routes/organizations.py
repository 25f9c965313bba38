"""Organizations: bare bodies, ``{data, meta}`` list, sanitised text (contract §1.3)."""

from __future__ import annotations

import html
import re
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import func, or_, select

from campaign_sandbox.api.deps import ReadSession, WriteSession
from campaign_sandbox.models import Campaign, Organization, utcnow
from campaign_sandbox.schemas.requests import OrganizationCreate, OrganizationUpdate
from campaign_sandbox.services import campaign_response, organization_response, pages_for

router = APIRouter()

_TAGS = re.compile(r"<[^>]+>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def sanitize(value: str) -> str:
    return _CONTROL.sub("", html.escape(_TAGS.sub("", value))).strip()


def _clean_name(name: str) -> str:
    clean = sanitize(name)
    if not clean:
        raise HTTPException(status_code=400, detail="Name is required")
    if len(clean) < 3:
        raise HTTPException(status_code=400, detail="Name must be at least 3 characters long")
    return clean


def _clean_description(description: str) -> str:
    clean = sanitize(description)
    if not clean:
        raise HTTPException(status_code=400, detail="Description is required")
    return clean


def _get(session: Any, org_id: str) -> Organization:
    org = session.get(Organization, org_id)
    if org is None:
        raise HTTPException(status_code=404, detail=f"Organization {org_id} not found")
    return org  # type: ignore[no-any-return]


@router.get("/")
def list_organizations(
    session: ReadSession,
    page: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    search: Annotated[str | None, Query(max_length=1000)] = None,
) -> dict[str, Any]:
    query = select(Organization)
    if search:
        term = f"%{search}%"
        query = query.where(or_(Organization.name.ilike(term), Organization.description.ilike(term)))
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    orgs = session.scalars(
        query.order_by(Organization.created_at.desc()).offset((page - 1) * limit).limit(limit)
    ).all()
    return {
        "data": [organization_response(session, o) for o in orgs],
        "meta": {"page": page, "limit": limit, "total": total, "pages": pages_for(total, limit)},
    }


@router.post("/", status_code=201)
def create_organization(body: OrganizationCreate, session: WriteSession) -> dict[str, Any]:
    org = Organization(name=_clean_name(body.name), description=_clean_description(body.description))
    session.add(org)
    session.flush()
    return organization_response(session, org)


@router.get("/{org_id}")
def get_organization(org_id: str, session: ReadSession) -> dict[str, Any]:
    return organization_response(session, _get(session, org_id))


@router.put("/{org_id}")
def update_organization(org_id: str, body: OrganizationUpdate, session: WriteSession) -> dict[str, Any]:
    org = _get(session, org_id)
    if body.name is not None:
        org.name = _clean_name(body.name)
    if body.description is not None:
        org.description = _clean_description(body.description)
    org.updated_at = utcnow()
    session.flush()
    return organization_response(session, org)


@router.get("/{org_id}/campaigns")
def organization_campaigns(
    org_id: str,
    session: ReadSession,
    skip: Annotated[int, Query(ge=0, le=2_000_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    _get(session, org_id)
    campaigns = session.scalars(
        select(Campaign)
        .where(Campaign.organization_id == org_id)
        .order_by(Campaign.created_at.desc())
        .offset(skip)
        .limit(limit)
    ).all()
    return [campaign_response(c) for c in campaigns]
