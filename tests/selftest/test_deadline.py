"""Exit 1: a deadline that passes with no pause is the product's failure, and it says how far each campaign
got (done/expected) and how each campaign's state moved (the timeline)."""

from __future__ import annotations

import re

import pytest
from selftest_support import BehaveResult, assert_no_traceback

pytestmark = pytest.mark.selftest


def test_enrichment_deadline_without_a_pause_fails_with_progress_and_timeline(
    deadline_run: BehaveResult,
) -> None:
    # Slow providers and a deadline far too short for them (the session's deadline_run).
    result = deadline_run
    assert result.exit_code == 1, result.describe()
    assert result.status is not None and result.status["verdict"] == "FAILED", result.describe()
    scenario = result.scenario("quick")
    assert scenario["status"] == "failed" and scenario["phase"] is None, scenario
    reason = scenario["reason"]
    assert "enrichment not finished within 0.5s" in reason and "no service failure seen" in reason, reason
    assert "done/expected" in reason, reason
    table, timeline = reason.split("timeline (seconds since the scenario began):")
    # One progress row per campaign of the example: name (id), status, done/expected, fetch, job counts.
    rows = re.findall(r"campaign \d of 3 \([0-9a-f-]+\)\s+(\w+)\s+(\d)/5\s+COMPLETED", table)
    assert len(rows) == 3, reason
    assert any(status == "RUNNING" and int(done) < 5 for status, done in rows), rows
    assert "breakers all closed" in table, reason
    # One timeline line per campaign, each starting with its first observed state.
    entries = re.findall(r"campaign \d of 3 \([0-9a-f-]+\): \d+\.\ds RUNNING", timeline)
    assert len(entries) == 3, reason
    assert "enrichment not finished" in result.html
    assert_no_traceback(result)
