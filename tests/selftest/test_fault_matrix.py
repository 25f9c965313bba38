"""The fault matrix: the real suite (plain behave on the real features) against a sandbox, with faults put
between them by a fault-injecting proxy (fault_proxy.py), one test per row.

The rows that are one run each are the table ``ROWS`` (one parametrized test); the rows with their own
choreography (a signal, the target killed, a flapping breaker, two runs at once, a locked database, a closed
stdout) are tests of their own. Each row asserts the exit code, the verdict and reason in status.json, that
the run ended within its deadline, that no row stamped with the run id is left in the sandbox's database,
and that no token or password appears in the console or any file the run wrote. Runs are tiny (TINY: one
campaign with two leads) so the whole matrix costs little; each row prints one `MATRIX |` line (run pytest
with -s to see the table).
"""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from fault_proxy import FaultProxy, Rule
from selftest_support import (
    TINY,
    TINY_COUNTS,
    BehaveResult,
    BehaveRun,
    SandboxFactory,
    assert_no_secrets,
    assert_no_traceback,
    closed_port,
    ended,
    finish_behave,
    interrupt,
    new_run_id,
    prepare_run,
    run_behave,
    run_rows,
    running,
)

from campaign_sandbox.server import SandboxServer
from support.polling import wait_until

pytestmark = pytest.mark.selftest

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
    return run_behave(tmp_path / "run", *TINY, defines=defines, timeout_s=timeout_s)


# ---------------------------------------------------------------------------------- the table: one run each


def tolerated(needle: str, count: int) -> Callable[[dict[str, Any], FaultProxy], None]:
    """The row's faults were tolerated: ``count`` warnings with ``needle`` in status.json."""

    def check(status: dict[str, Any], _proxy: FaultProxy) -> None:
        found = [w for w in status["warnings"] if all(part in w for part in needle.split("|"))]
        assert len(found) == count, status["warnings"]

    return check


def logged_in_again(status: dict[str, Any], proxy: FaultProxy) -> None:
    assert any("logged in again" in w for w in status["warnings"]), status["warnings"]
    assert len(proxy.calls("POST", r"/auth/login$")) == 2


def create_sent_once(status: dict[str, Any], proxy: FaultProxy) -> None:
    # A write is never repeated blindly: the suite sent the create once.
    assert len(proxy.calls("POST", r"/api/v1/campaigns/$")) == 1


def committed_then_lost(path: str) -> Callable[[dict[str, Any], FaultProxy], None]:
    def check(_status: dict[str, Any], proxy: FaultProxy) -> None:
        # The platform did commit it (else this row proves nothing): the proxy forwarded, then hung up.
        assert [c.fault for c in proxy.calls("POST", path)] == ["lose"]

    return check


@dataclass(frozen=True)
class Row:
    """One run against the sandbox: through the fault proxy with ``rules`` (copied fresh for each run), or
    at ``target`` ("down": a closed port; "direct": the sandbox itself), with ``more`` settings on top
    (``{closed_port}`` in a value becomes a port nobody listens on)."""

    fault: str
    exit_code: int
    verdict: str
    reason: str
    rules: tuple[Rule, ...] = ()
    target: str = "proxy"
    more: Mapping[str, str] = field(default_factory=dict)
    deadline_s: float = 45
    secrets: tuple[str, ...] = ()
    check: Callable[[dict[str, Any], FaultProxy], None] | None = None


