"""Monitor decisions with a fake clock and scripted observations (no network, no sleeping)."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from campaign_acceptance.errors import (
    ApiError,
    DeadlineExceeded,
    PlatformStoppedAnswering,
    ProgressFailure,
    ServiceFailure,
)
from campaign_acceptance.model import SERVICES, BreakerState, CampaignSnapshot, Observation, Progress
from campaign_acceptance.monitor import (
    ApiDbSource,
    Monitor,
    ReadErrors,
    breaker_report,
    failure_report,
    progress_from_jobs,
    summarize_job_errors,
)
from support.clocks import FakeClock


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
    monitor, _, _ = make([RUNNING], cap=2.0, cost=0.1)  # notice_within_s defaults to 0.5
    with pytest.raises(DeadlineExceeded):
        monitor.wait_for_enrichment(["a", "b"], 20.0)
    # A pause just missed by one cycle's reads is seen by the next one's: one sleep and two cycles later.
    assert max(monitor.sleeps[:-1]) == pytest.approx(0.5 - 0.05 - 2 * 0.1)


def test_a_cycle_too_slow_for_the_budget_still_sleeps_a_little() -> None:
    monitor, _, _ = make([RUNNING], cap=2.0, cost=0.4)
    with pytest.raises(DeadlineExceeded):
        monitor.wait_for_enrichment(["a", "b"], 10.0)
    assert min(monitor.sleeps[:-1]) == pytest.approx(0.05)  # never back to back


def test_a_stall_is_only_claimed_once_progress_read_in_turns_vouches_for_the_whole_time() -> None:
    # Without a database a campaign's progress may be a read of some cycles ago: "nothing changed for
    # stall_s" must not be concluded from the same old read carried forward.
    parked = Progress("a", leads=3, fetch_status="COMPLETED", enrich_completed=1, jobs_pending=2)
    fresh = Observation(0.0, breakers(), {"a": CampaignSnapshot("a", "A", "RUNNING")}, {"a": parked})
    carried = dataclasses.replace(fresh, carried=frozenset({"a"}))
    monitor, _, _ = make([fresh, *[carried] * 200], stall_s=5.0)
    with pytest.raises(DeadlineExceeded):
        monitor.wait_for_enrichment(["a"], 20.0)
    monitor, _, clock = make([fresh], stall_s=5.0)  # the same, read afresh every cycle: a stall in 5 s
    with pytest.raises(ProgressFailure, match="2 jobs PENDING for 5 s"):
        monitor.wait_for_enrichment(["a"], 20.0)
    assert clock.now() - monitor.origin < 6.0


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

    def organization_campaigns(self, organization_id: str, skip: int, limit: int) -> list[dict[str, Any]]:
        self.calls.append("organization_campaigns")
        return self.items[skip : skip + limit]

    def jobs(self, campaign_id: str) -> list[dict[str, Any]]:
        return [
            {"job_type": "FETCH_LEADS", "status": "COMPLETED"},
            {"job_type": "ENRICH_LEAD", "status": "COMPLETED"},
            {"job_type": "ENRICH_LEAD", "status": "PAUSED"},
        ]

    def jobs_page(self, campaign_id: str, page: int) -> dict[str, Any]:
        self.calls.append(f"jobs_page {campaign_id} {page}")
        jobs = self.jobs(campaign_id)
        pages = max(1, -(-len(jobs) // 100))
        return {"jobs": jobs[(page - 1) * 100 : page * 100], "total": len(jobs), "page": page, "pages": pages}

    def list_jobs(self, campaign_id: str) -> list[dict[str, Any]]:
        self.calls.append("list_jobs")
        return self.jobs(campaign_id)

    def pages_read(self) -> list[str]:
        return [c.removeprefix("jobs_page ") for c in self.calls if c.startswith("jobs_page ")]


class FakeProbe:
    def __init__(self) -> None:
        self.queries = 0

    def progress(self, campaign_ids: list[str]) -> dict[str, Progress]:
        self.queries += 1
        return {c: Progress(c, leads=20, fetch_status="COMPLETED") for c in campaign_ids}

    def job_errors(self, campaign_ids: list[str]) -> list[tuple[str, str, int]]:
        return []


@pytest.mark.parametrize(
    ("campaigns", "wanted", "expected"),
    [(10, range(10), 2), (1000, range(0, 1000, 7), 2), (2500, range(10), 2), (2500, [0, 2499], 4)],
)
def test_api_db_source_costs_one_breaker_read_one_list_per_1000_campaigns_and_one_query(
    campaigns: int, wanted: Sequence[int], expected: int
) -> None:
    # The organization's campaigns come 1,000 a request, newest first, and only until every campaign of
    # the wait was seen (the run's campaigns are the newest of its organization).
    client, probe = FakeClient(campaigns), FakeProbe()
    ids = [f"c{i}" for i in wanted]
    observation = ApiDbSource(client, probe, "org").observe(ids)
    assert observation.requests == expected
    assert probe.queries == 1
    assert set(observation.campaigns) == set(ids)  # other campaigns of the organization are ignored
    assert client.pages_read() == [] and "list_jobs" not in client.calls


def test_api_db_source_without_probe_reads_one_campaigns_jobs_per_cycle_and_carries_the_rest() -> None:
    client = FakeClient(3)
    source = ApiDbSource(client, None, "org")
    ids = ["c0", "c1", "c2"]
    first = source.observe(ids)
    assert first.requests == 3 and list(first.progress) == ["c0"] and set(first.campaigns) == set(ids)
    second = source.observe(ids)
    assert list(second.progress) == ["c0", "c1"]
    assert second.carried == {"c0"}  # read a cycle ago, and a PAUSED job may still change
    third = source.observe(ids)
    assert client.pages_read() == ["c0 1", "c1 1", "c2 1"]
    p = third.progress["c1"]
    assert (p.leads, p.fetch_status, p.enrich_completed, p.enrich_paused) == (2, "COMPLETED", 1, 1)
    assert third.requests == 3


def test_job_reads_in_turns_favour_unsettled_campaigns_and_still_visit_settled_ones() -> None:
    class Client(FakeClient):
        def jobs(self, campaign_id: str) -> list[dict[str, Any]]:
            status = "COMPLETED" if campaign_id == "c0" else "PROCESSING"
            return [
                {"job_type": "FETCH_LEADS", "status": "COMPLETED"},
                {"job_type": "ENRICH_LEAD", "status": status},
            ]

    client = Client(3)
    source = ApiDbSource(client, None, "org")
    observations = [source.observe(["c0", "c1", "c2"]) for _ in range(8)]
    # Turns 1-3 read each once; then c0 (settled) only on every 4th turn, the others in rotation.
    assert client.pages_read() == ["c0 1", "c1 1", "c2 1", "c0 1", "c1 1", "c2 1", "c1 1", "c0 1"]
    assert "c0" not in observations[-2].carried  # settled: its carried read cannot have gone stale


def test_a_campaign_whose_status_changed_loses_its_carried_progress_and_is_read_next() -> None:
    # After a pause or a resume, the progress read before it would vouch for the wrong moment.
    client = FakeClient(3)
    source = ApiDbSource(client, None, "org")
    ids = ["c0", "c1", "c2"]
    for _ in range(3):
        source.observe(ids)
    client.items[1]["status"] = "PAUSED"
    changed = source.observe(ids)  # reads c0 first, then sees c1 PAUSED in the list
    assert "c1" not in changed.progress and [c.id for c in changed.paused_campaigns()] == ["c1"]
    assert changed.requests == 3  # the pause costs no extra reads
    again = source.observe(ids)
    assert client.pages_read()[-2:] == ["c0 1", "c1 1"] and "c1" in again.progress


def test_a_campaign_with_more_than_a_page_of_jobs_is_read_over_several_turns() -> None:
    class Client(FakeClient):
        answers = 0

        def jobs(self, campaign_id: str) -> list[dict[str, Any]]:
            fetch = {"job_type": "FETCH_LEADS", "status": "COMPLETED"}
            leads = [{"id": n, "job_type": "ENRICH_LEAD", "status": "COMPLETED"} for n in range(150)]
            return [fetch, *leads]

        def jobs_page(self, campaign_id: str, page: int) -> dict[str, Any]:
            data = super().jobs_page(campaign_id, page)
            self.answers += 1
            if self.answers == 2:  # the first read's second page misses a job (rows moved between pages)
                data["jobs"] = data["jobs"][1:]
            return data

    client = Client(1)
    source = ApiDbSource(client, None, "org")
    seen = [source.observe(["c0"]) for _ in range(4)]
    assert client.pages_read() == ["c0 1", "c0 2", "c0 1", "c0 2"]  # read again once: a job was missed
    assert [o.progress.get("c0") is not None for o in seen] == [False, False, False, True]
    assert seen[-1].progress["c0"].leads == 150 and seen[-1].progress["c0"].enrichment_done


def test_progress_from_jobs_counts_the_leads_the_fetch_saved_before_their_jobs_exist() -> None:
    # A lead's ENRICH_LEAD job appears only once a worker takes its task: one job COMPLETED of three leads
    # is not done.
    jobs = [
        {
            "job_type": "FETCH_LEADS",
            "status": "COMPLETED",
            "result": "Successfully fetched 3 leads and queued",
        },
        {"job_type": "ENRICH_LEAD", "status": "COMPLETED"},
    ]
    p = progress_from_jobs("x", jobs)
    assert (p.leads, p.enrich_completed, p.enrichment_done) == (3, 1, False)


def test_without_a_probe_job_errors_of_a_report_come_from_the_turns_and_two_fresh_reads() -> None:
    class Client(FakeClient):
        def jobs(self, campaign_id: str) -> list[dict[str, Any]]:
            return [{"job_type": "ENRICH_LEAD", "status": "PAUSED", "error": f"paused {campaign_id}"}]

    client = Client(5)
    source = ApiDbSource(client, None, "org")
    ids = [f"c{i}" for i in range(5)]
    for _ in range(3):
        source.observe(ids)  # c0..c2 read
    client.items[4]["status"] = "PAUSED"
    source.observe(ids)
    client.calls.clear()
    rows = source.job_errors(ids)
    # Afresh: c4 (paused, never read) and c0 (read longest ago); the rest as their turns read them.
    assert client.calls == ["list_jobs", "list_jobs"]
    assert sorted(error for _, error, _ in rows) == [f"paused c{i}" for i in range(5)]


def test_a_trip_between_the_reads_of_one_cycle_never_shows_a_pause_without_its_breaker() -> None:
    # The platform opens the breaker, then pauses the campaigns. With the breakers read first, a trip between
    # the two reads of a cycle showed PAUSED campaigns beside closed breakers: a report without its service.
    class TrippingClient(FakeClient):
        tripped = False

        def _trip_after_the_first_read(self) -> None:
            if len(self.calls) == 1:
                self.tripped = True
                for item in self.items:
                    item["status"] = "PAUSED"

        def breakers(self) -> dict[str, BreakerState]:
            self.calls.append("breakers")
            state = breakers(openai="open") if self.tripped else breakers()
            self._trip_after_the_first_read()
            return state

        def organization_campaigns(self, organization_id: str, skip: int, limit: int) -> list[dict[str, Any]]:
            listed = [dict(item) for item in super().organization_campaigns(organization_id, skip, limit)]
            self._trip_after_the_first_read()
            return listed

    source = ApiDbSource(TrippingClient(2), FakeProbe(), "org")
    first, second = source.observe(["c0", "c1"]), source.observe(["c0", "c1"])
    for observation in (first, second):
        if observation.paused_campaigns():
            assert [b.service for b in observation.breakers.values() if not b.closed] == ["openai"]
    assert [c.id for c in second.paused_campaigns()] == ["c0", "c1"]


def test_progress_from_jobs_before_the_fetch() -> None:
    assert progress_from_jobs("x", []).fetch_status is None


# -- console progress (the lines themselves: test_progress.py) -----------------------------------------


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


# ------------------------------------------------------------------------------------------- bad answers


class Flaky:
    """An observation source whose first `bad` reads fail like the platform's poll reads can."""

    def __init__(self, bad: int, good: Observation) -> None:
        self.bad, self.good, self.calls = bad, good, 0

    def observe(self, campaign_ids: list[str]) -> Observation:
        self.calls += 1
        if self.calls <= self.bad:
            kinds = [
                ApiError("GET", "http://p/api/v1/queue-management/status", 500, "Internal Server Error"),
                ApiError("GET", "http://p/api/v1/campaigns/", 200, "expected a JSON object, got str: <html>"),
                ApiError("GET", "http://p/api/v1/campaigns/", None, "timed out after 10s"),
            ]
            raise kinds[(self.calls - 1) % len(kinds)]
        return self.good


