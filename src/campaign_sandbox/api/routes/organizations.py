"""Organizations (contract §1.3): bare bodies, ``{data, meta}`` list; parse, call the domain, answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from campaign_sandbox.api.deps import DomainDep
from campaign_sandbox.schemas import responses as rs
from campaign_sandbox.schemas.requests import OrganizationCreate, OrganizationUpdate

router = APIRouter()


@router.get("/", response_model=rs.OrganizationPage)
def list_organizations(
    domain: DomainDep,
    page: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    search: Annotated[str | None, Query(max_length=1000)] = None,
) -> rs.OrganizationPage:
    return domain.list_organizations(page, limit, search)


@router.post("/", status_code=201, response_model=rs.OrganizationOut)
def create_organization(body: OrganizationCreate, domain: DomainDep) -> rs.OrganizationOut:
    return domain.create_organization(body)


@router.get("/{org_id}", response_model=rs.OrganizationOut)
def get_organization(org_id: str, domain: DomainDep) -> rs.OrganizationOut:
    return domain.get_organization(org_id)


@router.put("/{org_id}", response_model=rs.OrganizationOut)
def update_organization(org_id: str, body: OrganizationUpdate, domain: DomainDep) -> rs.OrganizationOut:
    return domain.update_organization(org_id, body)


@router.get("/{org_id}/campaigns", response_model=list[rs.CampaignOut])
def organization_campaigns(
    org_id: str,
    domain: DomainDep,
    skip: Annotated[int, Query(ge=0, le=2_000_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[rs.CampaignOut]:
    return domain.organization_campaigns(org_id, skip, limit)
