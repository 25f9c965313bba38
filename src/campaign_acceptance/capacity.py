"""Throughput and latency figures of a run: what the capacity scenario reports, and the timing every
enrichment wait records (time to enrichment, leads per second) for the reports and the metrics.

Figures, never verdicts: nothing here passes or fails a scenario.

- Lead latency is an ENRICH_LEAD job's `completed_at - created_at`, read from the database (one query) or,
  without one, from the jobs endpoint. Both timestamps come from the platform's own clock, so the suite's
  clock never mixes in; naive timestamps (the platform writes naive UTC) are taken as UTC.
- Leads per second overall: completed enrichments over the span from the first job of the run's campaigns
  (its first FETCH_LEADS) to the last completion; per minute: completions in each minute of that span.
- Time to enrichment, fetch phase: the suite's monotonic clock, from the first start request to the
  monitor seeing every fetch (or every enrichment) done.
- Peak memory: the suite process's peak resident set size (it includes the embedded sandbox when that runs
  in-process; bench/capacity.py runs the sandbox apart so the figure is the suite's alone).
"""

from __future__ import annotations

import math
import resource
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "CapacityFigures",
    "EnrichmentTiming",
    "JobTiming",
    "capacity_figures",
    "parse_timestamp",
    "peak_rss_mb",
    "percentile",
    "timings_from_api",
]

ENRICH_LEAD, FETCH_LEADS, COMPLETED = "ENRICH_LEAD", "FETCH_LEADS", "COMPLETED"
PERCENTILES = (50, 95, 99)


@dataclass(frozen=True)
class JobTiming:
    """The timestamps of one job of the run's campaigns."""

    job_type: str
    status: str
    created_at: datetime | None
    completed_at: datetime | None


@dataclass(frozen=True)
class EnrichmentTiming:
    """How long one scenario took to see every lead of its campaigns enriched (suite clock)."""

    key: str
    scenario: str
    campaigns: int
    leads: int  # leads enriched (= fetched: one ENRICH_LEAD job per lead)
    fetch_phase_s: float
    time_to_enrichment_s: float

    @property
    def leads_per_second(self) -> float:
        return self.leads / self.time_to_enrichment_s if self.time_to_enrichment_s > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "fetch_phase_s": round(self.fetch_phase_s, 3),
            "time_to_enrichment_s": round(self.time_to_enrichment_s, 3),
            "leads_per_second": round(self.leads_per_second, 3),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EnrichmentTiming:
        return cls(
            key=str(data["key"]),
            scenario=str(data["scenario"]),
            campaigns=int(data["campaigns"]),
            leads=int(data["leads"]),
            fetch_phase_s=float(data["fetch_phase_s"]),
            time_to_enrichment_s=float(data["time_to_enrichment_s"]),
        )


@dataclass(frozen=True)
class CapacityFigures:
    """What the capacity scenario reports (see the module doc for where each figure comes from)."""

    timing: EnrichmentTiming
    leads_per_campaign: int  # as asked (a fetch may find fewer)
    leads_enriched: int  # completed ENRICH_LEAD jobs with both timestamps
    enrichment_span_s: float  # first job created -> last enrichment completed (platform clock)
    leads_per_second: float
    per_minute: tuple[float, ...]  # leads per second in each minute of the span (the last may be partial)
    latency_s: dict[str, float]  # p50, p95, p99, max
    requests_per_cycle: float
    poll_cycles: int
    peak_rss_mb: float
    source: str  # "database" or "jobs endpoint"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.timing.key,
            "scenario": self.timing.scenario,
            "campaigns": self.timing.campaigns,
            "leads_per_campaign": self.leads_per_campaign,
            "leads": self.timing.leads,
            "leads_enriched": self.leads_enriched,
            "fetch_phase_s": round(self.timing.fetch_phase_s, 3),
            "time_to_enrichment_s": round(self.timing.time_to_enrichment_s, 3),
            "enrichment_span_s": round(self.enrichment_span_s, 3),
            "leads_per_second": round(self.leads_per_second, 3),
            "leads_per_second_per_minute": [round(v, 3) for v in self.per_minute],
            "latency_s": {k: round(v, 3) for k, v in self.latency_s.items()},
            "requests_per_cycle": round(self.requests_per_cycle, 2),
            "poll_cycles": self.poll_cycles,
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CapacityFigures:
        return cls(
            timing=EnrichmentTiming.from_dict(data),  # the figures' dict carries the timing's keys flat
            leads_per_campaign=int(data["leads_per_campaign"]),
            leads_enriched=int(data["leads_enriched"]),
            enrichment_span_s=float(data["enrichment_span_s"]),
            leads_per_second=float(data["leads_per_second"]),
            per_minute=tuple(float(v) for v in data["leads_per_second_per_minute"]),
            latency_s={str(k): float(v) for k, v in data["latency_s"].items()},
            requests_per_cycle=float(data["requests_per_cycle"]),
            poll_cycles=int(data["poll_cycles"]),
            peak_rss_mb=float(data["peak_rss_mb"]),
            source=str(data["source"]),
        )

    def render_lines(self) -> list[str]:
        """The console's words for these figures."""
        t, lat = self.timing, self.latency_s
        per_minute = " ".join(f"{v:.1f}" for v in self.per_minute) or "-"
        cycles = f"{self.requests_per_cycle:.1f} requests per poll cycle ({self.poll_cycles} cycles)"
        memory = f"{self.peak_rss_mb:.0f} MB"
        return [
            f"capacity {t.campaigns} x {self.leads_per_campaign}: {self.leads_enriched} leads enriched in "
            f"{self.enrichment_span_s:.1f} s = {self.leads_per_second:.1f} leads/s "
            f"(suite saw all enriched after {t.time_to_enrichment_s:.1f} s)",
            f"capacity lead latency p50 {lat['p50']:.2f} s, p95 {lat['p95']:.2f} s, p99 {lat['p99']:.2f} s, "
            f"max {lat['max']:.2f} s ({self.source}); fetch phase {t.fetch_phase_s:.1f} s",
            f"capacity leads/s per minute: {per_minute}; {cycles}; suite peak memory {memory}",
        ]


