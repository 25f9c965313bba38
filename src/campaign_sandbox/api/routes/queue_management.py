"""Queue-management routes (contract §1.7): breakers, service pause/resume, paused work."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import func, select

from campaign_sandbox.api.deps import ReadSession, Runtime, service_or_400
from campaign_sandbox.breaker import SERVICES
from campaign_sandbox.models import Campaign, CampaignStatus, Job, JobStatus, JobType, Lead
from campaign_sandbox.schemas.requests import BulkPause, ServicePause, ServiceResume
from campaign_sandbox.schemas.responses import success
from campaign_sandbox.services import (
    campaign_summary,
    iso_offset,
    naive_iso_now,
    pause_running_campaigns,
    paused_job_errors,
)

router = APIRouter()

_CAMPAIGN_ORDER = ("RUNNING", "PAUSED", "CREATED", "COMPLETED", "FAILED")


@router.get("/status")
def queue_status(session: ReadSession, runtime: Runtime) -> dict[str, Any]:
    breakers = runtime.breakers.status()
    counts = dict.fromkeys((s.value for s in JobStatus), 0)
    for status, n in session.execute(select(Job.status, func.count()).group_by(Job.status)):
        counts[JobStatus(status).value] = int(n)
    errors = paused_job_errors(session)
    # Case-sensitive substring, like the platform's LIKE '%svc%' on PostgreSQL.
    by_service = {s.value: sum(1 for e in errors if s.value in e) for s in SERVICES}
    return success(
        {
            "circuit_breakers": breakers,
            "job_counts": counts,
            "paused_jobs_by_service": by_service,
            "timestamp": naive_iso_now(),
        }
    )


@router.post("/pause-service")
def pause_service(body: ServicePause, runtime: Runtime) -> dict[str, Any]:
    service = service_or_400(body.service)
    jobs, campaigns = runtime.pause_service(service, body.reason)
    return success(
        {
            "service": service.value,
            "paused": True,
            "reason": body.reason,
            "jobs_paused": jobs,
            "campaigns_paused": campaigns,
            "message": (
                f"Service {service.value} paused successfully: {jobs} jobs and {campaigns} campaigns affected"
            ),
        }
    )


@router.post("/resume-service")
def resume_service(body: ServiceResume, runtime: Runtime) -> dict[str, Any]:
    service = service_or_400(body.service)
    jobs, eligible, resumed = runtime.resume_service(service)
    return success(
        {
            "service": service.value,
            "resumed": True,
            "jobs_resumed": jobs,
            "campaigns_eligible": eligible,
            "campaigns_resumed": resumed,
            "message": (
                f"Service {service.value} resumed successfully: {jobs} jobs and {resumed} campaigns affected"
            ),
        }
    )


@router.get("/paused-jobs/{service}")
def paused_jobs(service: str, session: ReadSession) -> dict[str, Any]:
    svc = service_or_400(service)
    jobs = [
        j
        for j in session.scalars(select(Job).where(Job.status == JobStatus.PAUSED).order_by(Job.id))
        if svc.value in (j.error or "")
    ]
    items = [
        {
            "id": j.id,
            "name": j.name,
            "job_type": j.job_type.value,
            "campaign_id": j.campaign_id,
            "error": j.error,
            "created_at": iso_offset(j.created_at),
            "updated_at": iso_offset(j.updated_at),
        }
        for j in jobs
    ]
    return success({"service": svc.value, "paused_jobs": items, "count": len(items)})


@router.get("/paused-leads/{service}")
def paused_leads(service: str, session: ReadSession, runtime: Runtime) -> dict[str, Any]:
    svc = service_or_400(service)
    jobs = {
        str(j.id): j
        for j in session.scalars(
            select(Job).where(Job.status == JobStatus.PAUSED, Job.job_type == JobType.ENRICH_LEAD)
        )
        if svc.value in (j.error or "")
    }
    items = []
    if jobs and runtime.profile.lists_paused_leads:
        for lead in session.scalars(select(Lead).where(Lead.enrichment_job_id.in_(list(jobs)))):
            job = jobs[lead.enrichment_job_id or ""]
            items.append(
                {
                    "lead_id": lead.id,
                    "campaign_id": lead.campaign_id,
                    "job_id": job.id,
                    "lead_email": lead.email,
                    "paused_at": iso_offset(job.completed_at or job.updated_at),
                }
            )
    return success(
        {
            "service": svc.value,
            "paused_leads": items,
            "count": len(items),
            "message": f"Found {len(items)} leads that need recovery for {svc.value}",
        }
    )


@router.get("/circuit-breakers")
def circuit_breakers(runtime: Runtime) -> dict[str, Any]:
    return success({"circuit_breakers": runtime.breakers.status(), "timestamp": "unknown"})


@router.post("/pause-campaigns-for-service")
def pause_campaigns_for_service(body: BulkPause, runtime: Runtime) -> dict[str, Any]:
    service = service_or_400(body.service)
    with runtime.store.write() as session:
        paused = pause_running_campaigns(session, f"Service {service.value} unavailable: {body.reason}")
    return success(
        {
            "service": service.value,
            "campaigns_paused": paused,
            "reason": body.reason,
            "message": f"Paused {paused} campaigns dependent on {service.value}",
        }
    )


@router.post("/resume-campaigns-for-service")
def resume_campaigns_for_service(body: ServiceResume, runtime: Runtime) -> dict[str, Any]:
    service = service_or_400(body.service)
    eligible, resumed = runtime.resume_campaigns_for_service(service)
    return success(
        {
            "service": service.value,
            "campaigns_eligible": eligible,
            "campaigns_resumed": resumed,
            "message": f"Resumed {resumed} of {eligible} campaigns after {service.value} recovery",
        }
    )


@router.get("/campaign-status")
def campaign_status(session: ReadSession) -> dict[str, Any]:
    campaigns = session.scalars(select(Campaign).order_by(Campaign.created_at.desc())).all()
    by_status: dict[str, list[dict[str, Any]]] = {name: [] for name in _CAMPAIGN_ORDER}
    paused_by_service: dict[str, list[dict[str, Any]]] = {}
    for c in campaigns:
        item = campaign_summary(c)
        by_status[c.status.value].append(item)
        if c.status is CampaignStatus.PAUSED:
            text = (c.status_message or "").lower()
            for s in SERVICES:
                if s.value in text:
                    paused_by_service.setdefault(s.value, []).append(item)
                    break
    totals: dict[str, int] = {"total_campaigns": len(campaigns)}
    totals.update({name: len(by_status[name]) for name in _CAMPAIGN_ORDER})
    return success(
        {
            "totals": totals,
            "campaigns_by_status": by_status,
            "paused_by_service": paused_by_service,
            "timestamp": None,
        }
    )


@router.get("/paused-campaigns/{service}")
def paused_campaigns(service: str, session: ReadSession) -> dict[str, Any]:
    svc = service_or_400(service)
    items = [
        campaign_summary(c)
        for c in session.scalars(
            select(Campaign)
            .where(Campaign.status == CampaignStatus.PAUSED)
            .order_by(Campaign.created_at.desc())
        )
        if svc.value in (c.status_message or "").lower()
    ]
    return success(
        {
            "service": svc.value,
            "paused_campaigns": items,
            "count": len(items),
            "message": f"Found {len(items)} campaigns paused due to {svc.value} issues",
        }
    )
