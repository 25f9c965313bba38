"""Campaign routes (contract §1.4, §4.1, §4.2): parse, call the domain, answer its model."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query

from campaign_sandbox.api.deps import DomainDep
from campaign_sandbox.schemas import responses as rs
from campaign_sandbox.schemas.requests import CampaignCreate, CampaignPause, CampaignStart, CampaignUpdate

router = APIRouter()


@router.get("/", response_model=rs.Success[rs.CampaignPage])
def list_campaigns(
    domain: DomainDep,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 10,
    organization_id: Annotated[str | None, Query(max_length=1000)] = None,
    status: Annotated[str | None, Query(max_length=1000)] = None,
) -> rs.Success[rs.CampaignPage]:
    return rs.Success(data=domain.list_campaigns(page, per_page, organization_id, status))


@router.post("/", status_code=201, response_model=rs.Success[rs.CampaignOut])
def create_campaign(body: CampaignCreate, domain: DomainDep) -> rs.Success[rs.CampaignOut]:
    return rs.Success(data=domain.create_campaign(body))


@router.get("/{campaign_id}", response_model=rs.Success[rs.CampaignOut])
def get_campaign(campaign_id: str, domain: DomainDep) -> rs.Success[rs.CampaignOut]:
    return rs.Success(data=domain.get_campaign(campaign_id))


@router.patch("/{campaign_id}", response_model=rs.Success[rs.CampaignOut])
def update_campaign(campaign_id: str, body: CampaignUpdate, domain: DomainDep) -> rs.Success[rs.CampaignOut]:
    return rs.Success(data=domain.update_campaign(campaign_id, body))


@router.get("/{campaign_id}/start/validate", response_model=rs.Success[rs.StartValidation])
def validate_campaign_start(campaign_id: str, domain: DomainDep) -> rs.Success[rs.StartValidation]:
    return rs.Success(data=domain.validate_start(campaign_id))


@router.post("/{campaign_id}/start", response_model=rs.Success[rs.CampaignOut])
def start_campaign(
    campaign_id: str, domain: DomainDep, body: Annotated[CampaignStart | None, Body()] = None
) -> rs.Success[rs.CampaignOut]:
    return rs.Success(data=domain.start_campaign(campaign_id))


@router.post("/{campaign_id}/pause", response_model=rs.SuccessWithMessage[rs.StatusChange])
def pause_campaign(
    campaign_id: str, domain: DomainDep, body: Annotated[CampaignPause | None, Body()] = None
) -> rs.SuccessWithMessage[rs.StatusChange]:
    change = domain.pause_campaign(campaign_id, (body or CampaignPause()).reason)
    return rs.SuccessWithMessage(message=change.message, data=change)


@router.post("/{campaign_id}/resume", response_model=rs.SuccessWithMessage[rs.StatusChange])
def resume_campaign(campaign_id: str, domain: DomainDep) -> rs.SuccessWithMessage[rs.StatusChange]:
    change = domain.resume_campaign(campaign_id)
    return rs.SuccessWithMessage(message=change.message, data=change)


@router.get("/{campaign_id}/leads/stats", response_model=rs.Success[rs.LeadStats])
def lead_stats(campaign_id: str, domain: DomainDep) -> rs.Success[rs.LeadStats]:
    return rs.Success(data=domain.lead_stats(campaign_id))


@router.get("/{campaign_id}/instantly/analytics", response_model=rs.Success[rs.InstantlyAnalytics])
def instantly_analytics(campaign_id: str, domain: DomainDep) -> rs.Success[rs.InstantlyAnalytics]:
    return rs.Success(data=domain.instantly_analytics(campaign_id))


@router.get("/{campaign_id}/details", response_model=rs.Success[rs.CampaignDetails])
def campaign_details(campaign_id: str, domain: DomainDep) -> rs.Success[rs.CampaignDetails]:
    return rs.Success(data=domain.campaign_details(campaign_id))


@router.post("/{campaign_id}/cleanup", response_model=rs.CleanupQueued)
def cleanup_campaign(
    campaign_id: str, domain: DomainDep, body: Annotated[dict[str, int], Body()]
) -> rs.CleanupQueued:
    return domain.cleanup_campaign(campaign_id, body)


@router.get("/{campaign_id}/results", response_model=rs.Success[rs.CampaignResults])
def campaign_results(campaign_id: str, domain: DomainDep) -> rs.Success[rs.CampaignResults]:
    return rs.Success(data=domain.campaign_results(campaign_id))
