"""Lead routes (contract §1.5)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from campaign_sandbox.api.deps import ReadSession, WriteSession
from campaign_sandbox.models import Campaign, Lead
from campaign_sandbox.schemas.requests import LeadCreate, LeadUpdate
from campaign_sandbox.schemas.responses import success
from campaign_sandbox.services import lead_response, pages_for

router = APIRouter()


@router.get("/")
def list_leads(
    session: ReadSession,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 10,
    campaign_id: Annotated[str | None, Query(max_length=1000)] = None,
) -> dict[str, Any]:
    query = select(Lead)
    if campaign_id is not None:
        query = query.where(Lead.campaign_id == campaign_id)
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    leads = session.scalars(
        query.order_by(Lead.created_at, Lead.id).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return success(
        {
            "leads": [lead_response(lead) for lead in leads],
            "total": total,
            "page": page,
            "per_page": per_page,
            "pages": pages_for(total, per_page),
        }
    )


@router.post("/", status_code=201)
def create_lead(body: LeadCreate, session: WriteSession) -> dict[str, Any]:
    # The platform answers 500 "Error creating lead" for an unknown campaign or an email used by another
    # campaign; the sandbox gives the same text with 400 (no 500 for bad input).
    if session.get(Campaign, body.campaign_id) is None:
        raise HTTPException(status_code=400, detail="Error creating lead")
    values = body.model_dump()
    existing = session.scalar(
        select(Lead).where(
            Lead.campaign_id == body.campaign_id,
            Lead.email.is_(None) if body.email is None else Lead.email == body.email,
        )
    )
    if body.email is not None and existing is None:
        clash = session.scalar(select(Lead.id).where(Lead.email == body.email))
        if clash is not None:
            raise HTTPException(status_code=400, detail="Error creating lead")
    lead = existing or Lead()
    for name, value in values.items():
        setattr(lead, name, value)
    if existing is None:
        session.add(lead)
    try:
        session.flush()
    except IntegrityError:
        raise HTTPException(status_code=400, detail="Error creating lead") from None
    return success(lead_response(lead))


@router.get("/{lead_id}")
def get_lead(lead_id: str, session: ReadSession) -> dict[str, Any]:
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise HTTPException(status_code=404, detail="Lead not found")
    return success(lead_response(lead))


@router.put("/{lead_id}")
def update_lead(lead_id: str, body: LeadUpdate, session: WriteSession) -> dict[str, Any]:
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise HTTPException(status_code=404, detail="Lead not found")
    changes = body.model_dump(exclude_unset=True)
    if changes.get("email") is not None:
        clash = session.scalar(select(Lead.id).where(Lead.email == changes["email"], Lead.id != lead_id))
        if clash is not None:
            raise HTTPException(status_code=400, detail="Error updating lead")
    for name, value in changes.items():
        setattr(lead, name, value)
    try:
        session.flush()
    except IntegrityError:
        raise HTTPException(status_code=400, detail="Error updating lead") from None
    return success(lead_response(lead))
