"""The steps judge what the platform stored, not what it says about itself: each test runs the real steps on
the embedded sandbox, then breaks one promise (a row changed in its database, or one answer of the API
changed on the way, as a platform defect would) and checks the step fails naming the broken rule and items.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any, cast

import pytest
import sqlalchemy as sa

from campaign_acceptance import scenarios
from campaign_acceptance.client import PlatformClient
from campaign_acceptance.errors import ProgressFailure, ServiceFailure
from campaign_acceptance.lifecycle import open_session
from campaign_acceptance.model import BreakerState
from campaign_acceptance.outcome import RunRecord
from campaign_acceptance.settings import Settings
from campaign_acceptance.world import ScenarioState, Session, World


class Lying:
    """The run's real client with some calls answered differently (`answers`: method name -> a function of
    the real method and the call's arguments), as a platform whose API misreports would answer."""

    def __init__(self, client: PlatformClient, **answers: Any) -> None:
        self._client = client
        self._answers = answers

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._client, name)
        change = self._answers.get(name)
        if change is None:
            return real
        return lambda *args: change(real, *args)


@pytest.fixture(scope="module")
def session() -> Iterator[Session]:
    opened = open_session(Settings(run_id="judge", progress=False, stall_s=5.0, poll_max_interval_s=1.0))
    try:
        yield opened
    finally:
        if opened.probe is not None:
            opened.probe.close()
        if opened.sandbox is not None:
            opened.sandbox.stop()


def world_of(session: Session, name: str, **answers: Any) -> World:
    # The proxy answers every client method (__getattr__): typed as the client it stands in for.
    client = cast(PlatformClient, Lying(session.client, **answers)) if answers else session.client
    changed = dataclasses.replace(session, client=client, stuck_resumes={})
    world = World(record=RunRecord(), session_=changed, scenario=ScenarioState(name=name))
    scenarios.fresh_tenant(world)
    return world


def enriched(session: Session, name: str, **answers: Any) -> World:
    world = world_of(session, name, **answers)
    scenarios.start_campaigns(world, 2, 3)
    return world


def write(session: Session, statement: str, **values: Any) -> None:
    """A platform defect's doing, straight in the sandbox's database."""
    assert session.sandbox is not None
    engine = sa.create_engine(session.sandbox.database_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(statement), values)
    finally:
        engine.dispose()


def first_lead(world: World) -> dict[str, Any]:
    return world.session.client.list_leads(world.scenario.campaigns[0].id)[0]


def test_a_completed_job_whose_lead_lacks_its_results_fails_naming_the_lead_and_the_fields(
    session: Session,
) -> None:
    world = enriched(session, "results missing")
    scenarios.wait_until_every_lead_enriched(world)  # the platform as it should be
    lead = first_lead(world)
    write(
        session,
        "UPDATE leads SET enrichment_results = NULL, instantly_lead_record = 'null' WHERE id = :id",
        id=lead["id"],
    )
    with pytest.raises(AssertionError) as caught:
        scenarios.wait_until_every_lead_enriched(world)
    text = str(caught.value)
    assert f"1 of 6 leads were not: lead {lead['email']} ({lead['id']}) of " in text
    assert "missing enrichment_results, instantly_lead_record in the API" in text
    assert "missing enrichment_results, instantly_lead_record in the database" in text


def test_a_lead_with_two_completed_enrichment_jobs_is_enriched_twice(session: Session) -> None:
    world = enriched(session, "enriched twice")
    lead = first_lead(world)
    write(
        session,
        "INSERT INTO jobs (name, description, job_type, status, campaign_id, created_at) VALUES "
        "('ENRICH_LEAD', :description, 'ENRICH_LEAD', 'COMPLETED', :campaign, CURRENT_TIMESTAMP)",
        description=f"Enrich lead {lead['email']}",
        campaign=lead["campaign_id"],
    )
    with pytest.raises(AssertionError) as caught:
        scenarios.wait_until_every_lead_enriched(world)
    text = str(caught.value)
    assert f"lead {lead['email']} ({lead['id']})" in text
    assert "enriched twice: more than one ENRICH_LEAD job" in text


