"""The one bounded poll every test uses to wait for something asynchronous (never a fixed sleep)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T | None],
    timeout_s: float = 30.0,
    what: str = "condition",
    *,
    interval_s: float = 0.05,
    max_interval_s: float = 0.5,
) -> T:
    """Poll ``condition`` until it returns something truthy and return that; AssertionError naming ``what``
    (and the last value seen) when ``timeout_s`` passes. The interval backs off up to ``max_interval_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        last = condition()
        if last:
            return last
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}; last: {last!r}")
        time.sleep(min(interval_s, remaining))
        interval_s = min(interval_s * 1.5, max_interval_s)
