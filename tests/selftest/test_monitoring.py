"""Health monitoring: a scheduled run selects no breaker-tripping scenario, writes its Prometheus metrics to
a textfile node_exporter can collect (one promtool accepts), and pushes them to a Pushgateway (a real one
here, read back from its /metrics); the next run's push replaces the group."""

from __future__ import annotations

from pathlib import Path

import pytest
from selftest_support import assert_no_secrets, assert_no_traceback, closed_port, run_behave

from campaign_acceptance.metrics import JOB
from support.prometheus import Series, promtool, pushgateway, series

pytestmark = pytest.mark.selftest


def in_group(found: Series) -> Series:
    """The gateway's series with the README's group labels (job campaign_acceptance, no instance) taken off;
    a series of any other group fails."""
    out: Series = {}
    for (name, labels), v in found.items():
        assert ("job", JOB) in labels and ("instance", "") in labels, (name, labels)
        out[(name, tuple(p for p in labels if p[0] not in ("job", "instance")))] = v
    return out


def assert_promtool_accepts(textfile: Path) -> None:
    checked = promtool("check", "metrics", stdin=textfile.read_text(encoding="utf-8"))
    assert (checked.returncode, checked.stdout + checked.stderr) == (0, "")


def test_a_health_monitoring_run_exports_its_metrics_and_the_next_run_replaces_them(tmp_path: Path) -> None:
    with pushgateway() as gateway:
        result = run_behave(
            tmp_path / "run",
            defines={
                "health_monitoring": "true",
                "pushgateway_url": gateway.url,
                "campaigns": "2",
                "leads": "3",
            },
            timeout_s=240,
        )
        pushed = in_group(gateway.group(JOB))
        # The next scheduled run, this time against a target that does not answer.
        second = run_behave(
            tmp_path / "second",
            defines={
                "health_monitoring": "true",
                "pushgateway_url": gateway.url,
                "api_url": f"http://127.0.0.1:{closed_port()}",
            },
            timeout_s=120,
        )
        replaced = in_group(gateway.group(JOB))
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
    # The gateway holds the same metrics, in the README's group.
    assert pushed == found
    assert f"metrics written to {textfile}" in result.stdout
    assert f"metrics pushed to {gateway.url}" in result.stdout
    assert_promtool_accepts(textfile)
    assert_no_secrets(result)
    # The second run's push replaced the group: its metrics only, nothing of the first run's passes left.
    assert second.exit_code == 3, second.describe()
    second_textfile = second.run.reports_dir / "campaign_acceptance.prom"
    assert replaced == series(second_textfile.read_text(encoding="utf-8"))
    assert replaced[("campaign_acceptance_verdict", (("verdict", "CANNOT_TEST"),))] == 1
    assert replaced[("campaign_acceptance_verdict", (("verdict", "PASSED"),))] == 0
    assert not [key for key, v in replaced.items() if ("outcome", "passed") in key[1] and v]
    assert not [key for key in replaced if key[0] == "campaign_acceptance_time_to_enrichment_seconds"]


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
    assert_promtool_accepts(textfile)
