"""The one wait: bounded by its deadline, backing off, the failure naming what did not happen."""

from __future__ import annotations

import signal
import time
from types import FrameType

import pytest

from campaign_common.waiting import Backoff, Deadline, RealClock, wait_until
from support.clocks import FakeClock


def test_returns_the_first_truthy_value_without_sleeping_when_it_already_holds() -> None:
    clock = FakeClock(50.0)
    assert wait_until(lambda: "ready", Deadline.after(1.0, clock), lambda _: AssertionError("no")) == "ready"
    assert clock.slept == []


def test_intervals_back_off_by_half_up_to_the_cap_and_never_pass_the_deadline() -> None:
    clock = FakeClock(50.0)
    with pytest.raises(TimeoutError) as caught:
        wait_until(
            lambda: None,
            Deadline.after(1.0, clock),
            lambda last: TimeoutError(f"the thing did not happen; last: {last!r}"),
            interval_s=0.1,
            max_interval_s=0.2,
        )
    assert str(caught.value) == "the thing did not happen; last: None"
    assert clock.slept[:4] == pytest.approx([0.1, 0.15, 0.2, 0.2])
    assert sum(clock.slept) == pytest.approx(1.0)  # the last sleep is cut to end at the deadline
    assert clock.t == pytest.approx(51.0)


def test_looks_once_more_at_the_deadline_and_succeeds_then() -> None:
    clock = FakeClock(50.0)
    answers = iter([None, None, 0, None, "late"])  # sleeps 0.05, 0.075, 0.1125, then 0.0125
    got = wait_until(lambda: next(answers), Deadline.after(0.25, clock), lambda _: AssertionError("no"))
    assert got == "late"
    assert clock.t == pytest.approx(50.25)


def test_an_error_of_the_condition_ends_the_wait_at_once() -> None:
    clock = FakeClock(50.0)

    def broken() -> bool:
        raise RuntimeError("the server thread exited")

    with pytest.raises(RuntimeError, match=r"^the server thread exited$"):
        wait_until(broken, Deadline.after(10.0, clock), lambda _: AssertionError("no"))
    assert clock.slept == []


def test_a_nonsensical_interval_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^need 0 < interval_s <= max_interval_s$"):
        wait_until(
            lambda: True, Deadline.after(1.0, FakeClock()), ValueError, interval_s=0.5, max_interval_s=0.1
        )


def test_deadline_arithmetic() -> None:
    clock = FakeClock(50.0)
    deadline = Deadline.after(2.0, clock)
    clock.t += 1.5
    assert deadline.at == 52.0
    assert deadline.remaining() == pytest.approx(0.5)
    assert deadline.elapsed() == pytest.approx(1.5)
    assert deadline.pause(2.0) == pytest.approx(0.5)
    assert not deadline.passed()
    clock.t += 1.0
    assert deadline.passed() and deadline.pause(1.0) == 0.0


def test_backoff_grows_to_its_cap_and_starts_again_from_the_bottom_on_reset() -> None:
    backoff = Backoff(0.2, 0.5)
    assert [backoff.next() for _ in range(4)] == pytest.approx([0.2, 0.3, 0.45, 0.5])
    backoff.reset()
    assert [backoff.next() for _ in range(2)] == pytest.approx([0.2, 0.3])


def test_a_caller_paces_the_looks_itself_and_the_deadline_still_cuts_the_last_pause() -> None:
    clock = FakeClock(50.0)
    paces = iter([0.3, 0.1, 5.0])
    with pytest.raises(TimeoutError):
        wait_until(lambda: None, Deadline.after(1.0, clock), TimeoutError, next_interval=lambda: next(paces))
    assert clock.slept == pytest.approx([0.3, 0.1, 0.6])


def test_a_real_wait_ends_at_once_when_a_signal_handler_raises() -> None:
    # What the runner's SIGINT/SIGTERM handler does: raise where the run is, so a wait never outlasts it.
    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt("SIGALRM")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, 0.1)
    began = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt, match="SIGALRM"):
            wait_until(
                lambda: None,
                Deadline.after(30.0, RealClock()),
                TimeoutError,
                interval_s=30,
                max_interval_s=30,
            )
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert time.monotonic() - began < 10, "the sleep went on after the signal"
