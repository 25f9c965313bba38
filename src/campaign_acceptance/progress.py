"""Console progress during long waits: what the wait is for, how long it has lasted, and what each number
counts, e.g. `waiting for enrichment, 6.2 s: leads enriched 8/15, campaigns 2 RUNNING (this scenario) ·
breakers all closed`.

A line is printed when something changed: at once for news (a breaker's state, a campaign paused, failed or
completed, a new phase), at most every ~2 s for counts that move every cycle. A line with nothing new is
never repeated; while nothing changes for `quiet_s`, one short line says so, so a long wait still shows it
is alive. The elapsed time is the phase's: consecutive waits of one phase (the sequential start's fetch
waits, one per campaign) are one phase.

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

__all__ = ["PHASE_WORDS", "ConsoleProgress", "render_counts", "render_line", "say"]

# The monitor's phases in words: what the run is waiting for.
PHASE_WORDS = {
    "fetch": "waiting for the lead fetches",
    "enrichment": "waiting for enrichment",
    "pause": "waiting for the pause",
    "settle": "waiting for the run's earlier work to settle",
    "observe": "campaigns started",
}
# Statuses of campaigns being started and worked on: their counts are routine, not news.
_ROUTINE = ("CREATED", "RUNNING")


def _campaigns(obs: Observation) -> str:
    counts = Counter(c.status for c in obs.campaigns.values())
    ordered = [s for s in CAMPAIGN_STATUSES if counts.get(s)] + sorted(
        s for s in counts if s not in CAMPAIGN_STATUSES
    )
    return "campaigns " + (" ".join(f"{counts[s]} {s}" for s in ordered) or "none")


def render_counts(phase: str, obs: Observation) -> str:
    """What the observation counts, each number said with what it counts and of what."""
    breakers = describe_breakers(obs.breakers)
    if phase == "settle":  # the run's campaigns of earlier scenarios, not this scenario's
        processing = sum(p.jobs_processing for p in obs.progress.values())
        pending = sum(p.jobs_pending for p in obs.progress.values())
        jobs = "job" if processing == 1 else "jobs"
        return f"earlier work of the run: {processing} {jobs} processing, {pending} pending · {breakers}"
    if phase == "fetch":
        fetched = sum(p.leads for p in obs.progress.values())
        asked = sum(c.total_records for c in obs.campaigns.values())
        leads = f"leads fetched {fetched} of {asked} asked for"
    else:
        enriched = sum(p.enrich_completed for p in obs.progress.values())
        expected = sum(p.leads for p in obs.progress.values())
        leads = f"leads enriched {enriched}/{expected}"
    return f"{leads}, {_campaigns(obs)} (this scenario) · {breakers}"


def render_line(phase: str, obs: Observation, elapsed_s: float | None = None) -> str:
    """E.g. `waiting for enrichment, 12.4 s: leads enriched 143/200, campaigns 9 RUNNING 1 COMPLETED (this
    scenario) · breakers all closed`; the elapsed time is the observation's own unless given."""
    words = PHASE_WORDS.get(phase, phase)
    return f"{words}, {obs.at if elapsed_s is None else elapsed_s:.1f} s: {render_counts(phase, obs)}"


def say(line: str, stream: TextIO | None = None) -> None:
    """Write one line where the user sees it even while behave captures output (see the module doc)."""
    # Resolved at write time: sys.__stderr__ is None under pythonw-like hosts.
    target = stream or sys.__stderr__
    if target is not None:
        target.write(line + "\n")
        target.flush()


class ConsoleProgress:
    """A Monitor progress sink (see the module doc for when it prints)."""

    def __init__(
        self,
        enabled: bool = True,
        stream: TextIO | None = None,
        every_s: float = 2.0,
        now: Callable[[], float] = time.monotonic,
        quiet_s: float = 10.0,
    ) -> None:
        self.enabled = enabled
        self.stream = stream
        self.every_s = every_s
        self.quiet_s = quiet_s
        self.now = now
        self._phase: str | None = None
        self._phase_start = 0.0
        self._last_at: float | None = None  # when the last line was printed
        self._changed_at = 0.0  # when what is counted last changed
        self._last_counts: str | None = None
        self._last_news: tuple[object, ...] | None = None
        self.lines: list[str] = []  # what was printed, for tests and the benchmark

    def update(self, phase: str, observation: Observation) -> None:
        if not self.enabled:
            return
        now = self.now()
        if phase != self._phase:  # a new phase: its clock starts when its wait did
            self._phase, self._phase_start = phase, now - observation.at
            self._last_counts = self._last_news = None
        elapsed = now - self._phase_start
        counts = render_counts(phase, observation)
        if counts == self._last_counts:
            if self._last_at is not None and now - self._last_at >= self.quiet_s:
                words = PHASE_WORDS.get(phase, phase)
                self._print(now, f"{words}, {elapsed:.1f} s: no change for {now - self._changed_at:.0f} s")
            return
        news = (
            *sorted(f"{b.service}={b.state}" for b in observation.breakers.values()),
            *sorted(
                Counter(c.status for c in observation.campaigns.values() if c.status not in _ROUTINE).items()
            ),
        )
        due = self._last_counts is None or self._last_at is None or now - self._last_at >= self.every_s
        if not due and news == self._last_news:
            return  # only routine counts moved, and a line was printed a moment ago
        self._last_counts, self._last_news, self._changed_at = counts, news, now
        self._print(now, render_line(phase, observation, elapsed))

    def _print(self, now: float, line: str) -> None:
        self._last_at = now
        self.lines.append(line)
        say(line, self.stream)
