"""Exit 1: a scenario whose expectation is wrong fails (it is not mistaken for a service failure), its reason
shows what was expected and what was found, and the breaker it opened is closed again afterwards.

The scenarios live in a features directory generated under tmp_path that reuses the suite's real
environment.py and steps (copied beside the feature file, where behave looks for them); behave runs from
the repository root, so behave.ini (the verdict runner, JUnit) applies as for the real features.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from selftest_support import (
    FEATURES_DIR,
    SandboxFactory,
    assert_no_secrets,
    new_run_id,
    run_behave,
    run_rows,
)

pytestmark = pytest.mark.selftest

WRONG_FEATURE = """\
Feature: Self-test: deliberately wrong expectations

  Background:
    Given a fresh tenant with its own user and organization

  @trips_breaker
  Scenario: Expecting the wrong service to pause the campaigns
    Given every circuit breaker is closed
    And 2 campaigns with 5 leads each are running
    When an operator pauses the "perplexity" service
    Then every running campaign of the run is paused with a message naming "openai"

  @trips_breaker
  Scenario: Expecting the breaker report to name the wrong service
    Given every circuit breaker is closed
    And 2 campaigns with 5 leads each are running
    When an operator pauses the "perplexity" service
    Then every running campaign of the run is paused with a message naming "perplexity"
    And the breaker report names "openai" with its state, failures against threshold and reason
"""


def wrong_features(directory: Path) -> Path:
    """A features directory: the wrong feature, and copies of the suite's environment.py and steps."""
    directory.mkdir(parents=True)
    (directory / "wrong_expectation.feature").write_text(WRONG_FEATURE, encoding="utf-8")
    shutil.copy(FEATURES_DIR / "environment.py", directory / "environment.py")
    shutil.copytree(FEATURES_DIR / "steps", directory / "steps", ignore=shutil.ignore_patterns("__pycache__"))
    return directory


def test_a_wrong_expectation_fails_with_exit_1_and_leaves_the_breakers_closed(
    tmp_path: Path, own_sandbox: SandboxFactory
) -> None:
    server, operator = own_sandbox()
    features = wrong_features(tmp_path / "features")
    run_id = new_run_id("wrong")
    result = run_behave(
        tmp_path / "run",
        paths=[str(features)],
        defines={
            "api_url": server.url,
            "database_url": server.database_url,
            "fault_control_url": server.url,
            "run_id": run_id,
            "pause_deadline_s": "3",
        },
        timeout_s=120,
    )

    assert result.exit_code == 1, result.describe()
    status = result.status
    assert status is not None
    assert status["verdict"] == "FAILED" and status["exit_code"] == 1
    assert status["counts"]["failed"] == 2 and status["counts"]["aborted"] == 0, status["counts"]
    assert result.last_line.startswith("verdict: FAILED (exit 1): 2 scenarios failed"), result.describe()

    # The expected pause naming openai never came: the deadline's text says what it waited for and saw.
    wrong_service = result.scenario("wrong service to pause")
    assert wrong_service["status"] == "failed" and not wrong_service["tags"].count("aborted")
    reason = wrong_service["reason"]
    assert 'paused with a message naming "openai"' in reason, reason
    assert "breaker openai to leave closed" in reason and "deadline 3.0s" in reason, reason
    assert "perplexity" in reason, reason  # what it saw instead: the perplexity breaker open

    # The matcher's description: what was expected, and what was found.
    wrong_report = result.scenario("report to name the wrong service")
    assert wrong_report["status"] == "failed"
    reason = wrong_report["reason"]
    assert "Expected:" in reason and "but:" in reason, reason
    assert "'perplexity'" in reason and "'openai'" in reason, reason

    # JUnit: both failures, with their messages.
    cases = result.junit_testcases()
    assert [c.get("status") for c in cases] == ["failed", "failed"]
    failures = [c.find("failure") for c in cases]
    assert all(f is not None and "openai" in (f.get("message") or "") for f in failures)

    # Each scenario resumed the service it paused, and the held-back provider is healed.
    assert set(operator.breaker_states().values()) == {"closed"}
    faults = operator.call("GET", "//sandbox/faults")["faults"]
    assert {f["mode"] for f in faults.values()} == {"ok"}, faults
    campaign_ids = [c["id"] for c in status["campaigns"]["items"]]
    assert len(campaign_ids) == 4
    assert run_rows(server.database_url, run_id, campaign_ids).empty
    assert_no_secrets(result)
