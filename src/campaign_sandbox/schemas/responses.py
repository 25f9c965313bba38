"""Response bodies (the outbound direction; requests.py is the inbound one), in the platform's field order.

Field order is the JSON order. Timestamps keep the two formats the platform mixes: its pydantic models answer
ISO-8601 with ``Z`` (``IsoZ``), its ``to_dict()`` bodies ``+00:00`` (``IsoOffset``); SQLite hands back naive
UTC datetimes, PostgreSQL aware ones, and both render the same.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, PlainSerializer

from campaign_sandbox.models import VALID_TRANSITIONS, Campaign, Job, Lead, Organization, User

T = TypeVar("T")


def _aware(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def iso_z(dt: datetime | None) -> str | None:
    aware = _aware(dt)
    return None if aware is None else aware.isoformat().replace("+00:00", "Z")


def iso_offset(dt: datetime | None) -> str | None:
    aware = _aware(dt)
    return None if aware is None else aware.isoformat()


def naive_iso_now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat()


IsoZ = Annotated[datetime | None, PlainSerializer(iso_z, return_type=str | None)]
IsoOffset = Annotated[datetime | None, PlainSerializer(iso_offset, return_type=str | None)]


# -- envelopes ------------------------------------------------------------------------------------
class Success(BaseModel, Generic[T]):
    """Campaigns, leads, jobs and queue-management wrap their results in ``status``/``data``."""

    status: Literal["success"] = "success"
    data: T


class SuccessWithMessage(BaseModel, Generic[T]):
    """Pause/resume: the message both at the top level and inside ``data``."""

    status: Literal["success"] = "success"
    message: str
    data: T


class StatusMessage(BaseModel):
    status: Literal["success"] = "success"
    message: str


class CleanupQueued(StatusMessage):
    jobs_deleted: int = 0


class UnauthorizedError(BaseModel):
    code: int = 401
    name: str = "Unauthorized"
    message: str


class Unauthorized(BaseModel):
    status: Literal["error"] = "error"
    error: UnauthorizedError


def unauthorized_body(message: str) -> dict[str, Any]:
    return Unauthorized(error=UnauthorizedError(message=message)).model_dump()


# -- campaigns ------------------------------------------------------------------------------------
class CampaignOut(BaseModel):
    """The platform's ``CampaignResponse``."""

    name: str
    description: str | None
    organization_id: str
    fileName: str
    totalRecords: int
    url: str
    id: str
    status: str
    status_message: str | None
    status_error: str | None
    created_at: IsoZ
    updated_at: IsoZ
    completed_at: IsoZ
    failed_at: IsoZ
    instantly_campaign_id: str | None
    valid_transitions: list[str]

    @classmethod
    def of(cls, c: Campaign) -> CampaignOut:
        return cls(
            name=c.name,
            description=c.description,
            organization_id=c.organization_id,
            fileName=c.fileName,
            totalRecords=c.totalRecords,
            url=c.url,
            id=c.id,
            status=c.status.value,
            status_message=c.status_message,
            status_error=c.status_error,
            created_at=c.created_at,
            updated_at=c.updated_at,
            completed_at=c.completed_at,
            failed_at=c.failed_at,
            instantly_campaign_id=c.instantly_campaign_id,
            valid_transitions=[s.value for s in VALID_TRANSITIONS[c.status]],
        )


class CampaignDict(BaseModel):
    """The platform's ``Campaign.to_dict()`` (details and results)."""

    id: str
    name: str
    description: str | None
    status: str
    created_at: IsoOffset
    updated_at: IsoOffset
    organization_id: str
    status_message: str
    status_error: str
    completed_at: IsoOffset
    failed_at: IsoOffset
    fileName: str
    totalRecords: int
    url: str
    instantly_campaign_id: str | None

    @classmethod
    def of(cls, c: Campaign) -> CampaignDict:
        return cls(
            id=c.id,
            name=c.name,
            description=c.description,
            status=c.status.value,
            created_at=c.created_at,
            updated_at=c.updated_at,
            organization_id=c.organization_id,
            status_message=c.status_message or "",
            status_error=c.status_error or "",
            completed_at=c.completed_at,
            failed_at=c.failed_at,
            fileName=c.fileName,
            totalRecords=c.totalRecords,
            url=c.url,
            instantly_campaign_id=c.instantly_campaign_id,
        )


