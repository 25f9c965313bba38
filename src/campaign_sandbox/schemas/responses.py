"""Response bodies (the outbound direction; requests.py is the inbound one), in the platform's field order.

Field order is the JSON order. Timestamps keep the two formats the platform mixes: its pydantic models answer
ISO-8601 with ``Z`` (``IsoZ``), its ``to_dict()`` bodies ``+00:00`` (``IsoOffset``); SQLite hands back naive
UTC datetimes, PostgreSQL aware ones, and both render the same.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, Self, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, computed_field

from campaign_sandbox.breaker import CircuitState
from campaign_sandbox.models import VALID_TRANSITIONS, CampaignStatus, JobStatus, JobType, Organization

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
# The rows' enums answer as their names' strings.
EnumText = Annotated[str, BeforeValidator(lambda v: v.value if isinstance(v, enum.Enum) else v)]
# ``to_dict()`` answers an unset text as "".
TextOrEmpty = Annotated[str, BeforeValidator(lambda v: v or "")]


class Row(BaseModel):
    """A body read straight off an ORM row: the fields are the row's attributes of the same names."""

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, row: object) -> Self:
        return cls.model_validate(row)


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
class CampaignOut(Row):
    """The platform's ``CampaignResponse``."""

    name: str
    description: str | None
    organization_id: str
    fileName: str
    totalRecords: int
    url: str
    id: str
    status: CampaignStatus  # the enum, as the platform's document declares it (its values in the JSON)
    status_message: str | None
    status_error: str | None
    created_at: IsoZ
    updated_at: IsoZ
    completed_at: IsoZ
    failed_at: IsoZ
    instantly_campaign_id: str | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def valid_transitions(self) -> list[str]:
        return [s.value for s in VALID_TRANSITIONS[CampaignStatus(self.status)]]


class CampaignDict(Row):
    """The platform's ``Campaign.to_dict()`` (details and results)."""

    id: str
    name: str
    description: str | None
    status: EnumText
    created_at: IsoOffset
    updated_at: IsoOffset
    organization_id: str
    status_message: TextOrEmpty
    status_error: TextOrEmpty
    completed_at: IsoOffset
    failed_at: IsoOffset
    fileName: str
    totalRecords: int
    url: str
    instantly_campaign_id: str | None


class CampaignWithJobs(CampaignDict):
    jobs: list[Any] = []  # always empty on the platform


class CampaignSummary(Row):
    id: str
    name: str
    status: EnumText
    status_message: str | None
    created_at: IsoOffset
    updated_at: IsoOffset


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
class JobOut(Row):
    name: str
    description: str | None
    id: int
    task_id: str | None
    job_type: JobType
    status: JobStatus
    result: str | None
    error: str | None
    campaign_id: str | None
    created_at: IsoZ
    updated_at: IsoZ
    completed_at: IsoZ


class JobPage(BaseModel):
    jobs: list[JobOut]
    total: int
    page: int
    per_page: int
    pages: int


class JobStatusOut(Row):
    id: int
    status: EnumText
    created_at: IsoZ
    updated_at: IsoZ
    completed_at: IsoZ


# -- leads ----------------------------------------------------------------------------------------
class LeadOut(Row):
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


class LeadPage(BaseModel):
    leads: list[LeadOut]
    total: int
    page: int
    per_page: int
    pages: int


# -- organizations (bare bodies) ------------------------------------------------------------------
class OrganizationOut(Row):
    name: str
    description: str | None
    id: str
    created_at: IsoZ
    updated_at: IsoZ
    campaign_count: int = 0  # not a column: the domain counts it

    @classmethod
    def counted(cls, org: Organization, campaign_count: int) -> OrganizationOut:
        return cls.of(org).model_copy(update={"campaign_count": campaign_count})


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
    circuit_state: CircuitState
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


class PausedJob(Row):
    id: int
    name: str
    job_type: EnumText
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
class UserOut(Row):
    id: str
    email: str
    name: str | None
    created_at: IsoOffset
    updated_at: IsoOffset


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