def test_the_api_listing_a_lead_under_another_campaign_is_a_named_disagreement(session: Session) -> None:
    moved: dict[str, Any] = {}
    campaigns: list[str] = []

    def misplaced(real: Any, campaign_id: str) -> list[dict[str, Any]]:
        # The first campaign's first lead is listed under the second campaign instead.
        leads: list[dict[str, Any]] = real(campaign_id)
        if not campaigns or not moved:
            return leads
        if campaign_id == campaigns[0]:
            return [lead for lead in leads if lead["id"] != moved["id"]]
        return [*leads, {**moved, "campaign_id": campaign_id}]

    world = enriched(session, "wrong campaign", list_leads=misplaced)
    scenarios.wait_until_every_lead_enriched(world)
    campaigns += world.scenario.campaign_ids
    moved.update(session.client.list_leads(campaigns[0])[0])
    first, second = (c.name for c in world.scenario.campaigns)
    with pytest.raises(AssertionError) as enriched_step:
        scenarios.wait_until_every_lead_enriched(world)
    assert f"the API lists it under {second}, the database has it under {first}" in str(enriched_step.value)
    with pytest.raises(AssertionError) as caught:
        scenarios.check_database_agrees_with_api(world)
    text = str(caught.value)
    assert "the API and the database disagree about 2 things" in text
    lead = f"lead {moved['email']} ({moved['id']})"
    assert f"{lead}: the API lists it under {second}, the database has it under {first}" in text
    assert f"lead {moved['email']} ({moved['id']}) of {first}: in the database, missing from the API" in text


def test_a_job_status_the_api_reports_differently_from_the_database_is_named(session: Session) -> None:
    stale: list[int] = []

    def old_status(real: Any, campaign_id: str) -> list[dict[str, Any]]:
        jobs: list[dict[str, Any]] = real(campaign_id)
        return [{**j, "status": "PROCESSING"} if j["id"] in stale else j for j in jobs]

    world = enriched(session, "stale job status", list_jobs=old_status)
    scenarios.wait_until_every_lead_enriched(world)
    campaign = world.scenario.campaigns[1]
    job = next(j for j in session.client.list_jobs(campaign.id) if j["job_type"] == "ENRICH_LEAD")
    stale.append(job["id"])
    with pytest.raises(AssertionError) as enriched_step:
        scenarios.wait_until_every_lead_enriched(world)  # the earlier step already tells the two apart
    assert (
        f"its ENRICH_LEAD job {job['id']} has status PROCESSING in the API, COMPLETED in the database"
        in str(enriched_step.value)
    )
    with pytest.raises(AssertionError) as caught:
        scenarios.check_database_agrees_with_api(world)
    said = f"job {job['id']} (ENRICH_LEAD) of {campaign.name}: status PROCESSING in the API, COMPLETED in"
    assert f"{said} the database" in str(caught.value)


def closed(real: Any) -> dict[str, BreakerState]:
    return {s: dataclasses.replace(b, state="closed") for s, b in real().items()}


def test_a_pause_the_breaker_status_does_not_show_fails_at_once_saying_so(session: Session) -> None:
    world = world_of(session, "pause misreported", breakers=closed)
    try:
        with pytest.raises(AssertionError) as caught:
            scenarios.operator_pauses_service(world, "apollo")
        assert re.fullmatch(
            r"pause-service answered paused for apollo \(0 campaigns affected\); status still says apollo "
            r"closed \(0/5\) \(after 1\.\d s, one poll\)",
            str(caught.value),
        ), caught.value
    finally:
        session.client.resume_service("apollo")


