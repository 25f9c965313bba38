"""Helpers of the behave self-tests: run behave as a subprocess, talk to a sandbox, poll with deadlines.

Every run gets its own reports and JUnit directories under the test's tmp_path, so runs never collide
(with each other or with people running the suite in the same checkout).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from support.api import SIGNUP_DOMAIN, Api
from support.behave_child import behave_argv

if TYPE_CHECKING:
    from campaign_sandbox.server import SandboxServer

REPO_ROOT = Path(__file__).resolve().parents[2]
FEATURES_DIR = REPO_ROOT / "features"
# lifecycle.py generates the run user's password with this prefix; it must never be printed.
RUN_PASSWORD_PREFIX = "Aa1!"
# A JWT header ({"alg":...} base64url) always starts like this.
JWT_MARKER = "eyJ"
DEFAULT_TIMEOUT_S = 180.0
# The tiny run: the happy path's quick example alone; with TINY_COUNTS (as -D settings) one campaign of two
# leads. Most self-tests need a run, not a big one.
TINY = ("--tags=@happy_path", "--name=quick")
TINY_COUNTS = {"campaigns": "1", "leads": "2"}


# The own_sandbox fixture: ``own_sandbox(**SandboxSettings fields) -> (server, operator)``.
SandboxFactory = Callable[..., "tuple[SandboxServer, Api]"]


# ---------------------------------------------------------------------------------------------- polling


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def new_run_id(label: str) -> str:
    """A run id the suite accepts (lowercase, digits, single dashes, at most 48 characters)."""
    return f"selftest-{label}-{uuid.uuid4().hex[:8]}"


# ---------------------------------------------------------------------------------------------- behave


@dataclass
class BehaveRun:
    """Where one behave run writes, and how it was started."""

    root: Path  # a per-run directory under tmp_path
    args: list[str]
    env: dict[str, str]
    cwd: Path = REPO_ROOT  # the repository root, so behave.ini applies

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def junit_dir(self) -> Path:
        return self.root / "junit"

    @property
    def json_path(self) -> Path:
        return self.root / "behave.json"


@dataclass
class BehaveResult:
    """What a finished behave run left: exit code, console output, and the reports parsed."""

    run: BehaveRun
    exit_code: int
    stdout: str
    stderr: str
    duration_s: float
    status: dict[str, Any] | None = field(default=None)

    @property
    def output(self) -> str:
        return self.stdout + "\n" + self.stderr

    @property
    def last_line(self) -> str:
        """The last line on stdout: the runner's ``verdict: ...`` line."""
        lines = self.stdout.strip().splitlines()
        return lines[-1] if lines else ""

    @property
    def html(self) -> str:
        return (self.run.reports_dir / "report.html").read_text(encoding="utf-8")

    @property
    def behave_json(self) -> list[dict[str, Any]]:
        """behave's own JSON formatter output (``-f json -o``): features with their elements."""
        data = json.loads(self.run.json_path.read_text(encoding="utf-8"))
        assert isinstance(data, list)
        return data

    def json_scenarios(self) -> list[dict[str, Any]]:
        """The scenario elements of behave's JSON output (backgrounds left out)."""
        return [e for f in self.behave_json for e in f.get("elements", []) if e.get("type") == "scenario"]

    def junit_files(self) -> list[Path]:
        return sorted(self.run.junit_dir.glob("*.xml"))

    def junit_testcases(self) -> list[ET.Element]:
        cases: list[ET.Element] = []
        for path in self.junit_files():
            cases += ET.parse(path).getroot().iter("testcase")
        return cases

    def scenario(self, name_part: str) -> dict[str, Any]:
        """The status.json scenario whose name contains ``name_part`` (exactly one)."""
        assert self.status is not None, self.describe()
        found: list[dict[str, Any]] = [s for s in self.status["scenarios"] if name_part in s["name"]]
        assert len(found) == 1, f"{len(found)} scenarios named like {name_part!r}\n{self.describe()}"
        return found[0]

    def report_texts(self) -> dict[str, str]:
        """Every file the run wrote (reports, JUnit, behave JSON), by path."""
        texts: dict[str, str] = {}
        for directory in (self.run.reports_dir, self.run.junit_dir):
            if directory.is_dir():
                for path in sorted(directory.rglob("*")):
                    if path.is_file():
                        texts[str(path)] = path.read_text(encoding="utf-8", errors="replace")
        if self.run.json_path.is_file():
            texts[str(self.run.json_path)] = self.run.json_path.read_text(encoding="utf-8")
        return texts

    def describe(self) -> str:
        """For assertion messages: the command, exit code and the end of the output."""
        tail = "\n".join(self.output.strip().splitlines()[-40:])
        return f"behave {' '.join(self.run.args)} -> exit {self.exit_code} in {self.duration_s:.1f}s\n{tail}"