def test_a_few_bad_poll_answers_in_a_row_are_warnings_not_failures() -> None:
    clock = FakeClock()
    done = obs({"c1": "RUNNING"}, {"c1": (2, "COMPLETED", 2)})
    source = Flaky(3, done)
    monitor = Monitor(source, clock)
    assert monitor.wait_for_enrichment(["c1"], 60).progress == done.progress
    assert source.calls == 4
    warnings = monitor.read_errors.warnings
    assert len(warnings) == 3
    assert warnings[0].startswith(
        "poll read GET /api/v1/queue-management/status -> 500: Internal Server Error"
    )
    assert "GET /api/v1/campaigns/ -> 200: expected a JSON object" in warnings[1]
    assert "GET /api/v1/campaigns/ -> no response: timed out" in warnings[2]


def test_a_platform_that_keeps_failing_poll_reads_fails_the_wait_naming_the_path() -> None:
    clock = FakeClock()
    monitor = Monitor(Flaky(100, obs({})), clock, poll_interval_s=0.5, max_interval_s=2.0)
    with pytest.raises(PlatformStoppedAnswering) as caught:
        monitor.wait_for_fetch(["c1"], 600)
    assert str(caught.value).startswith("the platform stopped answering /api/v1/queue-management/status")
    assert "(4 errors over 1.5 s)" in str(caught.value)
    assert clock.t - 1000.0 < 5, "it said so at once, not at the deadline"