class CampaignWithJobs(CampaignDict):
    jobs: list[Any] = []

    @classmethod
    def of(cls, c: Campaign) -> CampaignWithJobs:
        return cls(**CampaignDict.of(c).__dict__)


class CampaignSummary(BaseModel):
    id: str
    name: str
    status: str
    status_message: str | None
    created_at: IsoOffset
    updated_at: IsoOffset

    @classmethod
    def of(cls, c: Campaign) -> CampaignSummary:
        return cls(
            id=c.id,
            name=c.name,
            status=c.status.value,
            status_message=c.status_message,
            created_at=c.created_at,
            updated_at=c.updated_at,
        )


class CampaignPage(BaseModel):
    campaigns: list[CampaignOut]
    total: int
    page: int
    per_page: int
    pages: int


class StatusChange(BaseModel):
    id: str
    status: str
    status_message: str | None
    message: str


class CampaignStatusCheck(BaseModel):
    current_status: str
    can_start: bool
    reason: str


class ServiceAvailability(BaseModel):
    available: bool
    reason: str


class GlobalState(BaseModel):
    is_paused: bool
    reason: str


class ValidationDetails(BaseModel):
    campaign_status: CampaignStatusCheck
    services: dict[str, ServiceAvailability]
    global_state: GlobalState


class StartValidation(BaseModel):
    can_start: bool
    campaign_status_valid: bool
    services_available: bool
    global_state_ok: bool
    validation_details: ValidationDetails
    warnings: list[str]
    errors: list[str]


class StartRefusal(BaseModel):
    """The object ``detail`` of a refused start."""

    message: str = "Cannot start campaign due to validation failures"
    errors: list[str]
    warnings: list[str]
    validation_details: ValidationDetails


class LeadStats(BaseModel):
    """A hard-coded placeholder on the platform (quirk 33)."""

    total_leads_fetched: int = 0
    leads_with_email: int = 0
    leads_with_verified_email: int = 0
    leads_with_enrichment: int = 0
    leads_with_email_copy: int = 0
    leads_with_instantly_record: int = 0
    error_message: str | None = None


class InstantlyAnalytics(BaseModel):
    leads_count: int
    contacted_count: int | None
    emails_sent_count: int | None
    open_count: int | None
    link_click_count: int | None
    reply_count: int | None
    bounced_count: int | None
    unsubscribed_count: int | None
    completed_count: int | None
    new_leads_contacted_count: int | None
    total_opportunities: int | None
    campaign_name: str
    campaign_id: str
    campaign_status: str
    campaign_is_evergreen: bool = False
    error: str | None


class CampaignDetails(BaseModel):
    campaign: CampaignWithJobs
    lead_stats: LeadStats
    instantly_analytics: InstantlyAnalytics


class CampaignResults(BaseModel):
    campaign: CampaignDict
    # Keyed by job name, so every ENRICH_LEAD result lands on one key (quirk 34).
    results: dict[str, str | None]


# -- jobs -----------------------------------------------------------------------------------------
class JobOut(BaseModel):
    name: str
    description: str | None
    id: int
    task_id: str | None
    job_type: str
    status: str
    result: str | None
    error: str | None
    campaign_id: str | None
    created_at: IsoZ
    updated_at: IsoZ
    completed_at: IsoZ

    @classmethod
    def of(cls, j: Job) -> JobOut:
        return cls(
            name=j.name,
            description=j.description,
            id=j.id,
            task_id=j.task_id,
            job_type=j.job_type.value,
            status=j.status.value,
            result=j.result,
            error=j.error,
            campaign_id=j.campaign_id,
            created_at=j.created_at,
            updated_at=j.updated_at,
            completed_at=j.completed_at,
        )


class JobPage(BaseModel):
    jobs: list[JobOut]
    total: int
    page: int
    per_page: int
    pages: int


class JobStatusOut(BaseModel):
    id: int
    status: str
    created_at: IsoZ
    updated_at: IsoZ
    completed_at: IsoZ


