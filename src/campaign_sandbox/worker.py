"""The worker pool: threads that run FETCH_LEADS and ENRICH_LEAD work concurrently (the platform's Celery).

Each task claims its job in one short write transaction, calls the fake providers outside any transaction,
then records the outcome in another. Rows deleted underneath a task (the acceptance suite cleans up by id)
make the task drop quietly.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from campaign_sandbox.breaker import BreakerRegistry, CircuitState, Service, reason_for
from campaign_sandbox.models import Campaign, CampaignStatus, Job, JobStatus, JobType, Lead, utcnow
from campaign_sandbox.profile import Profile
from campaign_sandbox.providers import ProviderError, Providers, ProvidersStopped, RateLimited
from campaign_sandbox.services import ENRICH_ORDER, Task, complete_if_done, set_status
from campaign_sandbox.store import Store

log = logging.getLogger("campaign_sandbox.worker")

_STOP = object()


class WorkerPool:
    """A fixed number of threads draining one unbounded queue (nothing is dropped under load)."""

    def __init__(self, run: Callable[[Task], None], size: int, name: str = "sandbox-worker") -> None:
        self._run = run
        self._queue: queue.Queue[object] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._loop, name=f"{name}-{i}", daemon=True) for i in range(size)
        ]
        self._started = False
        self._stopping = False
        self._outstanding = 0  # submitted and not finished: queued or running
        self._count_lock = threading.Lock()

    def start(self) -> None:
        if not self._started:
            self._started = True
            for t in self._threads:
                t.start()

    def submit(self, task: Task) -> None:
        if not self._stopping:
            with self._count_lock:
                self._outstanding += 1
            self._queue.put(task)

    def pending(self) -> int:
        return self._queue.qsize()

    def idle(self) -> bool:
        """Nothing queued and nothing running: no job can change unless a request submits work."""
        with self._count_lock:
            return self._outstanding == 0

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop taking work and join the threads; returns False if one is still busy after ``timeout``."""
        self._stopping = True
        if not self._started:
            return True
        # Drop queued work: the sandbox is going away, and the rows stay as they are.
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass
        for _ in self._threads:
            self._queue.put(_STOP)
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self._threads)

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            assert isinstance(item, Task)
            try:
                self._run(item)
            except ProvidersStopped:
                return
            except SQLAlchemyError as exc:
                # Typically a row deleted underneath the task, or the database going away at shutdown.
                log.debug("task %s dropped: %s", item, exc)
            except Exception as exc:  # keep the thread alive whatever a task does
                log.warning("task %s failed: %s: %s", item, type(exc).__name__, exc)
            finally:
                # Tasks a task submits are counted before this, so idle() never sees a gap.
                with self._count_lock:
                    self._outstanding -= 1


