"""The one way to wait: poll a condition until it holds or a deadline passes, never sleeping past it.

The clock is injectable (``now``/``sleep``), so waits are tested without real time. Retrying an operation
that failed is a different thing and uses tenacity (the database cleanup, the Monitor's poll reads).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

__all__ = ["BACKOFF_FACTOR", "Backoff", "Clock", "Deadline", "RealClock", "wait_until"]

T = TypeVar("T")
BACKOFF_FACTOR = 1.5


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class RealClock:
    """Monotonic time and a plain sleep; the runner's signal handler raises KeyboardInterrupt, which ends a
    sleep at once, so a wait never outlasts Ctrl-C or SIGTERM."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


@dataclass(frozen=True)
class Deadline:
    """A point in a clock's time; made with ``Deadline.after(seconds, clock)``."""

    clock: Clock
    started: float
    seconds: float

    @classmethod
    def after(cls, seconds: float, clock: Clock | None = None) -> Deadline:
        clock = clock or RealClock()
        return cls(clock, clock.now(), seconds)

    @property
    def at(self) -> float:
        return self.started + self.seconds

    def remaining(self) -> float:
        return self.at - self.clock.now()

    def passed(self) -> bool:
        return self.remaining() <= 0

    def elapsed(self) -> float:
        return self.clock.now() - self.started

    def pause(self, interval_s: float) -> float:
        """How long to sleep for ``interval_s`` without passing the deadline (so it looks once more at it)."""
        return max(0.0, min(interval_s, self.remaining()))


class Backoff:
    """The interval between looks: starts at ``interval_s``, grows x1.5 per look up to ``max_interval_s``, and
    starts again from the bottom on ``reset()`` (something moved: look again soon)."""

    def __init__(self, interval_s: float, max_interval_s: float) -> None:
        if interval_s <= 0 or max_interval_s < interval_s:
            raise ValueError("need 0 < interval_s <= max_interval_s")
        self.interval_s, self.max_interval_s = interval_s, max_interval_s
        self._current = interval_s

    def next(self) -> float:
        """The interval to wait now; the one after it is longer."""
        current = self._current
        self._current = min(current * BACKOFF_FACTOR, self.max_interval_s)
        return current

    def reset(self) -> None:
        self._current = self.interval_s


def wait_until(
    condition: Callable[[], T | None],
    deadline: Deadline,
    on_timeout: Callable[[T | None], BaseException],
    *,
    interval_s: float = 0.05,
    max_interval_s: float = 0.5,
    next_interval: Callable[[], float] | None = None,
    on_sleep: Callable[[float], None] | None = None,
) -> T:
    """Poll ``condition`` until it returns something truthy and return that.

    Between looks the interval is ``next_interval()`` (by default a `Backoff` from ``interval_s`` to
    ``max_interval_s``), never past the deadline, so the last look is at the deadline. When the deadline has
    passed and the condition still does not hold, raise ``on_timeout(last value)``. Exceptions from
    ``condition`` propagate (the caller decides what is fatal).
    """
    if next_interval is None:
        next_interval = Backoff(interval_s, max_interval_s).next
    while True:
        last = condition()
        if last:
            return last
        if deadline.passed():
            raise on_timeout(last)
        pause = deadline.pause(next_interval())
        if on_sleep is not None:
            on_sleep(pause)
        deadline.clock.sleep(pause)
