"""Health monitoring: a scheduled run selects no breaker-tripping scenario, writes its Prometheus metrics to
a textfile node_exporter can collect, and pushes them to a Pushgateway (a loopback receiver here)."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from selftest_support import assert_no_secrets, assert_no_traceback, closed_port, run_behave

from support.receiver import Receiver

pytestmark = pytest.mark.selftest


def series(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_a_health_monitoring_run_exports_its_metrics(tmp_path: Path) -> None:
    receiver = Receiver()
    try:
        result = run_behave(
            tmp_path / "run",
            defines={
                "health_monitoring": "true",
                "pushgateway_url": receiver.url,
                "campaigns": "2",
                "leads": "3",
            },
            timeout_s=240,
        )
    finally:
        receiver.close()
    assert result.exit_code == 0, result.describe()
    assert_no_traceback(result)
    status = result.status
    assert status is not None
    ran = {s["name"]: s for s in status["scenarios"] if s["status"] == "passed"}
    skipped = [s for s in status["scenarios"] if s["status"] == "skipped"]
    # Default selection of a monitoring run: every scenario that trips no breaker, and none that does.
    assert ran and all("trips_breaker" not in s["tags"] for s in ran.values()), status["scenarios"]
    tripping = [s for s in status["scenarios"] if "trips_breaker" in s["tags"]]
    assert tripping and all(s in skipped for s in tripping)
    assert {s["reason"] for s in tripping} == {
        "not selected: health monitoring runs only scenarios that trip no breaker"
    }

    textfile = result.run.reports_dir / "campaign_acceptance.prom"
    found = series(textfile.read_text(encoding="utf-8"))
    assert found[("campaign_acceptance_verdict", (("verdict", "PASSED"),))] == 1
    assert found[("campaign_acceptance_exit_code", ())] == 0
    enriching = {t["scenario"] for t in status["enrichment"]}
    assert enriching and enriching < set(ran)  # the @contract scenarios enrich nothing
    for name in ran:
        assert (
            found[("campaign_acceptance_scenario_outcome", (("outcome", "passed"), ("scenario", name)))] == 1
        )
        assert found[("campaign_acceptance_scenario_duration_seconds", (("scenario", name),))] > 0
    for name in enriching:
        assert found[("campaign_acceptance_time_to_enrichment_seconds", (("scenario", name),))] > 0
        assert found[("campaign_acceptance_leads_enriched_per_second", (("scenario", name),))] > 0
    for at in ("start", "end"):
        for service in ("perplexity", "openai", "apollo", "instantly", "millionverifier"):
            key = (
                "campaign_acceptance_breaker_state",
                (("at", at), ("service", service), ("state", "closed")),
            )
            assert found[key] == 1
    # The same metrics were pushed, once, to the gateway's job path.
    assert [(m, p) for m, p, _ in receiver.requests] == [("PUT", "/metrics/job/campaign_acceptance")]
    assert series(receiver.requests[0][2]) == found
    assert f"metrics written to {textfile}" in result.stdout
    assert f"metrics pushed to {receiver.url}" in result.stdout
    assert_no_secrets(result)


def test_an_unreachable_target_is_exported_as_cannot_test(tmp_path: Path) -> None:
    textfile = tmp_path / "textfile" / "acceptance.prom"
    result = run_behave(
        tmp_path / "run",
        defines={
            "health_monitoring": "true",
            "api_url": f"http://127.0.0.1:{closed_port()}",
            "metrics_textfile": str(textfile),
        },
        timeout_s=120,
    )
    assert result.exit_code == 3, result.describe()
    found = series(textfile.read_text(encoding="utf-8"))
    assert found[("campaign_acceptance_verdict", (("verdict", "CANNOT_TEST"),))] == 1
    assert found[("campaign_acceptance_exit_code", ())] == 3
    assert not [name for name, _ in found if name.startswith("campaign_acceptance_breaker")]
