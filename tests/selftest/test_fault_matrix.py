"""The fault matrix: the real suite (plain behave on the real features) against a sandbox, with faults put
between them by a fault-injecting proxy (fault_proxy.py), one test per row.

Each row asserts the exit code, the verdict and reason in status.json, that the run ended within its deadline,
that no row stamped with the run id is left in the sandbox's database, and that no token or password appears
in the console or any file the run wrote. Runs are tiny (one campaign with two leads, `-D campaigns=1 -D
leads=2`) so the whole matrix costs little; each row prints one `MATRIX |` line (run pytest with -s to see
the table).
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fault_proxy import FaultProxy, Rule
from selftest_support import (
    BehaveResult,
    BehaveRun,
    SandboxFactory,
    assert_no_secrets,
    assert_no_traceback,
    closed_port,
    finish_behave,
    interrupt,
    new_run_id,
    prepare_run,
    run_rows,
    start_behave,
)

from campaign_sandbox.server import SandboxServer
from support.polling import wait_until

pytestmark = pytest.mark.selftest

TINY = ("--tags=@happy_path", "--name=quick")
TINY_COUNTS = {"campaigns": "1", "leads": "2"}
STATUS_PATH = r"/api/v1/queue-management/status"
DB_PASSWORD = "matrixSecretPw9"


def defines_for(api_url: str, server: SandboxServer, run_id: str, **more: str) -> dict[str, str]:
    return {
        "api_url": api_url,
        "database_url": server.database_url,
        "fault_control_url": server.url,
        "run_id": run_id,
        "poll_interval_s": "0.1",
        **TINY_COUNTS,
        **more,
    }


@pytest.fixture
def sandbox(own_sandbox: SandboxFactory) -> SandboxServer:
    server, _ = own_sandbox(provider_latency_ms=5)
    return server


@pytest.fixture
def proxy(sandbox: SandboxServer) -> Iterator[FaultProxy]:
    with FaultProxy(sandbox.url) as running:
        yield running


def check_row(
    fault: str,
    result: BehaveResult,
    *,
    exit_code: int,
    verdict: str,
    reason: str,
    deadline_s: float,
    database_url: str | None,
    run_id: str,
    secrets: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The assertions every row makes; returns status.json."""
    status = result.status
    rows_left = "n/a"
    if database_url is not None:
        left = run_rows(database_url, run_id)
        rows_left = str(left.users + left.organizations + len(left.campaigns) + left.jobs + left.leads)
    verdict_seen = status["verdict"] if status else "no status.json"
    print(
        f"\nMATRIX | {fault} | {result.exit_code} | {verdict_seen} | {result.duration_s:.1f} s | {rows_left}"
    )
    assert status is not None, result.describe()
    assert result.exit_code == exit_code, result.describe()
    assert (status["verdict"], status["exit_code"]) == (verdict, exit_code), status["reason"]
    assert reason in status["reason"], f"{reason!r} not in {status['reason']!r}"
    assert result.last_line.startswith(f"verdict: {verdict} (exit {exit_code})"), result.describe()
    assert result.duration_s < deadline_s, f"took {result.duration_s:.1f} s (deadline {deadline_s} s)"
    assert rows_left in ("0", "n/a"), f"rows of run {run_id} left: {rows_left}; {status['warnings']}"
    assert (result.run.reports_dir / "report.html").is_file()
    if exit_code == 3:  # bad input or an unusable target: one clear line, never a traceback
        assert_no_traceback(result)
    assert_no_secrets(result, secrets)
    return status


def run_tiny(tmp_path: Path, defines: Mapping[str, str], timeout_s: float = 90.0) -> BehaveResult:
    from selftest_support import run_behave

    return run_behave(tmp_path / "run", *TINY, defines=defines, timeout_s=timeout_s)


# ---------------------------------------------------------------------------------------------- at start


def test_target_down_at_start(tmp_path: Path, sandbox: SandboxServer) -> None:
    run_id = new_run_id("m-down")
    result = run_tiny(tmp_path, defines_for(f"http://127.0.0.1:{closed_port()}", sandbox, run_id))
    check_row(
        "target down at start",
        result,
        exit_code=3,
        verdict="CANNOT_TEST",
        reason="cannot be reached",
        deadline_s=30,
        database_url=sandbox.database_url,
        run_id=run_id,
    )


