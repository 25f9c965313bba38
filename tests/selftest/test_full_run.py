"""Exit 0: plain `behave features/` with no configuration at all (the embedded sandbox) passes every scenario
and leaves a status file, a self-contained HTML report, JUnit XML and console progress."""

from __future__ import annotations

import re

import pytest
from selftest_support import (
    PROGRESS_LINE,
    RUN_PASSWORD_PREFIX,
    BehaveResult,
    assert_no_secrets,
    assert_no_traceback,
    lines_with,
    scenario_count,
)

pytestmark = pytest.mark.selftest
PASSED = "passed"


def test_plain_behave_with_no_configuration_passes_everything(passing_run: BehaveResult) -> None:
    result = passing_run
    expected = scenario_count()

    assert result.exit_code == 0, result.describe()
    assert_no_traceback(result)

    status = result.status
    assert status is not None, result.describe()
    assert status["verdict"] == "PASSED"
    assert status["exit_code"] == 0
    assert status["counts"]["passed"] == expected, status["counts"]
    # The capacity scenario is not in the default selection: listed as skipped with why, never run.
    assert status["counts"]["total"] == scenario_count(default_selection=False) > expected, status["counts"]
    not_passed = [(s["key"], s["status"], s["reason"]) for s in status["scenarios"] if s["status"] != PASSED]
    assert not_passed == [
        (
            "features/capacity.feature:23",
            "skipped",
            "not selected: @capacity scenarios run only when the tag selection names @capacity",
        )
    ]
    assert status["capacity"] == []
    timed = {t["key"]: t for t in status["enrichment"]}
    happy = [s["key"] for s in status["scenarios"] if "happy_path" in s["tags"]]
    assert len(happy) == 2 and set(happy) <= set(timed), status["enrichment"]
    assert all(timed[k]["leads"] > 0 and timed[k]["time_to_enrichment_s"] > 0 for k in happy), timed
    assert status["aborts"] == []
    # The campaign summary: every campaign of the run with its final status, counted by status.
    campaigns = status["campaigns"]
    assert campaigns["total"] > 0
    assert sum(campaigns["counts"].values()) == campaigns["total"] == len(campaigns["items"])
    run_id = status["settings"]["run_id"]
    assert run_id.startswith("acceptance-")
    assert all(run_id in c["name"] for c in campaigns["items"]), campaigns["items"]
    # The contract check's campaign is created and read back, never started (features/contract.feature).
    assert all(
        c["status"] in ("RUNNING", "PAUSED", "COMPLETED") or c["name"] == f"{run_id} contract check"
        for c in campaigns["items"]
    ), campaigns["items"]

    # One self-contained page: no external stylesheet, script or image.
    html = result.html
    assert "<html" in html and "Passed" in html
    assert not re.search(r"""(href|src)\s*=\s*["']?(https?:)?//""", html, re.I), "external asset link"
    assert not re.search(r"<script[^>]*\bsrc\s*=", html, re.I), "external script"
    assert not re.search(r"<link[^>]*stylesheet", html, re.I), "external stylesheet"

    # JUnit: one file per feature, every scenario a testcase, none failed or skipped.
    assert {p.name for p in result.junit_files()} == {
        "TESTS-capacity.xml",
        "TESTS-circuit_breaker.xml",
        "TESTS-concurrent_campaigns.xml",
        "TESTS-contract.xml",
    }
    cases = result.junit_testcases()
    assert len(cases) == expected + 1
    statuses = sorted(c.get("status") or "" for c in cases)
    assert statuses == ["passed"] * expected + ["skipped"], statuses

    # The console: progress during the long waits (leads done/expected), the cleanup, the verdict line.
    progress = PROGRESS_LINE.findall(result.stderr)
    assert progress, result.describe()
    assert "enrichment" in progress and "lead fetches" in progress
    assert lines_with(result.stderr, f"run {run_id}: testing embedded sandbox with its database")
    cleanup = lines_with(result.stderr, "cleanup: deleted")
    assert len(cleanup) == 1 and run_id in cleanup[0], result.describe()
    assert result.last_line == f"verdict: PASSED (exit 0): All {expected} executed scenarios passed"
    assert_no_secrets(result)
    assert RUN_PASSWORD_PREFIX not in result.output
