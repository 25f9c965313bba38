"""The report's picture: geometry from a monitor's chart data (series, breaker bands, markers, words)."""

from __future__ import annotations

from typing import Any

import pytest

from campaign_acceptance.errors import ServiceFailure
from campaign_acceptance.model import SERVICES, BreakerState, CampaignSnapshot, Observation, Progress
from campaign_acceptance.monitor import Monitor
from campaign_acceptance.picture import BOTTOM, LEFT, MAX_POINTS, RIGHT, TOP, build_picture
from support.clocks import FakeClock


def chart(samples: list[list[Any]], markers: list[list[Any]] | None = None) -> dict[str, Any]:
    return {
        "campaigns": [
            {"id": "a", "name": "run-1 campaign 1 of 2"},
            {"id": "b", "name": "run-1 campaign 2 of 2"},
        ],
        "samples": samples,
        "markers": markers or [],
    }


SAMPLES = [
    [0.0, {"a": [0, 10], "b": [0, 10]}, {}],
    [2.0, {"a": [5, 10], "b": [2, 10]}, {}],
    [4.0, {"a": [8, 10], "b": [3, 10]}, {"openai": "open"}],
    [6.0, {"a": [8, 10], "b": [3, 10]}, {"openai": "half_open"}],
    [8.0, {"a": [10, 10], "b": [10, 10]}, {}],
]


def test_one_series_per_campaign_inside_the_plot_with_final_counts() -> None:
    picture = build_picture(chart(SAMPLES), run_id="run-1")
    assert picture is not None
    assert [s.label for s in picture.series] == ["campaign 1 of 2", "campaign 2 of 2"]  # run id left out
    assert [(s.enriched, s.expected) for s in picture.series] == [(10, 10), (10, 10)]
    points = [tuple(map(float, p.split(","))) for p in picture.series[0].points.split()]
    assert points[0] == (LEFT, BOTTOM) and points[-1] == (RIGHT, TOP)
    assert all(LEFT <= x <= RIGHT and TOP <= y <= BOTTOM for x, y in points)
    assert len({s.color for s in picture.series}) == 2


def test_a_merged_runs_ids_are_left_out_of_the_labels_whichever_shard_made_the_campaign() -> None:
    picture = build_picture(chart(SAMPLES), run_id="run-0, run-1")
    assert picture is not None
    assert [s.label for s in picture.series] == ["campaign 1 of 2", "campaign 2 of 2"]


def test_breaker_bands_follow_the_states_on_the_same_time_axis() -> None:
    picture = build_picture(chart(SAMPLES))
    assert picture is not None
    (band,) = picture.bands
    assert band.label == "openai"
    assert [(seg.state, seg.start_s, seg.end_s) for seg in band.segments] == [
        ("open", 4.0, 6.0),
        ("half_open", 6.0, 8.0),
    ]
    assert band.segments[0].x == LEFT + (RIGHT - LEFT) / 2
    # One poll saw each state: the words say so, and where the next poll saw another one.
    assert "openai breaker open at one poll only (4.0 s), half-open by the next poll (6.0 s)" in (
        picture.description
    )
    assert "openai breaker half-open at one poll only (6.0 s), closed by the next poll (8.0 s)" in (
        picture.description
    )


def test_no_breaker_left_closed_is_one_green_band_and_said_in_words() -> None:
    picture = build_picture(chart([[0.0, {"a": [1, 5]}, {}], [1.0, {"a": [5, 5]}, {}]]))
    assert picture is not None
    assert [(b.label, b.segments) for b in picture.bands] == [("all breakers closed", ())]
    assert len(picture.series) == 1  # b was never observed
    assert "Every breaker stayed closed." in picture.description


def test_markers_are_numbered_in_time_order_and_stretch_the_axis() -> None:
    markers = [
        [12.0, "deadline", "enrichment deadline (12 s)"],
        [4.0, "breaker-opened", "openai breaker open"],
    ]
    picture = build_picture(chart(SAMPLES, markers))
    assert picture is not None
    assert [(m.number, m.kind) for m in picture.markers] == [(1, "breaker-opened"), (2, "deadline")]
    assert picture.duration_s == 12.0 and picture.markers[1].x == RIGHT
    assert "deadline (enrichment deadline (12 s)) at 12.0 s" in picture.description


