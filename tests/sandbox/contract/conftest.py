"""Fixtures of the sandbox contract tests: running sandboxes, users with tokens, an organization.

One session-wide sandbox serves the tests that do not touch global state. Tests that open
breakers, inject faults or pause "every RUNNING campaign" get a fresh sandbox of their own
(``fresh_api``), so their counts are exact and nothing leaks into other tests.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from support.polling import wait_until

sys.path.insert(0, str(Path(__file__).resolve().parent))

from contract_shapes import SAMPLES_DIR
from contract_support import Api, describe, start_sandbox

from support.sandboxes import Sandboxes


@pytest.fixture(scope="session", autouse=True)
def _samples_present() -> None:
    if not (SAMPLES_DIR / "_index.json").is_file():
        pytest.fail(
            f"platform samples not found at {SAMPLES_DIR} (contract/samples of the checkout)",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def sandbox_url() -> Iterator[str]:
    """Base URL (no /api/v1) of the session's sandbox, fault control on."""
    with Sandboxes() as sandboxes:
        yield str(start_sandbox(sandboxes).url)


@pytest.fixture(scope="session")
def anon(sandbox_url: str) -> Api:
    return Api(sandbox_url)


@pytest.fixture(scope="session")
def api(anon: Api) -> Api:
    """An authenticated client of the session's sandbox (a fresh whitelisted user)."""
    return anon.signup_and_login()


@pytest.fixture(scope="session")
def org(api: Api) -> dict[str, Any]:
    return api.create_org()


@pytest.fixture
def sandbox_factory(sandboxes: Sandboxes) -> Callable[..., Api]:
    """Start extra sandboxes (settings overrides as keyword arguments); each is stopped after the test."""

    def make(**overrides: Any) -> Api:
        return Api(str(start_sandbox(sandboxes, **overrides).url))

    return make


@pytest.fixture
def fresh_api(sandbox_factory: Callable[..., Api]) -> Api:
    """An authenticated client of a sandbox of its own (for breaker, fault and bulk-pause tests)."""
    return sandbox_factory().signup_and_login()


@pytest.fixture(scope="session")
def started(api: Api, org: dict[str, Any]) -> dict[str, Any]:
    """A campaign of the session's sandbox, started, whose fetch and enrichment have finished.

    Returns ``{"campaign": <as created>, "start": <the start response>, "leads": [...], "jobs": [...]}``.
    """
    campaign = api.create_campaign(org["id"], name="Sample Campaign A", totalRecords=3)
    start = api.post(f"/campaigns/{campaign['id']}/start", json={})
    assert start.status_code == 200, describe(start)

    def finished() -> dict[str, Any] | None:
        jobs = api.jobs(campaign["id"])
        fetch = [j for j in jobs if j["job_type"] == "FETCH_LEADS"]
        if not fetch or fetch[0]["status"] != "COMPLETED":
            return None
        leads = api.leads(campaign["id"])
        enrich = [j for j in jobs if j["job_type"] == "ENRICH_LEAD"]
        done = [j for j in enrich if j["status"] in ("COMPLETED", "FAILED")]
        if not leads or len(done) < len(leads):
            return None
        return {"campaign": campaign, "start": start, "leads": leads, "jobs": jobs}

    return wait_until(finished, timeout_s=30, what=f"campaign {campaign['id']} fetched and enriched")
