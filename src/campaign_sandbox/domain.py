"""The domain layer: every query and state change of campaigns, jobs, leads (and the organizations and users
they hang off), with the platform's rules and texts.

Routes parse a request, call one method of ``Domain`` and return the response model it gives; the worker and
the runtime call the same methods. Each method is one transaction (writes serialised by the store), and work
it creates is submitted to the worker pool only after that transaction committed. Refusals are the
exceptions of ``errors``; their type is the HTTP status.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, String, cast, false, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from campaign_sandbox.breaker import SERVICES, BreakerRegistry, CircuitState, Service, reason_for
from campaign_sandbox.core.security import ACCESS_TOKEN_EXPIRE_S, create_token, hash_password, verify_password
from campaign_sandbox.defects import NONE, Defect, Defects
from campaign_sandbox.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
)
from campaign_sandbox.models import (
    VALID_TRANSITIONS,
    Campaign,
    CampaignStatus,
    Job,
    JobStatus,
    JobType,
    Lead,
    Organization,
    User,
    utcnow,
)
from campaign_sandbox.profile import Profile
from campaign_sandbox.providers import Providers
from campaign_sandbox.schemas import requests as rq
from campaign_sandbox.schemas import responses as rs
from campaign_sandbox.store import Store

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
NOT_NULL_FIELDS = frozenset({"name", "organization_id", "fileName", "totalRecords", "url", "status"})
WHITELIST = frozenset(
    {"ethan@smartscalingai.com", "ek@alienunderpants.io", "test@domain.com", "test@example.com"}
)
WHITELIST_DOMAIN = "@hellacooltestingdomain.pizza"
_INT32_MAX = 2_147_483_647
_CAMPAIGN_ORDER = ("RUNNING", "PAUSED", "CREATED", "COMPLETED", "FAILED")
_BAD_URL_CHARS = set("<>{}|\\^~[]`")
_TAGS = re.compile(r"<[^>]+>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_STATUS_REASONS = {
    CampaignStatus.CREATED: "Campaign can be started",
    CampaignStatus.PAUSED: "Cannot start paused campaign - resume it first",
    CampaignStatus.RUNNING: "Campaign is already running",
    CampaignStatus.COMPLETED: "Cannot start completed campaign",
    CampaignStatus.FAILED: "Cannot start failed campaign",
}


@dataclass(frozen=True)
class Task:
    """One unit of worker work: fetch a campaign's leads, or enrich one lead."""

    kind: str  # "fetch" | "enrich"
    campaign_id: str
    job_id: int | None = None
    lead_id: str | None = None


@dataclass(frozen=True)
class Claim:
    """An enrichment the worker may run: its job (now PROCESSING), a snapshot of the lead, the campaign's
    Instantly id."""

    job_id: int
    lead: dict[str, Any]
    instantly_campaign_id: str | None


@dataclass(frozen=True)
class Enrichment:
    """What the providers gave for one lead; ``errors`` are the as-built step errors (empty: none)."""

    verification: dict[str, Any] | None
    enrichment: dict[str, Any] | None
    copy: dict[str, Any] | None
    record: dict[str, Any] | None
    result: dict[str, Any]
    errors: dict[str, str]


class InvalidService(BadRequest):
    pass


class StartRefused(BadRequest):
    """A start the validation refuses for the campaign's status or URL/count (400)."""


class StartRefusedPaused(Conflict):
    """A start of a PAUSED campaign (409: resume it instead)."""


class StartRefusedUnavailable(ServiceUnavailable):
    """A start while Apollo or too many services are down (503)."""


def parse_service(raw: str) -> Service:
    """Lower-case then parse, as the platform does; the error keeps the raw text."""
    try:
        return Service(raw.lower())
    except ValueError:
        raise InvalidService(f"Invalid service name: {raw}. Valid services: {VALID_SERVICES_TEXT}") from None