def test_long_waits_are_thinned_but_keep_the_last_sample() -> None:
    samples = [[i * 0.5, {"a": [min(i, 10), 10]}, {}] for i in range(MAX_POINTS * 3)]
    picture = build_picture(chart(samples))
    assert picture is not None
    points = picture.series[0].points.split()
    assert len(points) == MAX_POINTS and float(points[-1].split(",")[0]) == RIGHT


def test_nothing_observed_is_no_picture() -> None:
    assert build_picture(None) is None
    assert build_picture({"campaigns": [], "samples": [], "markers": []}) is None


def test_markers_close_together_share_one_badge_and_a_last_cycle_state_still_shows() -> None:
    samples = [*SAMPLES[:4], [8.0, {"a": [10, 10], "b": [10, 10]}, {"openai": "open"}]]
    markers = [[8.0, "breaker-opened", "openai breaker open"], [8.0, "pause-noticed", "pause noticed"]]
    picture = build_picture(chart(samples, markers))
    assert picture is not None
    assert [m.badge for m in picture.markers] == ["1-2", None]
    last = picture.bands[0].segments[-1]
    assert (last.start_s, last.end_s) == (8.0, 8.0) and last.width >= 5 and last.x + last.width <= RIGHT
    # Seen open only by the last poll: never "open from 8.0 s to 8.0 s".
    assert picture.breaker_text[-1] == (
        "openai breaker open at the last poll only (8.0 s), when the monitor stopped watching"
    )
    assert "from 8.0 s to 8.0 s" not in picture.description


def test_a_stretch_seen_by_several_polls_says_from_when_and_how_many() -> None:
    samples = [
        [0.0, {"a": [0, 10]}, {}],
        [1.0, {"a": [1, 10]}, {"openai": "open"}],
        [2.0, {"a": [1, 10]}, {"openai": "open"}],
        [3.0, {"a": [1, 10]}, {"openai": "open"}],
        [4.0, {"a": [5, 10]}, {}],
    ]
    picture = build_picture(chart(samples))
    assert picture is not None
    (text,) = picture.breaker_text
    assert text == "openai breaker open from 1.0 s (3 polls), closed by the next poll (4.0 s)"


def test_the_axis_is_the_scenarios_campaigns_not_others_the_monitor_also_watched() -> None:
    # A wait for the run's earlier work saw another scenario's campaign of 20 leads.
    samples = [
        [0.0, {"other": [20, 20]}, {}],
        [1.0, {"a": [2, 10], "b": [1, 10]}, {}],
        [2.0, {"a": [10, 10], "b": [10, 10]}, {}],
    ]
    picture = build_picture(chart(samples))
    assert picture is not None
    assert picture.campaigns == 2 and picture.y_max == 10
    assert picture.y_ticks[-1] == (TOP, "10")  # the top of the axis is labelled with the lead count


def test_the_top_of_the_axis_is_labelled_even_off_the_tick_step() -> None:
    picture = build_picture(chart([[0.0, {"a": [0, 5]}, {}], [1.0, {"a": [5, 5]}, {}]]))
    assert picture is not None
    assert [label for _, label in picture.y_ticks] == ["0", "2", "4", "5"]


def test_identical_lines_are_drawn_once_naming_every_campaign_and_the_others_differ_in_dash() -> None:
    three = {
        "campaigns": [{"id": c, "name": f"run-1 campaign {n} of 3"} for n, c in enumerate("abc", 1)],
        "samples": [
            [0.0, {"a": [0, 10], "b": [0, 10], "c": [0, 10]}, {}],
            [1.0, {"a": [8, 10], "b": [0, 10], "c": [0, 10]}, {}],
        ],
        "markers": [],
    }
    picture = build_picture(three, run_id="run-1")
    assert picture is not None
    assert picture.campaigns == 3 and len(picture.series) == 2  # b and c lie on top of each other
    assert [s.campaigns for s in picture.series] == [1, 2]
    assert picture.series[1].label == "campaign 2 of 3 and campaign 3 of 3 (one line: identical)"
    assert picture.series[0].dash != picture.series[1].dash
    assert picture.description.startswith("Enriched leads of 3 campaigns over 1.0 s: ")
    assert "campaign 2 of 3 and campaign 3 of 3 (one line: identical) each reached 0 of 10" in (
        picture.description
    )


class _Seen:
    """An observation source that returns what it is given (one cycle per call)."""

    def __init__(self, clock: FakeClock, cycles: list[Observation]) -> None:
        self.clock, self.cycles = clock, cycles

    def observe(self, campaign_ids: list[str]) -> Observation:
        self.clock.t += 1.0
        return self.cycles.pop(0)


