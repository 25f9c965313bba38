"""Prometheus export: the textfile parsed with prometheus-client's own parser and passed by ``promtool check
metrics``, a real push to a real Pushgateway read back from its /metrics, plus the failures that must not
hide the verdict."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from campaign_acceptance.capacity import EnrichmentTiming
from campaign_acceptance.lifecycle import metrics_target
from campaign_acceptance.metrics import JOB, build_registry, export
from campaign_acceptance.model import BreakerState
from campaign_acceptance.outcome import MetricsTarget, ScenarioOutcome, Verdict
from campaign_acceptance.report import RunSummary
from campaign_acceptance.settings import Settings
from support.prometheus import promtool, pushgateway

CLOSED = {
    s: BreakerState(s, "closed") for s in ("perplexity", "openai", "apollo", "instantly", "millionverifier")
}
OPENAI_OPEN = {**CLOSED, "openai": BreakerState("openai", "open", 5, 5, True)}


def summary(verdict: Verdict = Verdict.SERVICE_FAILURE) -> RunSummary:
    return RunSummary(
        verdict=verdict,
        reason="why",
        scenarios=[
            ScenarioOutcome(
                "features/a.feature:22", "Campaigns", "3 campaigns -- @1.1 quick", "passed", None, (), 4.5
            ),
            ScenarioOutcome(
                "features/a.feature:26", "Campaigns", "10 campaigns -- @2.1 std", "aborted", "x", (), 2.0
            ),
        ],
        started_at=1_700_000_000.0,
        finished_at=1_700_000_042.5,
        enrichment=[EnrichmentTiming("features/a.feature:22", "3 campaigns -- @1.1 quick", 3, 15, 1.0, 2.5)],
    )


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return found[(name, tuple(sorted(labels.items())))]


def check_run_metrics(text: str) -> None:
    found = samples(text)
    p = "campaign_acceptance_"
    assert value(found, p + "verdict", verdict="SERVICE_FAILURE") == 1
    assert [value(found, p + "verdict", verdict=v) for v in ("PASSED", "FAILED", "CANNOT_TEST")] == [0, 0, 0]
    assert value(found, p + "exit_code") == 2
    assert value(found, p + "last_run_timestamp_seconds") == 1_700_000_042.5
    assert value(found, p + "run_duration_seconds") == 42.5
    assert value(found, p + "scenarios", outcome="passed") == 1
    assert value(found, p + "scenarios", outcome="aborted") == 1
    assert value(found, p + "scenario_outcome", scenario="3 campaigns -- @1.1 quick", outcome="passed") == 1
    assert value(found, p + "scenario_outcome", scenario="3 campaigns -- @1.1 quick", outcome="failed") == 0
    assert value(found, p + "scenario_outcome", scenario="10 campaigns -- @2.1 std", outcome="aborted") == 1
    assert value(found, p + "scenario_duration_seconds", scenario="3 campaigns -- @1.1 quick") == 4.5
    assert value(found, p + "time_to_enrichment_seconds", scenario="3 campaigns -- @1.1 quick") == 2.5
    assert value(found, p + "leads_enriched_per_second", scenario="3 campaigns -- @1.1 quick") == 6.0
    assert value(found, p + "breaker_state", service="openai", state="closed", at="start") == 1
    assert value(found, p + "breaker_state", service="openai", state="open", at="end") == 1
    assert value(found, p + "breaker_state", service="openai", state="closed", at="end") == 0
    # Conventions: one prefix, units in the names of timings, no high-cardinality label.
    assert all(name.startswith(p) for name, _ in found)
    labels = {label for _, pairs in found for label, _ in pairs}
    assert labels == {"verdict", "outcome", "scenario", "service", "state", "at"}


def test_textfile_parses_with_the_clients_own_parser(tmp_path: Path) -> None:
    path = tmp_path / "textfile" / "campaign_acceptance.prom"
    done, failed = export(MetricsTarget(path, None), summary(), CLOSED, OPENAI_OPEN)
    assert (done, failed) == ([f"metrics written to {path}"], [])
    text = path.read_text(encoding="utf-8")
    check_run_metrics(text)
    assert (
        "# HELP campaign_acceptance_verdict " in text and "# TYPE campaign_acceptance_verdict gauge" in text
    )
    assert list(tmp_path.joinpath("textfile").iterdir()) == [path]  # written atomically, no temporary left


def test_textfile_passes_promtools_check(tmp_path: Path) -> None:
    path = tmp_path / "campaign_acceptance.prom"
    export(MetricsTarget(path, None), summary(), CLOSED, OPENAI_OPEN)
    checked = promtool("check", "metrics", stdin=path.read_text(encoding="utf-8"))
    # promtool prints nothing for a clean file: any line is a lint finding (and a non-zero exit).
    assert (checked.returncode, checked.stdout + checked.stderr) == (0, "")


def test_breakers_not_read_give_no_breaker_series() -> None:
    registry = build_registry(summary(Verdict.CANNOT_TEST), {}, {})
    found = samples(generate_latest(registry).decode())
    assert not [name for name, _ in found if "breaker" in name]
    assert value(found, "campaign_acceptance_exit_code") == 3


def without_group_labels(found: dict[tuple[str, tuple[tuple[str, str], ...]], float]) -> dict[Any, float]:
    """The gateway's series with the group's labels left out, after checking they are the README's: job
    ``campaign_acceptance`` and no instance (the gateway shows it empty)."""
    groups = {tuple(pair for pair in labels if pair[0] in ("job", "instance")) for _, labels in found}
    assert groups == {(("instance", ""), ("job", JOB))}
    return {
        (name, tuple(pair for pair in labels if pair[0] not in ("job", "instance"))): v
        for (name, labels), v in found.items()
    }


def test_a_push_lands_in_the_gateways_group_and_the_next_replaces_it(tmp_path: Path) -> None:
    first, second = tmp_path / "first.prom", tmp_path / "second.prom"
    passed = RunSummary(
        verdict=Verdict.PASSED,
        reason="all passed",
        scenarios=[ScenarioOutcome("features/b.feature:3", "Other", "only one", "passed", None, (), 1.0)],
        started_at=1_700_000_100.0,
        finished_at=1_700_000_110.0,
    )
    with pushgateway() as gateway:
        done, failed = export(MetricsTarget(first, gateway.url, 5.0), summary(), CLOSED, OPENAI_OPEN)
        assert (done, failed) == ([f"metrics written to {first}", f"metrics pushed to {gateway.url}"], [])
        after_first = without_group_labels(gateway.group(JOB))
        export(MetricsTarget(second, gateway.url, 5.0), passed, CLOSED, CLOSED)
        after_second = without_group_labels(gateway.group(JOB))
    assert after_first == samples(first.read_text(encoding="utf-8"))
    check_run_metrics(first.read_text(encoding="utf-8"))
    # The second run's metrics only: nothing of the first run's scenarios or breakers is left beside them.
    assert after_second == samples(second.read_text(encoding="utf-8"))
    assert not [labels for _, labels in after_second if ("scenario", "3 campaigns -- @1.1 quick") in labels]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_failures_to_export_are_lines_not_exceptions(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    url = f"http://user:secret@127.0.0.1:{free_port()}"
    done, failed = export(MetricsTarget(blocked / "m.prom", url, 2.0), summary(), CLOSED, CLOSED)
    assert done == []
    assert len(failed) == 2
    assert failed[0].startswith(f"metrics not written to {blocked / 'm.prom'}: ")
    assert failed[1].startswith("metrics not pushed to http://user:***@127.0.0.1:")
    assert "secret" not in " ".join(failed)


def test_metrics_go_where_the_settings_say() -> None:
    assert metrics_target(Settings()) is None
    monitoring = metrics_target(Settings(health_monitoring=True, reports_dir=Path("out")))
    assert monitoring == MetricsTarget(Path("out/campaign_acceptance.prom"), None, 10.0)
    pushed = metrics_target(Settings(pushgateway_url="http://gw:9091", request_timeout_s=3.0))
    assert pushed == MetricsTarget(None, "http://gw:9091", 3.0)
    both = metrics_target(Settings(metrics_textfile=Path("/t/x.prom"), pushgateway_url="http://gw:9091"))
    assert both == MetricsTarget(Path("/t/x.prom"), "http://gw:9091", 10.0)