def test_good_answers_reset_the_count_of_bad_ones() -> None:
    clock = FakeClock()
    errors = ReadErrors(limit=2)
    answers: Iterator[ApiError | int] = iter(
        [ApiError("GET", "http://p/x", 500, "a"), 1, ApiError("GET", "http://p/x", 500, "b"), 2]
    )

    def read() -> int:
        answer = next(answers)
        if isinstance(answer, ApiError):
            raise answer
        return answer

    assert errors.keep_reading(read, clock, 0.1) == 1
    assert errors.keep_reading(read, clock, 0.1) == 2
    assert len(errors.take_warnings()) == 2 and errors.warnings == []


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
    # The open breaker with nothing paused yet is looked at once more, at once: a third sample, same time.
    (t0, first, closed), (t1, second, not_closed), (t2, _, _) = chart["samples"]
    assert t2 == t1
    assert (t0, first, closed) == (0.0, {"a": [3, 20], "b": [4, 20]}, {})
    assert t1 == pytest.approx(0.2) and second == {"a": [9, 20], "b": [4, 20]}
    assert not_closed == {"openai": "open"}
    kinds = [(kind, label) for _, kind, label in chart["markers"]]
    assert kinds == [("breaker-opened", "openai breaker open"), ("pause-noticed", "service failure noticed")]