def test_a_503_on_start(tmp_path: Path, sandbox: SandboxServer, proxy: FaultProxy) -> None:
    proxy.add(Rule("status", r".", status=503, body='{"detail": "Service Unavailable"}'))
    run_id = new_run_id("m-503")
    result = run_tiny(tmp_path, defines_for(proxy.url, sandbox, run_id))
    check_row(
        "a 503 on start",
        result,
        exit_code=3,
        verdict="CANNOT_TEST",
        reason="503",
        deadline_s=30,
        database_url=sandbox.database_url,
        run_id=run_id,
    )


def test_database_unreachable_at_start(tmp_path: Path, sandbox: SandboxServer) -> None:
    run_id = new_run_id("m-nodb")
    url = f"postgresql://suite:{DB_PASSWORD}@127.0.0.1:{closed_port()}/platform"
    result = run_tiny(tmp_path, {**defines_for(sandbox.url, sandbox, run_id), "database_url": url})
    check_row(
        "database unreachable at start",
        result,
        exit_code=3,
        verdict="CANNOT_TEST",
        reason="ping failed",
        deadline_s=30,
        database_url=sandbox.database_url,
        run_id=run_id,
        secrets=(DB_PASSWORD,),
    )


def test_invalid_settings(tmp_path: Path, sandbox: SandboxServer) -> None:
    run_id = new_run_id("m-bad")
    result = run_tiny(tmp_path, {**defines_for(sandbox.url, sandbox, run_id), "leads": "many"})
    check_row(
        "invalid settings",
        result,
        exit_code=3,
        verdict="CANNOT_TEST",
        reason="setting leads: expected a positive integer",
        deadline_s=30,
        database_url=sandbox.database_url,
        run_id=run_id,
    )


def test_responses_slower_than_the_request_timeout(
    tmp_path: Path, sandbox: SandboxServer, proxy: FaultProxy
) -> None:
    proxy.add(Rule("delay", r".", delay_s=2.0))
    run_id = new_run_id("m-slow")
    result = run_tiny(tmp_path, defines_for(proxy.url, sandbox, run_id, request_timeout_s="0.5"))
    check_row(
        "responses slower than the request timeout",
        result,
        exit_code=3,
        verdict="CANNOT_TEST",
        reason="timed out after 0.5s",
        deadline_s=30,
        database_url=sandbox.database_url,
        run_id=run_id,
    )


# ---------------------------------------------------------------------------------------------- poll reads


def test_500_on_the_breaker_status_for_the_whole_run(
    tmp_path: Path, sandbox: SandboxServer, proxy: FaultProxy
) -> None:
    proxy.add(Rule("status", STATUS_PATH, method="GET"))
    run_id = new_run_id("m-500all")
    result = run_tiny(tmp_path, defines_for(proxy.url, sandbox, run_id))
    check_row(
        "500 on the breaker status for the whole run",
        result,
        exit_code=1,
        verdict="FAILED",
        reason=f"the platform stopped answering {STATUS_PATH} (4 errors over",
        deadline_s=45,
        database_url=sandbox.database_url,
        run_id=run_id,
    )


def test_500_on_the_breaker_status_for_3_calls(
    tmp_path: Path, sandbox: SandboxServer, proxy: FaultProxy
) -> None:
    # The first read (the breakers as the run starts, for the reports) passes; the health gate's get the 500s.
    proxy.add(Rule("status", STATUS_PATH, method="GET", after=1, times=3))
    run_id = new_run_id("m-500x3")
    result = run_tiny(tmp_path, defines_for(proxy.url, sandbox, run_id))
    status = check_row(
        "500 on the breaker status for 3 calls",
        result,
        exit_code=0,
        verdict="PASSED",
        reason="The 1 executed scenario passed",
        deadline_s=45,
        database_url=sandbox.database_url,
        run_id=run_id,
    )
    tolerated = [w for w in status["warnings"] if f"GET {STATUS_PATH} -> 500" in w]
    assert len(tolerated) == 3, status["warnings"]