PASSED = ("PASSED", "The 1 executed scenario passed")
UNAVAILABLE = '{"detail": "Service Unavailable"}'
EXPIRED = '{"detail": "Invalid token"}'
ROWS = [
    # At start: nothing could be tested (exit 3), one clear line.
    Row("target down at start", 3, "CANNOT_TEST", "cannot be reached", target="down", deadline_s=30),
    Row("a 503 on start", 3, "CANNOT_TEST", "503", (Rule("status", r".", status=503, body=UNAVAILABLE),),
        deadline_s=30),
    Row("database unreachable at start", 3, "CANNOT_TEST", "ping failed", target="direct",
        more={"database_url": f"postgresql://suite:{DB_PASSWORD}@127.0.0.1:{{closed_port}}/platform"},
        deadline_s=30, secrets=(DB_PASSWORD,)),
    Row("invalid settings", 3, "CANNOT_TEST", "setting leads: expected a positive integer", target="direct",
        more={"leads": "many"}, deadline_s=30),
    Row("responses slower than the request timeout", 3, "CANNOT_TEST", "timed out after 0.5s",
        (Rule("delay", r".", delay_s=2.0),), more={"request_timeout_s": "0.5"}, deadline_s=30),
    # Poll reads: a target that stops answering fails the run; a few bad answers are tolerated.
    Row("500 on the breaker status for the whole run", 1, "FAILED",
        f"the platform stopped answering {STATUS_PATH} (4 errors over",
        (Rule("status", STATUS_PATH, "GET"),)),
    # The first read (the breakers as the run starts, for the reports) passes; the health gate's get the 500s.
    Row("500 on the breaker status for 3 calls", 0, *PASSED,
        (Rule("status", STATUS_PATH, "GET", after=1, times=3),),
        check=tolerated(f"GET {STATUS_PATH} -> 500", 3)),
    # The first read is the health gate; the monitor's reads during the waits get the garbage.
    Row("garbage body on a poll read", 0, *PASSED, (Rule("garbage", STATUS_PATH, "GET", after=1, times=2),),
        check=tolerated(f"GET {STATUS_PATH} -> 200|JSON", 2)),
    # The token "expires" after a few calls: the next call gets the platform's 401 once.
    Row("401 mid-run", 0, *PASSED,
        (Rule("status", r"/api/v1/(campaigns|queue-management)", after=4, times=1, status=401,
              body=EXPIRED),),
        check=logged_in_again),
    # Writes: a dropped request or a lost answer is never repeated blindly.
    Row("connection dropped on a write", 1, "FAILED", "POST",
        (Rule("drop", r"/api/v1/campaigns/$", "POST", times=1),), check=create_sent_once),
    *(
        Row(f"answer lost after a committed write ({what})", code, verdict, reason,
            (Rule("lose", path, "POST", times=1),), check=committed_then_lost(path))
        for what, path, code, verdict, reason in [
            ("signup", r"/api/v1/auth/signup$", 3, "CANNOT_TEST", "cannot sign up the run's user"),
            ("organization", r"/api/v1/organizations/$", 1, "FAILED", "organizations"),
            ("campaign", r"/api/v1/campaigns/$", 1, "FAILED", "campaigns"),
        ]
    ),
]  # fmt: skip


@pytest.mark.parametrize("row", ROWS, ids=[row.fault for row in ROWS])
def test_fault(tmp_path: Path, sandbox: SandboxServer, proxy: FaultProxy, row: Row) -> None:
    for rule in row.rules:
        proxy.add(replace(rule))  # the table's rules are never counted on: each run counts a fresh copy
    targets = {"proxy": proxy.url, "direct": sandbox.url, "down": f"http://127.0.0.1:{closed_port()}"}
    api_url = targets[row.target]
    more = {name: value.format(closed_port=closed_port()) for name, value in row.more.items()}
    run_id = new_run_id("m-" + re.sub(r"[^a-z0-9]+", "-", row.fault.lower()).strip("-")[:24].strip("-"))
    result = run_tiny(tmp_path, {**defines_for(api_url, sandbox, run_id), **more})
    status = check_row(
        row.fault,
        result,
        exit_code=row.exit_code,
        verdict=row.verdict,
        reason=row.reason,
        deadline_s=row.deadline_s,
        database_url=sandbox.database_url,
        run_id=run_id,
        secrets=row.secrets,
    )
    if row.check is not None:
        row.check(status, proxy)


# ---------------------------------------------------------------------------------------------- mid-run


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
    with running(runs[0]) as (first, started), running(runs[1]) as (second, _):
        results = [
            finish_behave(r, p, started, timeout_s=90) for r, p in zip(runs, (first, second), strict=True)
        ]
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

                def release(c: sqlite3.Connection = conn) -> None:
                    c.rollback()
                    c.close()
                    released.set()

                threading.Timer(7.0, release).start()

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
    result = ended(run, proc, started, "".join(lines), stderr)
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
    result = ended(run, proc, started, "".join(head), "".join(errors))
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