def test_a_cycle_without_progress_keeps_the_last_counts() -> None:
    # Without a database a failing cycle skips the job reads: the picture must not drop to zero there.
    blind = obs({"a": "PAUSED"}, None, messages={"a": "Campaign paused: Service openai unavailable"})
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


# --- the platform as built: breaker open with campaigns RUNNING, stalled resumes, settling, job errors ---


def jobs(
    statuses: dict[str, str],
    brk: dict[str, BreakerState] | None = None,
    **counts: tuple[int, int, int, int],
) -> Observation:
    """statuses: id -> campaign status; counts: id -> (leads, completed, paused, pending), none processing."""
    campaigns = {
        cid: CampaignSnapshot(cid, f"Campaign {cid}", st, total_records=10) for cid, st in statuses.items()
    }
    prog = {
        cid: Progress(
            cid,
            leads=leads,
            fetch_status="COMPLETED",
            enrich_total=done + paused + pending,
            enrich_completed=done,
            enrich_paused=paused,
            jobs_pending=pending,
        )
        for cid, (leads, done, paused, pending) in counts.items()
    }
    return Observation(at=0.0, breakers=brk or breakers(), campaigns=campaigns, progress=prog, requests=2)


class Scripted(Script):
    """A Script whose observations carry the time they were made (like Monitor.observe stamps them)."""

    def __init__(self, clock: FakeClock, observations: Sequence[Observation], errors: list[Any]) -> None:
        super().__init__(clock, observations)
        self.errors = errors
        self.error_reads = 0

    def job_errors(self, campaign_ids: list[str]) -> list[Any]:
        self.error_reads += 1
        return self.errors


def test_breaker_open_with_campaigns_still_running_fails_within_a_few_cycles_naming_everything() -> None:
    tripped = breakers(openai="open")
    tripped["openai"] = BreakerState(
        "openai", "open", 5, 5, True, "2026-12-01T20:00:00", "circuit_breaker_open"
    )
    before = jobs({"a": "RUNNING", "b": "RUNNING"}, a=(10, 2, 0, 0), b=(10, 1, 0, 0))
    after = jobs({"a": "RUNNING", "b": "RUNNING"}, brk=tripped, a=(10, 2, 4, 0), b=(10, 1, 3, 0))
    clock = FakeClock()
    errors = [("PAUSED", "Job paused: Required service openai unavailable", 7)]
    source = Scripted(clock, [before, after], errors)
    monitor = Monitor(source, clock, 0.2, 2.0)
    with pytest.raises(AssertionError) as caught:
        monitor.wait_for_pause(["a", "b"], 60, "openai")
    text = str(caught.value)
    assert not isinstance(caught.value, DeadlineExceeded)
    waited = clock.t - 1000.0
    assert waited < 5, f"took {waited:.1f}s of a 60 s deadline"
    assert "breaker openai (open, 5/5 failures, paused_at 2026-12-01T20:00:00) opened" in text
    assert "first seen 0.2s into the scenario" in text
    assert "stayed RUNNING" in text and "Campaign a (a), Campaign b (b)" in text
    assert "7 of their jobs are PAUSED" in text
    assert "PAUSED Job paused: Required service openai unavailable (7 jobs)" in text.splitlines()[2]


def test_breaker_open_with_campaigns_pausing_soon_after_is_the_expected_pause() -> None:
    tripped = breakers(openai="open")
    running = jobs({"a": "RUNNING"}, brk=tripped, a=(10, 2, 1, 0))
    paused = jobs({"a": "PAUSED"}, brk=tripped, a=(10, 2, 1, 0))
    monitor, _, _ = make([running, paused])
    report = monitor.wait_for_pause(["a"], 60, "openai")
    assert [c.id for c in report.paused_campaigns] == ["a"]


