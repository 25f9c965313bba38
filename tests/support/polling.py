"""The one bounded poll every test uses to wait for something asynchronous (never a fixed sleep)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from campaign_common.waiting import Deadline
from campaign_common.waiting import wait_until as _wait_until

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
    return _wait_until(
        condition,
        Deadline.after(timeout_s),
        lambda last: AssertionError(f"timed out after {timeout_s:g} s waiting for {what}; last: {last!r}"),
        interval_s=interval_s,
        max_interval_s=max_interval_s,
    )
