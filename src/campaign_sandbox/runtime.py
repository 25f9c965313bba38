"""One running sandbox: database, breakers, faults, providers, the domain layer over them, and workers."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from campaign_sandbox.breaker import BreakerConfig, BreakerRegistry, CircuitState, Transition
from campaign_sandbox.core.config import SandboxSettings
from campaign_sandbox.defects import Defect, Defects
from campaign_sandbox.domain import Domain, Task
from campaign_sandbox.providers import FaultRegistry, Providers
from campaign_sandbox.store import Store
from campaign_sandbox.worker import Lifecycle, WorkerPool

log = logging.getLogger("campaign_sandbox")


class SandboxRuntime:
    """Everything one sandbox instance owns. ``start()`` runs the workers, ``close()`` stops them."""

    def __init__(self, settings: SandboxSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.profile = settings.behaviour()
        self.defects = Defects(settings.defects)
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
            defects=self.defects,
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
            defects=self.defects,
        )
        self.domain = Domain(
            self.store,
            self.breakers,
            self.providers,
            self.profile,
            self.submit,
            lead_cap=settings.lead_cap,
            secret_key=settings.secret_key,
            defects=self.defects,
        )
        self.lifecycle = Lifecycle(self.domain, self.providers)
        self.pool = WorkerPool(self.lifecycle.run, settings.workers)
        self._closed = False

    def start(self) -> None:
        self.pool.start()

    def submit(self, task: Task) -> None:
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
            automatic = not t.metadata.get("manual_pause")
            if automatic and self.defects.active(Defect.TRIP_PAUSES_NOTHING):
                log.warning("breaker %s opened; campaign pause handler did nothing", t.service.value)
                return
            if automatic and not self.profile.trip_pauses_campaigns:
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
            paused = self.domain.pause_running(detail)
            log.info("breaker %s opened; %d campaigns paused", t.service.value, paused)
        elif t.new is CircuitState.CLOSED and self.domain.redispatches:
            self.domain.requeue_running()
