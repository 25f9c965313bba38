"""The one fake clock the tests inject where code takes a ``campaign_common.waiting.Clock``."""

from __future__ import annotations


class FakeClock:
    """Time moves only when slept; every sleep is kept."""

    def __init__(self, t: float = 1000.0) -> None:
        self.t = t
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds
