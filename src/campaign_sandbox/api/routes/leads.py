"""Lead routes (contract §1.5): parse, call the domain, answer its model."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from campaign_sandbox.api.deps import DomainDep
from campaign_sandbox.schemas import responses as rs
from campaign_sandbox.schemas.requests import LeadCreate, LeadUpdate

router = APIRouter()


@router.get("/", response_model=rs.Success[rs.LeadPage])
def list_leads(
    domain: DomainDep,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 10,
    campaign_id: Annotated[str | None, Query(max_length=1000)] = None,
) -> rs.Success[rs.LeadPage]:
    return rs.Success(data=domain.list_leads(page, per_page, campaign_id))


@router.post("/", status_code=201, response_model=rs.Success[rs.LeadOut])
def create_lead(body: LeadCreate, domain: DomainDep) -> rs.Success[rs.LeadOut]:
    return rs.Success(data=domain.create_lead(body))


@router.get("/{lead_id}", response_model=rs.Success[rs.LeadOut])
def get_lead(lead_id: str, domain: DomainDep) -> rs.Success[rs.LeadOut]:
    return rs.Success(data=domain.get_lead(lead_id))


@router.put("/{lead_id}", response_model=rs.Success[rs.LeadOut])
def update_lead(lead_id: str, body: LeadUpdate, domain: DomainDep) -> rs.Success[rs.LeadOut]:
    return rs.Success(data=domain.update_lead(lead_id, body))