def test_resume_that_redispatches_nothing_is_reported_long_before_the_deadline() -> None:
    stuck = jobs({"a": "RUNNING", "b": "RUNNING"}, a=(10, 3, 2, 5), b=(10, 4, 0, 6))
    monitor, _, clock = make([stuck], stall_s=5.0)
    monitor.note_resume()
    with pytest.raises(AssertionError) as caught:
        monitor.wait_for_enrichment(["a", "b"], 600)
    first = str(caught.value).splitlines()[0]
    assert re.fullmatch(
        r"11 jobs PENDING for [56] s after resume, none processing; 2 jobs still PAUSED", first
    ), first
    assert 5 <= clock.t - 1000.0 < 10


def test_jobs_resume_did_not_find_are_reported_as_still_paused() -> None:
    stuck = jobs({"a": "RUNNING"}, a=(10, 3, 7, 0))
    monitor, _, _ = make([stuck], stall_s=5.0)
    monitor.note_resume()
    with pytest.raises(AssertionError) as caught:
        monitor.wait_for_enrichment(["a"], 600)
    first = str(caught.value).splitlines()[0]
    assert re.fullmatch(
        r"7 jobs still PAUSED for [56] s after resume, none processing \(7 leads not enriched\)", first
    )


def test_work_stops_once_every_lead_has_a_finished_or_parked_job() -> None:
    moving = Observation(
        0.0, breakers(openai="open"), {}, {"a": Progress("a", 10, "COMPLETED", 8, 4, 0, 4, 0, 2)}
    )
    waiting = Observation(0.0, breakers(openai="open"), {}, {"a": Progress("a", 10, "COMPLETED", 8, 4, 0, 4)})
    stopped = Observation(
        0.0, breakers(openai="open"), {}, {"a": Progress("a", 10, "COMPLETED", 10, 4, 0, 6)}
    )
    monitor, source, _ = make([moving, waiting, stopped])
    assert monitor.wait_for_work_stopped(["a"], 60).progress == stopped.progress
    assert source.calls == 3


def test_leads_never_given_a_job_once_the_fetch_completed_and_jobs_settled_fail_naming_them() -> None:
    waiting = jobs({"a": "RUNNING"}, a=(10, 3, 0, 0))  # 10 leads, 3 jobs COMPLETED, nothing else
    monitor, _, clock = make([waiting], stall_s=5.0)
    with pytest.raises(AssertionError) as caught:
        monitor.wait_for_enrichment(["a"], 600)
    assert not isinstance(caught.value, DeadlineExceeded)
    first = str(caught.value).splitlines()[0]
    assert re.fullmatch(
        r"7 leads with no enrichment job [56] s after their fetch COMPLETED, the jobs that exist settled "
        r"\(Campaign a \(a\): 7\)",
        first,
    ), first
    assert 5 <= clock.t - 1000.0 <= 5 + 2.0  # within stall_s plus one poll


def test_enrichment_that_keeps_moving_is_not_a_stall() -> None:
    steps = [jobs({"a": "RUNNING"}, a=(10, done, 0, 10 - done)) for done in range(0, 11)]
    monitor, _, _ = make(steps, stall_s=1.0, poll=0.5, cap=0.5)
    assert monitor.wait_for_enrichment(["a"], 600).progress["a"].enrich_completed == 10


def test_without_a_stall_limit_only_the_deadline_ends_a_stuck_enrichment() -> None:
    stuck = jobs({"a": "RUNNING"}, a=(10, 3, 0, 7))
    monitor, _, _ = make([stuck])
    with pytest.raises(DeadlineExceeded):
        monitor.wait_for_enrichment(["a"], 30)


def test_settling_waits_only_while_the_runs_own_jobs_are_processing() -> None:
    busy = Observation(
        0.0, breakers(), {}, {"old": Progress("old", leads=5, jobs_processing=2, jobs_pending=3)}
    )
    idle = Observation(0.0, breakers(), {}, {"old": Progress("old", leads=5, enrich_completed=5)})
    monitor, source, _ = make([busy, busy, idle])
    monitor.wait_until_settled(["old"], 60, quiet_s=1.0)
    assert source.calls == 3


def test_settling_accepts_jobs_left_pending_with_nothing_processing_after_the_quiet_time() -> None:
    stuck = Observation(0.0, breakers(), {}, {"old": Progress("old", leads=5, jobs_pending=5)})
    monitor, _, clock = make([stuck])
    monitor.wait_until_settled(["old"], 60, quiet_s=1.0)
    assert 1.0 <= clock.t - 1000.0 < 3.0


def test_settling_waits_for_every_campaigns_progress_when_it_is_read_in_turns() -> None:
    # Without a database the first cycles know only some campaigns' jobs: unknown is not settled.
    idle = Progress("old", leads=5, enrich_completed=5)
    first = Observation(0.0, breakers(), {}, {"old": idle})
    both = Observation(
        0.0, breakers(), {}, {"old": idle, "older": dataclasses.replace(idle, campaign_id="older")}
    )
    monitor, source, _ = make([first, first, both])
    monitor.wait_until_settled(["old", "older"], 60, quiet_s=1.0)
    assert source.calls == 3