# -- leads ----------------------------------------------------------------------------------------
class LeadOut(BaseModel):
    campaign_id: str
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    company: str | None
    title: str | None
    linkedin_url: str | None
    source_url: str | None
    raw_data: Any
    email_verification: Any
    enrichment_results: Any
    enrichment_job_id: str | None
    email_copy_gen_results: Any
    instantly_lead_record: Any
    id: str
    created_at: IsoZ
    updated_at: IsoZ

    @classmethod
    def of(cls, lead: Lead) -> LeadOut:
        names = [n for n in cls.model_fields if n not in ("id", "created_at", "updated_at")]
        values = {n: getattr(lead, n) for n in names}
        return cls(**values, id=lead.id, created_at=lead.created_at, updated_at=lead.updated_at)


class LeadPage(BaseModel):
    leads: list[LeadOut]
    total: int
    page: int
    per_page: int
    pages: int


# -- organizations (bare bodies) ------------------------------------------------------------------
class OrganizationOut(BaseModel):
    name: str
    description: str | None
    id: str
    created_at: IsoZ
    updated_at: IsoZ
    campaign_count: int

    @classmethod
    def of(cls, org: Organization, campaign_count: int) -> OrganizationOut:
        return cls(
            name=org.name,
            description=org.description,
            id=org.id,
            created_at=org.created_at,
            updated_at=org.updated_at,
            campaign_count=campaign_count,
        )


class PageMeta(BaseModel):
    page: int
    limit: int
    total: int
    pages: int


class OrganizationPage(BaseModel):
    data: list[OrganizationOut]
    meta: PageMeta


# -- queue management -----------------------------------------------------------------------------
class PauseInfo(BaseModel):
    paused_at: str
    service: str
    reason: str


class BreakerStatus(BaseModel):
    circuit_state: str
    queue_paused: bool
    pause_info: PauseInfo | None
    failure_count: int
    failure_threshold: int


class QueueStatus(BaseModel):
    circuit_breakers: dict[str, BreakerStatus]
    job_counts: dict[str, int]
    paused_jobs_by_service: dict[str, int]
    timestamp: str


class CircuitBreakers(BaseModel):
    circuit_breakers: dict[str, BreakerStatus]
    timestamp: str = "unknown"


class ServicePaused(BaseModel):
    service: str
    paused: bool = True
    reason: str
    jobs_paused: int
    campaigns_paused: int
    message: str


class ServiceResumed(BaseModel):
    service: str
    resumed: bool = True
    jobs_resumed: int
    campaigns_eligible: int
    campaigns_resumed: int
    message: str


class PausedJob(BaseModel):
    id: int
    name: str
    job_type: str
    campaign_id: str | None
    error: str | None
    created_at: IsoOffset
    updated_at: IsoOffset


class PausedJobs(BaseModel):
    service: str
    paused_jobs: list[PausedJob]
    count: int


class PausedLead(BaseModel):
    lead_id: str
    campaign_id: str
    job_id: int
    lead_email: str | None
    paused_at: IsoOffset


class PausedLeads(BaseModel):
    service: str
    paused_leads: list[PausedLead]
    count: int
    message: str


class CampaignsPaused(BaseModel):
    service: str
    campaigns_paused: int
    reason: str
    message: str


class CampaignsResumed(BaseModel):
    service: str
    campaigns_eligible: int
    campaigns_resumed: int
    message: str


class CampaignOverview(BaseModel):
    totals: dict[str, int]
    campaigns_by_status: dict[str, list[CampaignSummary]]
    paused_by_service: dict[str, list[CampaignSummary]]
    timestamp: None = None


class PausedCampaigns(BaseModel):
    service: str
    paused_campaigns: list[CampaignSummary]
    count: int
    message: str


# -- auth, health, faults (bare bodies) -----------------------------------------------------------
class UserOut(BaseModel):
    id: str
    email: str
    name: str | None
    created_at: IsoOffset
    updated_at: IsoOffset

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            created_at=user.created_at,
            updated_at=user.updated_at,
        )


class SignedUp(BaseModel):
    message: str = "User registered successfully"
    user: UserOut


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class LoggedIn(BaseModel):
    message: str = "Login successful"
    token: Token
    user: UserOut


class Health(BaseModel):
    status: str = "healthy"
    service: str = "fastapi-k8-proto"


class Probe(BaseModel):
    status: str


class FaultOut(BaseModel):
    mode: str
    delay_ms: int | None


class FaultSet(BaseModel):
    service: str
    mode: str
    delay_ms: int | None


class FaultList(BaseModel):
    faults: dict[str, FaultOut]
