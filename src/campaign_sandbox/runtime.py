"""One running sandbox: database, breakers, faults, providers, workers, and the operations spanning them."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import select

from campaign_sandbox.breaker import (
    SERVICES,
    BreakerConfig,
    BreakerRegistry,
    CircuitState,
    Service,
    Transition,
)
from campaign_sandbox.core.config import SandboxSettings
from campaign_sandbox.models import Campaign, CampaignStatus, Job, JobStatus
from campaign_sandbox.providers import FaultRegistry, Providers
from campaign_sandbox.services import (
    JOB_TYPES_BY_SERVICE,
    Task,
    complete_if_done,
    pause_running_campaigns,
    requeue_campaign_work,
    resume_block_reason,
    set_status,
)
from campaign_sandbox.store import Store
from campaign_sandbox.worker import Lifecycle, WorkerPool

log = logging.getLogger("campaign_sandbox")


class SandboxRuntime:
    """Everything one sandbox instance owns. ``start()`` runs the workers, ``close()`` stops them."""

    def __init__(self, settings: SandboxSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.profile = settings.behaviour()
        self.store = Store(settings.database_url)
        try:
            self.store.create_all()
        except Exception:
            self.store.dispose()
            raise
        self.breakers = BreakerRegistry(
            BreakerConfig(
                failure_threshold=settings.breaker_failure_threshold,
                failure_window_s=settings.breaker_failure_window_s,
                recovery_timeout_s=settings.breaker_recovery_timeout_s,
                success_threshold=settings.breaker_success_threshold,
                half_open_reopens_on_any_failure=self.profile.half_open_reopens_on_any_failure,
                **(
                    {
                        # Redis TTLs as built (§5.1): the state key lives 2 x window, failures 1 x window.
                        "state_ttl_s": 2 * settings.breaker_failure_window_s,
                        "failures_ttl_s": settings.breaker_failure_window_s,
                        "pause_info_ttl_s": settings.breaker_pause_info_ttl_s,
                    }
                    if self.profile.breaker_keys_expire
                    else {}
                ),
            ),
            clock,
        )
        self.breakers.set_listener(self._on_transition)
        self.faults = FaultRegistry()
        self.stop_event = threading.Event()
        self.providers = Providers(
            self.faults,
            self.breakers,
            latency_s=settings.provider_latency_ms / 1000,
            fetch_latency_s=settings.fetch_latency_ms / 1000,
            hang_timeout_s=settings.hang_timeout_s,
            slow_delay_s=settings.slow_delay_ms / 1000,
            stop=self.stop_event,
            profile=self.profile,
            clock=clock,
        )
        self.lifecycle = Lifecycle(
            self.store, self.providers, self.breakers, self.submit, settings.lead_cap, self.profile
        )
        self.pool = WorkerPool(self.lifecycle.run, settings.workers)
        self._closed = False

    def start(self) -> None:
        self.pool.start()

    def submit(self, task: Task) -> None:
        self.pool.submit(task)

    def submit_all(self, tasks: list[Task]) -> None:
        for task in tasks:
            self.pool.submit(task)

    def close(self, timeout: float = 10.0) -> bool:
        """Stop the workers (interrupting provider calls) and release the database; idempotent."""
        if self._closed:
            return True
        self._closed = True
        self.stop_event.set()
        joined = self.pool.stop(timeout)
        self.store.dispose()
        return joined

    # -- breaker events ----------------------------------------------------------------------------
    def _on_transition(self, t: Transition) -> None:
        """Runs synchronously in the call that changed the breaker (the platform fires and forgets)."""
        if t.new is CircuitState.OPEN:
            if not t.metadata.get("manual_pause") and not self.profile.trip_pauses_campaigns:
                # As built, the worker's campaign-pause handler dies on a missing import (measured).
                log.warning(
                    "breaker %s opened; campaign pause handler failed: name 'asyncio' is not defined",
                    t.service.value,
                )
                return
            if t.metadata.get("manual_pause"):
                detail = f"Service {t.service.value} unavailable: {t.metadata.get('reason')}"
            else:
                detail = (
                    f"Service {t.service.value} unavailable: Circuit breaker opened for {t.service.value}: "
                    f"{t.metadata.get('last_error')} (failures: {t.metadata.get('failure_count')}) "
                    f"(type: {t.metadata.get('error_type')})"
                )
            with self.store.write() as s:
                paused = pause_running_campaigns(s, detail)
            log.info("breaker %s opened; %d campaigns paused", t.service.value, paused)
        elif t.new is CircuitState.CLOSED and self.profile.resume_redispatches:
            # Work parked by the gate of a campaign that kept running can go on now.
            with self.store.write() as s:
                tasks: list[Task] = []
                for c in s.scalars(select(Campaign).where(Campaign.status == CampaignStatus.RUNNING)):
                    tasks += requeue_campaign_work(s, c.id)
            self.submit_all(tasks)

    # -- operations spanning breakers, rows and workers --------------------------------------------
    def pause_service(self, service: Service, reason: str) -> tuple[int, int]:
        """POST /queue-management/pause-service: open by hand, pause PENDING jobs and RUNNING campaigns."""
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
            campaigns = pause_running_campaigns(s, f"Service {service.value} unavailable: {reason}")
        return len(jobs), campaigns

    def resume_service(self, service: Service) -> tuple[int, int, int]:
        """POST /queue-management/resume-service → (jobs_resumed, campaigns_eligible, campaigns_resumed)."""
        self.breakers[service].force_close(notify=False)
        tasks: list[Task] = []
        with self.store.write() as s:
            jobs = [
                j
                for j in s.scalars(select(Job).where(Job.status == JobStatus.PAUSED)).all()
                if service.value in (j.error or "")
            ]
            for job in jobs:
                job.status = JobStatus.PENDING
                job.error = None
            eligible = [
                c
                for c in s.scalars(select(Campaign).where(Campaign.status == CampaignStatus.PAUSED)).all()
                if service.value in (c.status_message or "").lower()
            ]
            resumed = 0
            if all(self.breakers[x].allow()[0] for x in SERVICES):
                for c in eligible:
                    self._resume_row(c)
                    resumed += 1
            s.flush()
            # As built, nothing is re-dispatched: the jobs stay PENDING (quirk 15).
            touched = {j.campaign_id for j in jobs} | {c.id for c in eligible}
            for cid in touched if self.profile.resume_redispatches else ():
                row = s.get(Campaign, cid) if cid else None
                if row is not None and row.status is CampaignStatus.RUNNING:
                    tasks += requeue_campaign_work(s, row.id)
                    complete_if_done(s, row.id)
        self.submit_all(tasks)
        return len(jobs), len(eligible), resumed

    def resume_campaign(self, campaign_id: str) -> Campaign:
        """POST /campaigns/{id}/resume after its checks: RUNNING again, its paused work re-enqueued."""
        with self.store.write() as s:
            c = s.get(Campaign, campaign_id)
            if c is None:
                raise LookupError(campaign_id)
            if c.status is not CampaignStatus.PAUSED:
                raise ValueError(
                    f"Cannot resume campaign in {c.status.value} status. "
                    "Only paused campaigns can be resumed."
                )
            blocked = resume_block_reason(self.breakers)
            if blocked:
                raise ValueError(blocked)
            self._resume_row(c)
            s.flush()
            tasks: list[Task] = []
            # As built, the campaign is RUNNING again with nothing to drive it (§1.4, quirk 15).
            if self.profile.resume_redispatches:
                tasks = requeue_campaign_work(s, c.id)
                complete_if_done(s, c.id)
        self.submit_all(tasks)
        return c

    def resume_campaigns_for_service(self, service: Service) -> tuple[int, int]:
        with self.store.read() as s:
            eligible = [
                c.id
                for c in s.scalars(select(Campaign).where(Campaign.status == CampaignStatus.PAUSED)).all()
                if service.value in (c.status_message or "").lower()
            ]
        resumed = 0
        if self.breakers[service].allow()[0]:
            for cid in eligible:
                try:
                    self.resume_campaign(cid)
                    resumed += 1
                except (LookupError, ValueError):
                    pass  # the platform swallows these too
        return len(eligible), resumed

    @staticmethod
    def _resume_row(c: Campaign) -> None:
        # status_error is kept, as on the platform (quirk 13).
        set_status(c, CampaignStatus.RUNNING, "Campaign resumed - services are available")
