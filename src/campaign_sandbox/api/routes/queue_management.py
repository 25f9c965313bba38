"""Queue-management routes (contract §1.7): breakers, service pause/resume, paused work."""

from __future__ import annotations

from fastapi import APIRouter

from campaign_sandbox.api.deps import DomainDep
from campaign_sandbox.schemas import responses as rs
from campaign_sandbox.schemas.requests import BulkPause, ServicePause, ServiceResume

router = APIRouter()


@router.get("/status", response_model=rs.Success[rs.QueueStatus])
def queue_status(domain: DomainDep) -> rs.Success[rs.QueueStatus]:
    return rs.Success(data=domain.queue_status())


@router.post("/pause-service", response_model=rs.Success[rs.ServicePaused])
def pause_service(body: ServicePause, domain: DomainDep) -> rs.Success[rs.ServicePaused]:
    return rs.Success(data=domain.pause_service(body.service, body.reason))


@router.post("/resume-service", response_model=rs.Success[rs.ServiceResumed])
def resume_service(body: ServiceResume, domain: DomainDep) -> rs.Success[rs.ServiceResumed]:
    return rs.Success(data=domain.resume_service(body.service))


@router.get("/paused-jobs/{service}", response_model=rs.Success[rs.PausedJobs])
def paused_jobs(service: str, domain: DomainDep) -> rs.Success[rs.PausedJobs]:
    return rs.Success(data=domain.paused_jobs(service))


@router.get("/paused-leads/{service}", response_model=rs.Success[rs.PausedLeads])
def paused_leads(service: str, domain: DomainDep) -> rs.Success[rs.PausedLeads]:
    return rs.Success(data=domain.paused_leads(service))


@router.get("/circuit-breakers", response_model=rs.Success[rs.CircuitBreakers])
def circuit_breakers(domain: DomainDep) -> rs.Success[rs.CircuitBreakers]:
    return rs.Success(data=domain.circuit_breakers())


@router.post("/pause-campaigns-for-service", response_model=rs.Success[rs.CampaignsPaused])
def pause_campaigns_for_service(body: BulkPause, domain: DomainDep) -> rs.Success[rs.CampaignsPaused]:
    return rs.Success(data=domain.pause_campaigns_for_service(body.service, body.reason))


@router.post("/resume-campaigns-for-service", response_model=rs.Success[rs.CampaignsResumed])
def resume_campaigns_for_service(body: ServiceResume, domain: DomainDep) -> rs.Success[rs.CampaignsResumed]:
    return rs.Success(data=domain.resume_campaigns_for_service(body.service))


@router.get("/campaign-status", response_model=rs.Success[rs.CampaignOverview])
def campaign_status(domain: DomainDep) -> rs.Success[rs.CampaignOverview]:
    return rs.Success(data=domain.campaign_overview())


@router.get("/paused-campaigns/{service}", response_model=rs.Success[rs.PausedCampaigns])
def paused_campaigns(service: str, domain: DomainDep) -> rs.Success[rs.PausedCampaigns]:
    return rs.Success(data=domain.paused_campaigns(service))