def test_settling_with_no_earlier_campaign_reads_nothing() -> None:
    monitor, source, _ = make([RUNNING])
    monitor.wait_until_settled([], 60, quiet_s=1.0)
    assert source.calls == 0


def test_a_service_failure_report_carries_the_distinct_job_errors() -> None:
    tripped = jobs({"a": "RUNNING"}, brk=breakers(openai="open"), a=(10, 2, 3, 0))
    clock = FakeClock()
    limit = "Rate limit exceeded for OpenAI API. Remaining requests: 0. Try again in 60 seconds."
    errors = [
        ("PAUSED", "Job paused: Required service openai unavailable", 3),
        ("COMPLETED", json.dumps({"email_copy": limit, "instantly": None}), 4),
        ("COMPLETED", None, 2),
        ("COMPLETED", json.dumps({"instantly": "Skipping lead 0c9fd1c3-e52f-4bfa-8ab6-990bab998ed0"}), 1),
        ("COMPLETED", json.dumps({"instantly": "Skipping lead 3c1acc1c-24b9-4b07-a8eb-123b780df7c0"}), 1),
    ]
    source = Scripted(clock, [tripped], errors)
    monitor = Monitor(source, clock, 0.2, 2.0)
    with pytest.raises(ServiceFailure) as caught:
        monitor.wait_for_enrichment(["a"], 600)
    report = caught.value.report
    assert report.job_errors == (
        "PAUSED Job paused: Required service openai unavailable (3 jobs)",
        f"COMPLETED email_copy: {limit} (4 jobs)",
        "COMPLETED instantly: Skipping lead <id> (2 jobs)",
    )
    assert report.rate_limited
    assert "opened by the platform's own rate limiter, not a third-party failure" in report.reason
    assert "Rate limit exceeded for OpenAI API" in report.reason
    assert "errors of the run's paused or failed jobs:" in report.render_text()
    assert report.to_dict()["job_errors"] == list(report.job_errors)


def test_a_third_party_failure_is_not_called_a_rate_limit() -> None:
    report = breaker_report(
        breakers(openai="open"), job_errors=("PAUSED Paused due to openai service failure: boom (3 jobs)",)
    )
    assert not report.rate_limited
    assert "rate limiter" not in report.reason
    assert report.reason.endswith("job errors: PAUSED Paused due to openai service failure: boom (3 jobs)")


def test_job_errors_without_a_probe_come_from_the_jobs_endpoint() -> None:
    class Client:
        def list_jobs(self, campaign_id: str) -> list[dict[str, Any]]:
            return [{"status": "PAUSED", "error": "x"}, {"status": "COMPLETED", "error": None}]

    source = ApiDbSource(Client(), None, "org")  # type: ignore[arg-type]
    assert source.job_errors(["a", "b"]) == [("PAUSED", "x", 1), ("PAUSED", "x", 1)]
    assert summarize_job_errors(source.job_errors(["a", "b"])) == ("PAUSED x (2 jobs)",)


# --- stuck work of any state, named with its age (issue 14 point 2) ---------------------------------


def fetch(statuses: dict[str, str], **fetches: str | None) -> Observation:
    """statuses: id -> campaign status; fetches: id -> the FETCH_LEADS job's status, no lead yet."""
    campaigns = {
        cid: CampaignSnapshot(cid, f"Campaign {cid}", st, total_records=10) for cid, st in statuses.items()
    }
    prog = {
        cid: Progress(
            cid,
            fetch_status=status,
            jobs_pending=int(status == "PENDING"),
            jobs_processing=int(status == "PROCESSING"),
        )
        for cid, status in fetches.items()
    }
    return Observation(at=0.0, breakers=breakers(), campaigns=campaigns, progress=prog, requests=2)


def test_a_fetch_left_pending_with_nothing_of_the_run_changing_fails_after_stall_s_naming_it() -> None:
    monitor, _, clock = make([fetch({"a": "RUNNING"}, a="PENDING")], stall_s=5.0)
    with pytest.raises(AssertionError) as caught:
        monitor.wait_for_fetch(["a"], 180)
    assert not isinstance(caught.value, DeadlineExceeded)
    first = str(caught.value).splitlines()[0]
    assert re.fullmatch(
        r"FETCH_LEADS job PENDING for [56] s with nothing of the run changing: Campaign a \(a\)", first
    ), first
    assert 5 <= clock.t - 1000.0 <= 5 + 2.0  # stall_s plus one poll


def test_a_fetch_stuck_processing_is_named_too() -> None:
    stuck = fetch({"a": "RUNNING", "b": "RUNNING"}, a="COMPLETED", b="PROCESSING")
    stuck.progress["a"] = Progress("a", 10, "COMPLETED", 10, 10)
    monitor, _, _ = make([stuck], stall_s=5.0)
    with pytest.raises(AssertionError, match=r"^FETCH_LEADS job PROCESSING for [56] s .*: Campaign b \(b\)"):
        monitor.wait_for_fetch(["a", "b"], 180)


