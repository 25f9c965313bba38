"""A small capacity run (3 x 4 through the settings campaigns/leads): the figures reach status.json, the HTML
page and the console, and agree with each other and with what ran."""

from __future__ import annotations

from pathlib import Path

import pytest
from selftest_support import SandboxFactory, assert_no_traceback, lines_with, run_behave

pytestmark = pytest.mark.selftest


def test_a_small_capacity_run_reports_its_figures(tmp_path: Path) -> None:
    result = run_behave(tmp_path / "run", "--tags=@capacity", defines={"campaigns": "3", "leads": "4"})
    assert result.exit_code == 0, result.describe()
    assert_no_traceback(result)
    status = result.status
    assert status is not None
    assert status["counts"]["passed"] == 1, status["counts"]
    [figures] = status["capacity"]
    # What ran: the settings replaced the feature's 100 x 20.
    assert (figures["campaigns"], figures["leads_per_campaign"]) == (3, 4)
    assert figures["leads"] == figures["leads_enriched"] == 12
    assert status["campaigns"]["total"] == 3
    lat = figures["latency_s"]
    assert 0 < lat["p50"] <= lat["p95"] <= lat["p99"] <= lat["max"], lat
    assert figures["leads_per_second"] > 0 and figures["enrichment_span_s"] > 0
    assert figures["leads_per_second_per_minute"] and all(
        v > 0 for v in figures["leads_per_second_per_minute"]
    )
    assert 0 < figures["fetch_phase_s"] <= figures["time_to_enrichment_s"]
    # With the database: one breaker read, one campaign list and one SQL query per cycle.
    assert figures["source"] == "database" and figures["poll_cycles"] > 0
    assert 1.0 <= figures["requests_per_cycle"] <= 3.0, figures
    assert 10 < figures["peak_rss_mb"] < 4096
    html = result.html
    assert "<h2>Capacity</h2>" in html and "3 x 4" in html
    console = lines_with(result.stderr, "capacity 3 x 4: 12 leads enriched")
    assert len(console) == 1, result.describe()
    assert lines_with(result.stderr, "capacity lead latency p50")


def test_without_a_database_the_latency_comes_from_the_jobs_endpoint(
    tmp_path: Path, own_sandbox: SandboxFactory
) -> None:
    server, _ = own_sandbox()
    result = run_behave(
        tmp_path / "run",
        "--tags=@capacity",
        defines={"campaigns": "2", "leads": "3", "api_url": server.url, "fault_control_url": server.url},
    )
    assert result.exit_code == 0, result.describe()
    assert result.status is not None
    [figures] = result.status["capacity"]
    assert figures["source"] == "jobs endpoint"
    assert figures["leads_enriched"] == figures["leads"] == 6
    lat = figures["latency_s"]
    assert 0 < lat["p50"] <= lat["p95"] <= lat["p99"] <= lat["max"], lat
    # Without a database every cycle also reads each campaign's jobs: more requests than with one.
    assert figures["requests_per_cycle"] > 2.0, figures
