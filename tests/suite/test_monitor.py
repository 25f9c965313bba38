"""Monitor decisions with a fake clock and scripted observations (no network, no sleeping)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import pytest

from campaign_acceptance.errors import DeadlineExceeded, ServiceFailure
from campaign_acceptance.model import SERVICES, BreakerState, CampaignSnapshot, Observation, Progress
from campaign_acceptance.monitor import (
    ApiDbSource,
    Monitor,
    breaker_report,
    failure_report,
    progress_from_jobs,
)
from campaign_acceptance.progress import ConsoleProgress, render_line


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


class Script:
    """Hands out observations in order (the last one repeats); each observe costs `cost` seconds."""

    def __init__(self, clock: FakeClock, observations: Sequence[Observation], cost: float = 0.0) -> None:
        self.clock = clock
        self.observations = list(observations)
        self.cost = cost
        self.calls = 0

    def observe(self, campaign_ids: list[str]) -> Observation:
        obs = self.observations[min(self.calls, len(self.observations) - 1)]
        self.calls += 1
        self.clock.t += self.cost
        return obs


def breakers(**states: str) -> dict[str, BreakerState]:
    return {
        s: BreakerState(s, states.get(s, "closed"), failure_count=5 if states.get(s) else 0) for s in SERVICES
    }


def obs(
    statuses: dict[str, str],
    progress: dict[str, tuple[int, str | None, int]] | None = None,
    brk: dict[str, BreakerState] | None = None,
    messages: dict[str, str] | None = None,
) -> Observation:
    """statuses: id -> status; progress: id -> (leads, fetch_status, enrich_completed)."""
    campaigns = {
        cid: CampaignSnapshot(cid, f"Campaign {cid}", st, (messages or {}).get(cid), total_records=20)
        for cid, st in statuses.items()
    }
    prog = {
        cid: Progress(cid, leads=leads, fetch_status=fetch, enrich_total=leads, enrich_completed=done)
        for cid, (leads, fetch, done) in (progress or {}).items()
    }
    return Observation(at=0.0, breakers=brk or breakers(), campaigns=campaigns, progress=prog, requests=2)


def make(observations: Sequence[Observation], **kw: Any) -> tuple[Monitor, Script, FakeClock]:
    clock = FakeClock()
    source = Script(clock, observations, cost=kw.pop("cost", 0.0))
    monitor = Monitor(source, clock, kw.pop("poll", 0.2), kw.pop("cap", 2.0), **kw)
    return monitor, source, clock


RUNNING = obs({"a": "RUNNING", "b": "RUNNING"}, {"a": (20, "COMPLETED", 3), "b": (20, "COMPLETED", 4)})


def test_first_observation_is_immediate_and_done_returns_without_sleeping() -> None:
    done = obs({"a": "RUNNING"}, {"a": (20, "COMPLETED", 20)})
    monitor, source, clock = make([done])
    result = monitor.wait_for_enrichment(["a"], 60)
    assert result.campaigns["a"].status == "RUNNING"
    assert source.calls == 1 and clock.slept == []
    assert monitor.cycles == 1 and monitor.requests == 2


def test_pause_is_noticed_in_the_cycle_it_appears_with_evidence() -> None:
    message = "Campaign paused: Service openai unavailable: Circuit breaker opened for openai"
    paused = obs(
        {"a": "PAUSED", "b": "RUNNING"},
        {"a": (20, "COMPLETED", 3), "b": (20, "COMPLETED", 4)},
        messages={"a": message},
    )
    monitor, source, _ = make([RUNNING, paused])
    with pytest.raises(ServiceFailure) as caught:
        monitor.wait_for_enrichment(["a", "b"], 600)
    assert source.calls == 2  # the very cycle that saw PAUSED
    report = caught.value.report
    assert [c.id for c in report.paused_campaigns] == ["a"]
    assert report.paused_campaigns[0].status_message == message
    assert report.detected_at == pytest.approx(0.2)
    assert len(report.all_breakers) == 5


def test_half_open_breaker_counts_as_not_closed() -> None:
    half = obs({"a": "RUNNING"}, {"a": (20, "COMPLETED", 3)}, brk=breakers(openai="half_open"))
    monitor, _, _ = make([half])
    with pytest.raises(ServiceFailure) as caught:
        monitor.wait_for_fetch(["a"], 60)
    assert caught.value.report.services == ("openai",)
    assert "openai is half_open (5/5 failures)" in caught.value.report.reason


def test_deadline_shows_done_expected_status_and_timeline_and_never_sleeps_past_it() -> None:
    created = obs({"a": "CREATED", "b": "CREATED"})
    monitor, _, clock = make([created, RUNNING], cap=1.0, cost=0.05)
    start = clock.now()
    with pytest.raises(DeadlineExceeded) as caught:
        monitor.wait_for_enrichment(["a", "b"], 7.0)
    text = str(caught.value)
    assert "enrichment not finished within 7.0s" in text
    assert "3/20" in text and "4/20" in text and "RUNNING" in text
    assert "Campaign a (a): 0.1s CREATED -> 0.3s RUNNING" in text  # each cycle costs 0.05 s
    assert "breakers all closed" in text
    assert clock.now() - start <= 7.0 + 0.05 + 1e-9  # last sleep ends at the deadline, then one last look
    assert isinstance(caught.value, AssertionError)


def test_backoff_grows_while_nothing_changes_is_capped_and_resets_on_change() -> None:
    moving = obs({"a": "RUNNING"}, {"a": (20, "COMPLETED", 5)})
    script = [RUNNING] * 8 + [moving] + [moving] * 3
    monitor, _, _ = make(script, cap=1.0, notice_within_s=None)
    with pytest.raises(DeadlineExceeded):
        monitor.wait_for_enrichment(["a", "b"], 9.0)
    sleeps = monitor.sleeps
    assert sleeps[:5] == pytest.approx([0.2, 0.3, 0.45, 0.675, 1.0])
    assert max(sleeps) <= 1.0
    assert sleeps[8] == pytest.approx(0.2)  # the 9th observation changed: back to the minimum
    assert sleeps[9] == pytest.approx(0.3)


def test_notice_budget_caps_the_sleep_below_max_interval() -> None:
    monitor, _, _ = make([RUNNING], cap=2.0, cost=0.3)  # notice_within_s defaults to 1.5
    with pytest.raises(DeadlineExceeded):
        monitor.wait_for_enrichment(["a", "b"], 20.0)
    assert max(monitor.sleeps) <= 1.2 + 1e-9  # 1.5 s budget minus a 0.3 s cycle


def test_wait_for_pause_returns_the_report_once_every_running_campaign_is_paused() -> None:
    paused_one = obs({"a": "PAUSED", "b": "RUNNING"}, brk=breakers(openai="open"))
    paused_all = obs({"a": "PAUSED", "b": "PAUSED"}, brk=breakers(openai="open"))
    monitor, source, _ = make([RUNNING, paused_one, paused_all])
    report = monitor.wait_for_pause(["a", "b"], 30, service="openai")
    assert source.calls == 3
    assert report.services == ("openai",)
    assert {c.id for c in report.paused_campaigns} == {"a", "b"}


def test_wait_for_pause_needs_the_named_breaker() -> None:
    paused = obs({"a": "PAUSED"}, brk=breakers(apollo="open"))
    monitor, _, _ = make([paused])
    with pytest.raises(DeadlineExceeded) as caught:
        monitor.wait_for_pause(["a"], 3, service="openai")
    assert "breaker openai to leave closed" in str(caught.value)
    assert "apollo OPEN 5/5" in str(caught.value)


def test_failed_fetch_is_an_assertion_with_details() -> None:
    failed = obs({"a": "FAILED"}, {"a": (0, "FAILED", 0)}, messages={"a": "Apify actor error"})
    monitor, _, _ = make([failed])
    with pytest.raises(AssertionError) as caught:
        monitor.wait_for_fetch(["a"], 60)
    assert not isinstance(caught.value, DeadlineExceeded)
    assert "Campaign a (a) is FAILED: Apify actor error" in str(caught.value)
    assert "FETCH_LEADS of Campaign a (a) is FAILED" in str(caught.value)


def test_failed_enrich_job_is_an_assertion() -> None:
    bad = Observation(
        at=0,
        breakers=breakers(),
        campaigns={"a": CampaignSnapshot("a", "A", "RUNNING")},
        progress={"a": Progress("a", leads=3, fetch_status="COMPLETED", enrich_completed=2, enrich_failed=1)},
    )
    monitor, _, _ = make([bad])
    with pytest.raises(AssertionError, match="1 ENRICH_LEAD job"):
        monitor.wait_for_enrichment(["a"], 60)


def test_fetch_done_and_timeline_records_changes_only() -> None:
    created = obs({"a": "CREATED"})
    fetched = obs(
        {"a": "RUNNING"}, {"a": (20, "COMPLETED", 0)}, messages={"a": "Successfully fetched 20 leads"}
    )
    monitor, _, _ = make([created, created, fetched])
    monitor.wait_for_fetch(["a"], 60)
    assert [(s, m) for _, s, m in monitor.timeline["a"]] == [
        ("CREATED", None),
        ("RUNNING", "Successfully fetched 20 leads"),
    ]


def test_wait_until_polls_a_plain_condition_within_the_deadline() -> None:
    answers = iter([False, False, True])
    monitor, _, clock = make([RUNNING])
    monitor.wait_until(lambda: next(answers), 10, "every breaker closed")
    assert clock.slept == pytest.approx([0.2, 0.3])
    with pytest.raises(DeadlineExceeded, match=r"never: not reached within 1\.0s"):
        monitor.wait_until(lambda: False, 1.0, "never")


def test_breaker_report_without_open_breakers_quotes_the_pause_message() -> None:
    snap = CampaignSnapshot("a", "A", "PAUSED", "Campaign paused: Manual pause requested")
    report = breaker_report(breakers(), [snap], detected_at=1.0)
    assert report.breakers == ()
    assert "1 campaign paused" in report.reason and "Manual pause requested" in report.reason


# -- the API + database source --------------------------------------------------------------------


class FakeClient:
    def __init__(self, campaigns: int) -> None:
        self.items = [
            {"id": f"c{i}", "name": f"C{i}", "status": "RUNNING", "totalRecords": 20}
            for i in range(campaigns)
        ]
        self.calls: list[str] = []

    def breakers(self) -> dict[str, BreakerState]:
        self.calls.append("breakers")
        return breakers()

    def list_campaigns(self, organization_id: str) -> list[dict[str, Any]]:
        self.calls.append("list_campaigns")
        return self.items

    def list_jobs(self, campaign_id: str) -> list[dict[str, Any]]:
        self.calls.append("list_jobs")
        return [
            {"job_type": "FETCH_LEADS", "status": "COMPLETED"},
            {"job_type": "ENRICH_LEAD", "status": "COMPLETED"},
            {"job_type": "ENRICH_LEAD", "status": "PAUSED"},
        ]


class FakeProbe:
    def __init__(self) -> None:
        self.queries = 0

    def progress(self, campaign_ids: list[str]) -> dict[str, Progress]:
        self.queries += 1
        return {c: Progress(c, leads=20, fetch_status="COMPLETED") for c in campaign_ids}


@pytest.mark.parametrize(("campaigns", "expected"), [(10, 2), (100, 2), (150, 3)])
def test_api_db_source_costs_one_breaker_read_plus_one_list_per_100_and_one_query(
    campaigns: int, expected: int
) -> None:
    client, probe = FakeClient(campaigns), FakeProbe()
    ids = [f"c{i}" for i in range(min(campaigns, 10))]
    observation = ApiDbSource(client, probe, "org").observe(ids)
    assert observation.requests == expected
    assert probe.queries == 1
    assert set(observation.campaigns) == set(ids)  # other campaigns of the organization are ignored
    assert "list_jobs" not in client.calls


def test_api_db_source_without_probe_reads_jobs_per_campaign() -> None:
    client = FakeClient(3)
    observation = ApiDbSource(client, None, "org").observe(["c0", "c1", "c2"])
    assert observation.requests == 2 + 3
    p = observation.progress["c1"]
    assert (p.leads, p.fetch_status, p.enrich_completed, p.enrich_paused) == (2, "COMPLETED", 1, 1)


def test_api_db_source_without_probe_skips_job_reads_once_a_pause_is_visible() -> None:
    # The pause must be reported at once even without a database: no N job requests that cycle.
    client = FakeClient(3)
    client.items[1]["status"] = "PAUSED"
    observation = ApiDbSource(client, None, "org").observe(["c0", "c1", "c2"])
    assert "list_jobs" not in client.calls
    assert observation.requests == 2
    assert [c.id for c in observation.paused_campaigns()] == ["c1"]


def test_progress_from_jobs_before_the_fetch() -> None:
    assert progress_from_jobs("x", []).fetch_status is None


# -- console progress -----------------------------------------------------------------------------


def test_progress_line_names_leads_campaigns_and_breakers() -> None:
    o = obs(
        {"a": "RUNNING", "b": "COMPLETED"},
        {"a": (20, "COMPLETED", 3), "b": (20, "COMPLETED", 20)},
        brk=breakers(openai="open"),
    )
    line = render_line("enrichment", o)
    assert (
        line == "[enrichment 0.0s] leads 23/40 · campaigns RUNNING 1 COMPLETED 1 · breakers openai OPEN 5/5"
    )
    assert "breakers all closed" in render_line("fetch", RUNNING)


def test_console_progress_throttles_but_shows_changes_at_once() -> None:
    now = [0.0]
    stream = io.StringIO()
    sink = ConsoleProgress(stream=stream, every_s=2.0, now=lambda: now[0])
    for t in (0.0, 0.5, 1.0, 2.1):
        now[0] = t
        sink.update("enrichment", RUNNING)
    now[0] = 2.3
    sink.update("enrichment", obs({"a": "PAUSED", "b": "RUNNING"}))
    assert len(sink.lines) == 3  # 0.0, 2.1 (due), 2.3 (a status changed)
    assert stream.getvalue().count("\n") == 3
    off = ConsoleProgress(enabled=False, stream=stream)
    off.update("fetch", RUNNING)
    assert off.lines == []


def test_monitor_feeds_the_progress_sink_every_cycle() -> None:
    seen: list[str] = []

    class Sink:
        def update(self, phase: str, observation: Observation) -> None:
            seen.append(phase)

    done = obs({"a": "RUNNING"}, {"a": (20, "COMPLETED", 20)})
    monitor, _, _ = make([RUNNING, done], progress=Sink())
    monitor.wait_for_enrichment(["a"], 10)
    assert seen == ["enrichment", "enrichment"]


def test_failure_report_is_none_when_every_breaker_is_closed() -> None:
    closed = {"openai": BreakerState("openai", "closed"), "apollo": BreakerState("apollo", "closed")}
    assert failure_report(closed) is None
    half_open = {**closed, "openai": BreakerState("openai", "half_open", 2, 5)}
    report = failure_report(half_open)
    assert report is not None and report.services == ("openai",)
    assert "openai is half_open (2/5 failures)" in report.reason


# --- the report's picture: samples, marked moments, failure tables as data ---------------------------------


def test_every_cycle_is_a_sample_of_enriched_leads_and_breakers_not_closed() -> None:
    later = obs(
        {"a": "RUNNING", "b": "RUNNING"},
        {"a": (20, "COMPLETED", 9), "b": (20, "COMPLETED", 4)},
        brk=breakers(openai="open"),
    )
    monitor, _, _ = make([RUNNING, later])
    with pytest.raises(ServiceFailure):
        monitor.wait_for_enrichment(["a", "b"], 600)
    chart = monitor.chart()
    assert chart is not None
    assert chart["campaigns"] == [{"id": "a", "name": "Campaign a"}, {"id": "b", "name": "Campaign b"}]
    (t0, first, closed), (t1, second, not_closed) = chart["samples"]
    assert (t0, first, closed) == (0.0, {"a": [3, 20], "b": [4, 20]}, {})
    assert t1 == pytest.approx(0.2) and second == {"a": [9, 20], "b": [4, 20]}
    assert not_closed == {"openai": "open"}
    kinds = [(kind, label) for _, kind, label in chart["markers"]]
    assert kinds == [("breaker-opened", "openai breaker open"), ("pause-noticed", "service failure noticed")]


def test_a_cycle_without_progress_keeps_the_last_counts() -> None:
    # Without a database a failing cycle skips the job reads: the picture must not drop to zero there.
    blind = obs({"a": "PAUSED"}, None)
    monitor, _, _ = make([obs({"a": "RUNNING"}, {"a": (20, "COMPLETED", 7)}), blind])
    with pytest.raises(ServiceFailure):
        monitor.wait_for_enrichment(["a"], 600)
    chart = monitor.chart()
    assert chart is not None and [s[1] for s in chart["samples"]] == [{"a": [7, 20]}, {"a": [7, 20]}]
    assert [m[1] for m in chart["markers"]] == ["pause-noticed"]


def test_deadline_is_marked_at_the_deadline_and_its_tables_travel_as_data() -> None:
    monitor, _, _ = make([RUNNING], cap=0.2)
    with pytest.raises(DeadlineExceeded) as caught:
        monitor.wait_for_enrichment(["a", "b"], 1.0)
    details = caught.value.details
    assert details is not None
    assert details["columns"][2] == "done/expected"
    assert [row[:3] for row in details["rows"]] == [
        ["Campaign a (a)", "RUNNING", "3/20"],
        ["Campaign b (b)", "RUNNING", "4/20"],
    ]
    assert details["breakers"] == "breakers all closed"
    assert [e["campaign"] for e in details["timeline"]] == ["Campaign a (a)", "Campaign b (b)"]
    # The text is the same table, so the console and the HTML page cannot disagree.
    assert "Campaign a (a)  RUNNING  3/20" in str(caught.value)
    chart = monitor.chart()
    assert chart is not None
    assert chart["markers"][-1] == [1.0, "deadline", "enrichment deadline (1 s)"]


def test_expected_pause_and_resume_are_marked() -> None:
    paused = obs({"a": "PAUSED"}, {"a": (20, "COMPLETED", 3)}, brk=breakers(openai="open"))
    monitor, _, clock = make([obs({"a": "RUNNING"}, {"a": (20, "COMPLETED", 3)}), paused])
    monitor.wait_for_pause(["a"], 60, "openai")
    clock.t += 2.5
    monitor.mark("resumed", "openai resumed")
    chart = monitor.chart()
    assert chart is not None
    assert [m[1:] for m in chart["markers"]] == [
        ["breaker-opened", "openai breaker open"],
        ["pause-noticed", "pause noticed"],
        ["resumed", "openai resumed"],
    ]
    assert chart["markers"][2][0] == pytest.approx(2.7)


def test_a_monitor_that_never_observed_has_no_picture() -> None:
    monitor, _, _ = make([RUNNING])
    assert monitor.chart() is None