def test_a_fetch_that_completed_with_zero_leads_fails_at_once_in_its_own_words() -> None:
    empty = obs({"a": "RUNNING"}, {"a": (0, "COMPLETED", 0)})
    monitor, source, _ = make([empty])
    with pytest.raises(AssertionError) as caught:
        monitor.wait_for_fetch(["a"], 180)
    assert (
        str(caught.value).splitlines()[0]
        == "fetch failed: fetch COMPLETED with zero leads for Campaign a (a)"
    )
    assert source.calls == 1


def processing(done: int, busy: int, leads: int = 10) -> Observation:
    return Observation(
        0.0,
        breakers(),
        {"a": CampaignSnapshot("a", "Campaign a", "RUNNING", total_records=leads)},
        {"a": Progress("a", leads, "COMPLETED", done + busy, done, jobs_processing=busy)},
        requests=2,
    )


def test_jobs_processing_with_nothing_of_the_run_changing_fail_after_stall_s_naming_them() -> None:
    monitor, _, clock = make([processing(4, 2), processing(6, 4)], stall_s=5.0)
    with pytest.raises(AssertionError) as caught:
        monitor.wait_for_enrichment(["a"], 600)
    assert not isinstance(caught.value, DeadlineExceeded)
    first = str(caught.value).splitlines()[0]
    assert re.fullmatch(
        r"4 ENRICH_LEAD jobs PROCESSING for [56] s with nothing of the run changing \(Campaign a \(a\): 4\)",
        first,
    ), first
    assert 5 <= clock.t - 1000.0 - 0.2 <= 5 + 2.0  # counted from the last change (the 2nd look, at 0.2 s)


def test_leads_the_jobs_endpoint_cannot_show_are_counted_from_the_leads_the_suite_saw() -> None:
    # Without a database progress counts jobs only: 3 leads with 3 COMPLETED jobs looks done.
    looks_done = jobs({"a": "RUNNING"}, a=(3, 3, 0, 0))
    monitor, _, _ = make([looks_done], stall_s=5.0)
    with pytest.raises(AssertionError, match=r"^2 leads with no enrichment job"):
        monitor.wait_for_enrichment(["a"], 600, leads={"a": 5})


def test_a_deadline_says_what_still_moved_and_how_fast() -> None:
    steps = [processing(done, 2, leads=100) for done in range(0, 100)]
    monitor, _, _ = make(steps, stall_s=30.0, poll=0.5, cap=0.5)
    with pytest.raises(DeadlineExceeded) as caught:
        monitor.wait_for_enrichment(["a"], 10)
    first = str(caught.value).splitlines()[0]
    # How many cycles fit in 10 s is the pacing's business; the figures must agree with one another.
    said = re.search(
        r"still moving: (\d+) leads enriched in 10\.0s \((\d+\.\d\d) leads/s\), (\d+)/100 done, (\d+) to go "
        r"\(about (\d+) s more at that rate\)$",
        first,
    )
    assert said, first
    moved, rate, done, left, more = (float(g) for g in said.groups())
    assert moved == done and done > 0 and left == 100 - done, first
    assert rate == pytest.approx(moved / 10, abs=0.01) and more == pytest.approx(left / rate, abs=1), first


def test_enrichment_beyond_the_jobs_in_flight_while_the_service_is_paused_fails_at_once() -> None:
    paused_at = Observation(
        0.0, breakers(openai="open"), {}, {"a": Progress("a", 10, "COMPLETED", 6, 4, 0, 0, 0, 2)}
    )
    in_flight_done = Observation(
        0.0, breakers(openai="open"), {}, {"a": Progress("a", 10, "COMPLETED", 10, 6, 0, 4, 0, 0)}
    )
    monitor, _, _ = make([in_flight_done])
    # The 2 jobs in flight finishing is fine: the work stopped.
    monitor.wait_for_work_stopped(["a"], 60, paused=paused_at, service="openai")
    beyond = Observation(
        0.0, breakers(openai="open"), {}, {"a": Progress("a", 10, "COMPLETED", 10, 9, 0, 0, 0, 1)}
    )
    monitor, source, _ = make([beyond])
    with pytest.raises(AssertionError) as caught:
        monitor.wait_for_work_stopped(["a"], 60, paused=paused_at, service="openai")
    assert str(caught.value).splitlines()[0] == (
        "leads were enriched while openai is paused, beyond the jobs already in flight: a: 5 more leads "
        "enriched (4 COMPLETED and 2 PROCESSING when the pause was in place, 9 COMPLETED now)"
    )
    assert source.calls == 1


def test_a_breaker_closed_past_its_threshold_on_two_reads_in_a_row_is_a_contradiction() -> None:
    past = breakers()
    past["openai"] = BreakerState("openai", "closed", 7, 5)
    monitor, _, _ = make([RUNNING])
    monitor.check_breakers_agree(past)  # one read may fall between the failure and the transition
    with pytest.raises(AssertionError) as caught:
        monitor.check_breakers_agree(past)
    assert str(caught.value) == (
        "the breaker status contradicts itself: openai is closed with 7/5 failures, at or past its threshold"
    )
    monitor.check_breakers_agree(breakers())  # below the threshold: nothing to say
    monitor.check_breakers_agree(past)