@dataclass(frozen=True)
class FaultRun:
    """The happy path's standard example (10 x 20) against a sandbox of the test's own, with openai made
    to fail once every campaign is started and enriching (the session fixture ``fault_run``)."""

    result: BehaveResult
    database_url: str
    run_id: str


def allure_dir(result: BehaveResult) -> Path:
    """Where the session fixtures let allure-behave write (``-f ...AllureFormatter -o <root>/allure``)."""
    return result.run.root / "allure"


def behave_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The test process's environment without any CAMPAIGN_SUITE_* setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMPAIGN_SUITE_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("PYTHONIOENCODING", "utf-8")
    env.update(extra or {})
    return env


def prepare_run(
    root: Path,
    *args: str,
    defines: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    paths: Sequence[str | Path] = ("features/",),
    json_output: bool = True,
    cwd: Path = REPO_ROOT,
) -> BehaveRun:
    """The command line of one run: ``python -m behave <paths> <args> -D ...`` with its own report dirs."""
    root.mkdir(parents=True, exist_ok=True)
    run = BehaveRun(root=root, args=[], env=behave_env(env), cwd=cwd)
    argv = [str(p) for p in paths] + list(args)
    argv += ["-D", f"reports_dir={run.reports_dir}", "--junit-directory", str(run.junit_dir)]
    for name, value in (defines or {}).items():
        argv += ["-D", f"{name}={value}"]
    if json_output:
        # pretty stays on the console (stdout); behave's JSON goes to a file (tags as tools see them).
        argv += ["-f", "json", "-o", str(run.json_path), "-f", "pretty"]
    run.args = argv
    return run


def start_behave(run: BehaveRun) -> subprocess.Popen[str]:
    """Start behave from the repository root (so behave.ini applies), output captured."""
    return subprocess.Popen(
        behave_argv(*run.args),
        cwd=run.cwd,
        env=run.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
    )


@contextmanager
def running(run: BehaveRun) -> Iterator[tuple[subprocess.Popen[str], float]]:
    """behave started for ``run`` (the process and when it started); killed at the end if it is still
    running, whatever happened in the block (a failed assertion, a timeout)."""
    started = time.monotonic()
    proc = start_behave(run)
    try:
        yield proc, started
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


def finish_behave(
    run: BehaveRun, proc: subprocess.Popen[str], started: float, timeout_s: float = DEFAULT_TIMEOUT_S
) -> BehaveResult:
    """Wait (bounded) for a started run; on timeout kill it and fail with its output."""
    try:
        stdout, stderr = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate(timeout=30)
        raise AssertionError(
            f"behave {' '.join(run.args)} did not finish within {timeout_s:g} s\n{stdout[-3000:]}\n"
            f"{stderr[-3000:]}"
        ) from None
    return ended(run, proc, started, stdout, stderr)


def ended(
    run: BehaveRun, proc: subprocess.Popen[str], started: float, stdout: str, stderr: str
) -> BehaveResult:
    """The result of a run that has exited, with the output its caller read (status.json parsed)."""
    status_path = run.reports_dir / "status.json"
    status = json.loads(status_path.read_text(encoding="utf-8")) if status_path.is_file() else None
    return BehaveResult(
        run=run,
        exit_code=proc.returncode,
        stdout=stdout,
        stderr=stderr,
        duration_s=time.monotonic() - started,
        status=status,
    )


def run_behave(
    root: Path,
    *args: str,
    defines: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    paths: Sequence[str | Path] = ("features/",),
    json_output: bool = True,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    cwd: Path = REPO_ROOT,
) -> BehaveResult:
    """Run behave to the end and return its result (exit code, output, parsed status.json)."""
    run = prepare_run(root, *args, defines=defines, env=env, paths=paths, json_output=json_output, cwd=cwd)
    started = time.monotonic()
    proc = start_behave(run)
    return finish_behave(run, proc, started, timeout_s)


def interrupt(proc: subprocess.Popen[str], signum: int = signal.SIGINT) -> None:
    """Ctrl-C (or, with ``signal.SIGTERM``, a CI job cancelled): the signal to the behave process only."""
    proc.send_signal(signum)


# ---------------------------------------------------------------------------------------------- checks

TRACEBACK = "Traceback (most recent call last)"


def assert_no_traceback(result: BehaveResult) -> None:
    assert TRACEBACK not in result.output, result.describe()


def assert_no_secrets(result: BehaveResult, secrets: Iterable[str] = ()) -> None:
    """No bearer token, no JWT, not the run user's password, nor any of ``secrets``, in output or reports."""
    texts = {"console": result.output, **result.report_texts()}
    needles = ["Bearer ", JWT_MARKER, RUN_PASSWORD_PREFIX, *secrets]
    for where, text in texts.items():
        for needle in needles:
            assert needle not in text, f"{needle!r} found in {where}"


