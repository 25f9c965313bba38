"""Console progress (progress.py) with a fake clock and stream: each number says what it counts and of what,
the phase is in words with its own elapsed time, news is shown at once, and no line is repeated with
nothing new."""

from __future__ import annotations

import io

from campaign_acceptance.model import BreakerState, CampaignSnapshot, Observation, Progress
from campaign_acceptance.progress import ConsoleProgress, render_line, say


def seen(
    breaker: str = "closed",
    leads: int = 4,
    statuses: dict[str, str] | None = None,
    at: float = 1.25,
    enriched: int = 0,
    pending: int = 0,
) -> Observation:
    statuses = statuses or {"a": "RUNNING"}
    return Observation(
        at=at,
        breakers={"openai": BreakerState("openai", breaker, 5 if breaker == "open" else 0, 5)},
        campaigns={
            cid: CampaignSnapshot(cid, cid.upper(), st, total_records=10) for cid, st in statuses.items()
        },
        progress={
            cid: Progress(
                cid, leads=leads, fetch_status="PROCESSING", enrich_completed=enriched, jobs_pending=pending
            )
            for cid in statuses
        },
    )


def sink(
    now: list[float], every_s: float = 2.0, quiet_s: float = 10.0
) -> tuple[ConsoleProgress, io.StringIO]:
    stream = io.StringIO()
    return ConsoleProgress(stream=stream, now=lambda: now[0], every_s=every_s, quiet_s=quiet_s), stream


def test_the_fetch_phase_counts_leads_fetched_against_the_leads_asked_for_in_this_scenario() -> None:
    line = render_line("fetch", seen())
    assert line == (
        "waiting for the lead fetches, 1.2 s: leads fetched 4 of 10 asked for, campaigns 1 RUNNING "
        "(this scenario) · breakers all closed"
    )


def test_the_enrichment_phase_counts_leads_enriched_of_the_leads_fetched() -> None:
    line = render_line(
        "enrichment", seen("open", leads=20, enriched=8, statuses={"a": "RUNNING", "b": "PAUSED"})
    )
    assert line == (
        "waiting for enrichment, 1.2 s: leads enriched 16/40, campaigns 1 RUNNING 1 PAUSED (this scenario) "
        "· breakers openai OPEN 5/5"
    )


def test_the_settle_phase_counts_the_runs_earlier_work_not_this_scenarios() -> None:
    line = render_line("settle", seen(pending=3, statuses={"a": "RUNNING", "b": "RUNNING"}))
    assert line == (
        "waiting for the run's earlier work to settle, 1.2 s: earlier work of the run: 0 jobs processing, "
        "6 pending · breakers all closed"
    )


def test_one_job_is_one_job() -> None:
    busy = Observation(
        at=0.5,
        breakers={},
        campaigns={},
        progress={"a": Progress("a", jobs_processing=1), "b": Progress("b", jobs_pending=2)},
    )
    assert "earlier work of the run: 1 job processing, 2 pending" in render_line("settle", busy)


def test_say_writes_one_flushed_line_to_the_stream_it_is_given() -> None:
    stream = io.StringIO()
    say("run x: testing y", stream)
    say("next", stream)
    assert stream.getvalue() == "run x: testing y\nnext\n"


def test_a_breaker_that_changes_is_shown_at_once_and_moving_counts_wait_their_turn() -> None:
    now = [0.0]
    progress, stream = sink(now, every_s=2.0)
    progress.update("fetch", seen())
    now[0] = 0.5
    progress.update("fetch", seen(leads=6))  # only a lead count moved: not yet due
    now[0] = 0.6
    progress.update("fetch", seen("open", leads=6))  # a breaker opened: at once
    now[0] = 0.7
    progress.update("fetch", seen("open", leads=6, statuses={"a": "PAUSED"}))  # a campaign paused: at once
    assert len(progress.lines) == 3 and "breakers openai OPEN" in progress.lines[1]
    assert "campaigns 1 PAUSED" in progress.lines[2]
    assert stream.getvalue().splitlines() == progress.lines


def test_a_line_with_nothing_new_is_never_repeated_and_a_long_quiet_wait_says_so_once_in_a_while() -> None:
    now = [0.0]
    progress, _ = sink(now, every_s=2.0, quiet_s=10.0)
    for tick in range(1, 251):  # 25 s of 0.1 s cycles seeing the same thing
        now[0] = tick / 10
        progress.update("enrichment", seen(at=tick / 10, enriched=8))
    assert progress.lines == [
        "waiting for enrichment, 0.1 s: leads enriched 8/4, campaigns 1 RUNNING (this scenario) · "
        "breakers all closed",
        "waiting for enrichment, 10.1 s: no change for 10 s",
        "waiting for enrichment, 20.1 s: no change for 20 s",
    ]


def test_waits_of_one_phase_share_its_clock_and_starting_campaigns_is_not_news() -> None:
    # The sequential start: one fetch wait per campaign, each starting at 0 s and adding a campaign. The
    # old console printed `[fetch 0.1s]` once per campaign; now the phase's own time goes on, and a line
    # comes every ~2 s (what moved are routine counts).
    now = [0.0]
    progress, _ = sink(now, every_s=2.0)
    statuses: dict[str, str] = {}
    for number in range(10):
        statuses[f"c{number}"] = "RUNNING"
        for cycle in range(3):  # each campaign's fetch wait: 3 cycles of 0.1 s
            now[0] += 0.1
            progress.update(
                "fetch", seen(at=0.1 * (cycle + 1), leads=number + cycle, statuses=dict(statuses))
            )
    assert len(progress.lines) == 2, progress.lines
    assert progress.lines[0].startswith("waiting for the lead fetches, 0.1 s: ")
    assert progress.lines[1].startswith("waiting for the lead fetches, 2.1 s: ")


def test_a_new_phase_is_shown_at_once_with_its_own_clock() -> None:
    now = [0.1]  # the wait began at 0
    progress, _ = sink(now)
    progress.update("fetch", seen(at=0.1))
    now[0] = 3.0
    progress.update("fetch", seen(at=3.0, leads=9))
    now[0] = 3.1
    progress.update("enrichment", seen(at=0.1, leads=9))
    assert [line.split(":")[0] for line in progress.lines] == [
        "waiting for the lead fetches, 0.1 s",
        "waiting for the lead fetches, 3.0 s",
        "waiting for enrichment, 0.1 s",
    ]


def test_progress_can_be_turned_off() -> None:
    off = ConsoleProgress(enabled=False, stream=io.StringIO())
    off.update("fetch", seen())
    assert off.lines == []