def test_garbage_body_on_a_poll_read(tmp_path: Path, sandbox: SandboxServer, proxy: FaultProxy) -> None:
    # The first read is the health gate; the monitor's reads during the waits get the garbage.
    proxy.add(Rule("garbage", STATUS_PATH, method="GET", after=1, times=2))
    run_id = new_run_id("m-garbage")
    result = run_tiny(tmp_path, defines_for(proxy.url, sandbox, run_id))
    status = check_row(
        "garbage body on a poll read",
        result,
        exit_code=0,
        verdict="PASSED",
        reason="The 1 executed scenario passed",
        deadline_s=45,
        database_url=sandbox.database_url,
        run_id=run_id,
    )
    tolerated = [w for w in status["warnings"] if f"GET {STATUS_PATH} -> 200" in w and "JSON" in w]
    assert len(tolerated) == 2, status["warnings"]


def test_401_mid_run_logs_in_again(tmp_path: Path, sandbox: SandboxServer, proxy: FaultProxy) -> None:
    # The token "expires" after a few calls: the next call gets the platform's 401 once.
    proxy.add(
        Rule(
            "status",
            r"/api/v1/(campaigns|queue-management)",
            after=4,
            times=1,
            status=401,
            body='{"detail": "Invalid token"}',
        )
    )
    run_id = new_run_id("m-401")
    result = run_tiny(tmp_path, defines_for(proxy.url, sandbox, run_id))
    status = check_row(
        "401 mid-run",
        result,
        exit_code=0,
        verdict="PASSED",
        reason="The 1 executed scenario passed",
        deadline_s=45,
        database_url=sandbox.database_url,
        run_id=run_id,
    )
    assert any("logged in again" in w for w in status["warnings"]), status["warnings"]
    assert len(proxy.calls("POST", r"/auth/login$")) == 2


# ---------------------------------------------------------------------------------------------- writes


def test_connection_dropped_on_a_write(tmp_path: Path, sandbox: SandboxServer, proxy: FaultProxy) -> None:
    proxy.add(Rule("drop", r"/api/v1/campaigns/$", method="POST", times=1))
    run_id = new_run_id("m-drop")
    result = run_tiny(tmp_path, defines_for(proxy.url, sandbox, run_id))
    check_row(
        "connection dropped on a write",
        result,
        exit_code=1,
        verdict="FAILED",
        reason="POST",
        deadline_s=45,
        database_url=sandbox.database_url,
        run_id=run_id,
    )
    # A write is never repeated blindly: the suite sent the create once.
    assert len(proxy.calls("POST", r"/api/v1/campaigns/$")) == 1


@pytest.mark.parametrize(
    ("what", "path", "exit_code", "verdict", "reason"),
    [
        ("signup", r"/api/v1/auth/signup$", 3, "CANNOT_TEST", "cannot sign up the run's user"),
        ("organization", r"/api/v1/organizations/$", 1, "FAILED", "organizations"),
        ("campaign", r"/api/v1/campaigns/$", 1, "FAILED", "campaigns"),
    ],
)
def test_answer_lost_after_a_committed_write(
    tmp_path: Path,
    sandbox: SandboxServer,
    proxy: FaultProxy,
    what: str,
    path: str,
    exit_code: int,
    verdict: str,
    reason: str,
) -> None:
    proxy.add(Rule("lose", path, method="POST", times=1))
    run_id = new_run_id(f"m-lost-{what}")
    result = run_tiny(tmp_path, defines_for(proxy.url, sandbox, run_id))
    # The platform did commit it (else this row proves nothing): the proxy forwarded, then hung up.
    assert [c.fault for c in proxy.calls("POST", path)] == ["lose"]
    check_row(
        f"answer lost after a committed write ({what})",
        result,
        exit_code=exit_code,
        verdict=verdict,
        reason=reason,
        deadline_s=45,
        database_url=sandbox.database_url,
        run_id=run_id,
    )


# ---------------------------------------------------------------------------------------------- mid-run


@contextmanager
def running(run: BehaveRun) -> Iterator[tuple[subprocess.Popen[str], float]]:
    started = time.monotonic()
    proc = start_behave(run)
    try:
        yield proc, started
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


def slow_run(tmp_path: Path, own_sandbox: SandboxFactory, label: str) -> tuple[SandboxServer, BehaveRun, str]:
    """A run that sits in its lead-fetch wait for a few seconds (the usual place for a stop)."""
    server, operator = own_sandbox(provider_latency_ms=5)
    operator.set_fault("apollo", "slow", delay_ms=3000)
    run_id = new_run_id(label)
    run = prepare_run(tmp_path / "run", *TINY, defines=defines_for(server.url, server, run_id))
    return server, run, run_id


