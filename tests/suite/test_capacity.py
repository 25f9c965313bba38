"""Capacity figures: percentiles, throughput per minute, latency from job timestamps, their round trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from campaign_acceptance.capacity import (
    CapacityFigures,
    EnrichmentTiming,
    JobTiming,
    capacity_figures,
    parse_timestamp,
    peak_rss_mb,
    percentile,
    timings_from_api,
)

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
TIMING = EnrichmentTiming("features/c.feature:9", "cap", 2, 4, 1.5, 130.0)


def job(kind: str, created_s: float, completed_s: float | None, status: str = "COMPLETED") -> JobTiming:
    done = None if completed_s is None else T0 + timedelta(seconds=completed_s)
    return JobTiming(kind, status, T0 + timedelta(seconds=created_s), done)


@pytest.mark.parametrize(
    ("p", "expected"),
    [(50, 5.0), (95, 10.0), (99, 10.0), (10, 1.0), (100, 10.0)],
)
def test_percentile_is_nearest_rank(p: float, expected: float) -> None:
    assert percentile([float(v) for v in range(10, 0, -1)], p) == expected


def test_percentile_of_nothing_is_zero() -> None:
    assert percentile([], 50) == 0.0


def test_figures_from_job_timestamps() -> None:
    jobs = [
        job("FETCH_LEADS", 0, 2),
        job("ENRICH_LEAD", 2, 3),  # 1 s, completes in minute 1
        job("ENRICH_LEAD", 2, 5),  # 3 s
        job("ENRICH_LEAD", 50, 70),  # 20 s, completes in minute 2
        job("ENRICH_LEAD", 100, 130),  # 30 s, minute 3 (10 s long)
        job("ENRICH_LEAD", 100, None, status="PROCESSING"),  # not done: no latency
        job("ENRICH_LEAD", 100, 101, status="FAILED"),  # not a completed enrichment
    ]
    figures = capacity_figures(TIMING, 2, jobs, requests=30, cycles=12, source="database", peak_mb=50.0)
    assert figures.leads_enriched == 4
    assert figures.enrichment_span_s == 130.0  # first job created -> last enrichment completed
    assert figures.leads_per_second == pytest.approx(4 / 130)
    assert figures.per_minute == pytest.approx((2 / 60, 1 / 60, 1 / 10))
    assert figures.latency_s == {"p50": 3.0, "p95": 30.0, "p99": 30.0, "max": 30.0}
    assert figures.requests_per_cycle == 2.5
    assert figures.peak_rss_mb == 50.0


def test_naive_timestamps_count_as_utc_and_mix_with_aware_ones() -> None:
    naive = JobTiming("ENRICH_LEAD", "COMPLETED", datetime(2026, 1, 1, 12, 0, 0), T0 + timedelta(seconds=4))
    figures = capacity_figures(TIMING, 2, [naive], requests=0, cycles=0, source="database", peak_mb=1.0)
    assert figures.latency_s["p50"] == 4.0
    assert figures.requests_per_cycle == 0.0


def test_no_completed_job_gives_zero_figures_not_an_error() -> None:
    figures = capacity_figures(
        TIMING,
        2,
        [job("FETCH_LEADS", 0, None, "PENDING")],
        requests=2,
        cycles=1,
        source="database",
        peak_mb=1.0,
    )
    assert (figures.leads_enriched, figures.leads_per_second, figures.per_minute) == (0, 0.0, ())
    assert figures.latency_s["p99"] == 0.0


def test_timings_from_the_jobs_endpoint() -> None:
    jobs: list[dict[str, Any]] = [
        {
            "job_type": "ENRICH_LEAD",
            "status": "COMPLETED",
            "created_at": "2026-01-01T12:00:00Z",
            "completed_at": "2026-01-01T12:00:02.500000",
        },
        {
            "job_type": "FETCH_LEADS",
            "status": "PENDING",
            "created_at": "2026-01-01T12:00:00+00:00",
            "completed_at": None,
        },
    ]
    timings = timings_from_api(jobs)
    assert timings[0].completed_at == T0 + timedelta(seconds=2.5)
    assert timings[1].completed_at is None and timings[1].created_at == T0
    assert parse_timestamp("not a time") is None and parse_timestamp("") is None


def test_figures_survive_their_json_form() -> None:
    jobs = [job("FETCH_LEADS", 0, 1), job("ENRICH_LEAD", 1, 2), job("ENRICH_LEAD", 1, 4)]
    figures = capacity_figures(TIMING, 2, jobs, requests=4, cycles=2, source="jobs endpoint", peak_mb=12.3)
    again = CapacityFigures.from_dict(figures.to_dict())
    assert again.to_dict() == figures.to_dict()
    assert EnrichmentTiming.from_dict(TIMING.to_dict()) == TIMING
    assert TIMING.to_dict()["leads_per_second"] == round(4 / 130, 3)


def test_console_lines_name_every_figure() -> None:
    jobs = [job("FETCH_LEADS", 0, 1), job("ENRICH_LEAD", 1, 2), job("ENRICH_LEAD", 1, 4)]
    text = "\n".join(
        capacity_figures(TIMING, 2, jobs, requests=4, cycles=2, source="database", peak_mb=96).render_lines()
    )
    for words in (
        "2 x 2",
        "leads/s",
        "p50 1.00 s",
        "p95 3.00 s",
        "p99 3.00 s",
        "fetch phase 1.5 s",
        "per minute",
        "2.0 requests per poll cycle",
        "peak memory 96 MB",
    ):
        assert words in text, text


def test_peak_memory_of_this_process_is_plausible() -> None:
    assert 5 < peak_rss_mb() < 100_000