def pages_for(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def sanitize(value: str) -> str:
    return _CONTROL.sub("", html.escape(_TAGS.sub("", value))).strip()


# -- rules that read no rows ----------------------------------------------------------------------
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


def validate_start(c: Campaign, breakers: BreakerRegistry) -> rs.StartValidation:
    """``validate_campaign_start_prerequisites`` (contract §4.2)."""
    errors: list[str] = []
    warnings: list[str] = []
    status_ok = c.status is CampaignStatus.CREATED
    reason = _STATUS_REASONS[c.status]
    if not status_ok:
        errors.append(f"Campaign status issue: {reason}")
    services: dict[str, rs.ServiceAvailability] = {}
    open_services: list[str] = []
    for s in START_ORDER:
        available = breakers[s].state is not CircuitState.OPEN
        services[s.value] = rs.ServiceAvailability(
            available=available, reason="Available" if available else breakers[s].allow()[1]
        )
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
    return rs.StartValidation(
        can_start=status_ok and services_ok and not paused,
        campaign_status_valid=status_ok,
        services_available=services_ok,
        global_state_ok=not paused,
        validation_details=rs.ValidationDetails(
            campaign_status=rs.CampaignStatusCheck(
                current_status=c.status.value, can_start=status_ok, reason=reason
            ),
            services=services,
            global_state=rs.GlobalState(is_paused=paused, reason=global_reason),
        ),
        warnings=warnings,
        errors=errors,
    )


def start_refusal(c: Campaign, validation: rs.StartValidation) -> BadRequest | Conflict | ServiceUnavailable:
    """The refusal of a start that failed validation: 409 for a paused campaign, 503 for services down."""
    detail = rs.StartRefusal(
        errors=validation.errors,
        warnings=validation.warnings,
        validation_details=validation.validation_details,
    ).model_dump()
    if c.status is CampaignStatus.PAUSED:
        return StartRefusedPaused(detail)
    if not validation.services_available or not validation.global_state_ok:
        return StartRefusedUnavailable(detail)
    return StartRefused(detail)


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


def resume_block_reason(breakers: BreakerRegistry) -> str | None:
    down = unavailable_services(breakers, START_ORDER)
    if down:
        return f"Cannot resume campaign: Required services are unavailable: {', '.join(down)}"
    return None


# -- rules over rows (one session) ----------------------------------------------------------------
def pause_running_campaigns(session: Session, detail: str, defects: Defects = NONE) -> int:
    """Pause every RUNNING campaign (the platform's pause is global) with ``Campaign paused: <detail>``."""
    campaigns = session.scalars(select(Campaign).where(Campaign.status == CampaignStatus.RUNNING)).all()
    for c in campaigns:
        if defects.active(Defect.PAUSE_MESSAGE_MISSING):
            set_status(c, CampaignStatus.PAUSED, "Campaign paused", "Campaign paused")
        else:
            set_status(c, CampaignStatus.PAUSED, f"Campaign paused: {detail}", detail)
    return len(campaigns)


def resume_row(c: Campaign) -> None:
    # status_error is kept, as on the platform (quirk 13).
    set_status(c, CampaignStatus.RUNNING, "Campaign resumed - services are available")


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


def _count(session: Session, query: Select[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def _page(session: Session, query: Select[Any], page: int, per_page: int) -> tuple[list[Any], dict[str, int]]:
    """One page of the (ordered) query, and the list envelope's ``total``/``page``/``per_page``/``pages``."""
    total = _count(session, query)
    rows = list(session.scalars(query.offset((page - 1) * per_page).limit(per_page)))
    return rows, {"total": total, "page": page, "per_page": per_page, "pages": pages_for(total, per_page)}


def complete_if_done(session: Session, campaign_id: str, defects: Defects = NONE) -> bool:
    """RUNNING → COMPLETED once the fetch is done and every lead has a COMPLETED enrichment (sandbox rule)."""
    c = session.get(Campaign, campaign_id)
    if c is None or c.status is not CampaignStatus.RUNNING:
        return False

    def jobs(job_type: JobType) -> Select[Any]:
        return select(Job.id).where(
            Job.campaign_id == campaign_id, Job.job_type == job_type, Job.status == JobStatus.COMPLETED
        )

    if not _count(session, jobs(JobType.FETCH_LEADS)):
        return False
    leads = _count(session, select(Lead.id).where(Lead.campaign_id == campaign_id))
    # Leads whose own job (the one they point at) is COMPLETED: a lead with two jobs counts once.
    done = select(cast(Job.id, String)).where(
        Job.campaign_id == campaign_id, Job.job_type == JobType.ENRICH_LEAD, Job.status == JobStatus.COMPLETED
    )
    enriched = select(Lead.id).where(Lead.campaign_id == campaign_id, Lead.enrichment_job_id.in_(done))
    if _count(session, enriched) < leads:
        return False
    if defects.active(Defect.CAMPAIGN_FAILS):
        return set_status(c, CampaignStatus.FAILED, None, "Campaign failed: completion check error")
    return set_status(c, CampaignStatus.COMPLETED, f"Campaign completed: {leads} leads enriched")


def _park(job: Job, campaign: Campaign) -> None:
    # Sandbox difference: work of a PAUSED campaign waits for its resume instead of running on. The
    # campaign's pause message goes into the error so that a service pause's parked jobs name the service
    # (paused_jobs_by_service, /paused-jobs/{service} and resume-service match on it).
    job.status = JobStatus.PAUSED
    job.error = f"Job paused: campaign {campaign.id} is PAUSED ({campaign.status_message or 'no message'})"
    job.completed_at = utcnow()


def _save_leads(s: Session, campaign_id: str, records: list[dict[str, Any]]) -> int:
    """The platform's save: skip records without email and emails already stored anywhere."""
    emails = [str(r.get("email") or "").strip() for r in records]
    wanted = [e for e in emails if e]
    existing = (
        {(e or "").lower() for e in s.scalars(select(Lead.email).where(Lead.email.in_(wanted)))}
        if wanted
        else set()
    )
    created = 0
    for record, email in zip(records, emails, strict=True):
        if not email or email.lower() in existing:
            continue
        existing.add(email.lower())
        org = record.get("organization") or {}
        s.add(
            Lead(
                campaign_id=campaign_id,
                first_name=record.get("first_name"),
                last_name=record.get("last_name"),
                email=email,
                title=record.get("title"),
                company=(org.get("name") if isinstance(org, dict) else None)
                or record.get("organization_name"),
                linkedin_url=record.get("linkedin_url"),
                raw_data=record,
            )
        )
        created += 1
    return created


def _unavailable(service: Service, reason: str) -> str:
    return f"Service {service.value} unavailable: {reason}"


def _matching_paused_jobs(session: Session, service: Service) -> list[Job]:
    # Case-sensitive substring of the error, like the platform's LIKE '%svc%' on PostgreSQL.
    query = select(Job).where(Job.status == JobStatus.PAUSED).order_by(Job.id)
    return [j for j in session.scalars(query) if service.value in (j.error or "")]


def _paused_for(session: Session, service: Service) -> list[Campaign]:
    query = (
        select(Campaign).where(Campaign.status == CampaignStatus.PAUSED).order_by(Campaign.created_at.desc())
    )
    return [c for c in session.scalars(query) if service.value in (c.status_message or "").lower()]


def _analytics(session: Session, campaign: Campaign) -> rs.InstantlyAnalytics:
    counts = (
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
    )
    if not campaign.instantly_campaign_id:
        leads: int = campaign.totalRecords
        zero: int | None = None
        error: str | None = "No Instantly campaign ID associated with this campaign."
    else:
        leads = _count(session, select(Lead.id).where(Lead.campaign_id == campaign.id))
        zero, error = 0, None
    return rs.InstantlyAnalytics(
        leads_count=leads,
        **dict.fromkeys(counts, zero),
        campaign_name=campaign.name,
        campaign_id=campaign.id,
        campaign_status=campaign.status.value,
        error=error,
    )


def _campaign(session: Session, campaign_id: str) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"Campaign {campaign_id} not found")
    return campaign


def _job(session: Session, job_id: int) -> Job:
    # Ids outside the column's range cannot exist; asking the database would be an error, not a 404.
    job = session.get(Job, job_id) if 0 < job_id <= _INT32_MAX else None
    if job is None:
        raise NotFound(f"Job {job_id} not found")
    return job


def _lead(session: Session, lead_id: str) -> Lead:
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound("Lead not found")
    return lead


def _organization(session: Session, org_id: str) -> Organization:
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFound(f"Organization {org_id} not found")
    return org


def _organization_out(session: Session, org: Organization) -> rs.OrganizationOut:
    return rs.OrganizationOut.counted(
        org, _count(session, select(Campaign.id).where(Campaign.organization_id == org.id))
    )


def _clean_name(name: str) -> str:
    clean = sanitize(name)
    if not clean:
        raise BadRequest("Name is required")
    if len(clean) < 3:
        raise BadRequest("Name must be at least 3 characters long")
    return clean


def _clean_description(description: str) -> str:
    clean = sanitize(description)
    if not clean:
        raise BadRequest("Description is required")
    return clean


class Domain:
    """The operations of one sandbox, over its store, breakers and providers, for its profile."""

    def __init__(
        self,
        store: Store,
        breakers: BreakerRegistry,
        providers: Providers,
        profile: Profile,
        submit: Callable[[Task], None],
        lead_cap: int | None = None,
        secret_key: str = "",
        defects: Defects = NONE,
    ) -> None:
        self.store = store
        self.defects = defects
        self.breakers = breakers
        self.providers = providers
        self.profile = profile
        self.submit = submit
        self.lead_cap = lead_cap
        self.secret_key = secret_key

    def _submit_all(self, tasks: Iterable[Task]) -> None:
        for task in tasks:
            self.submit(task)

    @property
    def redispatches(self) -> bool:
        """Whether resuming (or a breaker closing) re-enqueues the parked work."""
        return self.profile.resume_redispatches and not self.defects.active(Defect.RESUME_LOSES_WORK)

    # -- users ------------------------------------------------------------------------------------
    def signup(self, body: rq.SignupRequest) -> rs.SignedUp:
        email = body.email.lower()
        if email not in WHITELIST and not email.endswith(WHITELIST_DOMAIN):
            raise Forbidden("This email is not allowed to sign up.")
        with self.store.write() as s:
            if s.scalar(select(User).where(User.email == email)) is not None:
                raise BadRequest("Email already registered")
            user = User(email=email, name="", password=hash_password(body.password), failed_attempts=0)
            s.add(user)
            s.flush()
            return rs.SignedUp(user=rs.UserOut.of(user))

    def login(self, body: rq.LoginRequest) -> rs.LoggedIn:
        with self.store.read() as s:
            user = s.scalar(select(User).where(User.email == body.email.lower()))
            if user is None or not verify_password(body.password, user.password):
                raise Unauthorized("Invalid email or password")
            token = create_token(user.id, self.secret_key)
            return rs.LoggedIn(
                token=rs.Token(access_token=token, expires_in=ACCESS_TOKEN_EXPIRE_S), user=rs.UserOut.of(user)
            )

    def user_exists(self, user_id: str) -> bool:
        with self.store.read() as s:
            return s.get(User, user_id) is not None

    def get_user(self, user_id: str) -> rs.UserOut:
        with self.store.read() as s:
            user = s.get(User, user_id)
            if user is None:
                raise NotFound("User not found")
            return rs.UserOut.of(user)

    # -- organizations ----------------------------------------------------------------------------
    def list_organizations(self, page: int, limit: int, search: str | None) -> rs.OrganizationPage:
        query = select(Organization)
        if search:
            term = f"%{search}%"
            query = query.where(or_(Organization.name.ilike(term), Organization.description.ilike(term)))
        with self.store.read() as s:
            orgs, counts = _page(s, query.order_by(Organization.created_at.desc()), page, limit)
            return rs.OrganizationPage(
                data=[_organization_out(s, o) for o in orgs],
                meta=rs.PageMeta(page=page, limit=limit, total=counts["total"], pages=counts["pages"]),
            )

    def create_organization(self, body: rq.OrganizationCreate) -> rs.OrganizationOut:
        with self.store.write() as s:
            org = Organization(name=_clean_name(body.name), description=_clean_description(body.description))
            s.add(org)
            s.flush()
            return _organization_out(s, org)

    def get_organization(self, org_id: str) -> rs.OrganizationOut:
        with self.store.read() as s:
            return _organization_out(s, _organization(s, org_id))

    def update_organization(self, org_id: str, body: rq.OrganizationUpdate) -> rs.OrganizationOut:
        with self.store.write() as s:
            org = _organization(s, org_id)
            if body.name is not None:
                org.name = _clean_name(body.name)
            if body.description is not None:
                org.description = _clean_description(body.description)
            org.updated_at = utcnow()
            s.flush()
            return _organization_out(s, org)

    def organization_campaigns(self, org_id: str, skip: int, limit: int) -> list[rs.CampaignOut]:
        with self.store.read() as s:
            _organization(s, org_id)
            campaigns = s.scalars(
                select(Campaign)
                .where(Campaign.organization_id == org_id)
                .order_by(Campaign.created_at.desc())
                .offset(skip)
                .limit(limit)
            ).all()
            return [rs.CampaignOut.of(c) for c in campaigns]

    # -- campaigns --------------------------------------------------------------------------------
    def list_campaigns(
        self, page: int, per_page: int, organization_id: str | None, status: str | None
    ) -> rs.CampaignPage:
        query = select(Campaign)
        with self.store.read() as s:
            if organization_id is not None:
                if s.get(Organization, organization_id) is None:
                    raise BadRequest(f"Organization {organization_id} not found")
                query = query.where(Campaign.organization_id == organization_id)
            if status is not None:
                if status not in CampaignStatus.__members__:
                    query = query.where(false())  # an unknown status is an empty list, not a 422
                else:
                    query = query.where(Campaign.status == CampaignStatus(status))
            rows, counts = _page(s, query.order_by(Campaign.created_at.desc(), Campaign.id), page, per_page)
            return rs.CampaignPage(campaigns=[rs.CampaignOut.of(c) for c in rows], **counts)

    def create_campaign(self, body: rq.CampaignCreate) -> rs.CampaignOut:
        with self.store.write() as s:
            if not body.organization_id or s.get(Organization, body.organization_id) is None:
                raise BadRequest(f"Organization {body.organization_id} not found")
            campaign = Campaign(
                name=body.name,
                description=body.description or "",
                organization_id=body.organization_id,
                fileName=body.fileName,
                totalRecords=body.totalRecords,
                url=body.url,
                status=CampaignStatus.CREATED,
                status_message=creation_message(self.breakers),
            )
            if self.breakers[Service.INSTANTLY].allow()[0]:
                campaign.instantly_campaign_id = self.providers.create_instantly_campaign(body.name)
            s.add(campaign)
            s.flush()
            return rs.CampaignOut.of(campaign)

    def get_campaign(self, campaign_id: str) -> rs.CampaignOut:
        with self.store.read() as s:
            return rs.CampaignOut.of(_campaign(s, campaign_id))

    def update_campaign(self, campaign_id: str, body: rq.CampaignUpdate) -> rs.CampaignOut:
        with self.store.write() as s:
            campaign = _campaign(s, campaign_id)
            changes = body.model_dump(exclude_unset=True)
            for name in NOT_NULL_FIELDS:
                if name in changes and changes[name] is None:
                    # The platform answers 500 here (a NOT NULL violation); the sandbox says what is wrong.
                    raise BadRequest(f"Error updating campaign: {name} cannot be null")
            if "organization_id" in changes and s.get(Organization, changes["organization_id"]) is None:
                raise BadRequest(f"Organization {changes['organization_id']} not found")
            # Plain assignment, no state machine and no timestamps: the platform's PATCH (quirk 12).
            for name, value in changes.items():
                setattr(campaign, name, value)
            s.flush()
            return rs.CampaignOut.of(campaign)

    def validate_start(self, campaign_id: str) -> rs.StartValidation:
        with self.store.read() as s:
            return validate_start(_campaign(s, campaign_id), self.breakers)

    def start_campaign(self, campaign_id: str) -> rs.CampaignOut:
        """Validation, URL and count checks, then RUNNING and one FETCH_LEADS job handed to the workers."""
        with self.store.write() as s:
            campaign = _campaign(s, campaign_id)
            validation = validate_start(campaign, self.breakers)
            if not validation.can_start:
                raise start_refusal(campaign, validation)
            problem = check_url_and_count(campaign)
            if problem:
                raise StartRefused(problem)
            message = "Starting campaign process"
            if validation.warnings:
                message += f" (with warnings: {'; '.join(validation.warnings)})"
            set_status(campaign, CampaignStatus.RUNNING, message)
            job = Job(
                name=JobType.FETCH_LEADS.value,
                description=f"Fetch leads for campaign {campaign.name}",
                job_type=JobType.FETCH_LEADS,
                status=JobStatus.PENDING,
                campaign_id=campaign.id,
                task_id=str(uuid.uuid4()),
            )
            s.add(job)
            s.flush()
            out = rs.CampaignOut.of(campaign)
            task = Task("fetch", campaign.id, job_id=job.id)
        if not self.defects.active(Defect.FETCH_NEVER_STARTS):
            self.submit(task)
        return out

    def pause_campaign(self, campaign_id: str, reason: str) -> rs.StatusChange:
        with self.store.write() as s:
            campaign = _campaign(s, campaign_id)
            if campaign.status is not CampaignStatus.RUNNING:
                raise BadRequest(
                    f"Cannot pause campaign in {campaign.status.value} status. "
                    "Only running campaigns can be paused."
                )
            set_status(campaign, CampaignStatus.PAUSED, f"Campaign paused: {reason}", reason)
            return _status_change(campaign, f"Campaign {campaign_id} has been paused")

    def resume_campaign(self, campaign_id: str) -> rs.StatusChange:
        """RUNNING again, its paused work re-enqueued (intended) or nothing re-dispatched (as built)."""
        with self.store.write() as s:
            c = _campaign(s, campaign_id)
            if c.status is not CampaignStatus.PAUSED:
                raise BadRequest(
                    f"Cannot resume campaign in {c.status.value} status. "
                    "Only paused campaigns can be resumed."
                )
            blocked = resume_block_reason(self.breakers)
            if blocked:
                raise BadRequest(blocked)
            resume_row(c)
            s.flush()
            tasks: list[Task] = []
            # As built, the campaign is RUNNING again with nothing to drive it (§1.4, quirk 15).
            if self.redispatches:
                tasks = requeue_campaign_work(s, c.id)
                complete_if_done(s, c.id)
            out = _status_change(c, f"Campaign {campaign_id} has been resumed")
        self._submit_all(tasks)
        return out

    def lead_stats(self, campaign_id: str) -> rs.LeadStats:
        with self.store.read() as s:
            _campaign(s, campaign_id)
        return rs.LeadStats()

    def instantly_analytics(self, campaign_id: str) -> rs.InstantlyAnalytics:
        with self.store.read() as s:
            return _analytics(s, _campaign(s, campaign_id))

    def campaign_details(self, campaign_id: str) -> rs.CampaignDetails:
        with self.store.read() as s:
            campaign = _campaign(s, campaign_id)
            return rs.CampaignDetails(
                campaign=rs.CampaignWithJobs.of(campaign),
                lead_stats=rs.LeadStats(),
                instantly_analytics=_analytics(s, campaign),
            )

    def cleanup_campaign(self, campaign_id: str, body: dict[str, int]) -> rs.CleanupQueued:
        if "days" not in body:
            raise BadRequest("Days parameter is required")
        if body["days"] <= 0:
            raise BadRequest("Days must be a positive integer")
        with self.store.read() as s:
            _campaign(s, campaign_id)
        # Asynchronous on the platform, so it always reports 0; the sandbox deletes nothing.
        return rs.CleanupQueued(message=f"Cleanup task queued for campaign {campaign_id}")

    def campaign_results(self, campaign_id: str) -> rs.CampaignResults:
        with self.store.read() as s:
            campaign = _campaign(s, campaign_id)
            jobs = s.scalars(
                select(Job)
                .where(Job.campaign_id == campaign_id, Job.status == JobStatus.COMPLETED)
                .order_by(Job.id)
            ).all()
            if not jobs:
                raise NotFound("No completed jobs found for this campaign")
            return rs.CampaignResults(
                campaign=rs.CampaignDict.of(campaign), results={j.name: j.result for j in jobs}
            )

    # -- jobs -------------------------------------------------------------------------------------
    def create_job(self, body: rq.JobCreate) -> rs.JobOut:
        with self.store.write() as s:
            if body.campaign_id is not None and s.get(Campaign, body.campaign_id) is None:
                raise BadRequest(f"Campaign {body.campaign_id} not found")
            # The platform runs a demo task for these; the sandbox leaves the job PENDING.
            job = Job(
                name=body.name,
                description=body.description,
                job_type=body.job_type or JobType.FETCH_LEADS,
                status=JobStatus.PENDING,
                campaign_id=body.campaign_id,
                task_id=str(uuid.uuid4()),
            )
            s.add(job)
            s.flush()
            return rs.JobOut.of(job)

    def list_jobs(
        self, page: int, per_page: int, status: JobStatus | None, campaign_id: str | None
    ) -> rs.JobPage:
        query = select(Job)
        if status is not None:
            query = query.where(Job.status == status)
        if campaign_id is not None:
            query = query.where(Job.campaign_id == campaign_id)
        with self.store.read() as s:
            rows, counts = _page(s, query.order_by(Job.id), page, per_page)
            return rs.JobPage(jobs=[self._job_out(j) for j in rows], **counts)

    def _job_out(self, job: Job) -> rs.JobOut:
        out = rs.JobOut.of(job)
        stale = job.job_type is JobType.ENRICH_LEAD and job.status is JobStatus.COMPLETED
        if stale and self.defects.active(Defect.API_JOB_STATUS_STALE):
            return out.model_copy(update={"status": JobStatus.PROCESSING.value})
        return out

    def get_job(self, job_id: int) -> rs.JobOut:
        with self.store.read() as s:
            return rs.JobOut.of(_job(s, job_id))

    def job_status(self, job_id: int) -> rs.JobStatusOut:
        with self.store.read() as s:
            return rs.JobStatusOut.of(_job(s, job_id))

    def cancel_job(self, job_id: int) -> rs.StatusMessage:
        with self.store.write() as s:
            job = _job(s, job_id)
            if job.status not in (JobStatus.PENDING, JobStatus.PROCESSING):
                raise BadRequest(f"Cannot cancel job in JobStatus.{job.status.value} status")
            job.status = JobStatus.CANCELLED
        return rs.StatusMessage(message=f"Job {job_id} cancelled")

    # -- leads ------------------------------------------------------------------------------------
    def list_leads(self, page: int, per_page: int, campaign_id: str | None) -> rs.LeadPage:
        query = select(Lead)
        if campaign_id is not None:
            query = query.where(Lead.campaign_id == campaign_id)
        with self.store.read() as s:
            rows, counts = _page(s, query.order_by(Lead.created_at, Lead.id), page, per_page)
            return rs.LeadPage(leads=[self._lead_out(s, lead) for lead in rows], **counts)

    def _lead_out(self, session: Session, lead: Lead) -> rs.LeadOut:
        out = rs.LeadOut.of(lead)
        if self.defects.active(Defect.API_WRONG_CAMPAIGN):
            campaign = session.get(Campaign, lead.campaign_id)
            first = (
                session.scalar(
                    select(Campaign.id)
                    .where(Campaign.organization_id == campaign.organization_id)
                    .order_by(Campaign.created_at, Campaign.id)
                    .limit(1)
                )
                if campaign is not None
                else None
            )
            return out.model_copy(update={"campaign_id": first or lead.campaign_id})
        return out

    def create_lead(self, body: rq.LeadCreate) -> rs.LeadOut:
        # The platform answers 500 "Error creating lead" for an unknown campaign or an email used by another
        # campaign; the sandbox gives the same text with 400 (no 500 for bad input).
        with self.store.write() as s:
            if s.get(Campaign, body.campaign_id) is None:
                raise BadRequest("Error creating lead")
            existing = s.scalar(
                select(Lead).where(
                    Lead.campaign_id == body.campaign_id,
                    Lead.email.is_(None) if body.email is None else Lead.email == body.email,
                )
            )
            clash = (
                body.email is not None
                and existing is None
                and s.scalar(select(Lead.id).where(Lead.email == body.email)) is not None
            )
            if clash:
                raise BadRequest("Error creating lead")
            lead = existing or Lead()
            for name, value in body.model_dump().items():
                setattr(lead, name, value)
            if existing is None:
                s.add(lead)
            try:
                s.flush()
            except IntegrityError:
                raise BadRequest("Error creating lead") from None
            return rs.LeadOut.of(lead)

    def get_lead(self, lead_id: str) -> rs.LeadOut:
        with self.store.read() as s:
            return self._lead_out(s, _lead(s, lead_id))

    def update_lead(self, lead_id: str, body: rq.LeadUpdate) -> rs.LeadOut:
        with self.store.write() as s:
            lead = _lead(s, lead_id)
            changes = body.model_dump(exclude_unset=True)
            if changes.get("email") is not None:
                clash = s.scalar(select(Lead.id).where(Lead.email == changes["email"], Lead.id != lead_id))
                if clash is not None:
                    raise BadRequest("Error updating lead")
            for name, value in changes.items():
                setattr(lead, name, value)
            try:
                s.flush()
            except IntegrityError:
                raise BadRequest("Error updating lead") from None
            return rs.LeadOut.of(lead)

    # -- queue management -------------------------------------------------------------------------
    def _breaker_status(self) -> dict[str, rs.BreakerStatus]:
        entries = self.breakers.status()
        for entry in entries.values():
            if self.defects.active(Defect.BREAKER_STATUS_MISREPORTS) and entry["circuit_state"] == "open":
                entry["circuit_state"] = CircuitState.CLOSED.value
            if self.defects.active(Defect.BREAKER_REPORT_INCOMPLETE):
                entry["failure_threshold"] = 0
        return {name: rs.BreakerStatus(**entry) for name, entry in entries.items()}

    def queue_status(self) -> rs.QueueStatus:
        breakers = self._breaker_status()
        counts = dict.fromkeys((s.value for s in JobStatus), 0)
        with self.store.read() as s:
            for status, n in s.execute(select(Job.status, func.count()).group_by(Job.status)):
                counts[JobStatus(status).value] = int(n)
            errors = [e or "" for e in s.scalars(select(Job.error).where(Job.status == JobStatus.PAUSED))]
        # Case-sensitive substring, like the platform's LIKE '%svc%' on PostgreSQL.
        by_service = {svc.value: sum(1 for e in errors if svc.value in e) for svc in SERVICES}
        return rs.QueueStatus(
            circuit_breakers=breakers,
            job_counts=counts,
            paused_jobs_by_service=by_service,
            timestamp=rs.naive_iso_now(),
        )

    def circuit_breakers(self) -> rs.CircuitBreakers:
        return rs.CircuitBreakers(circuit_breakers=self._breaker_status())

    def pause_service(self, raw_service: str, reason: str) -> rs.ServicePaused:
        """Open the breaker by hand, pause PENDING jobs of its job type and every RUNNING campaign."""
        service = parse_service(raw_service)
        self.breakers[service].force_open(reason, notify=False)
        with self.store.write() as s:
            jobs = s.scalars(
                select(Job).where(
                    Job.status == JobStatus.PENDING, Job.job_type == JOB_TYPES_BY_SERVICE[service]
                )
            ).all()
            for job in jobs:
                job.status = JobStatus.PAUSED
                job.error = f"Paused due to {service.value} service unavailability: {reason}"
            campaigns = (
                0
                if self.defects.active(Defect.PAUSE_PAUSES_NOTHING)
                else pause_running_campaigns(s, _unavailable(service, reason), self.defects)
            )
        return rs.ServicePaused(
            service=service.value,
            reason=reason,
            jobs_paused=len(jobs),
            campaigns_paused=campaigns,
            message=(
                f"Service {service.value} paused successfully: "
                f"{len(jobs)} jobs and {campaigns} campaigns affected"
            ),
        )

    def resume_service(self, raw_service: str) -> rs.ServiceResumed:
        """Close the breaker, un-pause the jobs naming it, resume eligible campaigns (and re-enqueue)."""
        service = parse_service(raw_service)
        if not self.defects.active(Defect.RESUME_LEAVES_BREAKER_OPEN):
            self.breakers[service].force_close(notify=False)
        tasks: list[Task] = []
        with self.store.write() as s:
            jobs = _matching_paused_jobs(s, service)
            for job in jobs:
                job.status = JobStatus.PENDING
                job.error = None
            eligible = _paused_for(s, service)
            resumed = 0
            resumes = not self.defects.active(Defect.RESUME_LEAVES_CAMPAIGNS_PAUSED)
            if resumes and all(self.breakers[x].allow()[0] for x in SERVICES):
                for c in eligible:
                    resume_row(c)
                    resumed += 1
            s.flush()
            # As built, nothing is re-dispatched: the jobs stay PENDING (quirk 15).
            touched = {j.campaign_id for j in jobs} | {c.id for c in eligible}
            for cid in touched if self.redispatches else ():
                row = s.get(Campaign, cid) if cid else None
                if row is not None and row.status is CampaignStatus.RUNNING:
                    tasks += requeue_campaign_work(s, row.id)
                    complete_if_done(s, row.id)
        self._submit_all(tasks)
        return rs.ServiceResumed(
            service=service.value,
            jobs_resumed=len(jobs),
            campaigns_eligible=len(eligible),
            campaigns_resumed=resumed,
            message=(
                f"Service {service.value} resumed successfully: "
                f"{len(jobs)} jobs and {resumed} campaigns affected"
            ),
        )

    def paused_jobs(self, raw_service: str) -> rs.PausedJobs:
        service = parse_service(raw_service)
        with self.store.read() as s:
            items = [rs.PausedJob.of(j) for j in _matching_paused_jobs(s, service)]
        return rs.PausedJobs(service=service.value, paused_jobs=items, count=len(items))

    def paused_leads(self, raw_service: str) -> rs.PausedLeads:
        service = parse_service(raw_service)
        items: list[rs.PausedLead] = []
        with self.store.read() as s:
            jobs = {
                str(j.id): j for j in _matching_paused_jobs(s, service) if j.job_type is JobType.ENRICH_LEAD
            }
            if jobs and self.profile.lists_paused_leads:
                for lead in s.scalars(select(Lead).where(Lead.enrichment_job_id.in_(list(jobs)))):
                    job = jobs[lead.enrichment_job_id or ""]
                    items.append(
                        rs.PausedLead(
                            lead_id=lead.id,
                            campaign_id=lead.campaign_id,
                            job_id=job.id,
                            lead_email=lead.email,
                            paused_at=job.completed_at or job.updated_at,
                        )
                    )
        return rs.PausedLeads(
            service=service.value,
            paused_leads=items,
            count=len(items),
            message=f"Found {len(items)} leads that need recovery for {service.value}",
        )

    def pause_campaigns_for_service(self, raw_service: str, reason: str) -> rs.CampaignsPaused:
        service = parse_service(raw_service)
        with self.store.write() as s:
            paused = pause_running_campaigns(s, _unavailable(service, reason), self.defects)
        return rs.CampaignsPaused(
            service=service.value,
            campaigns_paused=paused,
            reason=reason,
            message=f"Paused {paused} campaigns dependent on {service.value}",
        )

    def resume_campaigns_for_service(self, raw_service: str) -> rs.CampaignsResumed:
        service = parse_service(raw_service)
        with self.store.read() as s:
            eligible = [c.id for c in _paused_for(s, service)]
        resumed = 0
        if self.breakers[service].allow()[0]:
            for cid in eligible:
                try:
                    self.resume_campaign(cid)
                    resumed += 1
                except (NotFound, BadRequest):
                    pass  # the platform swallows these too
        return rs.CampaignsResumed(
            service=service.value,
            campaigns_eligible=len(eligible),
            campaigns_resumed=resumed,
            message=f"Resumed {resumed} of {len(eligible)} campaigns after {service.value} recovery",
        )

    def campaign_overview(self) -> rs.CampaignOverview:
        with self.store.read() as s:
            campaigns = s.scalars(select(Campaign).order_by(Campaign.created_at.desc())).all()
            by_status: dict[str, list[rs.CampaignSummary]] = {name: [] for name in _CAMPAIGN_ORDER}
            paused_by_service: dict[str, list[rs.CampaignSummary]] = {}
            for c in campaigns:
                item = rs.CampaignSummary.of(c)
                by_status[c.status.value].append(item)
                if c.status is CampaignStatus.PAUSED:
                    text = (c.status_message or "").lower()
                    for svc in SERVICES:
                        if svc.value in text:
                            paused_by_service.setdefault(svc.value, []).append(item)
                            break
        totals: dict[str, int] = {"total_campaigns": len(campaigns)}
        totals.update({name: len(by_status[name]) for name in _CAMPAIGN_ORDER})
        return rs.CampaignOverview(
            totals=totals, campaigns_by_status=by_status, paused_by_service=paused_by_service
        )

    def paused_campaigns(self, raw_service: str) -> rs.PausedCampaigns:
        service = parse_service(raw_service)
        with self.store.read() as s:
            items = [rs.CampaignSummary.of(c) for c in _paused_for(s, service)]
        return rs.PausedCampaigns(
            service=service.value,
            paused_campaigns=items,
            count=len(items),
            message=f"Found {len(items)} campaigns paused due to {service.value} issues",
        )

    # -- breaker events (the runtime's listener) --------------------------------------------------
    def pause_running(self, detail: str) -> int:
        """A breaker opened: every RUNNING campaign PAUSED, in the call that opened it."""
        with self.store.write() as s:
            return pause_running_campaigns(s, detail, self.defects)

    def requeue_running(self) -> None:
        """A breaker closed: work parked by the gate of a campaign that kept running can go on now."""
        tasks: list[Task] = []
        with self.store.write() as s:
            for c in s.scalars(select(Campaign).where(Campaign.status == CampaignStatus.RUNNING)):
                tasks += requeue_campaign_work(s, c.id)
        self._submit_all(tasks)

    # -- the worker's steps (contract §4.3, §4.4, with the sandbox's differences) ---------------------
    def claim_fetch(self, job_id: int, campaign_id: str) -> int | None:
        """The fetch job PROCESSING; the number of leads to fetch, or None when there is nothing to do."""
        waits = self.profile.paused_campaign_work_waits
        with self.store.write() as s:
            job, campaign = s.get(Job, job_id), s.get(Campaign, campaign_id)
            if job is None or campaign is None:
                return None  # deleted underneath the task
            # As built, neither the job's nor the campaign's status is checked (contract §4.3 steps 1-2).
            if waits and job.status is not JobStatus.PENDING:
                return None  # a duplicate task, or paused by pause-service (resume re-enqueues it)
            if waits and campaign.status in (CampaignStatus.COMPLETED, CampaignStatus.FAILED):
                job.status = JobStatus.CANCELLED
                job.completed_at = utcnow()
                return None
            if waits and campaign.status is CampaignStatus.PAUSED:
                _park(job, campaign)
                return None
            job.status = JobStatus.PROCESSING
            job.task_id = job.task_id or str(uuid.uuid4())
            total = campaign.totalRecords
            return max(0, total if self.lead_cap is None else min(total, self.lead_cap))

    def fail_fetch(self, job_id: int, campaign_id: str, error: str) -> None:
        with self.store.write() as s:
            job, campaign = s.get(Job, job_id), s.get(Campaign, campaign_id)
            if job is not None:
                job.status = JobStatus.FAILED
                job.error = error
                job.completed_at = utcnow()
            if campaign is not None:
                set_status(campaign, CampaignStatus.FAILED, None, error)

    def finish_fetch(self, job_id: int, campaign_id: str, records: list[dict[str, Any]]) -> None:
        """Save the fetched leads, complete the job, and queue one enrichment per lead of the campaign."""
        waits = self.profile.paused_campaign_work_waits
        with self.store.write() as s:
            job, campaign = s.get(Job, job_id), s.get(Campaign, campaign_id)
            if job is None or campaign is None:
                return
            finds_nothing = self.defects.active(Defect.FETCH_FINDS_NOTHING)
            created = 0 if finds_nothing else _save_leads(s, campaign_id, records)
            job.status = JobStatus.COMPLETED
            job.result = f"Successfully fetched {created} leads and queued enrichment tasks"
            job.completed_at = utcnow()
            # As built, this also turns a campaign PAUSED meanwhile back to RUNNING (quirk 14); set_status
            # refuses it for a FAILED or COMPLETED one.
            if self.defects.active(Defect.CAMPAIGN_PAUSES_ITSELF):
                set_status(campaign, CampaignStatus.PAUSED, "Campaign paused: enrichment queue busy")
            elif not waits or campaign.status in (CampaignStatus.CREATED, CampaignStatus.RUNNING):
                set_status(
                    campaign,
                    CampaignStatus.RUNNING,
                    f"Successfully fetched {created} leads, enrichment in progress",
                )
            # As on the platform: one enrichment per lead of the campaign, POST /leads ones included (as
            # built: none at all when the fetch created no lead, §4.3).
            lead_ids = list(s.scalars(select(Lead.id).where(Lead.campaign_id == campaign_id)))
            if (created == 0 and not waits) or self.defects.active(Defect.LEADS_NOT_QUEUED):
                lead_ids = []
            s.flush()
            if self.profile.completes_campaigns:
                complete_if_done(s, campaign_id)
        self._submit_all(Task("enrich", campaign_id, lead_id=lead_id) for lead_id in lead_ids)

    def claim_enrichment(self, lead_id: str, campaign_id: str) -> Claim | None:
        """Create or reuse the lead's one job and mark it PROCESSING; None when there is nothing to do."""
        waits = self.profile.paused_campaign_work_waits
        with self.store.write() as s:
            lead, campaign = s.get(Lead, lead_id), s.get(Campaign, campaign_id)
            if lead is None or campaign is None:
                return None
            # As built, the enrichment task never looks at the campaign's status (§4.4 step 10).
            if waits and campaign.status in (CampaignStatus.COMPLETED, CampaignStatus.FAILED):
                return None
            job = None
            if lead.enrichment_job_id and lead.enrichment_job_id.isdigit():
                job = s.get(Job, int(lead.enrichment_job_id))
            if job is not None and job.status not in (JobStatus.PENDING, JobStatus.PAUSED):
                return None  # COMPLETED: never twice; PROCESSING: another task has it
            if job is None:
                job = Job(
                    name=JobType.ENRICH_LEAD.value,
                    description=f"Enrich lead {lead.email}",
                    job_type=JobType.ENRICH_LEAD,
                    status=JobStatus.PROCESSING,
                    campaign_id=campaign_id,
                    task_id=str(uuid.uuid4()),
                )
                s.add(job)
                s.flush()
                lead.enrichment_job_id = str(job.id)
            else:
                job.status = JobStatus.PROCESSING
                job.error = None
                job.completed_at = None
                job.task_id = str(uuid.uuid4())
            ignores_pause = self.defects.active(Defect.ENRICH_WHILE_PAUSED)
            for service in () if ignores_pause else ENRICH_ORDER:
                if self.breakers[service].state is CircuitState.OPEN:
                    job.status = JobStatus.PAUSED
                    job.error = (
                        f"Job paused: Required service {service.value} unavailable: "
                        f"{reason_for(service, CircuitState.OPEN)}"
                    )
                    job.completed_at = utcnow()
                    return None
            if waits and campaign.status is CampaignStatus.PAUSED and not ignores_pause:
                _park(job, campaign)
                return None
            raw = lead.raw_data or {}
            snapshot = {
                "email": lead.email,
                "first_name": lead.first_name,
                "last_name": lead.last_name,
                "company": lead.company,
                "title": lead.title,
                "headline": raw.get("headline") if isinstance(raw, dict) else None,
            }
            return Claim(job.id, snapshot, campaign.instantly_campaign_id)

    def pause_job(self, job_id: int, error: str) -> None:
        """A PROCESSING job PAUSED with ``error`` (a provider failure or a breaker seen mid-enrichment)."""
        with self.store.write() as s:
            job = s.get(Job, job_id)
            if job is not None and job.status is JobStatus.PROCESSING:
                job.status = JobStatus.PAUSED
                job.error = error
                job.completed_at = utcnow()

    def finish_enrichment(self, job_id: int, lead_id: str, campaign_id: str, outcome: Enrichment) -> None:
        """Store the lead's results and complete its job (then maybe the campaign, intended)."""
        with self.store.write() as s:
            job, row = s.get(Job, job_id), s.get(Lead, lead_id)
            if job is None or row is None or job.status is not JobStatus.PROCESSING:
                return  # deleted or cancelled meanwhile
            if not self.defects.active(Defect.RESULTS_MISSING):
                row.email_verification = outcome.verification
                row.enrichment_results = outcome.enrichment
                row.email_copy_gen_results = outcome.copy
                row.instantly_lead_record = outcome.record
            job.status = JobStatus.COMPLETED
            job.result = json.dumps(outcome.result)
            job.error = json.dumps(outcome.errors) if outcome.errors else None
            job.completed_at = utcnow()
            if self.defects.active(Defect.ENRICHED_TWICE):
                # A retried commit inserts the completed job a second time (the lead keeps pointing at one).
                s.add(
                    Job(
                        name=job.name,
                        description=job.description,
                        job_type=JobType.ENRICH_LEAD,
                        status=JobStatus.COMPLETED,
                        campaign_id=campaign_id,
                        task_id=str(uuid.uuid4()),
                        result=job.result,
                        completed_at=job.completed_at,
                    )
                )
            s.flush()
            if self.profile.completes_campaigns or self.defects.active(Defect.CAMPAIGN_FAILS):
                complete_if_done(s, campaign_id, self.defects)

    def fail_enrichment(self, job_id: int, error: str) -> None:
        """A PROCESSING job FAILED with ``error`` (a crash in the worker's own code, not a provider)."""
        with self.store.write() as s:
            job = s.get(Job, job_id)
            if job is not None and job.status is JobStatus.PROCESSING:
                job.status = JobStatus.FAILED
                job.error = error
                job.completed_at = utcnow()


def _status_change(campaign: Campaign, message: str) -> rs.StatusChange:
    return rs.StatusChange(
        id=campaign.id, status=campaign.status.value, status_message=campaign.status_message, message=message
    )
