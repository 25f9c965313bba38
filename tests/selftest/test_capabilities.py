"""A real stack given only its API URL (no database, no fault control): the scenarios that need those are
skipped with the reason, database checks are reported as not run instead of passing silently, and the rows
the run could not delete are listed by id. Nothing is mistaken for a failure: exit 0."""

from __future__ import annotations

from pathlib import Path

import pytest
from selftest_support import SandboxFactory, assert_no_secrets, assert_no_traceback, new_run_id, run_behave

pytestmark = pytest.mark.selftest


def test_without_database_and_fault_control_the_scenarios_needing_them_are_skipped_with_the_reason(
    tmp_path: Path, own_sandbox: SandboxFactory
) -> None:
    server, _ = own_sandbox()
    run_id = new_run_id("api-only")
    result = run_behave(
        tmp_path / "run",
        "--tags=@happy_path,@automatic_trip,@resume_path",
        "--name=quick|trips its breaker|enriched exactly once",
        defines={"api_url": server.url, "run_id": run_id},
        timeout_s=180,
    )
    assert result.exit_code == 0, result.describe()
    status = result.status
    assert status is not None and status["verdict"] == "PASSED", result.describe()
    assert_no_traceback(result)

    quick = result.scenario("quick")
    assert quick["status"] == "passed", quick  # progress read from the jobs endpoint instead of SQL
    trip = result.scenario("trips its breaker by itself")
    assert trip["status"] == "skipped" and "needs fault control" in trip["reason"], trip
    resume = result.scenario("enriched exactly once")
    assert resume["status"] == "skipped", resume
    assert "fault control" in resume["reason"] or "database" in resume["reason"], resume

    warnings = "\n".join(status["warnings"])
    assert "database checks not run: no database URL configured" in warnings, warnings
    assert "left on the platform (no database URL to delete them)" in warnings, warnings
    assert all(c["id"] in warnings for c in status["campaigns"]["items"]), warnings  # listed by id
    assert "database checks not run" in result.html
    # JUnit keeps the skip reason for the skipped scenarios.
    skipped = [c for c in result.junit_testcases() if c.find("skipped") is not None]
    messages = [getattr(s.find("skipped"), "attrib", {}).get("message") or "" for s in skipped]
    assert any("needs fault control" in m for m in messages), [s.get("name") for s in skipped]
    assert_no_secrets(result)
