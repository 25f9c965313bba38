"""Prometheus metrics of one run, for health monitoring: a textfile for node_exporter's textfile collector
and, when a Pushgateway URL is set, a push there (prometheus-client does both).

Every series describes the latest run; names carry their unit, labels are few and bounded (verdict,
outcome, scenario name, service, breaker state, start/end): never a run id or a campaign id.

  campaign_acceptance_verdict{verdict}                         1 for the run's verdict, 0 for the other three
  campaign_acceptance_exit_code                                0-3
  campaign_acceptance_last_run_timestamp_seconds               when the run finished (epoch)
  campaign_acceptance_run_duration_seconds
  campaign_acceptance_scenarios{outcome}                       scenarios by outcome
  campaign_acceptance_scenario_outcome{scenario,outcome}       1 for each scenario's outcome, 0 for the others
  campaign_acceptance_scenario_duration_seconds{scenario}
  campaign_acceptance_time_to_enrichment_seconds{scenario}     first start -> every lead seen enriched
  campaign_acceptance_leads_enriched_per_second{scenario}
  campaign_acceptance_breaker_state{service,state,at}          at="start"|"end": 1 for the state seen, else 0
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway, write_to_textfile

from campaign_acceptance.model import SERVICES, BreakerState
from campaign_acceptance.outcome import OUTCOME_STATUSES, MetricsTarget, Verdict
from campaign_common.redaction import redact_url

__all__ = ["JOB", "TEXTFILE_NAME", "build_registry", "export"]

if TYPE_CHECKING:
    from campaign_acceptance.report import RunSummary

PREFIX = "campaign_acceptance"
JOB = "campaign_acceptance"  # the Pushgateway's job label
TEXTFILE_NAME = "campaign_acceptance.prom"
BREAKER_STATES = ("closed", "open", "half_open")


def build_registry(
    summary: RunSummary,
    breakers_at_start: Mapping[str, BreakerState],
    breakers_at_end: Mapping[str, BreakerState],
) -> CollectorRegistry:
    registry = CollectorRegistry()

    def gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(f"{PREFIX}_{name}", doc, labels, registry=registry)

    verdict = gauge("verdict", "1 for the verdict of the latest run, 0 for the others", ("verdict",))
    for v in Verdict:
        verdict.labels(v.name).set(1 if v is summary.verdict else 0)
    gauge(
        "exit_code", "exit code of the latest run (0 passed, 1 failed, 2 service failure, 3 cannot test)"
    ).set(int(summary.verdict))
    if summary.finished_at is not None:
        gauge("last_run_timestamp_seconds", "when the latest run finished").set(summary.finished_at)
    if summary.duration_s is not None:
        gauge("run_duration_seconds", "how long the latest run took").set(summary.duration_s)
    counts = summary.counts()
    scenarios = gauge("scenarios", "scenarios of the latest run by outcome", ("outcome",))
    for status in OUTCOME_STATUSES:
        scenarios.labels(status).set(counts[status])
    outcome = gauge(
        "scenario_outcome", "1 for the scenario's outcome in the latest run", ("scenario", "outcome")
    )
    duration = gauge("scenario_duration_seconds", "how long the scenario took", ("scenario",))
    for o in summary.scenarios:
        for status in OUTCOME_STATUSES:
            outcome.labels(o.name, status).set(1 if o.status == status else 0)
        duration.labels(o.name).set(o.duration_s)
    to_enrichment = gauge(
        "time_to_enrichment_seconds", "first campaign start to every lead seen enriched", ("scenario",)
    )
    rate = gauge(
        "leads_enriched_per_second", "leads enriched per second of time to enrichment", ("scenario",)
    )
    for t in summary.enrichment:
        to_enrichment.labels(t.scenario).set(t.time_to_enrichment_s)
        rate.labels(t.scenario).set(t.leads_per_second)
    state = gauge(
        "breaker_state",
        "1 for each breaker's state seen at the run's start and end",
        ("service", "state", "at"),
    )
    for at, breakers in (("start", breakers_at_start), ("end", breakers_at_end)):
        for service in SERVICES:
            seen = breakers.get(service)
            if seen is None:
                continue  # not read (target unreachable): no series rather than a guess
            for s in BREAKER_STATES:
                state.labels(service, s, at).set(1 if seen.state == s else 0)
    return registry


def export(
    target: MetricsTarget,
    summary: RunSummary,
    breakers_at_start: Mapping[str, BreakerState],
    breakers_at_end: Mapping[str, BreakerState],
) -> tuple[list[str], list[str]]:
    """Write the textfile and push; returns (what was done, what failed), one line each."""
    registry = build_registry(summary, breakers_at_start, breakers_at_end)
    done: list[str] = []
    failed: list[str] = []
    if target.textfile is not None:
        try:
            target.textfile.parent.mkdir(parents=True, exist_ok=True)
            write_to_textfile(str(target.textfile), registry)  # atomic: a temporary file, then rename
            done.append(f"metrics written to {target.textfile}")
        except OSError as error:
            failed.append(f"metrics not written to {target.textfile}: {error}")
    if target.pushgateway_url is not None:
        shown = redact_url(target.pushgateway_url)
        try:
            push_to_gateway(target.pushgateway_url, job=JOB, registry=registry, timeout=target.timeout_s)
            done.append(f"metrics pushed to {shown}")
        except OSError as error:  # urllib's URLError and HTTPError are OSErrors
            failed.append(f"metrics not pushed to {shown}: {redact_url(str(error))}")
    return done, failed