def test_what_the_platform_says_after_an_action_must_agree_within_one_poll() -> None:
    answers = iter(["status still says openai closed", None])
    monitor, _, clock = make([RUNNING], cap=2.0)
    monitor.agree_within_one_poll(lambda: next(answers))
    assert clock.t - 1000.0 == pytest.approx(0.2)
    monitor, _, clock = make([RUNNING], cap=2.0)
    with pytest.raises(AssertionError) as caught:
        monitor.agree_within_one_poll(
            lambda: "pause-service answered paused; status still says openai closed"
        )
    assert str(caught.value) == (
        "pause-service answered paused; status still says openai closed (after 2.0 s, one poll)"
    )
    assert clock.t - 1000.0 == pytest.approx(2.0)


def test_earlier_work_processing_with_nothing_changing_fails_the_settling_after_stall_s() -> None:
    busy = Observation(
        0.0,
        breakers(),
        {},
        {"old": Progress("old", leads=5, fetch_status="COMPLETED", enrich_total=5, jobs_processing=2)},
    )
    monitor, _, clock = make([busy], stall_s=5.0)
    with pytest.raises(AssertionError) as caught:
        monitor.wait_until_settled(["old"], 60, quiet_s=1.0)
    assert not isinstance(caught.value, DeadlineExceeded)
    first = str(caught.value).splitlines()[0]
    assert re.fullmatch(
        r"the run's earlier work did not settle: 2 ENRICH_LEAD jobs PROCESSING for [56] s with nothing of "
        r"the run changing \(old: 2\)",
        first,
    ), first
    assert 5 <= clock.t - 1000.0 <= 7


def paused_for(message: str, open_breaker: bool = False) -> Observation:
    states = breakers(openai="open") if open_breaker else breakers()
    return Observation(
        0.0,
        states,
        {"a": CampaignSnapshot("a", "Campaign a", "PAUSED", message, total_records=10)},
        {"a": Progress("a", 10, "COMPLETED", 10, 4, 0, 6)},
    )


def test_more_enrichment_jobs_than_leads_while_paused_is_a_lead_enriched_twice() -> None:
    paused_at = Observation(
        0.0, breakers(openai="open"), {}, {"a": Progress("a", 10, "COMPLETED", 10, 4, 0, 6)}
    )
    twice = Observation(
        0.0, breakers(openai="open"), {}, {"a": Progress("a", 10, "COMPLETED", 14, 8, 0, 6)}
    )  # 4 more COMPLETED with nothing in flight: new jobs for leads that had one
    monitor, _, _ = make([twice])
    with pytest.raises(ProgressFailure, match=r"^leads enriched twice .*: 14 ENRICH_LEAD jobs for 10 leads"):
        monitor.wait_for_work_stopped(["a"], 60, paused=paused_at, service="openai")


def test_a_campaign_paused_for_no_service_with_every_breaker_closed_is_a_product_failure_not_an_abort() -> (
    None
):
    monitor, source, _ = make([paused_for("Campaign paused: queue busy")] * 3)
    with pytest.raises(
        ProgressFailure, match=r"PAUSED with every breaker closed and no service named"
    ) as caught:
        monitor.wait_for_enrichment(["a"], 60)
    assert "Campaign a (a) ('Campaign paused: queue busy')" in str(caught.value)
    assert source.calls == 2  # read again before deciding: not a read between a resume's two changes


@pytest.mark.parametrize(
    ("message", "open_breaker"), [("Service openai unavailable: paused", False), ("queue busy", True)]
)
def test_a_campaign_paused_for_a_service_or_beside_an_open_breaker_stays_a_service_failure(
    message: str, open_breaker: bool
) -> None:
    monitor, _, _ = make([paused_for(message, open_breaker)] * 3)
    with pytest.raises(ServiceFailure):
        monitor.wait_for_enrichment(["a"], 60)


def test_a_breaker_seen_open_before_its_campaigns_pause_is_read_again_so_the_report_lists_them() -> None:
    # The platform opens the breaker, then pauses the campaigns in a write: a read can fall between.
    opened = obs({"a": "RUNNING"}, {"a": (20, "COMPLETED", 3)}, brk=breakers(openai="open"))
    paused = obs(
        {"a": "PAUSED"},
        {"a": (20, "COMPLETED", 3)},
        brk=breakers(openai="open"),
        messages={"a": "openai down"},
    )
    monitor, source, clock = make([opened, paused])
    with pytest.raises(ServiceFailure) as caught:
        monitor.wait_for_enrichment(["a"], 60)
    assert [c.id for c in caught.value.report.paused_campaigns] == ["a"]
    assert source.calls == 2 and clock.slept == []  # the second look at once, no sleep between
