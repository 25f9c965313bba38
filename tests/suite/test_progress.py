"""Console progress (progress.py) with a fake clock and stream: where a line goes, what the fetch phase
counts, and that a change of breaker state is shown at once (test_monitor.py covers the enrichment line and
the throttle on campaign statuses)."""

from __future__ import annotations

import io

from campaign_acceptance.model import BreakerState, CampaignSnapshot, Observation, Progress
from campaign_acceptance.progress import ConsoleProgress, render_line, say


def seen(breaker: str = "closed", leads: int = 4) -> Observation:
    return Observation(
        at=1.25,
        breakers={"openai": BreakerState("openai", breaker)},
        campaigns={"a": CampaignSnapshot("a", "A", "RUNNING", total_records=10)},
        progress={"a": Progress("a", leads=leads, fetch_status="PROCESSING")},
    )


def test_the_fetch_phase_counts_leads_fetched_against_the_leads_asked_for() -> None:
    line = render_line("fetch", seen())
    assert line == "[fetch 1.2s] leads 4/10 · campaigns RUNNING 1 · breakers all closed"


def test_say_writes_one_flushed_line_to_the_stream_it_is_given() -> None:
    stream = io.StringIO()
    say("run x: testing y", stream)
    say("next", stream)
    assert stream.getvalue() == "run x: testing y\nnext\n"


def test_a_breaker_that_changes_is_shown_at_once_and_a_quiet_cycle_waits_its_turn() -> None:
    now = [0.0]
    stream = io.StringIO()
    sink = ConsoleProgress(stream=stream, every_s=2.0, now=lambda: now[0])
    sink.update("fetch", seen())
    now[0] = 0.5
    sink.update("fetch", seen(leads=6))  # only lead counts moved: not yet due
    now[0] = 0.6
    sink.update("fetch", seen("open", leads=6))  # a breaker opened: at once
    assert len(sink.lines) == 2 and "breakers openai OPEN" in sink.lines[1]
    assert stream.getvalue().splitlines() == sink.lines