# ---------------------------------------------------------------------------------------------- maths


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (the smallest value with at least p% of the values at or below it)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def parse_timestamp(value: object) -> datetime | None:
    """A job timestamp as the API sends it (ISO 8601, maybe naive, maybe with Z), or None."""
    if isinstance(value, datetime):
        return _utc(value)
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return _utc(datetime.fromisoformat(value.strip()))
    except ValueError:
        return None


def timings_from_api(jobs: Iterable[Mapping[str, Any]]) -> list[JobTiming]:
    """Job timings from job objects of the jobs endpoint."""
    return [
        JobTiming(
            job_type=str(j.get("job_type")),
            status=str(j.get("status")),
            created_at=parse_timestamp(j.get("created_at")),
            completed_at=parse_timestamp(j.get("completed_at")),
        )
        for j in jobs
    ]


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def capacity_figures(
    timing: EnrichmentTiming,
    leads_per_campaign: int,
    jobs: Sequence[JobTiming],
    *,
    requests: int,
    cycles: int,
    source: str,
    peak_mb: float | None = None,
) -> CapacityFigures:
    """The figures from the run's job timings and the monitor's counters."""
    done = [
        (_utc(j.created_at), _utc(j.completed_at))
        for j in jobs
        if j.job_type == ENRICH_LEAD
        and j.status == COMPLETED
        and j.created_at is not None
        and j.completed_at is not None
    ]
    latencies = [max(0.0, (end - begin).total_seconds()) for begin, end in done]
    latency = {f"p{p}": percentile(latencies, p) for p in PERCENTILES}
    latency["max"] = max(latencies, default=0.0)
    starts = [_utc(j.created_at) for j in jobs if j.created_at is not None]
    ends = sorted(end for _, end in done)
    span_s = 0.0
    per_minute: tuple[float, ...] = ()
    if starts and ends:
        first = min(starts)
        span_s = max(0.0, (ends[-1] - first).total_seconds())
        per_minute = _per_minute(first, ends, span_s)
    rate = len(done) / span_s if span_s > 0 else 0.0
    return CapacityFigures(
        timing=timing,
        leads_per_campaign=leads_per_campaign,
        leads_enriched=len(done),
        enrichment_span_s=span_s,
        leads_per_second=rate,
        per_minute=per_minute,
        latency_s=latency,
        requests_per_cycle=requests / cycles if cycles else 0.0,
        poll_cycles=cycles,
        peak_rss_mb=peak_rss_mb() if peak_mb is None else peak_mb,
        source=source,
    )


def _per_minute(first: datetime, ends: Sequence[datetime], span_s: float) -> tuple[float, ...]:
    minutes = max(1, math.ceil(span_s / 60))
    counts = [0] * minutes
    for end in ends:
        counts[min(minutes - 1, int((end - first).total_seconds() // 60))] += 1
    # The last minute may be partial: divide by the seconds it really lasted.
    lengths = [60.0] * (minutes - 1) + [max(span_s - 60 * (minutes - 1), 1e-9)]
    return tuple(n / length for n, length in zip(counts, lengths, strict=True))
