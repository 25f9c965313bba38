"""The domain layer's state transitions, called directly (no HTTP, no worker threads): a real store and real
breakers, with the work the domain hands out collected instead of run."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select

from campaign_sandbox.breaker import Service
from campaign_sandbox.core.config import SandboxSettings
from campaign_sandbox.domain import (
    Domain,
    Enrichment,
    StartRefused,
    StartRefusedPaused,
    StartRefusedUnavailable,
    Task,
    set_status,
)
from campaign_sandbox.errors import BadRequest, NotFound
from campaign_sandbox.models import Campaign, CampaignStatus, Job, JobStatus, JobType, Lead
from campaign_sandbox.profile import ProfileName
from campaign_sandbox.runtime import SandboxRuntime
from campaign_sandbox.schemas.requests import CampaignCreate, JobCreate, LeadCreate, OrganizationCreate

APOLLO_URL = "https://app.apollo.io/#/people?personTitles%5B%5D=CEO&page=1"


@dataclass
class World:
    domain: Domain
    runtime: SandboxRuntime
    submitted: list[Task] = field(default_factory=list)
    # What a submitted task's rows looked like when it was handed out (must already be committed).
    seen_at_submit: list[Any] = field(default_factory=list)

    def campaign(self, campaign_id: str) -> Campaign:
        with self.runtime.store.read() as s:
            row = s.get(Campaign, campaign_id)
            assert row is not None
            return row

    def jobs(self, campaign_id: str) -> list[Job]:
        with self.runtime.store.read() as s:
            return list(s.scalars(select(Job).where(Job.campaign_id == campaign_id).order_by(Job.id)))

    def new_campaign(self, total: int = 3, url: str = APOLLO_URL) -> str:
        org = self.domain.create_organization(OrganizationCreate(name="Org one", description="d"))
        body = CampaignCreate(
            name="c", organization_id=org.id, fileName="f.csv", totalRecords=total, url=url, description=None
        )
        return self.domain.create_campaign(body).id

    def running_campaign(self, total: int = 3) -> tuple[str, int]:
        """A started campaign and its fetch job id (the fetch task collected, not run)."""
        campaign_id = self.new_campaign(total)
        self.domain.start_campaign(campaign_id)
        task = self.submitted.pop()
        assert task.kind == "fetch" and task.job_id is not None
        return campaign_id, task.job_id

    def fetched(self, total: int = 2) -> tuple[str, list[str]]:
        """A campaign whose fetch saved ``total`` leads; the enrichment tasks collected."""
        campaign_id, job_id = self.running_campaign(total)
        assert self.domain.claim_fetch(job_id, campaign_id) == total
        records = [
            {"email": f"p{i}-{campaign_id}@leads.invalid", "first_name": f"P{i}"} for i in range(total)
        ]
        self.domain.finish_fetch(job_id, campaign_id, records)
        lead_ids = [t.lead_id for t in self.submitted if t.kind == "enrich" and t.lead_id]
        self.submitted.clear()
        return campaign_id, lead_ids


def _world(profile: ProfileName) -> Iterator[World]:
    settings = SandboxSettings(
        profile=profile, rate_limits="off", provider_latency_ms=0, fetch_latency_ms=0, workers=1
    )
    runtime = SandboxRuntime(settings)  # workers never started: the domain's work is collected below
    world = World(domain=runtime.domain, runtime=runtime)

    def submit(task: Task) -> None:
        with runtime.store.read() as s:
            job = s.get(Job, task.job_id) if task.job_id is not None else None
            world.seen_at_submit.append(None if job is None else job.status)
        world.submitted.append(task)

    world.domain.submit = submit
    try:
        yield world
    finally:
        runtime.close()


@pytest.fixture
def intended() -> Iterator[World]:
    yield from _world(ProfileName.INTENDED)


@pytest.fixture
def as_built() -> Iterator[World]:
    yield from _world(ProfileName.AS_BUILT)


def _done(lead: str) -> Enrichment:
    return Enrichment({"v": lead}, {"e": 1}, {"c": 1}, {"r": 1}, {"ok": True}, errors={})


# -- the status rule ------------------------------------------------------------------------------
def test_set_status_follows_the_transition_table_and_never_clears_texts() -> None:
    c = Campaign(status=CampaignStatus.CREATED, status_message="m", status_error="e")
    assert not set_status(c, CampaignStatus.PAUSED)  # CREATED -> PAUSED is not a transition
    assert c.status is CampaignStatus.CREATED
    assert set_status(c, CampaignStatus.CREATED)  # the same status is allowed
    assert set_status(c, CampaignStatus.RUNNING, None, None)
    assert (c.status_message, c.status_error) == ("m", "e")  # None keeps both texts
    assert set_status(c, CampaignStatus.COMPLETED) and c.completed_at is not None
    assert not set_status(c, CampaignStatus.RUNNING)  # COMPLETED is final
    f = Campaign(status=CampaignStatus.CREATED)
    assert set_status(f, CampaignStatus.FAILED, None, "boom") and f.failed_at is not None
    assert not set_status(f, CampaignStatus.RUNNING)


# -- start ----------------------------------------------------------------------------------------
def test_start_makes_the_campaign_running_and_hands_out_its_committed_fetch_job(intended: World) -> None:
    campaign_id = intended.new_campaign()
    out = intended.domain.start_campaign(campaign_id)
    assert (out.status, out.status_message) == ("RUNNING", "Starting campaign process")
    [job] = intended.jobs(campaign_id)
    assert (job.job_type, job.status) == (JobType.FETCH_LEADS, JobStatus.PENDING)
    assert intended.submitted == [Task("fetch", campaign_id, job_id=job.id)]
    assert intended.seen_at_submit == [JobStatus.PENDING]  # submitted after the commit, never before


def test_a_refused_start_changes_nothing_and_its_type_is_its_status(intended: World) -> None:
    bad_url = intended.new_campaign(url="http://example.invalid/")
    with pytest.raises(StartRefused) as refused:
        intended.domain.start_campaign(bad_url)
    assert (refused.value.status_code, refused.value.detail) == (400, "Invalid Apollo search URL format")
    assert intended.campaign(bad_url).status is CampaignStatus.CREATED
    assert intended.jobs(bad_url) == [] and intended.submitted == []

    campaign_id, _ = intended.running_campaign()
    with pytest.raises(StartRefused) as again:  # already running: 400 with the validation object
        intended.domain.start_campaign(campaign_id)
    assert again.value.status_code == 400 and isinstance(again.value.detail, dict)
    assert again.value.detail["errors"] == ["Campaign status issue: Campaign is already running"]

    intended.domain.pause_campaign(campaign_id, "hold")
    intended.domain.breakers[Service.APOLLO].force_open("maint", notify=False)
    with pytest.raises(StartRefusedPaused) as paused:  # paused wins over apollo down: 409
        intended.domain.start_campaign(campaign_id)
    assert paused.value.status_code == 409

    fresh = intended.new_campaign()
    with pytest.raises(StartRefusedUnavailable) as down:
        intended.domain.start_campaign(fresh)
    assert down.value.status_code == 503
    assert intended.campaign(fresh).status is CampaignStatus.CREATED
    assert len(intended.jobs(campaign_id)) == 1 and intended.submitted == []


# -- pause and resume -----------------------------------------------------------------------------
def test_pause_only_from_running_then_resume_only_from_paused(intended: World) -> None:
    campaign_id = intended.new_campaign()
    with pytest.raises(BadRequest, match="Cannot pause campaign in CREATED status"):
        intended.domain.pause_campaign(campaign_id, "x")
    with pytest.raises(BadRequest, match="Cannot resume campaign in CREATED status"):
        intended.domain.resume_campaign(campaign_id)
    with pytest.raises(NotFound):
        intended.domain.resume_campaign("no-such-campaign")
    intended.domain.start_campaign(campaign_id)
    change = intended.domain.pause_campaign(campaign_id, "hold on")
    assert (change.status, change.status_message) == ("PAUSED", "Campaign paused: hold on")
    assert intended.campaign(campaign_id).status_error == "hold on"
    resumed = intended.domain.resume_campaign(campaign_id)
    assert (resumed.status, resumed.status_message) == (
        "RUNNING",
        "Campaign resumed - services are available",
    )
    assert intended.campaign(campaign_id).status_error == "hold on"  # kept, as on the platform


def test_resume_is_refused_while_a_service_is_down(intended: World) -> None:
    campaign_id, _ = intended.running_campaign()
    intended.domain.pause_campaign(campaign_id, "x")
    intended.domain.breakers[Service.OPENAI].force_open("maint", notify=False)
    with pytest.raises(BadRequest, match="Required services are unavailable: openai"):
        intended.domain.resume_campaign(campaign_id)
    assert intended.campaign(campaign_id).status is CampaignStatus.PAUSED


def test_resume_re_enqueues_the_parked_work_intended_and_nothing_as_built(
    intended: World, as_built: World
) -> None:
    for world, expect_work in ((intended, True), (as_built, False)):
        campaign_id, job_id = world.running_campaign()
        world.domain.pause_campaign(campaign_id, "x")
        world.domain.resume_campaign(campaign_id)
        if expect_work:
            assert world.submitted == [Task("fetch", campaign_id, job_id=job_id)]
        else:
            assert world.submitted == []
        assert world.campaign(campaign_id).status is CampaignStatus.RUNNING


# -- the worker's steps ---------------------------------------------------------------------------
def test_a_fetch_of_a_paused_campaign_waits_intended_and_runs_on_as_built(
    intended: World, as_built: World
) -> None:
    campaign_id, job_id = intended.running_campaign()
    intended.domain.pause_campaign(campaign_id, "hold")
    assert intended.domain.claim_fetch(job_id, campaign_id) is None
    [job] = intended.jobs(campaign_id)
    assert job.status is JobStatus.PAUSED and "is PAUSED (Campaign paused: hold)" in (job.error or "")

    campaign_id, job_id = as_built.running_campaign(total=2)
    as_built.domain.pause_campaign(campaign_id, "hold")
    assert as_built.domain.claim_fetch(job_id, campaign_id) == 2
    as_built.domain.finish_fetch(job_id, campaign_id, [{"email": "a@x.invalid"}])
    c = as_built.campaign(campaign_id)
    # As built, the fetch turns the paused campaign back to RUNNING (quirk 14), status_error kept.
    assert (c.status, c.status_message, c.status_error) == (
        CampaignStatus.RUNNING,
        "Successfully fetched 1 leads, enrichment in progress",
        "hold",
    )


def test_a_finished_fetch_saves_new_leads_and_hands_out_one_enrichment_each(intended: World) -> None:
    campaign_id, job_id = intended.running_campaign(total=3)
    assert intended.domain.claim_fetch(job_id, campaign_id) == 3
    assert intended.jobs(campaign_id)[0].status is JobStatus.PROCESSING
    records = [{"email": "a@x.invalid"}, {"email": ""}, {"email": "A@x.invalid"}, {"email": "b@x.invalid"}]
    intended.domain.finish_fetch(job_id, campaign_id, records)
    [job] = intended.jobs(campaign_id)
    assert job.status is JobStatus.COMPLETED
    assert job.result == "Successfully fetched 2 leads and queued enrichment tasks"  # no email, a duplicate
    assert [t.kind for t in intended.submitted] == ["enrich", "enrich"]


def test_a_failed_fetch_fails_the_job_and_the_campaign(intended: World) -> None:
    campaign_id, job_id = intended.running_campaign()
    intended.domain.claim_fetch(job_id, campaign_id)
    intended.domain.fail_fetch(job_id, campaign_id, "apollo down")
    [job] = intended.jobs(campaign_id)
    c = intended.campaign(campaign_id)
    assert (job.status, job.error) == (JobStatus.FAILED, "apollo down")
    assert (c.status, c.status_error) == (CampaignStatus.FAILED, "apollo down")


def test_an_enrichment_is_claimed_once_and_the_last_one_completes_the_campaign(intended: World) -> None:
    campaign_id, lead_ids = intended.fetched(total=2)
    first = intended.domain.claim_enrichment(lead_ids[0], campaign_id)
    assert first is not None
    assert intended.domain.claim_enrichment(lead_ids[0], campaign_id) is None  # PROCESSING: taken
    intended.domain.finish_enrichment(first.job_id, lead_ids[0], campaign_id, _done(lead_ids[0]))
    assert intended.domain.claim_enrichment(lead_ids[0], campaign_id) is None  # COMPLETED: never twice
    assert intended.campaign(campaign_id).status is CampaignStatus.RUNNING  # one lead still to go
    second = intended.domain.claim_enrichment(lead_ids[1], campaign_id)
    assert second is not None
    intended.domain.finish_enrichment(second.job_id, lead_ids[1], campaign_id, _done(lead_ids[1]))
    c = intended.campaign(campaign_id)
    assert (c.status, c.status_message) == (CampaignStatus.COMPLETED, "Campaign completed: 2 leads enriched")


def test_as_built_a_campaign_never_completes(as_built: World) -> None:
    campaign_id, lead_ids = as_built.fetched(total=1)
    claim = as_built.domain.claim_enrichment(lead_ids[0], campaign_id)
    assert claim is not None
    errors = {"instantly": "skipped"}
    outcome = Enrichment(None, None, None, None, {"instantly_success": False}, errors=errors)
    as_built.domain.finish_enrichment(claim.job_id, lead_ids[0], campaign_id, outcome)
    job = as_built.jobs(campaign_id)[-1]
    assert (job.status, job.error) == (JobStatus.COMPLETED, '{"instantly": "skipped"}')
    assert as_built.campaign(campaign_id).status is CampaignStatus.RUNNING


def test_the_gate_pauses_an_enrichment_while_a_breaker_is_open(intended: World) -> None:
    campaign_id, lead_ids = intended.fetched(total=1)
    intended.domain.breakers[Service.PERPLEXITY].force_open("maint", notify=False)
    assert intended.domain.claim_enrichment(lead_ids[0], campaign_id) is None
    job = intended.jobs(campaign_id)[-1]
    assert job.status is JobStatus.PAUSED
    assert (job.error or "").startswith(
        "Job paused: Required service perplexity unavailable: Circuit breaker OPEN"
    )


def test_a_paused_job_is_not_completed_by_a_late_result(intended: World) -> None:
    campaign_id, lead_ids = intended.fetched(total=1)
    claim = intended.domain.claim_enrichment(lead_ids[0], campaign_id)
    assert claim is not None
    intended.domain.pause_job(claim.job_id, "Paused due to openai service failure: boom")
    intended.domain.finish_enrichment(claim.job_id, lead_ids[0], campaign_id, _done(lead_ids[0]))
    job = intended.jobs(campaign_id)[-1]
    assert job.status is JobStatus.PAUSED
    with intended.runtime.store.read() as s:
        lead = s.get(Lead, lead_ids[0])
        assert lead is not None and lead.enrichment_results is None


# -- service pause and resume, breaker events ------------------------------------------------------
def test_pause_service_pauses_pending_jobs_of_its_type_and_every_running_campaign(intended: World) -> None:
    campaign_id, job_id = intended.running_campaign()
    other = intended.domain.create_job(
        JobCreate(name="e", job_type=JobType.ENRICH_LEAD, campaign_id=campaign_id)
    )
    out = intended.domain.pause_service("Apollo", "maint")
    assert (out.jobs_paused, out.campaigns_paused) == (1, 1)
    job, enrich = intended.jobs(campaign_id)
    assert (job.status, job.error) == (JobStatus.PAUSED, "Paused due to apollo service unavailability: maint")
    assert (enrich.id, enrich.status) == (other.id, JobStatus.PENDING)  # apollo pauses FETCH_LEADS only
    c = intended.campaign(campaign_id)
    assert (c.status, c.status_message) == (
        CampaignStatus.PAUSED,
        "Campaign paused: Service apollo unavailable: maint",
    )
    resumed = intended.domain.resume_service("apollo")
    assert (resumed.jobs_resumed, resumed.campaigns_eligible, resumed.campaigns_resumed) == (1, 1, 1)
    assert intended.campaign(campaign_id).status is CampaignStatus.RUNNING
    # The resumed campaign's work is re-enqueued: its fetch, and its still PENDING other job is left alone.
    assert Task("fetch", campaign_id, job_id=job_id) in intended.submitted


def test_as_built_resume_service_leaves_the_jobs_pending(as_built: World) -> None:
    campaign_id, _ = as_built.running_campaign()
    as_built.domain.pause_service("apollo", "maint")
    as_built.domain.resume_service("apollo")
    [job] = as_built.jobs(campaign_id)
    assert (job.status, job.error) == (JobStatus.PENDING, None)
    assert as_built.submitted == []


def test_a_breaker_opening_pauses_running_campaigns_only(intended: World) -> None:
    running, _ = intended.running_campaign()
    created = intended.new_campaign()
    assert intended.domain.pause_running("Service openai unavailable: x") == 1
    assert intended.campaign(running).status is CampaignStatus.PAUSED
    assert intended.campaign(created).status is CampaignStatus.CREATED


def test_an_unknown_service_is_a_bad_request(intended: World) -> None:
    with pytest.raises(BadRequest, match="Invalid service name: nope"):
        intended.domain.pause_service("nope", "x")


# -- jobs and leads -------------------------------------------------------------------------------
def test_only_pending_or_processing_jobs_can_be_cancelled(intended: World) -> None:
    job = intended.domain.create_job(JobCreate(name="demo"))
    assert job.status == "PENDING"
    assert intended.domain.cancel_job(job.id).message == f"Job {job.id} cancelled"
    with pytest.raises(BadRequest, match=r"Cannot cancel job in JobStatus\.CANCELLED status"):
        intended.domain.cancel_job(job.id)
    with pytest.raises(NotFound, match="Job 99999999999 not found"):
        intended.domain.cancel_job(99_999_999_999)


def test_a_lead_email_belongs_to_one_campaign(intended: World) -> None:
    first, second = intended.new_campaign(), intended.new_campaign()
    lead = intended.domain.create_lead(LeadCreate(campaign_id=first, email="a@x.invalid", first_name="A"))
    again = intended.domain.create_lead(LeadCreate(campaign_id=first, email="a@x.invalid", first_name="B"))
    assert (again.id, again.first_name) == (lead.id, "B")  # the same campaign: an upsert
    with pytest.raises(BadRequest, match="Error creating lead"):
        intended.domain.create_lead(LeadCreate(campaign_id=second, email="a@x.invalid"))
