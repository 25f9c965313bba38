"""Campaign routes (contract §1.4, §4.1, §4.2)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query
from fastapi.responses import JSONResponse
from sqlalchemy import false, func, select
from sqlalchemy.orm import Session

from campaign_sandbox.api.deps import ReadSession, Runtime, WriteSession
from campaign_sandbox.breaker import Service
from campaign_sandbox.models import Campaign, CampaignStatus, Job, JobStatus, JobType, Lead, Organization
from campaign_sandbox.schemas.requests import CampaignCreate, CampaignPause, CampaignStart, CampaignUpdate
from campaign_sandbox.schemas.responses import success
from campaign_sandbox.services import (
    Task,
    campaign_response,
    campaign_to_dict,
    check_url_and_count,
    creation_message,
    pages_for,
    set_status,
    start_failure_code,
    validate_start,
)

router = APIRouter()

NOT_NULL_FIELDS = frozenset({"name", "organization_id", "fileName", "totalRecords", "url", "status"})


def _get(session: Session, campaign_id: str) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise HTTPException(status_code=404, detail=f"Campaign {campaign_id} not found")
    return campaign


@router.get("/")
def list_campaigns(
    session: ReadSession,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 10,
    organization_id: Annotated[str | None, Query(max_length=1000)] = None,
    status: Annotated[str | None, Query(max_length=1000)] = None,
) -> dict[str, Any]:
    query = select(Campaign)
    if organization_id is not None:
        if session.get(Organization, organization_id) is None:
            raise HTTPException(status_code=400, detail=f"Organization {organization_id} not found")
        query = query.where(Campaign.organization_id == organization_id)
    if status is not None:
        if status not in CampaignStatus.__members__:
            query = query.where(false())  # an unknown status is an empty list, not a 422
        else:
            query = query.where(Campaign.status == CampaignStatus(status))
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    campaigns = session.scalars(
        query.order_by(Campaign.created_at.desc(), Campaign.id).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return success(
        {
            "campaigns": [campaign_response(c) for c in campaigns],
            "total": total,
            "page": page,
            "per_page": per_page,
            "pages": pages_for(total, per_page),
        }
    )


@router.post("/", status_code=201)
def create_campaign(body: CampaignCreate, session: WriteSession, runtime: Runtime) -> dict[str, Any]:
    if not body.organization_id or session.get(Organization, body.organization_id) is None:
        raise HTTPException(status_code=400, detail=f"Organization {body.organization_id} not found")
    campaign = Campaign(
        name=body.name,
        description=body.description or "",
        organization_id=body.organization_id,
        fileName=body.fileName,
        totalRecords=body.totalRecords,
        url=body.url,
        status=CampaignStatus.CREATED,
        status_message=creation_message(runtime.breakers),
    )
    if runtime.breakers[Service.INSTANTLY].allow()[0]:
        campaign.instantly_campaign_id = runtime.providers.create_instantly_campaign(body.name)
    session.add(campaign)
    session.flush()
    return success(campaign_response(campaign))


@router.get("/{campaign_id}")
def get_campaign(campaign_id: str, session: ReadSession) -> dict[str, Any]:
    return success(campaign_response(_get(session, campaign_id)))


@router.patch("/{campaign_id}")
def update_campaign(campaign_id: str, body: CampaignUpdate, session: WriteSession) -> dict[str, Any]:
    campaign = _get(session, campaign_id)
    changes = body.model_dump(exclude_unset=True)
    for name in NOT_NULL_FIELDS:
        if name in changes and changes[name] is None:
            # The platform answers 500 here (a NOT NULL violation); the sandbox says what is wrong.
            raise HTTPException(status_code=400, detail=f"Error updating campaign: {name} cannot be null")
    if "organization_id" in changes and session.get(Organization, changes["organization_id"]) is None:
        raise HTTPException(status_code=400, detail=f"Organization {changes['organization_id']} not found")
    # Plain assignment, no state machine and no timestamps: the platform's PATCH (quirk 12).
    for name, value in changes.items():
        setattr(campaign, name, value)
    session.flush()
    return success(campaign_response(campaign))


@router.get("/{campaign_id}/start/validate")
def validate_campaign_start(campaign_id: str, session: ReadSession, runtime: Runtime) -> dict[str, Any]:
    return success(validate_start(_get(session, campaign_id), runtime.breakers))


@router.post("/{campaign_id}/start")
def start_campaign(
    campaign_id: str,
    runtime: Runtime,
    body: Annotated[CampaignStart | None, Body()] = None,
) -> Any:
    with runtime.store.write() as session:
        campaign = _get(session, campaign_id)
        validation = validate_start(campaign, runtime.breakers)
        if not validation["can_start"]:
            return JSONResponse(
                status_code=start_failure_code(validation["errors"]),
                content={
                    "detail": {
                        "message": "Cannot start campaign due to validation failures",
                        "errors": validation["errors"],
                        "warnings": validation["warnings"],
                        "validation_details": validation["validation_details"],
                    }
                },
            )
        problem = check_url_and_count(campaign)
        if problem:
            raise HTTPException(status_code=400, detail=problem)
        message = "Starting campaign process"
        if validation["warnings"]:
            message += f" (with warnings: {'; '.join(validation['warnings'])})"
        set_status(campaign, CampaignStatus.RUNNING, message)
        job = Job(
            name=JobType.FETCH_LEADS.value,
            description=f"Fetch leads for campaign {campaign.name}",
            job_type=JobType.FETCH_LEADS,
            status=JobStatus.PENDING,
            campaign_id=campaign.id,
            task_id=str(uuid.uuid4()),
        )
        session.add(job)
        session.flush()
        response = success(campaign_response(campaign))
        task = Task("fetch", campaign.id, job_id=job.id)
    runtime.submit(task)
    return response


@router.post("/{campaign_id}/pause")
def pause_campaign(
    campaign_id: str,
    session: WriteSession,
    body: Annotated[CampaignPause | None, Body()] = None,
) -> dict[str, Any]:
    reason = (body or CampaignPause()).reason
    campaign = _get(session, campaign_id)
    if campaign.status is not CampaignStatus.RUNNING:
        raise HTTPException(
            status_code=400,
            detail=(
                f"Cannot pause campaign in {campaign.status.value} status. "
                "Only running campaigns can be paused."
            ),
        )
    set_status(campaign, CampaignStatus.PAUSED, f"Campaign paused: {reason}", reason)
    return _status_changed(campaign, f"Campaign {campaign_id} has been paused")


@router.post("/{campaign_id}/resume")
def resume_campaign(campaign_id: str, runtime: Runtime) -> dict[str, Any]:
    try:
        campaign = runtime.resume_campaign(campaign_id)
    except LookupError:
        raise HTTPException(status_code=404, detail=f"Campaign {campaign_id} not found") from None
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    return _status_changed(campaign, f"Campaign {campaign_id} has been resumed")


def _lead_stats() -> dict[str, Any]:
    # A hard-coded placeholder on the platform (quirk 33).
    return {
        "total_leads_fetched": 0,
        "leads_with_email": 0,
        "leads_with_verified_email": 0,
        "leads_with_enrichment": 0,
        "leads_with_email_copy": 0,
        "leads_with_instantly_record": 0,
        "error_message": None,
    }


def _status_changed(campaign: Campaign, message: str) -> dict[str, Any]:
    """The pause/resume answer: the message both at the top level and inside data, as on the platform."""
    data = {
        "id": campaign.id,
        "status": campaign.status.value,
        "status_message": campaign.status_message,
        "message": message,
    }
    return success(data, message)


def _analytics(session: Session, campaign: Campaign) -> dict[str, Any]:
    counts = [
        "contacted_count",
        "emails_sent_count",
        "open_count",
        "link_click_count",
        "reply_count",
        "bounced_count",
        "unsubscribed_count",
        "completed_count",
        "new_leads_contacted_count",
        "total_opportunities",
    ]
    if not campaign.instantly_campaign_id:
        body: dict[str, Any] = {"leads_count": campaign.totalRecords, **dict.fromkeys(counts)}
        body.update(
            campaign_is_evergreen=False, error="No Instantly campaign ID associated with this campaign."
        )
    else:
        leads = session.scalar(select(func.count()).select_from(Lead).where(Lead.campaign_id == campaign.id))
        body = {"leads_count": int(leads or 0), **dict.fromkeys(counts, 0)}
        body.update(campaign_is_evergreen=False, error=None)
    ordered = {"leads_count": body["leads_count"], **{k: body[k] for k in counts}}
    ordered.update(
        campaign_name=campaign.name,
        campaign_id=campaign.id,
        campaign_status=campaign.status.value,
        campaign_is_evergreen=body["campaign_is_evergreen"],
        error=body["error"],
    )
    return ordered


@router.get("/{campaign_id}/leads/stats")
def lead_stats(campaign_id: str, session: ReadSession) -> dict[str, Any]:
    _get(session, campaign_id)
    return success(_lead_stats())


@router.get("/{campaign_id}/instantly/analytics")
def instantly_analytics(campaign_id: str, session: ReadSession) -> dict[str, Any]:
    return success(_analytics(session, _get(session, campaign_id)))


@router.get("/{campaign_id}/details")
def campaign_details(campaign_id: str, session: ReadSession) -> dict[str, Any]:
    campaign = _get(session, campaign_id)
    return success(
        {
            "campaign": {**campaign_to_dict(campaign), "jobs": []},
            "lead_stats": _lead_stats(),
            "instantly_analytics": _analytics(session, campaign),
        }
    )


@router.post("/{campaign_id}/cleanup")
def cleanup_campaign(
    campaign_id: str, session: ReadSession, body: Annotated[dict[str, int], Body()]
) -> dict[str, Any]:
    if "days" not in body:
        raise HTTPException(status_code=400, detail="Days parameter is required")
    if body["days"] <= 0:
        raise HTTPException(status_code=400, detail="Days must be a positive integer")
    _get(session, campaign_id)
    # Asynchronous on the platform, so it always reports 0; the sandbox deletes nothing.
    return {
        "status": "success",
        "message": f"Cleanup task queued for campaign {campaign_id}",
        "jobs_deleted": 0,
    }


@router.get("/{campaign_id}/results")
def campaign_results(campaign_id: str, session: ReadSession) -> dict[str, Any]:
    campaign = _get(session, campaign_id)
    jobs = session.scalars(
        select(Job).where(Job.campaign_id == campaign_id, Job.status == JobStatus.COMPLETED).order_by(Job.id)
    ).all()
    if not jobs:
        raise HTTPException(status_code=404, detail="No completed jobs found for this campaign")
    # Keyed by job name, so every ENRICH_LEAD result lands on one key (quirk 34).
    return success({"campaign": campaign_to_dict(campaign), "results": {j.name: j.result for j in jobs}})
