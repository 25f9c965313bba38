"""Campaign, job and queue logic shared by the routes and the worker: the platform's rules and texts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign_sandbox.breaker import SERVICES, BreakerRegistry, CircuitState, Service
from campaign_sandbox.models import (
    VALID_TRANSITIONS,
    Campaign,
    CampaignStatus,
    Job,
    JobStatus,
    JobType,
    Lead,
    Organization,
    utcnow,
)

# Order in which the platform asks the breakers at create and start.
START_ORDER: tuple[Service, ...] = (
    Service.APOLLO,
    Service.PERPLEXITY,
    Service.OPENAI,
    Service.INSTANTLY,
    Service.MILLIONVERIFIER,
)
# Services an enrichment needs, in the order of the platform's gate.
ENRICH_ORDER: tuple[Service, ...] = (
    Service.MILLIONVERIFIER,
    Service.PERPLEXITY,
    Service.OPENAI,
    Service.INSTANTLY,
)
JOB_TYPES_BY_SERVICE: dict[Service, JobType] = {
    Service.APOLLO: JobType.FETCH_LEADS,
    Service.PERPLEXITY: JobType.ENRICH_LEAD,
    Service.OPENAI: JobType.ENRICH_LEAD,
    Service.MILLIONVERIFIER: JobType.ENRICH_LEAD,
    Service.INSTANTLY: JobType.ENRICH_LEAD,
}
VALID_SERVICES_TEXT = "['perplexity', 'openai', 'apollo', 'instantly', 'millionverifier']"


class InvalidService(ValueError):
    pass


def parse_service(raw: str) -> Service:
    """Lower-case then parse, as the platform does; the error keeps the raw text."""
    try:
        return Service(raw.lower())
    except ValueError:
        raise InvalidService(f"Invalid service name: {raw}. Valid services: {VALID_SERVICES_TEXT}") from None


# -- rendering ------------------------------------------------------------------------------------
def _aware(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def iso_z(dt: datetime | None) -> str | None:
    """Pydantic-model timestamps: ISO-8601 with a ``Z``."""
    aware = _aware(dt)
    return None if aware is None else aware.isoformat().replace("+00:00", "Z")


def iso_offset(dt: datetime | None) -> str | None:
    """``to_dict()`` timestamps: isoformat with ``+00:00``."""
    aware = _aware(dt)
    return None if aware is None else aware.isoformat()


def naive_iso_now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat()


def campaign_response(c: Campaign) -> dict[str, Any]:
    return {
        "name": c.name,
        "description": c.description,
        "organization_id": c.organization_id,
        "fileName": c.fileName,
        "totalRecords": c.totalRecords,
        "url": c.url,
        "id": c.id,
        "status": c.status.value,
        "status_message": c.status_message,
        "status_error": c.status_error,
        "created_at": iso_z(c.created_at),
        "updated_at": iso_z(c.updated_at),
        "completed_at": iso_z(c.completed_at),
        "failed_at": iso_z(c.failed_at),
        "instantly_campaign_id": c.instantly_campaign_id,
        "valid_transitions": [s.value for s in VALID_TRANSITIONS[c.status]],
    }


def campaign_to_dict(c: Campaign) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "description": c.description,
        "status": c.status.value,
        "created_at": iso_offset(c.created_at),
        "updated_at": iso_offset(c.updated_at),
        "organization_id": c.organization_id,
        "status_message": c.status_message or "",
        "status_error": c.status_error or "",
        "completed_at": iso_offset(c.completed_at),
        "failed_at": iso_offset(c.failed_at),
        "fileName": c.fileName,
        "totalRecords": c.totalRecords,
        "url": c.url,
        "instantly_campaign_id": c.instantly_campaign_id,
    }


def campaign_summary(c: Campaign) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "status": c.status.value,
        "status_message": c.status_message,
        "created_at": iso_offset(c.created_at),
        "updated_at": iso_offset(c.updated_at),
    }


def job_response(j: Job) -> dict[str, Any]:
    return {
        "name": j.name,
        "description": j.description,
        "id": j.id,
        "task_id": j.task_id,
        "job_type": j.job_type.value,
        "status": j.status.value,
        "result": j.result,
        "error": j.error,
        "campaign_id": j.campaign_id,
        "created_at": iso_z(j.created_at),
        "updated_at": iso_z(j.updated_at),
        "completed_at": iso_z(j.completed_at),
    }


LEAD_FIELDS = (
    "campaign_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "title",
    "linkedin_url",
    "source_url",
    "raw_data",
    "email_verification",
    "enrichment_results",
    "enrichment_job_id",
    "email_copy_gen_results",
    "instantly_lead_record",
)


def lead_response(lead: Lead) -> dict[str, Any]:
    body: dict[str, Any] = {name: getattr(lead, name) for name in LEAD_FIELDS}
    body.update(id=lead.id, created_at=iso_z(lead.created_at), updated_at=iso_z(lead.updated_at))
    return body


def organization_response(session: Session, org: Organization) -> dict[str, Any]:
    count = session.scalar(
        select(func.count()).select_from(Campaign).where(Campaign.organization_id == org.id)
    )
    return {
        "name": org.name,
        "description": org.description,
        "id": org.id,
        "created_at": iso_z(org.created_at),
        "updated_at": iso_z(org.updated_at),
        "campaign_count": int(count or 0),
    }


def pages_for(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


# -- campaign state -------------------------------------------------------------------------------
def set_status(
    c: Campaign, status: CampaignStatus, message: str | None = None, error: str | None = None
) -> bool:
    """``Campaign.update_status``: same status allowed, bad transitions refused, null never clears texts."""
    if status is not c.status and status not in VALID_TRANSITIONS[c.status]:
        return False
    c.status = status
    if message is not None:
        c.status_message = message
    if error is not None:
        c.status_error = error
    if status is CampaignStatus.COMPLETED:
        c.completed_at = utcnow()
    elif status is CampaignStatus.FAILED:
        c.failed_at = utcnow()
    c.updated_at = utcnow()
    return True


def pause_running_campaigns(session: Session, detail: str) -> int:
    """Pause every RUNNING campaign (the platform's pause is global) with ``Campaign paused: <detail>``."""
    campaigns = session.scalars(select(Campaign).where(Campaign.status == CampaignStatus.RUNNING)).all()
    for c in campaigns:
        set_status(c, CampaignStatus.PAUSED, f"Campaign paused: {detail}", detail)
    return len(campaigns)


def unavailable_services(breakers: BreakerRegistry, services: Iterable[Service] = SERVICES) -> list[str]:
    """``<svc> (<reason>)`` for every service whose breaker refuses requests."""
    out = []
    for s in services:
        allowed, reason = breakers[s].allow()
        if not allowed:
            out.append(f"{s.value} ({reason})")
    return out


def creation_message(breakers: BreakerRegistry) -> str:
    down = unavailable_services(breakers, START_ORDER)
    if not down:
        return "Campaign created successfully. All services are available."
    return (
        "Campaign created successfully. Note: Some services are currently unavailable: "
        f"{', '.join(down)}. The campaign can be started once services recover."
    )


_STATUS_REASONS = {
    CampaignStatus.CREATED: "Campaign can be started",
    CampaignStatus.PAUSED: "Cannot start paused campaign - resume it first",
    CampaignStatus.RUNNING: "Campaign is already running",
    CampaignStatus.COMPLETED: "Cannot start completed campaign",
    CampaignStatus.FAILED: "Cannot start failed campaign",
}


def validate_start(c: Campaign, breakers: BreakerRegistry) -> dict[str, Any]:
    """``validate_campaign_start_prerequisites`` (contract §4.2)."""
    errors: list[str] = []
    warnings: list[str] = []
    status_ok = c.status is CampaignStatus.CREATED
    reason = _STATUS_REASONS[c.status]
    if not status_ok:
        errors.append(f"Campaign status issue: {reason}")
    services: dict[str, dict[str, Any]] = {}
    open_services: list[str] = []
    for s in START_ORDER:
        state = breakers[s].state
        available = state is not CircuitState.OPEN
        services[s.value] = {
            "available": available,
            "reason": "Available" if available else breakers[s].allow()[1],
        }
        if not available:
            open_services.append(s.value)
    services_ok = "apollo" not in open_services
    if not services_ok:
        errors.append("Critical services unavailable: apollo")
    others = [s for s in open_services if s != "apollo"]
    if others:
        warnings.append(f"Some services unavailable: {', '.join(others)}")
    global_reason = "System is operational"
    paused = False
    if len(open_services) > len(SERVICES) / 2:
        paused = True
        names = ", ".join(open_services)
        global_reason = f"Too many services unavailable ({len(open_services)}/{len(SERVICES)}): {names}"
    elif "apollo" in open_services and "instantly" in open_services:
        paused = True
        global_reason = "Both Apollo and Instantly services are down - cannot process campaign workflow"
    if paused:
        errors.append(f"Global state issue: {global_reason}")
    return {
        "can_start": status_ok and services_ok and not paused,
        "campaign_status_valid": status_ok,
        "services_available": services_ok,
        "global_state_ok": not paused,
        "validation_details": {
            "campaign_status": {"current_status": c.status.value, "can_start": status_ok, "reason": reason},
            "services": services,
            "global_state": {"is_paused": paused, "reason": global_reason},
        },
        "warnings": warnings,
        "errors": errors,
    }


def start_failure_code(errors: list[str]) -> int:
    if any("paused" in e for e in errors):
        return 409
    if any("unavailable" in e for e in errors):
        return 503
    return 400


_BAD_URL_CHARS = set("<>{}|\\^~[]`")


def check_url_and_count(c: Campaign) -> str | None:
    if not c.url or not c.url.strip():
        return "Search URL is required"
    if not c.url.startswith("https://app.apollo.io/"):
        return "Invalid Apollo search URL format"
    if any(ch in _BAD_URL_CHARS for ch in c.url):
        return "URL contains invalid characters"
    if c.totalRecords <= 0:
        return "Count must be greater than 0"
    if c.totalRecords > 1000:
        return "Count cannot exceed 1000"
    return None


# -- work re-enqueueing and completion ----------------------------------------------------------
@dataclass(frozen=True)
class Task:
    """One unit of worker work: fetch a campaign's leads, or enrich one lead."""

    kind: str  # "fetch" | "enrich"
    campaign_id: str
    job_id: int | None = None
    lead_id: str | None = None


def requeue_campaign_work(session: Session, campaign_id: str) -> list[Task]:
    """Tasks that finish a resumed campaign: its PAUSED/PENDING jobs (back to PENDING) and unstarted leads."""
    tasks: list[Task] = []
    jobs = session.scalars(
        select(Job).where(
            Job.campaign_id == campaign_id, Job.status.in_([JobStatus.PAUSED, JobStatus.PENDING])
        )
    ).all()
    for job in jobs:
        job.status = JobStatus.PENDING
        job.error = None
        job.completed_at = None
        if job.job_type is JobType.FETCH_LEADS:
            tasks.append(Task("fetch", campaign_id, job_id=job.id))
    # Every lead whose enrichment is not done or in hand: a duplicate task is harmless (the claim refuses it).
    busy = {
        str(j)
        for j in session.scalars(
            select(Job.id).where(
                Job.campaign_id == campaign_id,
                Job.job_type == JobType.ENRICH_LEAD,
                Job.status.in_([JobStatus.COMPLETED, JobStatus.PROCESSING]),
            )
        )
    }
    for lead_id, job_ref in session.execute(
        select(Lead.id, Lead.enrichment_job_id).where(Lead.campaign_id == campaign_id)
    ):
        if job_ref is None or job_ref not in busy:
            tasks.append(Task("enrich", campaign_id, lead_id=lead_id))
    return tasks


def complete_if_done(session: Session, campaign_id: str) -> bool:
    """RUNNING → COMPLETED once the fetch is done and every lead has a COMPLETED enrichment (sandbox rule)."""
    c = session.get(Campaign, campaign_id)
    if c is None or c.status is not CampaignStatus.RUNNING:
        return False
    fetched = session.scalar(
        select(func.count())
        .select_from(Job)
        .where(
            Job.campaign_id == campaign_id,
            Job.job_type == JobType.FETCH_LEADS,
            Job.status == JobStatus.COMPLETED,
        )
    )
    if not fetched:
        return False
    leads = int(
        session.scalar(select(func.count()).select_from(Lead).where(Lead.campaign_id == campaign_id)) or 0
    )
    done = int(
        session.scalar(
            select(func.count())
            .select_from(Job)
            .where(
                Job.campaign_id == campaign_id,
                Job.job_type == JobType.ENRICH_LEAD,
                Job.status == JobStatus.COMPLETED,
            )
        )
        or 0
    )
    if done < leads:
        return False
    return set_status(c, CampaignStatus.COMPLETED, f"Campaign completed: {leads} leads enriched")


def resume_block_reason(breakers: BreakerRegistry) -> str | None:
    down = unavailable_services(breakers, START_ORDER)
    if down:
        return f"Cannot resume campaign: Required services are unavailable: {', '.join(down)}"
    return None


def paused_job_errors(session: Session) -> list[str]:
    return [e or "" for e in session.scalars(select(Job.error).where(Job.status == JobStatus.PAUSED))]


def now_iso_z() -> str | None:
    return iso_z(utcnow())
