"""The circuit breaker with a fake clock: every legal transition and the platform's texts."""

from __future__ import annotations

import pytest

from campaign_sandbox.breaker import (
    BreakerConfig,
    BreakerRegistry,
    CircuitBreaker,
    CircuitState,
    Service,
    Transition,
    reason_for,
)
from support.clocks import FakeClock

CLOSED_STATUS = {
    "circuit_state": "closed",
    "queue_paused": False,
    "pause_info": None,
    "failure_count": 0,
    "failure_threshold": 5,
}


CONFIG = BreakerConfig(failure_threshold=5, failure_window_s=300, recovery_timeout_s=60, success_threshold=3)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def events() -> list[Transition]:
    return []


@pytest.fixture
def breaker(clock: FakeClock, events: list[Transition]) -> CircuitBreaker:
    return CircuitBreaker(
        Service.OPENAI, CONFIG, clock.now, events.append, wall_clock=lambda: "2026-01-01T00:00:00"
    )


def trip(breaker: CircuitBreaker, n: int = 5) -> None:
    for i in range(n):
        breaker.record_failure(f"boom {i}", "exception")


def test_fresh_breaker_is_closed_and_allows(breaker: CircuitBreaker) -> None:
    assert breaker.state is CircuitState.CLOSED
    assert breaker.allow() == (True, "Circuit breaker CLOSED for ThirdPartyService.OPENAI - normal operation")
    assert breaker.status() == CLOSED_STATUS


def test_closed_to_open_after_threshold_failures(breaker: CircuitBreaker, events: list[Transition]) -> None:
    trip(breaker, 4)
    assert breaker.state is CircuitState.CLOSED
    assert breaker.status()["failure_count"] == 4
    assert breaker.record_failure("last straw", "rate_limit") is True
    assert breaker.state is CircuitState.OPEN
    assert breaker.allow() == (
        False,
        "Circuit breaker OPEN for ThirdPartyService.OPENAI - service unavailable",
    )
    assert events == [
        Transition(
            Service.OPENAI,
            CircuitState.CLOSED,
            CircuitState.OPEN,
            {"last_error": "last straw", "error_type": "rate_limit", "failure_count": 5},
        )
    ]
    assert breaker.status() == {
        "circuit_state": "open",
        "queue_paused": True,
        "pause_info": {
            "paused_at": "2026-01-01T00:00:00",
            "service": "openai",
            "reason": "circuit_breaker_open",
        },
        "failure_count": 5,
        "failure_threshold": 5,
    }


def test_failures_outside_the_window_do_not_count(breaker: CircuitBreaker, clock: FakeClock) -> None:
    trip(breaker, 4)
    clock.t += 301
    breaker.record_failure("late", "exception")
    assert breaker.state is CircuitState.CLOSED
    assert breaker.status()["failure_count"] == 1


def test_a_success_in_closed_forgets_the_failures(breaker: CircuitBreaker) -> None:
    trip(breaker, 4)
    breaker.record_success()
    trip(breaker, 4)
    assert breaker.state is CircuitState.CLOSED


def test_open_ignores_more_failures_and_successes(breaker: CircuitBreaker, events: list[Transition]) -> None:
    trip(breaker)
    breaker.record_failure("again", "exception")
    breaker.record_success()
    assert breaker.state is CircuitState.OPEN
    assert breaker.status()["failure_count"] == 5
    assert len(events) == 1


def test_open_to_half_open_after_recovery_on_read(breaker: CircuitBreaker, clock: FakeClock) -> None:
    trip(breaker)
    clock.t += 59.9
    assert breaker.state is CircuitState.OPEN
    clock.t += 0.1
    status = breaker.status()
    assert status["circuit_state"] == "half_open"
    # As on the platform, the pause info outlives the open state until the circuit closes.
    assert status["queue_paused"] is True
    assert breaker.allow() == (True, reason_for(Service.OPENAI, CircuitState.HALF_OPEN))
    assert "HALF_OPEN" in breaker.allow()[1]


def test_half_open_to_closed_after_enough_successes(
    breaker: CircuitBreaker, clock: FakeClock, events: list[Transition]
) -> None:
    trip(breaker)
    clock.t += 60
    breaker.record_success()
    breaker.record_success()
    assert breaker.state is CircuitState.HALF_OPEN
    breaker.record_success()
    assert breaker.state is CircuitState.CLOSED
    assert events[-1] == Transition(Service.OPENAI, CircuitState.HALF_OPEN, CircuitState.CLOSED)
    assert breaker.status() == CLOSED_STATUS


def test_half_open_to_open_on_a_single_failure(
    breaker: CircuitBreaker, clock: FakeClock, events: list[Transition]
) -> None:
    trip(breaker)
    clock.t += 60
    breaker.record_success()
    breaker.record_failure("still down", "exception")
    assert breaker.state is CircuitState.OPEN
    assert events[-1].old is CircuitState.HALF_OPEN
    assert events[-1].new is CircuitState.OPEN
    # The success count starts again after the next recovery.
    clock.t += 60
    breaker.record_success()
    breaker.record_success()
    assert breaker.state is CircuitState.HALF_OPEN


def test_manual_pause_opens_and_times_out_to_half_open(
    breaker: CircuitBreaker, clock: FakeClock, events: list[Transition]
) -> None:
    breaker.force_open("maintenance")
    assert breaker.state is CircuitState.OPEN
    assert events[-1].metadata == {"manual_pause": True, "reason": "maintenance"}
    assert breaker.status()["failure_count"] == 0
    clock.t += 60
    assert breaker.state is CircuitState.HALF_OPEN


def test_manual_resume_closes_from_open_and_forgets_failures(
    breaker: CircuitBreaker, events: list[Transition]
) -> None:
    trip(breaker)
    breaker.force_close()
    assert breaker.state is CircuitState.CLOSED
    assert breaker.status()["failure_count"] == 0
    assert breaker.status()["pause_info"] is None
    assert events[-1] == Transition(Service.OPENAI, CircuitState.OPEN, CircuitState.CLOSED)


def test_silent_operations_do_not_notify(breaker: CircuitBreaker, events: list[Transition]) -> None:
    breaker.force_open("quiet", notify=False)
    breaker.force_close(notify=False)
    assert events == []
    breaker.force_close()
    assert events == []  # closed → closed is no transition


def test_registry_lists_the_services_in_the_platform_order(clock: FakeClock) -> None:
    registry = BreakerRegistry(CONFIG, clock.now)
    assert list(registry.status()) == ["perplexity", "openai", "apollo", "instantly", "millionverifier"]
    registry[Service.APOLLO].force_open("x")
    assert registry.open_services() == [Service.APOLLO]
    assert reason_for(Service.APOLLO, CircuitState.OPEN) == (
        "Circuit breaker OPEN for ThirdPartyService.APOLLO - service unavailable"
    )
