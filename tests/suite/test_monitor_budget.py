"""The monitor's request budget per poll cycle, counted against the sandbox: real HTTP through the suite's
client, the sandbox's SQLite, many campaigns (written straight into its database: making 1,000 through the
API takes a minute). No timing is asserted; the fake clock only spares the waits their sleeps."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from campaign_acceptance.client import PlatformClient
from campaign_acceptance.database import DatabaseProbe
from campaign_acceptance.monitor import ApiDbSource, Monitor
from campaign_sandbox.core.config import SandboxSettings
from campaign_sandbox.models import Campaign, CampaignStatus, Job, JobStatus, JobType
from campaign_sandbox.server import SandboxServer
from support.clocks import FakeClock
from support.sandboxes import Sandboxes

SIZES = (150, 1000)
TURNS = 20  # campaigns of the organization whose progress is read in turns to the end
LEADS = 2
BUDGET = 3  # requests per cycle, with or without a database, at any number of campaigns


@dataclass
class Platform:
    server: SandboxServer
    client: PlatformClient
    organizations: dict[int, tuple[str, list[str]]]  # campaigns -> (organization id, campaign ids)


def _add_campaigns(server: SandboxServer, organization_id: str, count: int) -> list[str]:
    """`count` RUNNING campaigns whose fetch saved LEADS leads, each lead's enrichment COMPLETED."""
    ids = [str(uuid.uuid4()) for _ in range(count)]
    with server.runtime.store.write() as session:
        for number, cid in enumerate(ids):
            session.add(
                Campaign(
                    id=cid,
                    name=f"budget {number}",
                    status=CampaignStatus.RUNNING,
                    organization_id=organization_id,
                    status_message=f"Successfully fetched {LEADS} leads, enrichment in progress",
                    fileName="budget.csv",
                    totalRecords=LEADS,
                    url="https://app.apollo.io/#/people",
                )
            )
            session.add(
                Job(
                    name="FETCH_LEADS",
                    status=JobStatus.COMPLETED,
                    job_type=JobType.FETCH_LEADS,
                    campaign_id=cid,
                    result=f"Successfully fetched {LEADS} leads and queued enrichment tasks",
                )
            )
            for _ in range(LEADS):
                session.add(
                    Job(
                        name="ENRICH_LEAD",
                        status=JobStatus.COMPLETED,
                        job_type=JobType.ENRICH_LEAD,
                        campaign_id=cid,
                    )
                )
    return ids


@pytest.fixture(scope="module")
def platform() -> Iterator[Platform]:
    with Sandboxes() as sandboxes:
        server = sandboxes.start(SandboxSettings(workers=1))
        client = PlatformClient(server.url)
        email = f"budget-{uuid.uuid4().hex[:10]}@hellacooltestingdomain.pizza"
        client.signup(email, "Budget1!pass")
        client.login(email, "Budget1!pass")
        organizations = {}
        for size in (*SIZES, TURNS):
            org_id = str(client.create_organization(f"budget {size}", "request budget")["id"])
            organizations[size] = (org_id, _add_campaigns(server, org_id, size))
        yield Platform(server, client, organizations)
        client.close()


@pytest.mark.parametrize("with_db", [True, False], ids=["database", "no-database"])
@pytest.mark.parametrize("size", SIZES)
def test_a_poll_cycle_costs_at_most_three_requests_at_any_number_of_campaigns(
    platform: Platform, size: int, with_db: bool
) -> None:
    org_id, ids = platform.organizations[size]
    probe = DatabaseProbe(platform.server.database_url) if with_db else None
    try:
        monitor = Monitor(ApiDbSource(platform.client, probe, org_id), FakeClock())
        for _ in range(5):
            before = platform.client.request_count
            observation = monitor.observe_once(ids)
            used = platform.client.request_count - before
            assert used <= BUDGET and observation.requests == used
            assert set(observation.campaigns) == set(
                ids
            )  # every status, every cycle: a pause is seen at once
    finally:
        if probe is not None:
            probe.close()


def test_without_a_database_job_progress_is_read_in_turns_and_enrichment_completes(
    platform: Platform,
) -> None:
    # Every campaign's enrichment is already done: the wait ends once each was read once, one per cycle.
    org_id, ids = platform.organizations[TURNS]
    monitor = Monitor(ApiDbSource(platform.client, None, org_id), FakeClock())
    before = platform.client.request_count
    done = monitor.wait_for_enrichment(ids, 3600)
    assert all(done.progress[cid].enrichment_done for cid in ids)
    assert monitor.cycles == len(ids)
    assert platform.client.request_count - before <= BUDGET * monitor.cycles