def test_the_monitors_chart_keeps_only_the_scenarios_campaigns() -> None:
    def cycle(*ids: str, leads: int) -> Observation:
        progress = {c: Progress(c, leads=leads, fetch_status="COMPLETED") for c in ids}
        return Observation(at=0.0, breakers={}, campaigns={}, progress=progress)

    clock = FakeClock()
    monitor = Monitor(_Seen(clock, [cycle("earlier", leads=20), cycle("mine", leads=10)]), clock)
    monitor.observe(["earlier"], "settle")  # the run's earlier work, another scenario's campaign
    monitor.observe(["mine"], "fetch")
    monitor.names["mine"] = "run-1 campaign 1 of 1"
    chart_data = monitor.chart(["mine"])
    assert chart_data is not None
    assert {cid for sample in chart_data["samples"] for cid in sample[1]} == {"mine"}
    assert [c["id"] for c in chart_data["campaigns"]] == ["mine"]


BEGAN_AT = 1_767_225_600.0  # 2026-01-01T00:00:00Z, the scenario's start on the wall clock


def _cycle(status: str, open_breaker: bool) -> Observation:
    # The platform paused openai's queue 6.5 s into the scenario, and says so in its own (UTC) time.
    opened = BreakerState("openai", "open", 5, 5, True, "2026-01-01T00:00:06.500000", "circuit_breaker_open")
    states = {svc: BreakerState(svc, "closed") for svc in SERVICES}
    if open_breaker:
        states["openai"] = opened
    campaign = CampaignSnapshot("a", "run-1 campaign 1 of 1", status, total_records=10)
    progress = Progress("a", leads=10, fetch_status="COMPLETED", enrich_total=10, enrich_completed=2)
    return Observation(at=0.0, breakers=states, campaigns={"a": campaign}, progress={"a": progress})


def test_the_picture_the_evidence_and_the_messages_share_the_scenarios_clock() -> None:
    # The scenario began 5 s before its monitor's wait: every time it reports counts from its start.
    clock = FakeClock()
    cycles = [_cycle("RUNNING", False), _cycle("RUNNING", True), *[_cycle("RUNNING", True)] * 20]
    monitor = Monitor(_Seen(clock, cycles), clock, 0.2, 0.5, origin=clock.t - 5.0, origin_epoch=BEGAN_AT)
    with pytest.raises(AssertionError) as caught:
        monitor.wait_for_pause(["a"], 60, "openai")
    # Each cycle costs 1 s: the first at 5 + 1 s, the second (breaker open) after the shortest sleep (a
    # cycle this slow leaves nothing of the 0.5 s notice budget: MIN_SLEEP_S, 0.05 s), at 7.05 s.
    assert "first seen 7.0s into the scenario" in str(caught.value)
    assert "paused_at 6.5s into the scenario" in str(caught.value)  # the platform's stamp, same clock
    chart_data = monitor.chart(["a"])
    assert chart_data is not None and chart_data["samples"][0][0] == 6.0
    assert chart_data["began_at"] == BEGAN_AT  # for the report's cells of platform time
    assert chart_data["markers"][0][:2] == [7.05, "breaker-opened"]  # the picture's moment: the same time


def test_a_service_failures_evidence_is_noticed_on_the_scenarios_clock() -> None:
    clock = FakeClock()
    monitor = Monitor(
        _Seen(clock, [_cycle("RUNNING", False), _cycle("PAUSED", True)]), clock, origin=clock.t - 5.0
    )
    with pytest.raises(ServiceFailure) as caught:
        monitor.wait_for_enrichment(["a"], 60)
    assert caught.value.report.detected_at == pytest.approx(7.05)  # 5 s + 1 s + the 0.05 s sleep + 1 s


def test_a_scenario_that_only_saw_other_scenarios_campaigns_has_no_chart() -> None:
    # E.g. the contract check: it settles the run's earlier work but starts no campaign of its own, so its
    # report card has no picture and status.json no timeline (they agree).
    clock = FakeClock()
    monitor = Monitor(_Seen(clock, [Observation(at=0.0, breakers={}, campaigns={}, progress={})]), clock)
    monitor.observe(["earlier"], "settle")
    monitor.names["earlier"] = "run-1 campaign 1 of 3"
    assert monitor.chart([]) is None
    assert monitor.chart(["earlier"]) is not None
