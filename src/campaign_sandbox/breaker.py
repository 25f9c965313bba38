"""Circuit breakers with the platform's semantics (contract §5.1), an injectable clock and in-memory state.

closed → open after ``threshold`` failures within ``window`` seconds (a success in closed forgets them);
open → half_open once ``recovery`` seconds have passed, noticed on the next read as on the platform;
half_open → closed after ``successes`` successes, → open on any failure. Manual pause/resume open and close
by hand.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from campaign_sandbox.defects import NONE, Defect, Defects


class Service(enum.StrEnum):
    """ThirdPartyService, in the platform's declaration order."""

    PERPLEXITY = "perplexity"
    OPENAI = "openai"
    APOLLO = "apollo"
    INSTANTLY = "instantly"
    MILLIONVERIFIER = "millionverifier"


SERVICES: tuple[Service, ...] = tuple(Service)


class CircuitState(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


def reason_for(service: Service, state: CircuitState) -> str:
    """The platform's reason strings, enum repr included (Python 3.11 f-string of a str enum)."""
    label = f"ThirdPartyService.{service.name}"
    if state is CircuitState.OPEN:
        return f"Circuit breaker OPEN for {label} - service unavailable"
    if state is CircuitState.HALF_OPEN:
        return f"Circuit breaker HALF_OPEN for {label} - testing recovery"
    return f"Circuit breaker CLOSED for {label} - normal operation"


@dataclass(frozen=True)
class BreakerConfig:
    failure_threshold: int = 5
    failure_window_s: float = 300.0
    recovery_timeout_s: float = 60.0
    success_threshold: int = 3
    # False (as built): in half_open a failure re-opens only through the threshold, counting the failures
    # still in the window (which usually makes one enough, quirk 24).
    half_open_reopens_on_any_failure: bool = True
    # Redis key lifetimes as built (contract §5.1); None = state lives until changed.
    state_ttl_s: float | None = None  # open/half_open → closed silently this long after the last write
    failures_ttl_s: float | None = None  # the failure set goes this long after the last failure
    pause_info_ttl_s: float | None = None  # queue_paused/pause_info go this long after the opening


@dataclass(frozen=True)
class Transition:
    """A state change, handed to the listener after the breaker's lock is released."""

    service: Service
    old: CircuitState
    new: CircuitState
    metadata: dict[str, Any] = field(default_factory=dict)


Listener = Callable[[Transition], None]


def _naive_utc_iso() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat()


class CircuitBreaker:
    """One service's breaker. Thread-safe; ``clock`` returns seconds (monotonic in production)."""

    def __init__(
        self,
        service: Service,
        config: BreakerConfig,
        clock: Callable[[], float],
        listener: Listener | None = None,
        wall_clock: Callable[[], str] = _naive_utc_iso,
        defects: Defects = NONE,
    ) -> None:
        self.service = service
        self._defects = defects
        self.config = config
        self._clock = clock
        self._wall = wall_clock
        self._listener = listener
        self._lock = threading.Lock()
        self._state = CircuitState.CLOSED
        self._opened_at: float | None = None
        self._failures: list[float] = []
        self._successes = 0
        self._metadata: dict[str, Any] = {}
        self._pause_info: dict[str, Any] | None = None
        self._state_written_at = 0.0
        self._pause_written_at = 0.0

    # -- reads -------------------------------------------------------------------------------------
    def _current(self) -> CircuitState:
        now = self._clock()
        self._expire(now)
        # The platform flips an old OPEN to HALF_OPEN as a side effect of reading it, without any event.
        if (
            self._state is CircuitState.OPEN
            and self._opened_at is not None
            and now >= self._opened_at + self.config.recovery_timeout_s
        ):
            self._state = CircuitState.HALF_OPEN
            self._opened_at = None
            self._metadata = {}
            self._successes = 0
            self._state_written_at = now
        return self._state

    def _expire(self, now: float) -> None:
        """Keys that Redis would have dropped by now (only with the as-built TTLs configured)."""
        cfg = self.config
        if (
            cfg.state_ttl_s is not None
            and self._state is not CircuitState.CLOSED
            and now >= self._state_written_at + cfg.state_ttl_s
        ):
            # No event, and queue_paused stays (it has its own, longer TTL): quirk 22.
            self._state = CircuitState.CLOSED
            self._opened_at = None
            self._metadata = {}
            self._successes = 0
        last_failure = self._failures[-1] if self._failures else None
        if (
            cfg.failures_ttl_s is not None
            and last_failure is not None
            and now >= last_failure + cfg.failures_ttl_s
        ):
            self._failures.clear()
        if (
            cfg.pause_info_ttl_s is not None
            and self._pause_info is not None
            and now >= self._pause_written_at + cfg.pause_info_ttl_s
        ):
            self._pause_info = None

    @property
    def state(self) -> CircuitState:
        with self._lock:
            return self._current()

    def allow(self) -> tuple[bool, str]:
        """``should_allow_request``: only OPEN refuses; HALF_OPEN lets everything through."""
        state = self.state
        return state is not CircuitState.OPEN, reason_for(self.service, state)

    def status(self) -> dict[str, Any]:
        """The per-service entry of ``/queue-management/status``."""
        with self._lock:
            state = self._current()
            return {
                "circuit_state": state.value,
                "queue_paused": self._pause_info is not None,
                "pause_info": dict(self._pause_info) if self._pause_info else None,
                "failure_count": len(self._failures),
                "failure_threshold": self.config.failure_threshold,
            }

    @property
    def metadata(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._metadata)

    # -- writes ------------------------------------------------------------------------------------
    def record_failure(self, error: str, error_type: str = "exception") -> bool:
        """Count a failure; returns True when the circuit is open afterwards."""
        with self._lock:
            state = self._current()
            if state is CircuitState.OPEN:
                return True
            now = self._clock()
            self._failures.append(now)
            self._failures = [t for t in self._failures if t > now - self.config.failure_window_s]
            count = len(self._failures)
            reopens = state is CircuitState.HALF_OPEN and self.config.half_open_reopens_on_any_failure
            threshold: float = self.config.failure_threshold
            if self._defects.active(Defect.BREAKER_NEVER_OPENS):
                threshold, reopens = self.config.failure_window_s, False  # the wrong setting compared
            if reopens or count >= threshold:
                transition = self._open_locked(
                    {"last_error": error, "error_type": error_type, "failure_count": count}
                )
            else:
                return False
        self._notify(transition)
        return True

    def record_success(self) -> None:
        transition: Transition | None = None
        with self._lock:
            state = self._current()
            if state is CircuitState.CLOSED:
                self._failures.clear()
            elif state is CircuitState.HALF_OPEN:
                self._successes += 1
                if self._successes >= self.config.success_threshold:
                    transition = self._close_locked()
        if transition is not None:
            self._notify(transition)

    def force_open(self, reason: str, *, notify: bool = True) -> None:
        """Manual pause (``manually_pause_service``)."""
        with self._lock:
            transition = self._open_locked({"manual_pause": True, "reason": reason})
        if notify:
            self._notify(transition)

    def force_close(self, *, notify: bool = True) -> None:
        """Manual resume (``manually_resume_service``): closed, failures forgotten."""
        with self._lock:
            transition = self._close_locked()
        if notify:
            self._notify(transition)

    def _open_locked(self, metadata: dict[str, Any]) -> Transition:
        old = self._current()
        self._state = CircuitState.OPEN
        self._opened_at = self._state_written_at = self._pause_written_at = self._clock()
        self._metadata = metadata
        self._successes = 0
        self._pause_info = {
            "paused_at": self._wall(),
            "service": self.service.value,
            "reason": "circuit_breaker_open",
        }
        return Transition(self.service, old, CircuitState.OPEN, dict(metadata))

    def _close_locked(self) -> Transition:
        old = self._current()
        self._state = CircuitState.CLOSED
        self._opened_at = None
        self._state_written_at = self._clock()
        self._metadata = {}
        self._failures.clear()
        self._successes = 0
        self._pause_info = None
        return Transition(self.service, old, CircuitState.CLOSED)

    def _notify(self, transition: Transition) -> None:
        if self._listener is not None and transition.old is not transition.new:
            self._listener(transition)


class BreakerRegistry:
    """The five breakers, in enum order, sharing one config, clock and listener."""

    def __init__(
        self,
        config: BreakerConfig,
        clock: Callable[[], float],
        listener: Listener | None = None,
        wall_clock: Callable[[], str] = _naive_utc_iso,
        defects: Defects = NONE,
    ) -> None:
        self.config = config
        self._breakers = {
            s: CircuitBreaker(s, config, clock, self._dispatch, wall_clock, defects) for s in SERVICES
        }
        self._listener = listener

    def set_listener(self, listener: Listener | None) -> None:
        self._listener = listener

    def _dispatch(self, transition: Transition) -> None:
        if self._listener is not None:
            self._listener(transition)

    def __getitem__(self, service: Service) -> CircuitBreaker:
        return self._breakers[service]

    def status(self) -> dict[str, dict[str, Any]]:
        return {s.value: self._breakers[s].status() for s in SERVICES}

    def open_services(self, services: tuple[Service, ...] = SERVICES) -> list[Service]:
        return [s for s in services if self._breakers[s].state is CircuitState.OPEN]
