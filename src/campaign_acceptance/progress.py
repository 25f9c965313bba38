"""Console progress during long waits: one line per ~2 s, or at once when a status or breaker changes.

behave captures `sys.stdout` and `sys.stderr` while steps run (behave/capture.py swaps them for buffers and
only shows them on failure), so a line written there would appear after the wait, if at all. The original
stream `sys.__stderr__` stays connected to the terminal (or the CI log), so that is where the lines go.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import TextIO

from campaign_acceptance.model import CAMPAIGN_STATUSES, Observation
from campaign_acceptance.monitor import describe_breakers

__all__ = ["ConsoleProgress", "render_line", "say"]


def render_line(phase: str, obs: Observation) -> str:
    """E.g. `[enrichment 12.4s] leads 143/200 · campaigns RUNNING 9 COMPLETED 1 · breakers all closed`."""
    counts = Counter(c.status for c in obs.campaigns.values())
    ordered = [s for s in CAMPAIGN_STATUSES if counts.get(s)] + sorted(
        s for s in counts if s not in CAMPAIGN_STATUSES
    )
    campaigns = " ".join(f"{s} {counts[s]}" for s in ordered) or "none"
    if phase == "fetch":
        done = sum(p.leads for p in obs.progress.values())
        expected = sum(c.total_records for c in obs.campaigns.values())
    else:
        done = sum(p.enrich_completed for p in obs.progress.values())
        expected = sum(p.leads for p in obs.progress.values())
    breakers = describe_breakers(obs.breakers)
    return f"[{phase} {obs.at:.1f}s] leads {done}/{expected} · campaigns {campaigns} · {breakers}"


def say(line: str, stream: TextIO | None = None) -> None:
    """Write one line where the user sees it even while behave captures output (see the module doc)."""
    # Resolved at write time: sys.__stderr__ is None under pythonw-like hosts.
    target = stream or sys.__stderr__
    if target is not None:
        target.write(line + "\n")
        target.flush()


class ConsoleProgress:
    """A Monitor progress sink. Throttled to `every_s`, but a change of campaign statuses or breaker states
    (not of lead counts, which move every cycle) is shown at once."""

    def __init__(
        self,
        enabled: bool = True,
        stream: TextIO | None = None,
        every_s: float = 2.0,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.enabled = enabled
        self.stream = stream
        self.every_s = every_s
        self.now = now
        self._last_at: float | None = None
        self._last_key: tuple[str, ...] | None = None
        self.lines: list[str] = []  # what was printed, for tests and the benchmark

    def update(self, phase: str, observation: Observation) -> None:
        if not self.enabled:
            return
        key = (
            phase,
            *sorted(f"{c.id}={c.status}" for c in observation.campaigns.values()),
            *sorted(f"{b.service}={b.state}" for b in observation.breakers.values()),
        )
        now = self.now()
        due = self._last_at is None or now - self._last_at >= self.every_s
        if not due and key == self._last_key:
            return
        self._last_at, self._last_key = now, key
        line = render_line(phase, observation)
        self.lines.append(line)
        say(line, self.stream)