class Lifecycle:
    """What the worker does for each task kind (contract §4.3, §4.4, with the sandbox's differences)."""

    def __init__(
        self,
        store: Store,
        providers: Providers,
        breakers: BreakerRegistry,
        submit: Callable[[Task], None],
        lead_cap: int | None,
        profile: Profile,
    ) -> None:
        self.store = store
        self.providers = providers
        self.breakers = breakers
        self.submit = submit
        self.lead_cap = lead_cap
        self.profile = profile

    def run(self, task: Task) -> None:
        if task.kind == "fetch" and task.job_id is not None:
            self.fetch(task.job_id, task.campaign_id)
        elif task.kind == "enrich" and task.lead_id is not None:
            self.enrich(task.lead_id, task.campaign_id)

    # -- FETCH_LEADS -------------------------------------------------------------------------------
    def fetch(self, job_id: int, campaign_id: str) -> None:
        waits = self.profile.paused_campaign_work_waits
        with self.store.write() as s:
            job, campaign = s.get(Job, job_id), s.get(Campaign, campaign_id)
            if job is None or campaign is None:
                return  # deleted underneath the task
            # As built, neither the job's nor the campaign's status is checked (contract §4.3 steps 1-2).
            if waits and job.status is not JobStatus.PENDING:
                return  # a duplicate task, or paused by pause-service (resume re-enqueues it)
            if waits and campaign.status in (CampaignStatus.COMPLETED, CampaignStatus.FAILED):
                job.status = JobStatus.CANCELLED
                job.completed_at = utcnow()
                return
            if waits and campaign.status is CampaignStatus.PAUSED:
                _park(job, campaign)
                return
            job.status = JobStatus.PROCESSING
            job.task_id = job.task_id or str(uuid.uuid4())
            count = (
                campaign.totalRecords if self.lead_cap is None else min(campaign.totalRecords, self.lead_cap)
            )
        try:
            records = self.providers.fetch_leads(campaign_id, max(0, count))
        except RateLimited:
            records = []  # as built, an Apollo rate limit is a fetch of 0 leads (quirk 29)
        except ProviderError as exc:
            self._fail_fetch(job_id, campaign_id, str(exc))
            return
        with self.store.write() as s:
            job, campaign = s.get(Job, job_id), s.get(Campaign, campaign_id)
            if job is None or campaign is None:
                return
            created = _save_leads(s, campaign_id, records)
            job.status = JobStatus.COMPLETED
            job.result = f"Successfully fetched {created} leads and queued enrichment tasks"
            job.completed_at = utcnow()
            # As built, this also turns a campaign PAUSED meanwhile back to RUNNING (quirk 14); set_status
            # refuses it for a FAILED or COMPLETED one.
            if not waits or campaign.status in (CampaignStatus.CREATED, CampaignStatus.RUNNING):
                set_status(
                    campaign,
                    CampaignStatus.RUNNING,
                    f"Successfully fetched {created} leads, enrichment in progress",
                )
            # As on the platform: one enrichment per lead of the campaign, POST /leads ones included (as
            # built: none at all when the fetch created no lead, §4.3).
            lead_ids = list(s.scalars(select(Lead.id).where(Lead.campaign_id == campaign_id)))
            if created == 0 and not waits:
                lead_ids = []
            s.flush()
            if self.profile.completes_campaigns:
                complete_if_done(s, campaign_id)
        for lead_id in lead_ids:
            self.submit(Task("enrich", campaign_id, lead_id=lead_id))

    def _fail_fetch(self, job_id: int, campaign_id: str, error: str) -> None:
        with self.store.write() as s:
            job, campaign = s.get(Job, job_id), s.get(Campaign, campaign_id)
            if job is not None:
                job.status = JobStatus.FAILED
                job.error = error
                job.completed_at = utcnow()
            if campaign is not None:
                set_status(campaign, CampaignStatus.FAILED, None, error)

    # -- ENRICH_LEAD -------------------------------------------------------------------------------
    def enrich(self, lead_id: str, campaign_id: str) -> None:
        claimed = self._claim(lead_id, campaign_id)
        if claimed is None:
            return
        job_id, lead, instantly_campaign = claimed
        if not self.profile.step_failure_pauses_job:
            self._enrich_as_built(job_id, lead_id, lead, instantly_campaign)
            return
        step = Service.MILLIONVERIFIER
        try:
            verification = self.providers.verify_email(str(lead["email"]))
            step = Service.PERPLEXITY
            enrichment = self.providers.enrich(lead)
            step = Service.OPENAI
            copy = self.providers.email_copy(lead)
            content = str(copy["choices"][0]["message"]["content"])
            step = Service.INSTANTLY
            record = self.providers.create_lead(lead, instantly_campaign, content)
        except ProviderError as exc:
            # Sandbox difference: the job pauses (the platform completes it with step errors), so resume can
            # finish it and nothing is lost.
            self._pause(job_id, f"Paused due to {step.value} service failure: {exc}")
            return
        result: dict[str, Any] = {
            "email_verification_success": True,
            "enrichment_success": True,
            "email_copy_success": True,
            "instantly_success": True,
            "instantly_result": record,
        }
        with self.store.write() as s:
            job, row = s.get(Job, job_id), s.get(Lead, lead_id)
            if job is None or row is None or job.status is not JobStatus.PROCESSING:
                return  # deleted or cancelled meanwhile
            row.email_verification = verification
            row.enrichment_results = enrichment
            row.email_copy_gen_results = copy
            row.instantly_lead_record = record
            job.status = JobStatus.COMPLETED
            job.result = json.dumps(result)
            job.error = None
            job.completed_at = utcnow()
            s.flush()
            if self.profile.completes_campaigns:
                complete_if_done(s, campaign_id)

    def _enrich_as_built(
        self, job_id: int, lead_id: str, lead: dict[str, Any], instantly_campaign: str | None
    ) -> None:
        """``enrich_lead_task`` as built (contract §4.4 steps 4-8): step errors, then COMPLETED."""
        errors: dict[str, str] = {}
        verification = self.providers.verify_email(str(lead["email"]))  # an in-process stub: never fails
        enrichment: dict[str, Any] | None
        try:
            enrichment = self.providers.enrich(lead)
        except RateLimited as exc:
            self._pause(job_id, f"Paused due to Perplexity rate limit: {exc}")
            return
        except ProviderError as exc:  # returned as {'error': ...} on the platform (and counted a success)
            enrichment, errors["enrichment"] = {"error": str(exc)}, str(exc)
        copy: dict[str, Any] | None = None
        if "enrichment" in errors:
            errors["email_copy"] = "Skipped due to enrichment failure"
        else:
            allowed, reason = self.breakers[Service.OPENAI].allow()
            if not allowed:
                self._pause(
                    job_id,
                    f"Paused due to OpenAI circuit breaker: OpenAI API circuit breaker is open: {reason}",
                )
                return
            try:
                copy = self.providers.email_copy(lead)
            except RateLimited as exc:
                errors["email_copy"] = str(exc)
            except ProviderError:
                pass  # the recorded sample has no email_copy entry for a failed OpenAI call
        missing = [
            name
            for name, value in (("email", lead["email"]), ("first_name", lead["first_name"]))
            if not value
        ]
        if copy is None:
            missing.append("email_copy_gen_results")
        record: dict[str, Any]
        if missing:
            text = (
                f"Skipping Instantly lead creation for lead {lead_id} "
                f"due to missing fields: {', '.join(missing)}"
            )
            record, errors["instantly"] = {"error": text}, text
        else:
            assert copy is not None
            try:
                record = self.providers.create_lead(
                    lead, instantly_campaign, str(copy["choices"][0]["message"]["content"])
                )
            except ProviderError as exc:
                payload = {"campaign": instantly_campaign, "email": lead["email"]}
                record = {"error": str(exc), "payload": payload}
                errors["instantly"] = str(exc)
        result: dict[str, Any] = {
            "email_verification_success": True,
            "enrichment_success": "enrichment" not in errors,
            "email_copy_success": copy is not None,
            "instantly_success": "instantly" not in errors,
        }
        if "instantly" not in errors:
            result["instantly_result"] = record
        with self.store.write() as s:
            job, row = s.get(Job, job_id), s.get(Lead, lead_id)
            if job is None or row is None or job.status is not JobStatus.PROCESSING:
                return  # deleted or cancelled meanwhile
            row.email_verification = verification
            row.enrichment_results = enrichment
            row.email_copy_gen_results = copy
            row.instantly_lead_record = record
            job.status = JobStatus.COMPLETED
            job.result = json.dumps(result)
            job.error = json.dumps(errors) if errors else None
            job.completed_at = utcnow()

    def _pause(self, job_id: int, error: str) -> None:
        with self.store.write() as s:
            job = s.get(Job, job_id)
            if job is not None and job.status is JobStatus.PROCESSING:
                job.status = JobStatus.PAUSED
                job.error = error
                job.completed_at = utcnow()

    def _claim(self, lead_id: str, campaign_id: str) -> tuple[int, dict[str, Any], str | None] | None:
        """Create or reuse the lead's one job and mark it PROCESSING; None when there is nothing to do."""
        with self.store.write() as s:
            lead, campaign = s.get(Lead, lead_id), s.get(Campaign, campaign_id)
            if lead is None or campaign is None:
                return None
            waits = self.profile.paused_campaign_work_waits
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
            for service in ENRICH_ORDER:
                if self.breakers[service].state is CircuitState.OPEN:
                    job.status = JobStatus.PAUSED
                    job.error = (
                        f"Job paused: Required service {service.value} unavailable: "
                        f"{reason_for(service, CircuitState.OPEN)}"
                    )
                    job.completed_at = utcnow()
                    return None
            if waits and campaign.status is CampaignStatus.PAUSED:
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
            return job.id, snapshot, campaign.instantly_campaign_id


def _park(job: Job, campaign: Campaign) -> None:
    # Sandbox difference: work of a PAUSED campaign waits for its resume instead of running on. The
    # campaign's pause message goes into the error so that a service pause's parked jobs name the service
    # (paused_jobs_by_service, /paused-jobs/{service} and resume-service match on it).
    job.status = JobStatus.PAUSED
    job.error = f"Job paused: campaign {campaign.id} is PAUSED ({campaign.status_message or 'no message'})"
    job.completed_at = utcnow()


def _save_leads(s: Any, campaign_id: str, records: list[dict[str, Any]]) -> int:
    """The platform's save: skip records without email and emails already stored anywhere."""
    emails = [str(r.get("email") or "").strip() for r in records]
    wanted = [e for e in emails if e]
    existing = (
        {e.lower() for e in s.scalars(select(Lead.email).where(Lead.email.in_(wanted)))} if wanted else set()
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