def fetching(database_url: str, run_id: str) -> Callable[[], bool]:
    return lambda: bool(run_rows(database_url, run_id).campaigns)


@pytest.mark.parametrize(
    ("signum", "exit_code", "reason"),
    [(signal.SIGINT, 130, "Ctrl-C (SIGINT)"), (signal.SIGTERM, 143, "SIGTERM")],
    ids=["SIGINT", "SIGTERM"],
)
def test_signal_mid_run(
    tmp_path: Path, own_sandbox: SandboxFactory, signum: int, exit_code: int, reason: str
) -> None:
    server, run, run_id = slow_run(tmp_path, own_sandbox, f"m-{signal.Signals(signum).name.lower()}")
    with running(run) as (proc, started):
        wait_until(fetching(server.database_url, run_id), 60, "the run's campaign to exist")
        interrupt(proc, signum)
        result = finish_behave(run, proc, started, timeout_s=60)
    status = check_row(
        f"{signal.Signals(signum).name} mid-run",
        result,
        exit_code=exit_code,
        verdict="INTERRUPTED",
        reason=reason,
        deadline_s=60,
        database_url=server.database_url,
        run_id=run_id,
    )
    assert status["scenarios"], status
    # JUnit shows the scenarios the stop prevented as errors, not as skipped.
    errors = [c.find("error") for c in result.junit_testcases() if c.find("error") is not None]
    assert any(e is not None and e.get("type") == "interrupted" for e in errors), result.junit_files()


def test_target_killed_mid_run(tmp_path: Path, own_sandbox: SandboxFactory) -> None:
    server, run, run_id = slow_run(tmp_path, own_sandbox, "m-killed")
    database_url = server.database_url
    with running(run) as (proc, started):
        wait_until(fetching(database_url, run_id), 60, "the run's campaign to exist")
        server.stop()
        result = finish_behave(run, proc, started, timeout_s=90)
    check_row(
        "target killed mid-run",
        result,
        exit_code=1,
        verdict="FAILED",
        reason="the platform stopped answering",
        deadline_s=90,
        database_url=database_url,
        run_id=run_id,
    )


def test_a_flapping_breaker(tmp_path: Path, own_sandbox: SandboxFactory) -> None:
    server, operator = own_sandbox(provider_latency_ms=200)
    run_id = new_run_id("m-flap")
    run = prepare_run(tmp_path / "run", *TINY, defines=defines_for(server.url, server, run_id))
    stop = threading.Event()

    def flap() -> None:  # open, closed, open, ... while the run goes on
        while not stop.is_set():
            operator.pause_service("openai", "flapping")
            stop.wait(0.3)
            operator.resume_service("openai")
            stop.wait(0.3)

    with running(run) as (proc, started):
        wait_until(fetching(server.database_url, run_id), 60, "the run's campaign to exist")
        flapper = threading.Thread(target=flap, daemon=True)
        flapper.start()
        try:
            result = finish_behave(run, proc, started, timeout_s=90)
        finally:
            stop.set()
            flapper.join(10)
            operator.resume_service("openai")
    check_row(
        "a flapping breaker",
        result,
        exit_code=2,
        verdict="SERVICE_FAILURE",
        reason="openai",
        deadline_s=90,
        database_url=server.database_url,
        run_id=run_id,
    )


def test_two_runs_at_once(tmp_path: Path, sandbox: SandboxServer, proxy: FaultProxy) -> None:
    run_ids = [new_run_id("m-twin-a"), new_run_id("m-twin-b")]
    runs = [prepare_run(tmp_path / r, *TINY, defines=defines_for(proxy.url, sandbox, r)) for r in run_ids]
    started = time.monotonic()
    procs = [start_behave(r) for r in runs]
    try:
        results = [finish_behave(r, p, started, timeout_s=90) for r, p in zip(runs, procs, strict=True)]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=30)
    for run_id, other, result in zip(run_ids, reversed(run_ids), results, strict=True):
        status = check_row(
            "two runs at once",
            result,
            exit_code=0,
            verdict="PASSED",
            reason="The 1 executed scenario passed",
            deadline_s=90,
            database_url=sandbox.database_url,
            run_id=run_id,
        )
        assert all(other not in c["name"] for c in status["campaigns"]["items"])


