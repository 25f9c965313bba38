"""Exit 2: a third-party service failure, in flight (a fault injected while the happy path runs) or before
the run (a breaker already open: the health gate). Aborted scenarios carry @aborted @service.<name>, in
status.json, JUnit (skipped with the reason) and behave's JSON output.

"Visible to tag selection" for a finished run means the tags a tool selecting on them reads: behave's JSON
formatter output (the same list behave's --tags would match, had the run been re-read), status.json and
JUnit. These tests check all three.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from selftest_support import (
    TINY,
    FaultRun,
    SandboxFactory,
    assert_no_secrets,
    assert_no_traceback,
    lines_with,
    new_run_id,
    run_behave,
    run_rows,
)

from campaign_sandbox.server import SandboxServer

pytestmark = pytest.mark.selftest


def suite_defines(server: SandboxServer, run_id: str, **more: str) -> dict[str, str]:
    """Point the suite at one of the test's own sandboxes (API, database and fault control)."""
    return {
        "api_url": server.url,
        "database_url": server.database_url,
        "fault_control_url": server.url,
        "run_id": run_id,
        **more,
    }


def json_tags(result_scenarios: list[dict[str, Any]], name_part: str) -> list[str]:
    found = [s for s in result_scenarios if name_part in s["name"]]
    assert len(found) == 1, [s["name"] for s in result_scenarios]
    return [str(t) for t in found[0].get("tags", [])]


def test_fault_injected_mid_run_aborts_the_happy_path_with_exit_2(fault_run: FaultRun) -> None:
    result, run_id = fault_run.result, fault_run.run_id
    assert result.exit_code == 2, result.describe()
    assert_no_traceback(result)
    status = result.status
    assert status is not None
    assert status["verdict"] == "SERVICE_FAILURE" and status["exit_code"] == 2
    assert "openai" in status["reason"]
    assert status["counts"]["aborted"] == 1 and status["counts"]["failed"] == 0, status["counts"]

    scenario = result.scenario("platform team standard")
    assert scenario["status"] == "aborted"
    assert scenario["phase"] == "in-flight"
    assert "openai" in scenario["reason"]
    assert {"aborted", "service.openai"} <= set(scenario["tags"]), scenario["tags"]
    evidence = scenario["evidence"]
    assert evidence["services"] == ["openai"], evidence
    (breaker,) = [b for b in evidence["breakers"] if b["service"] == "openai"]
    assert breaker["state"] in ("open", "half_open"), breaker
    assert breaker["failure_threshold"] > 0 and breaker["failure_count"] >= 1, breaker
    paused = evidence["paused_campaigns"]
    assert paused, evidence
    assert all(c["status"] == "PAUSED" and "openai" in (c["status_message"] or "") for c in paused), paused
    assert all(run_id in c["name"] for c in paused), paused
    assert [a["name"] for a in status["aborts"]] == [scenario["name"]]

    # JUnit: skipped, with the breaker report as the reason.
    (case,) = [c for c in result.junit_testcases() if "platform team standard" in (c.get("name") or "")]
    skipped = case.find("skipped")
    assert skipped is not None, case.attrib
    assert "openai" in (skipped.get("message") or ""), skipped.attrib
    assert skipped.get("type") == "aborted"

    # behave's JSON output (what tag selection reads) has the tags too.
    tags = json_tags(result.json_scenarios(), "platform team standard")
    assert {"aborted", "service.openai"} <= set(tags), tags

    # The console said so at once, and the HTML report shows the evidence.
    assert lines_with(result.stderr, "ABORTED 10 campaigns with 20 leads"), result.describe()
    html = result.html
    assert "openai" in html and "paused" in html.lower()
    assert "Stopped: service failure" in html

    # Cleanup still removed the run's rows.
    assert run_rows(fault_run.database_url, run_id, [c["id"] for c in status["campaigns"]["items"]]).empty
    assert_no_secrets(result)


def test_breaker_open_before_the_run_aborts_every_scenario_at_the_gate(
    tmp_path: Path, own_sandbox: SandboxFactory
) -> None:
    server, operator = own_sandbox()
    operator.pause_service("apollo", "selftest: apollo down before the run")
    run_id = new_run_id("gate")
    result = run_behave(tmp_path / "run", "--tags=@happy_path", defines=suite_defines(server, run_id))

    assert result.exit_code == 2, result.describe()
    assert_no_traceback(result)
    status = result.status
    assert status is not None
    assert status["verdict"] == "SERVICE_FAILURE" and status["exit_code"] == 2
    executed = [s for s in status["scenarios"] if s["status"] != "skipped"]
    assert len(executed) == 2, status["scenarios"]  # both rows of the happy-path outline
    for scenario in executed:
        assert scenario["status"] == "aborted", scenario
        assert scenario["phase"] == "gate", scenario
        assert "apollo" in scenario["reason"], scenario
        assert {"aborted", "service.apollo"} <= set(scenario["tags"]), scenario
        assert scenario["evidence"]["services"] == ["apollo"]
    # No step ran, not even the Background: behave's JSON has no step with a result other than skipped.
    json_scenarios = [s for s in result.json_scenarios() if "happy_path" in s.get("tags", [])]
    assert len(json_scenarios) == 2
    for element in json_scenarios:
        assert {"aborted", "service.apollo"} <= set(element["tags"]), element["tags"]
        results = [step.get("result", {}).get("status", "skipped") for step in element["steps"]]
        assert results and set(results) == {"skipped"}, results
    # Nothing was created but the run's user.
    assert status["campaigns"]["total"] == 0
    assert run_rows(server.database_url, run_id).empty
    assert operator.breaker_states()["apollo"] != "closed"
    assert_no_secrets(result)


def test_warn_policy_runs_the_scenario_despite_the_open_breaker(
    tmp_path: Path, own_sandbox: SandboxFactory
) -> None:
    server, operator = own_sandbox()
    operator.pause_service("apollo", "selftest: apollo down before the run")
    run_id = new_run_id("warn")
    result = run_behave(
        tmp_path / "run",
        *TINY,
        defines=suite_defines(server, run_id, health_gate="warn"),
    )

    status = result.status
    assert status is not None, result.describe()
    scenario = result.scenario("quick")
    # Not stopped by the gate: it ran (the Background made the tenant's organization) ...
    assert scenario["phase"] != "gate", scenario
    assert not any("aborted before start" in (s["reason"] or "") for s in status["scenarios"])
    json_steps = next(s for s in result.json_scenarios() if "quick" in s["name"])["steps"]
    assert json_steps[0].get("result", {}).get("status") == "passed", json_steps[0]
    # ... and the open breaker is on record as a warning, in status.json and the HTML report.
    warnings = [w for w in status["warnings"] if "health gate policy warn" in w]
    assert len(warnings) == 1 and "apollo" in warnings[0], status["warnings"]
    assert "health gate policy warn" in result.html
    # With apollo's breaker open the platform refuses to start campaigns (503 "Critical services
    # unavailable: apollo"): that is the service's failure, so the scenario is aborted in flight (exit 2).
    assert (scenario["status"], scenario["phase"]) == ("aborted", "in-flight"), scenario
    assert "apollo" in scenario["reason"], scenario
    assert {"aborted", "service.apollo"} <= set(scenario["tags"]), scenario
    assert result.exit_code == 2, result.describe()
    # The run's rows are gone even so.
    assert run_rows(server.database_url, run_id).empty
    assert_no_secrets(result)