def test_a_resume_that_leaves_the_breaker_open_fails_and_is_the_resume_failure_at_the_next_gate(
    session: Session,
) -> None:
    world = world_of(session, "resume leaves it open", resume_service=lambda real, svc: {"resumed": True})
    try:
        world.session.client.pause_service("apollo", "test")
        with pytest.raises(AssertionError) as caught:
            scenarios.operator_resumes_service(world, "apollo")
        assert str(caught.value).startswith(
            "resume-service answered success for apollo; status still says apollo open (0/5)"
        )
        assert "apollo" in world.session.stuck_resumes
        # The next scenario meeting the open breaker: the resume's failure (exit 1), not a service failure.
        with pytest.raises(ProgressFailure, match="the resume's failure") as gate:
            scenarios.ensure_every_breaker_closed(world)
        assert not isinstance(gate.value, ServiceFailure)
    finally:
        session.client.resume_service("apollo")
    scenarios.ensure_every_breaker_closed(world)  # closed since: forgotten
    assert world.session.stuck_resumes == {}


def test_a_lead_the_api_lists_under_another_campaign_from_the_start_is_named_not_waited_for(
    session: Session,
) -> None:
    worlds: list[World] = []

    def misplaced(real: Any, campaign_id: str) -> list[dict[str, Any]]:
        ids = worlds[0].scenario.campaign_ids if worlds else []
        first = real(ids[0]) if len(ids) == 2 else []
        if not first or campaign_id not in ids:
            return list(real(campaign_id))
        if campaign_id == ids[0]:
            return list(first[1:])
        return [*real(campaign_id), first[0]]

    world = world_of(session, "wrong campaign from the start", list_leads=misplaced)
    worlds.append(world)
    scenarios.start_campaigns(world, 2, 3)
    first, second = (c.name for c in world.scenario.campaigns)
    with pytest.raises(AssertionError) as caught:
        scenarios.wait_until_every_lead_enriched(world)
    text = str(caught.value)
    assert f"the API lists it under {second}, the database has it under {first}" in text
    assert "nothing of the run changing" not in text  # the database's leads are progress's truth


def finish(world: World) -> None:
    """What the hooks do after a scenario: its cleanups (resume, release the hold), last first."""
    for _, undo in reversed(world.scenario.cleanups):
        undo()
    world.scenario.cleanups.clear()


def test_a_pause_that_leaves_the_campaigns_running_fails_the_pause_step_naming_them(session: Session) -> None:
    def still_running(real: Any, *args: Any) -> list[dict[str, Any]]:
        return [{**c, "status": "RUNNING"} if c["status"] == "PAUSED" else c for c in real(*args)]

    # Both campaign reads: the steps' list and the monitor's organization read.
    world = world_of(
        session, "pause pauses nothing", list_campaigns=still_running, organization_campaigns=still_running
    )
    try:
        scenarios.start_running_campaigns(world, 2, 10)
        with pytest.raises(AssertionError) as caught:
            scenarios.operator_pauses_service(world, "openai")
        names = ", ".join(f"{c.name} ({c.id})" for c in world.scenario.campaigns)
        assert re.fullmatch(
            r"pause-service answered paused for openai \(\d+ campaigns affected\); "
            rf"2 campaigns of the run still RUNNING: {re.escape(names)} \(after 1\.\d s, one poll\)",
            str(caught.value),
        ), caught.value
    finally:
        finish(world)


def test_a_resume_that_leaves_the_campaigns_paused_fails_within_one_poll_naming_them(
    session: Session,
) -> None:
    resumed: list[bool] = []

    def still_paused(real: Any, *args: Any) -> list[dict[str, Any]]:
        listed: list[dict[str, Any]] = real(*args)
        return [{**c, "status": "PAUSED"} for c in listed] if resumed else listed

    world = world_of(
        session,
        "resume leaves campaigns paused",
        list_campaigns=still_paused,
        organization_campaigns=still_paused,
    )
    try:
        scenarios.start_running_campaigns(world, 2, 10)
        scenarios.operator_pauses_service(world, "openai")
        scenarios.operator_resumes_service(world, "openai")
        resumed.append(True)
        scenarios.check_every_breaker_closed(world)
        with pytest.raises(AssertionError) as caught:
            scenarios.check_no_campaign_paused(world)
        assert str(caught.value).startswith(
            "resume-service answered success for openai; 2 campaigns of the run still PAUSED: "
        ), caught.value
    finally:
        finish(world)
