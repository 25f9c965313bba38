"""Safety: two runs at once against one target do not see each other, and Ctrl-C still cleans up exactly
what the run created (by id) and writes the reports (INTERRUPTED, exit 130)."""

from __future__ import annotations

import signal
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from selftest_support import (
    TINY,
    TINY_COUNTS,
    SandboxFactory,
    assert_no_secrets,
    finish_behave,
    interrupt,
    lines_with,
    new_run_id,
    prepare_run,
    run_rows,
    running,
    table_counts,
)

from campaign_sandbox import domain as sandbox_domain
from campaign_sandbox.server import SandboxServer
from support.api import SELFTEST_CAMPAIGN
from support.polling import wait_until

pytestmark = pytest.mark.selftest


def suite_defines(server: SandboxServer, run_id: str) -> dict[str, str]:
    return {
        "api_url": server.url,
        "database_url": server.database_url,
        "fault_control_url": server.url,
        "run_id": run_id,
    }


def test_two_runs_at_once_against_one_target_do_not_see_each_other(
    tmp_path: Path, own_sandbox: SandboxFactory
) -> None:
    server, _ = own_sandbox(provider_latency_ms=30)
    run_ids = [new_run_id("twin-a"), new_run_id("twin-b")]
    runs = [
        prepare_run(tmp_path / run_id, *TINY, defines=suite_defines(server, run_id)) for run_id in run_ids
    ]
    with running(runs[0]) as (proc_a, started), running(runs[1]) as (proc_b, _):
        # One deadline for both (each takes a few seconds alone); a hung target fails the test in 45 s.
        deadline = started + 45
        results = [
            finish_behave(run, proc, started, timeout_s=max(1.0, deadline - time.monotonic()))
            for run, proc in zip(runs, (proc_a, proc_b), strict=True)
        ]

    for run_id, other_id, result in zip(run_ids, reversed(run_ids), results, strict=True):
        assert result.exit_code == 0, result.describe()
        status = result.status
        assert status is not None
        assert status["verdict"] == "PASSED" and status["counts"]["passed"] == 1
        assert status["settings"]["run_id"] == run_id
        items = status["campaigns"]["items"]
        assert len(items) == 3, items
        assert all(run_id in c["name"] and other_id not in c["name"] for c in items), items
        assert other_id not in result.output
        assert lines_with(result.stderr, f"exactly what run {run_id} created"), result.describe()
        assert_no_secrets(result)
    # The runs overlapped (else this proves nothing): each started before the other finished.
    first, second = (r.status for r in results)
    assert first is not None and second is not None
    assert first["started_at"] <= second["finished_at"] and second["started_at"] <= first["finished_at"]
    for run_id, result in zip(run_ids, results, strict=True):
        assert result.status is not None
        ids = [c["id"] for c in result.status["campaigns"]["items"]]
        assert run_rows(server.database_url, run_id, ids).empty


def test_ctrl_c_mid_run_exits_130_writes_reports_and_deletes_the_runs_rows(
    tmp_path: Path, own_sandbox: SandboxFactory
) -> None:
    server, operator = own_sandbox(provider_latency_ms=80)
    # Each lead fetch takes 2 s: the run sits in a wait (the usual place for a Ctrl-C) when interrupted.
    operator.set_fault("apollo", "slow", delay_ms=2000)
    # Someone else's campaign on the same target, to show cleanup deletes by id and nothing more.
    other_org = str(operator.create_org("not the run's organization", "selftest")["id"])
    other_campaign = str(
        operator.create_campaign(
            other_org, name="not the run's campaign", totalRecords=3, **SELFTEST_CAMPAIGN
        )["id"]
    )
    run_id = new_run_id("ctrl-c")
    run = prepare_run(
        tmp_path / "run",
        "--tags=@happy_path",
        "--name=platform team standard",
        defines=suite_defines(server, run_id),
    )
    seen: set[str] = set()

    def second_fetch_under_way() -> bool:
        # Campaign 1 fetched its leads (jobs and leads exist; it may be done already), campaign 2 is
        # started (no longer CREATED) and fetching.
        rows = run_rows(server.database_url, run_id)
        seen.update(rows.campaigns)
        statuses = list(rows.campaigns.values())
        return (
            len(statuses) == 2
            and "RUNNING" in statuses
            and set(statuses) <= {"RUNNING", "COMPLETED"}
            and rows.leads > 0
        )

    with running(run) as (proc, started):
        wait_until(second_fetch_under_way, 90, "the run's second campaign to be fetching", interval_s=0.05)
        assert proc.poll() is None, "the run finished before it could be interrupted"
        interrupt(proc)
        result = finish_behave(run, proc, started, timeout_s=60)

    assert result.exit_code == 130, result.describe()
    status = result.status
    assert status is not None, result.describe()
    assert status["verdict"] == "INTERRUPTED" and status["exit_code"] == 130
    assert "Interrupted by Ctrl-C" in status["reason"], status["reason"]
    assert result.last_line.startswith("verdict: INTERRUPTED (exit 130): Interrupted"), result.describe()
    assert (run.reports_dir / "report.html").is_file()
    assert result.junit_files(), "JUnit written even after Ctrl-C"

    # Cleanup ran after the interrupt and deleted the run's user, organization, campaigns, jobs and leads.
    assert lines_with(result.stderr, f"exactly what run {run_id} created"), result.describe()
    assert run_rows(server.database_url, run_id, seen).empty, run_rows(server.database_url, run_id, seen)
    # Work the sandbox still had queued for those campaigns must not bring rows back: stop it (its workers
    # drain) and look again.
    database_url = server.database_url
    server.stop()
    assert run_rows(database_url, run_id, seen).empty
    # The other tenant's rows are untouched.
    assert table_counts(
        database_url,
        {
            "users": ("id", str(operator.user_id)),
            "organizations": ("id", other_org),
            "campaigns": ("id", other_campaign),
        },
    ) == {"users": 1, "organizations": 1, "campaigns": 1}
    assert_no_secrets(result)


