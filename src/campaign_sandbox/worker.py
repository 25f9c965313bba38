"""The worker pool: threads that run FETCH_LEADS and ENRICH_LEAD work concurrently (the platform's Celery).

Each task claims its job through the domain layer (one short write transaction), calls the fake providers
outside any transaction, then records the outcome through the domain layer again: the worker changes no row
itself. Rows deleted underneath a task (the acceptance suite cleans up by id)
make the task drop quietly.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from campaign_common.waiting import Deadline
from campaign_sandbox.breaker import Service
from campaign_sandbox.defects import Defect
from campaign_sandbox.domain import Domain, Enrichment, Task
from campaign_sandbox.providers import ProviderError, Providers, ProvidersStopped, RateLimited

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
        deadline = Deadline.after(timeout)  # one for all the threads, not one each
        for t in self._threads:
            t.join(max(0.0, deadline.remaining()))
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
    """What the worker does for each task kind: the provider calls between the domain's steps."""

    def __init__(self, domain: Domain, providers: Providers) -> None:
        self.domain = domain
        self.providers = providers
        self.profile = domain.profile
        self.defects = domain.defects

    def run(self, task: Task) -> None:
        if task.kind == "fetch" and task.job_id is not None:
            self.fetch(task.job_id, task.campaign_id)
        elif task.kind == "enrich" and task.lead_id is not None:
            self.enrich(task.lead_id, task.campaign_id)

    # -- FETCH_LEADS -------------------------------------------------------------------------------
    def fetch(self, job_id: int, campaign_id: str) -> None:
        count = self.domain.claim_fetch(job_id, campaign_id)
        if count is None:
            return
        try:
            records = self.providers.fetch_leads(campaign_id, count)
        except RateLimited:
            records = []  # as built, an Apollo rate limit is a fetch of 0 leads (quirk 29)
        except ProviderError as exc:
            self.domain.fail_fetch(job_id, campaign_id, str(exc))
            return
        self.domain.finish_fetch(job_id, campaign_id, records)

    # -- ENRICH_LEAD -------------------------------------------------------------------------------
    def enrich(self, lead_id: str, campaign_id: str) -> None:
        claim = self.domain.claim_enrichment(lead_id, campaign_id)
        if claim is None:
            return
        if self.defects.active(Defect.ENRICHMENT_FAILS) and claim.lead.get("title") == "CTO":
            # A bug of the worker's own code, not a provider failure: no breaker hears of it.
            self.domain.fail_enrichment(claim.job_id, "email copy failed: KeyError: 'CTO' (no prompt for it)")
            return
        if self.profile.step_failure_pauses_job:
            outcome = self._enrich(claim.job_id, claim.lead, claim.instantly_campaign_id)
        else:
            outcome = self._enrich_as_built(claim.job_id, lead_id, claim.lead, claim.instantly_campaign_id)
        if outcome is not None and not self.defects.active(Defect.JOBS_NEVER_FINISH):
            self.domain.finish_enrichment(claim.job_id, lead_id, campaign_id, outcome)

    def _enrich(self, job_id: int, lead: dict[str, Any], instantly_campaign: str | None) -> Enrichment | None:
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
            self.domain.pause_job(job_id, f"Paused due to {step.value} service failure: {exc}")
            return None
        result: dict[str, Any] = {
            "email_verification_success": True,
            "enrichment_success": True,
            "email_copy_success": True,
            "instantly_success": True,
            "instantly_result": record,
        }
        return Enrichment(verification, enrichment, copy, record, result, errors={})

    def _enrich_as_built(
        self, job_id: int, lead_id: str, lead: dict[str, Any], instantly_campaign: str | None
    ) -> Enrichment | None:
        """``enrich_lead_task`` as built (contract §4.4 steps 4-8): step errors, then COMPLETED."""
        errors: dict[str, str] = {}
        verification = self.providers.verify_email(str(lead["email"]))  # an in-process stub: never fails
        enrichment: dict[str, Any] | None
        try:
            enrichment = self.providers.enrich(lead)
        except RateLimited as exc:
            self.domain.pause_job(job_id, f"Paused due to Perplexity rate limit: {exc}")
            return None
        except ProviderError as exc:  # returned as {'error': ...} on the platform (and counted a success)
            enrichment, errors["enrichment"] = {"error": str(exc)}, str(exc)
        copy: dict[str, Any] | None = None
        if "enrichment" in errors:
            errors["email_copy"] = "Skipped due to enrichment failure"
        else:
            allowed, reason = self.domain.breakers[Service.OPENAI].allow()
            if not allowed:
                self.domain.pause_job(
                    job_id,
                    f"Paused due to OpenAI circuit breaker: OpenAI API circuit breaker is open: {reason}",
                )
                return None
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
        return Enrichment(verification, enrichment, copy, record, result, errors)
