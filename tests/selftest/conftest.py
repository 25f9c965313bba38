"""Fixtures of the behave self-tests: sandboxes of the test's own (to inject faults, pause services and read
the database while behave runs against them) and an operator logged in to them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from selftest_support import (
    TINY,
    BehaveResult,
    FaultRun,
    SandboxFactory,
    finish_behave,
    new_run_id,
    prepare_run,
    run_behave,
    run_rows,
    running,
)

from campaign_sandbox.core.config import SandboxSettings
from campaign_sandbox.server import SandboxServer
from support.api import Api
from support.polling import wait_until
from support.sandboxes import Sandboxes

# A manual pause must not flip to half-open while a test runs; everything else as the suite's default.
OWN_SANDBOX_DEFAULTS: dict[str, Any] = {"fault_control": True, "breaker_recovery_timeout_s": 600.0}


@pytest.fixture
def own_sandbox(tmp_path: Path, sandboxes: Sandboxes) -> SandboxFactory:
    """``own_sandbox(**settings)`` starts a sandbox (SQLite file under tmp_path unless ``database_url`` is
    given, so its rows can still be read after it stopped) and returns it with a logged-in operator."""
    count = [0]

    def make(**overrides: Any) -> tuple[SandboxServer, Api]:
        settings: dict[str, Any] = {
            **OWN_SANDBOX_DEFAULTS,
            "database_url": f"sqlite:///{tmp_path / f'sandbox-{count[0]}.db'}",
            **overrides,
        }
        count[0] += 1
        server = sandboxes.start(SandboxSettings(**settings))
        return server, sandboxes.user(server)

    return make


# --------------------------------------------------------------------------------- one run per report kind
# A passing run, a service-failure run and a failed-deadline run are each made once per session (with
# allure-behave's formatter too) and checked by several tests: the verdict tests, the report content, the
# Allure results and the real browser.

SHARED_RUNS = ("passing_run", "deadline_run", "fault_run")


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (scripts/run-tests) every test that reads a shared run goes to the same worker, so
    each run is made once, not once per worker."""
    for item in items:
        if set(getattr(item, "fixturenames", ())) & set(SHARED_RUNS):
            item.add_marker(pytest.mark.xdist_group("shared_runs"))


ALLURE_ARGS = ("-f", "allure_behave.formatter:AllureFormatter", "-o")
# Slow enough providers that the standard example (10 campaigns x 20 leads, 4 provider calls per lead on 8
# workers) is still enriching for seconds after its last campaign started.
SLOW_PROVIDER_MS = 80


@pytest.fixture(scope="session")
def passing_run(tmp_path_factory: pytest.TempPathFactory) -> BehaveResult:
    """Plain `behave features/` with no configuration: the embedded sandbox, every scenario."""
    root = tmp_path_factory.mktemp("passing")
    return run_behave(root / "run", *ALLURE_ARGS, str(root / "run" / "allure"), timeout_s=300)


@pytest.fixture(scope="session")
def deadline_run(tmp_path_factory: pytest.TempPathFactory) -> BehaveResult:
    """Slow providers (embedded sandbox, via its SANDBOX_* environment) and an enrichment deadline far too
    short for them: the quick example fails at its deadline."""
    root = tmp_path_factory.mktemp("deadline")
    return run_behave(
        root / "run",
        *TINY,
        *ALLURE_ARGS,
        str(root / "run" / "allure"),
        defines={"enrichment_deadline_s": "0.5"},
        env={"SANDBOX_PROVIDER_LATENCY_MS": "400"},
    )


@pytest.fixture(scope="session")
def fault_run(tmp_path_factory: pytest.TempPathFactory) -> FaultRun:
    root = tmp_path_factory.mktemp("fault")
    database_url = f"sqlite:///{root / 'sandbox.db'}"
    with Sandboxes() as sandboxes:
        server = sandboxes.start(
            SandboxSettings(
                **{**OWN_SANDBOX_DEFAULTS, "database_url": database_url}, provider_latency_ms=SLOW_PROVIDER_MS
            )
        )
        operator = sandboxes.user(server)
        run_id = new_run_id("fault")
        run = prepare_run(
            root / "run",
            "--tags=@happy_path",
            "--name=platform team standard",
            *ALLURE_ARGS,
            str(root / "run" / "allure"),
            defines={
                "api_url": server.url,
                "database_url": server.database_url,
                "fault_control_url": server.url,
                "run_id": run_id,
            },
        )

        # Every campaign started (none met an open breaker) and still enriching: now openai fails.
        def all_started_and_running() -> bool:
            rows = run_rows(server.database_url, run_id)
            return len(rows.campaigns) == 10 and "RUNNING" in rows.campaigns.values() and rows.leads > 0

        try:
            with running(run) as (proc, started):
                wait_until(all_started_and_running, 90, "the run's 10 campaigns started and enriching")
                assert proc.poll() is None, "the run finished before the fault could be injected"
                operator.set_fault("openai", "error")
                result = finish_behave(run, proc, started, timeout_s=120)
        finally:
            operator.heal()
            operator.resume_service("openai")
    return FaultRun(result, server.database_url, run_id)