def test_ctrl_c_while_a_campaign_is_being_created_still_deletes_everything_of_the_run(
    tmp_path: Path, own_sandbox: SandboxFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C can come while the platform is creating a campaign: the campaign then exists, in the run's
    organization, but the run never saw its id. Cleanup must still leave nothing of the run behind."""
    server, _ = own_sandbox()
    entered, listed, release = threading.Event(), threading.Event(), threading.Event()
    creates: list[int] = []
    original_message = sandbox_domain.creation_message
    original_list = sandbox_domain.Domain.list_campaigns

    def held_creation_message(*args: Any, **kwargs: Any) -> Any:
        creates.append(1)
        if len(creates) == 2:  # the run's second campaign: hold the request until the test lets it go
            entered.set()
            release.wait(30)
        return original_message(*args, **kwargs)

    def watched_list_campaigns(*args: Any, **kwargs: Any) -> Any:
        if entered.is_set():  # the suite lists the campaigns again only after the interrupted request
            listed.set()
        return original_list(*args, **kwargs)

    monkeypatch.setattr(sandbox_domain, "creation_message", held_creation_message)
    monkeypatch.setattr(sandbox_domain.Domain, "list_campaigns", watched_list_campaigns)
    run_id = new_run_id("ctrl-c-create")
    run = prepare_run(tmp_path / "run", *TINY, defines=suite_defines(server, run_id))
    try:
        with running(run) as (proc, started):
            assert entered.wait(60), "the run never created its second campaign"
            interrupt(proc)
            # The suite noticed (it lists the scenario's campaigns in after_scenario); now the create goes on.
            assert listed.wait(30), "the run did not go on after the interrupt"
            release.set()
            result = finish_behave(run, proc, started, timeout_s=60)
    finally:
        release.set()

    assert result.exit_code == 130, result.describe()
    assert result.status is not None and "Interrupted" in result.status["reason"]
    left = run_rows(server.database_url, run_id)
    assert left.empty, f"left behind after Ctrl-C: {left}; warnings: {result.status['warnings']}"
    assert_no_secrets(result)


def test_ctrl_c_works_when_the_tests_were_started_with_sigint_ignored(
    tmp_path: Path, own_sandbox: SandboxFactory
) -> None:
    """CI may start jobs with SIGINT ignored (`nohup ... &`, no terminal); a child inherits that, and a
    Python child then never raises KeyboardInterrupt. The self-tests reset it in the child they start."""
    server, operator = own_sandbox()
    operator.set_fault("apollo", "slow", delay_ms=3000)  # the run sits in its fetch wait for 3 s
    run_id = new_run_id("sigint-ignored")
    run = prepare_run(tmp_path / "run", *TINY, defines={**suite_defines(server, run_id), **TINY_COUNTS})
    with ExitStack() as stack:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a CI job would start pytest
        try:
            proc, started = stack.enter_context(running(run))
        finally:
            signal.signal(signal.SIGINT, previous)
        wait_until(lambda: run_rows(server.database_url, run_id).campaigns, 60, "the run's campaign")
        interrupt(proc)
        result = finish_behave(run, proc, started, timeout_s=60)
    assert result.exit_code == 130, result.describe()
    assert result.status is not None and result.status["verdict"] == "INTERRUPTED"
    assert run_rows(server.database_url, run_id).empty
