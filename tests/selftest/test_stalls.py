"""Exit 1 in seconds, not at a deadline: work of the run that stops moving is named with its age once nothing
of the run has changed for `stall_s` (here: enrichment calls that hang, so their jobs stay PROCESSING)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from selftest_support import BehaveResult, SandboxFactory, assert_no_traceback, new_run_id, run_behave

pytestmark = pytest.mark.selftest

STALL_S = 3
BOUND_S = 45.0  # set-up (tenant, 3 fetches) + stall_s + a poll, generous for a loaded machine


def quick_run_with_hanging_enrichment(
    tmp_path: Path, own_sandbox: SandboxFactory, workers: int, **defines: str
) -> BehaveResult:
    """The quick happy path against a sandbox of its own whose every enrichment call hangs (healed after)."""
    server, operator = own_sandbox(hang_timeout_s=600.0, workers=workers)
    operator.set_fault("perplexity", "hang")
    try:
        return run_behave(
            tmp_path / "run",
            "--tags=@happy_path",
            "--name=quick",
            defines={
                "api_url": server.url,
                "database_url": server.database_url,
                "fault_control_url": server.url,
                "run_id": new_run_id("stall"),
                "stall_s": str(STALL_S),
                **defines,
            },
            timeout_s=180,
        )
    finally:
        operator.heal()


def test_jobs_that_stay_processing_fail_the_enrichment_step_after_stall_s_naming_them(
    tmp_path: Path, own_sandbox: SandboxFactory
) -> None:
    # Enough workers that the 15 hanging enrichments leave some free for the fetches.
    result = quick_run_with_hanging_enrichment(tmp_path, own_sandbox, workers=32, enrichment_deadline_s="120")
    assert result.exit_code == 1, result.describe()
    assert_no_traceback(result)
    scenario = result.scenario("quick")
    assert scenario["status"] == "failed", scenario
    reason = scenario["reason"]
    assert reason.startswith("And every lead of every campaign is enriched: "), reason
    assert re.search(
        rf"\d+ ENRICH_LEAD jobs PROCESSING for [{STALL_S}-{STALL_S + 2}] s with nothing of the run changing "
        r"\(.*campaign \d of 3 \([0-9a-f-]+\): \d+",
        reason,
    ), reason
    assert "not finished within" not in reason, reason  # not the deadline
    assert scenario["duration_s"] < BOUND_S, scenario


def test_a_fetch_left_pending_fails_the_step_that_starts_the_campaigns_after_stall_s(
    tmp_path: Path, own_sandbox: SandboxFactory
) -> None:
    # One worker, taken for good by the first hanging enrichment: the next campaign's fetch never starts.
    result = quick_run_with_hanging_enrichment(tmp_path, own_sandbox, workers=1)
    assert result.exit_code == 1, result.describe()
    assert_no_traceback(result)
    scenario = result.scenario("quick")
    reason = scenario["reason"]
    assert reason.startswith("When 3 campaigns with 5 leads each are started: "), reason
    assert re.search(
        rf"FETCH_LEADS job PENDING for [{STALL_S}-{STALL_S + 2}] s with nothing of the run changing: "
        r"selftest-stall-\w+ campaign 2 of 3 \([0-9a-f-]+\)",
        reason,
    ), reason
    assert "not finished within" not in reason, reason
    assert scenario["duration_s"] < BOUND_S, scenario
