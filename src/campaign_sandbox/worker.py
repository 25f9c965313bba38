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
from campaign_sandbox.providers import ProviderError, Providers, ProvidersStopped
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

    def start(self) -> None:
        if not self._started:
            self._started = True
            for t in self._threads:
                t.start()

    def submit(self, task: Task) -> None:
        if not self._stopping:
            self._queue.put(task)

    def pending(self) -> int:
        return self._queue.qsize()

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


class Lifecycle:
    """What the worker does for each task kind (contract §4.3, §4.4, with the sandbox's differences)."""

    def __init__(
        self,
        store: Store,
        providers: Providers,
        breakers: BreakerRegistry,
        submit: Callable[[Task], None],
        lead_cap: int | None,
    ) -> None:
        self.store = store
        self.providers = providers
        self.breakers = breakers
        self.submit = submit
        self.lead_cap = lead_cap

    def run(self, task: Task) -> None:
        if task.kind == "fetch" and task.job_id is not None:
            self.fetch(task.job_id, task.campaign_id)
        elif task.kind == "enrich" and task.lead_id is not None:
            self.enrich(task.lead_id, task.campaign_id)

    # -- FETCH_LEADS -------------------------------------------------------------------------------
    def fetch(self, job_id: int, campaign_id: str) -> None:
        with self.store.write() as s:
            job, campaign = s.get(Job, job_id), s.get(Campaign, campaign_id)
            if job is None or campaign is None or job.status is not JobStatus.PENDING:
                return  # deleted, or a duplicate task, or paused by pause-service (resume re-enqueues it)
            if campaign.status in (CampaignStatus.COMPLETED, CampaignStatus.FAILED):
                job.status = JobStatus.CANCELLED
                job.completed_at = utcnow()
                return
            if campaign.status is CampaignStatus.PAUSED:
                _park(job, campaign)
                return
            job.status = JobStatus.PROCESSING
            job.task_id = job.task_id or str(uuid.uuid4())
            count = (
                campaign.totalRecords if self.lead_cap is None else min(campaign.totalRecords, self.lead_cap)
            )
        try:
            records = self.providers.fetch_leads(campaign_id, max(0, count))
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
            if campaign.status in (CampaignStatus.CREATED, CampaignStatus.RUNNING):
                set_status(
                    campaign,
                    CampaignStatus.RUNNING,
                    f"Successfully fetched {created} leads, enrichment in progress",
                )
            # As on the platform: one enrichment per lead of the campaign, POST /leads ones included.
            lead_ids = list(s.scalars(select(Lead.id).where(Lead.campaign_id == campaign_id)))
            s.flush()
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
            with self.store.write() as s:
                job = s.get(Job, job_id)
                if job is not None and job.status is JobStatus.PROCESSING:
                    job.status = JobStatus.PAUSED
                    job.error = f"Paused due to {step.value} service failure: {exc}"
                    job.completed_at = utcnow()
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
            complete_if_done(s, campaign_id)

    def _claim(self, lead_id: str, campaign_id: str) -> tuple[int, dict[str, Any], str | None] | None:
        """Create or reuse the lead's one job and mark it PROCESSING; None when there is nothing to do."""
        with self.store.write() as s:
            lead, campaign = s.get(Lead, lead_id), s.get(Campaign, campaign_id)
            if lead is None or campaign is None:
                return None
            if campaign.status in (CampaignStatus.COMPLETED, CampaignStatus.FAILED):
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
            if campaign.status is CampaignStatus.PAUSED:
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