# ---------------------------------------------------------------------------------------------- cleanup


def test_database_locked_during_cleanup(tmp_path: Path, sandbox: SandboxServer) -> None:
    """The last step done, the test takes SQLite's write lock for longer than the probe's busy timeout:
    the first delete fails with "database is locked", a retry after the lock is gone deletes everything."""
    run_id = new_run_id("m-locked")
    # The default console (plain) prints "... passed in" once the last step is done.
    run = prepare_run(
        tmp_path / "run", *TINY, defines=defines_for(sandbox.url, sandbox, run_id), json_output=False
    )
    db_file = sandbox.database_url.split("sqlite:///", 1)[1]
    locked, released = threading.Event(), threading.Event()
    lines: list[str] = []

    def hold_lock_after_last_step(proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "the database agrees with the API" in line and " passed" in line and not locked.is_set():
                conn = sqlite3.connect(db_file, isolation_level=None, timeout=30, check_same_thread=False)
                conn.execute("BEGIN IMMEDIATE")  # readers go on (WAL); every writer waits
                locked.set()
                threading.Timer(7.0, lambda c=conn: (c.rollback(), c.close(), released.set())).start()

    errors: list[str] = []

    def read_stderr(proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        errors.extend(proc.stderr)

    with running(run) as (proc, started):
        readers = [
            threading.Thread(target=hold_lock_after_last_step, args=(proc,), daemon=True),
            threading.Thread(target=read_stderr, args=(proc,), daemon=True),
        ]
        for reader in readers:
            reader.start()
        proc.wait(timeout=120)
        for reader in readers:
            reader.join(30)
    stderr = "".join(errors)
    assert locked.is_set(), "".join(lines[-20:])
    assert released.wait(30)
    status_path = run.reports_dir / "status.json"
    result = BehaveResult(
        run=run,
        exit_code=proc.returncode,
        stdout="".join(lines),
        stderr=stderr,
        duration_s=time.monotonic() - started,
        status=json.loads(status_path.read_text()) if status_path.is_file() else None,
    )
    status = check_row(
        "database locked during cleanup",
        result,
        exit_code=0,
        verdict="PASSED",
        reason="The 1 executed scenario passed",
        deadline_s=90,
        database_url=sandbox.database_url,
        run_id=run_id,
    )
    assert any("database is locked" in w for w in status["warnings"]), status["warnings"]


def test_a_closed_stdout_stops_like_ctrl_c(tmp_path: Path) -> None:
    """`behave ... | head -3`: the reader goes away while the run waits. The embedded sandbox (its lead
    fetches slowed by its own setting) shows that its temporary folders are removed too."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {"TMPDIR": str(temp), "SANDBOX_FETCH_LATENCY_MS": "3000"}
    run = prepare_run(tmp_path / "run", *TINY, defines=TINY_COUNTS, env=env, json_output=False)
    errors: list[str] = []
    with running(run) as (proc, started):
        assert proc.stdout is not None and proc.stderr is not None
        reader = threading.Thread(target=lambda: errors.extend(proc.stderr or ()), daemon=True)
        reader.start()
        head = [proc.stdout.readline() for _ in range(3)]
        proc.stdout.close()  # what `head -3` does once it has its lines
        proc.wait(timeout=90)
        reader.join(30)
    status_path = run.reports_dir / "status.json"
    result = BehaveResult(
        run=run,
        exit_code=proc.returncode,
        stdout="".join(head),
        stderr="".join(errors),
        duration_s=time.monotonic() - started,
        status=json.loads(status_path.read_text()) if status_path.is_file() else None,
    )
    status = result.status
    print(
        f"\nMATRIX | closed stdout | {result.exit_code} | {status and status['verdict']} | "
        f"{result.duration_s:.1f} s | n/a"
    )
    assert result.exit_code == 141, result.describe()
    assert status is not None and (status["verdict"], status["exit_code"]) == ("INTERRUPTED", 141)
    assert "a closed standard output" in status["reason"], status["reason"]
    assert (run.reports_dir / "report.html").is_file()
    assert result.duration_s < 60
    assert "cleanup: deleted" in result.stderr, result.stderr
    assert list(temp.iterdir()) == [], "the embedded sandbox left its temporary folders"
    assert "Traceback" not in result.stderr, result.stderr
    assert_no_secrets(result)