def isolated_cwd(directory: Path) -> Path:
    """A working directory with a copy of the repository's behave.ini: behave runs exactly as from the
    repository root, but anything the suite writes to a relative default path lands here, not in the
    shared checkout. Run it with the absolute features path."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO_ROOT / "behave.ini", directory / "behave.ini")
    return directory


def lines_with(text: str, needle: str) -> list[str]:
    return [line for line in text.splitlines() if needle in line]


def scenario_count(feature_dir: Path = FEATURES_DIR, *, default_selection: bool = True) -> int:
    """Scenarios behave will run: plain scenarios plus one per Examples row of each outline. With
    ``default_selection`` the ones a plain run leaves out (features tagged @capacity) are not counted."""
    total = 0
    for path in sorted(feature_dir.glob("*.feature")):
        text = path.read_text(encoding="utf-8")
        head = text.split("Feature:", 1)[0]
        if default_selection and "@capacity" in head.split():
            continue
        in_outline = in_examples = header_seen = False
        for raw in text.splitlines():
            line = raw.strip()
            if line.startswith(("Scenario Outline:", "Scenario Template:")):
                in_outline, in_examples = True, False
            elif line.startswith("Scenario:"):
                total += 1
                in_outline = in_examples = False
            elif line.startswith(("Examples:", "Scenarios:")) and in_outline:
                in_examples, header_seen = True, False
            elif in_examples and line.startswith("|"):
                if header_seen:
                    total += 1
                header_seen = True
            elif in_examples and line and not line.startswith("#"):
                in_examples = False
    return total


# A progress line (progress.py): the phase in words, its time, what the numbers count; the group is the phase.
PROGRESS_LINE = re.compile(
    r"^waiting for (?:the )?(lead fetches|enrichment|pause|run's earlier work to settle), [0-9.]+ s: "
    r"(?:leads fetched \d+ of \d+ asked for|leads enriched \d+/\d+|earlier work of the run|no change)",
    re.M,
)


# ---------------------------------------------------------------------------------------------- database


@dataclass(frozen=True)
class RunRows:
    """The rows of one run (found by its run id) in a sandbox's database."""

    users: int
    organizations: int
    campaigns: dict[str, str]  # id -> status
    jobs: int
    leads: int

    @property
    def empty(self) -> bool:
        return not (self.users or self.organizations or self.campaigns or self.jobs or self.leads)


def _engine(url: str) -> sa.Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def run_rows(database_url: str, run_id: str, campaign_ids: Iterable[str] = ()) -> RunRows:
    """Rows of the run: its user (by email), organizations and campaigns (by name), and the jobs and leads
    of those campaigns plus of ``campaign_ids`` (ids seen earlier, in case the campaigns are gone)."""
    like = f"%{run_id}%"
    engine = _engine(database_url)
    try:
        with engine.connect() as conn:
            users = conn.execute(
                sa.text("SELECT count(*) FROM users WHERE email = :email"),
                {"email": f"{run_id}@{SIGNUP_DOMAIN}"},
            ).scalar_one()
            orgs = conn.execute(
                sa.text("SELECT count(*) FROM organizations WHERE name LIKE :like"), {"like": like}
            ).scalar_one()
            campaigns = {
                str(row[0]): str(row[1])
                for row in conn.execute(
                    sa.text("SELECT id, status FROM campaigns WHERE name LIKE :like"), {"like": like}
                )
            }
            ids = sorted(set(campaigns) | set(campaign_ids))
            jobs = leads = 0
            if ids:
                params = {f"c{i}": cid for i, cid in enumerate(ids)}
                marks = ", ".join(f":c{i}" for i in range(len(ids)))
                jobs = conn.execute(
                    sa.text(f"SELECT count(*) FROM jobs WHERE campaign_id IN ({marks})"), params
                ).scalar_one()
                leads = conn.execute(
                    sa.text(f"SELECT count(*) FROM leads WHERE campaign_id IN ({marks})"), params
                ).scalar_one()
    finally:
        engine.dispose()
    return RunRows(int(users), int(orgs), campaigns, int(jobs), int(leads))


def table_counts(database_url: str, where: Mapping[str, tuple[str, str]]) -> dict[str, int]:
    """``{"table": ("column", value)}`` -> the number of rows with that value in each table."""
    engine = _engine(database_url)
    try:
        with engine.connect() as conn:
            return {
                table: int(
                    conn.execute(
                        sa.text(f"SELECT count(*) FROM {table} WHERE {column} = :value"), {"value": value}
                    ).scalar_one()
                )
                for table, (column, value) in where.items()
            }
    finally:
        engine.dispose()
