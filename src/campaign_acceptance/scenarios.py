"""What each Gherkin step does, one function per step, over the client, the probe and the monitor.

Steps in features/steps only parse their words and call one of these. Assertions use PyHamcrest so a
failure prints the values involved.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from hamcrest import (
    assert_that,
    contains_string,
    empty,
    equal_to,
    greater_than,
    greater_than_or_equal_to,
    has_length,
    is_in,
    less_than,
)

from campaign_acceptance.capacity import EnrichmentTiming, capacity_figures, timings_from_api
from campaign_acceptance.contract_check import check_answers, check_document, exercise_tenant, read_document
from campaign_acceptance.errors import ApiError, ConfigurationError, ProgressFailure, ServiceFailure
from campaign_acceptance.lifecycle import earlier_job_errors
from campaign_acceptance.matchers import (
    campaign_with_status,
    every_lead_enriched,
    every_lead_enriched_once,
    no_disagreement,
    no_shared_emails,
)
from campaign_acceptance.model import (
    CLOSED,
    SERVICES,
    BreakerState,
    CampaignSnapshot,
    Observation,
    missing_results,
)
from campaign_acceptance.monitor import ApiDbSource, Monitor, failure_report, snapshot_from_api
from campaign_acceptance.outcome import gate_decision, stuck_resume
from campaign_acceptance.progress import ConsoleProgress, say
from campaign_acceptance.world import CampaignUnderTest, World
from campaign_common.waiting import RealClock

__all__ = [
    "check_database_agrees_with_api",
    "check_every_breaker_closed",
    "check_every_fetch_found_leads",
    "check_every_lead_enriched_exactly_once",
    "check_gate_would_abort",
    "check_no_campaign_paused",
    "check_no_campaign_paused_or_failed",
    "check_no_drift",
    "check_no_shared_emails",
    "check_pause_noticed_early",
    "check_report_lists_paused_campaigns",
    "check_report_names_service",
    "compare_document",
    "compare_tenant_answers",
    "ensure_every_breaker_closed",
    "fresh_tenant",
    "heal_service_and_resume_campaigns",
    "make_service_fail",
    "operator_pauses_service",
    "operator_resumes_service",
    "report_capacity_figures",
    "resume_service_and_check_every_breaker_closed",
    "run_health_gate",
    "service_has_failed_and_paused_campaigns",
    "start_campaigns",
    "start_running_campaigns",
    "wait_until_breaker_open",
    "wait_until_campaigns_paused",
    "wait_until_enrichment_stopped",
    "wait_until_every_lead_enriched",
]


def _service(name: str) -> str:
    service = name.strip().lower()
    if service not in SERVICES:
        raise ConfigurationError(f"unknown service {name!r} in a feature file (known: {', '.join(SERVICES)})")
    return service


def _scaled(world: World, campaigns: int, leads: int) -> tuple[int, int]:
    """The counts to run: the settings campaigns/leads replace the scenario's numbers, scale multiplies
    the others. When that differs from what the scenario says, the reports say what really ran."""
    settings = world.session.settings
    count = settings.campaigns or max(1, math.ceil(campaigns * settings.scale))
    per_campaign = settings.leads or max(1, math.ceil(leads * settings.scale))
    if (count, per_campaign) != (campaigns, leads):
        how = [f"{n}={getattr(settings, n)}" for n in ("campaigns", "leads") if getattr(settings, n)]
        if settings.scale != 1.0:
            how.append(f"scale={settings.scale:g}")
        world.scenario.ran_as = f"{count} campaigns with {per_campaign} leads each: {', '.join(how)}"
    return count, per_campaign


def _monitor(world: World) -> Monitor:
    monitor = world.scenario.monitor
    if monitor is None:
        raise RuntimeError("no tenant yet: the Background step 'a fresh tenant ...' did not run")
    return monitor


# --- tenant and campaigns ------------------------------------------------------------------------


def fresh_tenant(world: World) -> None:
    """The run's user gets a new organization per scenario, so scenarios never see each other's campaigns."""
    session = world.session
    settings = session.settings
    name = f"{settings.run_id} {world.scenario.name}"[:255]
    org = session.client.create_organization(name, f"Acceptance run {settings.run_id}")
    org_id = str(org["id"])
    session.organization_ids.append(org_id)
    world.scenario.organization_id = org_id
    source = ApiDbSource(session.client, session.probe, org_id)
    world.scenario.monitor = Monitor(
        source,
        RealClock(),
        poll_interval_s=settings.poll_interval_s,
        max_interval_s=settings.poll_max_interval_s,
        progress=ConsoleProgress(enabled=settings.progress),
        read_errors=session.read_errors,
        stall_s=settings.stall_s,
        origin=world.scenario.began,
        origin_epoch=world.scenario.began_at,
    )


def start_campaigns(world: World, campaigns: int, leads: int, mode: str | None = None) -> None:
    """Create and start campaigns; sequentially (each waits for its lead fetch) unless configured otherwise.

    The platform's test lead source hands leads out of one shared pool, so its team starts campaigns one
    after another; enrichment of the earlier ones overlaps with the later fetches either way.
    """
    session, scenario = world.session, world.scenario
    settings = session.settings
    count, per_campaign = _scaled(world, campaigns, leads)
    monitor = _monitor(world)
    deadline = settings.fetch_deadline_s
    mode = mode or settings.start_mode
    assert scenario.organization_id is not None
    if scenario.started_at is None:
        scenario.started_at = monitor.clock.now()
    created_ids: list[str] = []
    for number in range(1, count + 1):
        name = f"{settings.run_id} campaign {number} of {count}"
        created = session.client.create_campaign(
            scenario.organization_id,
            name,
            per_campaign,
            description=f"Acceptance run {settings.run_id}",
            file_name=f"{settings.run_id}-{number}.csv",
        )
        campaign_id = str(created["id"])
        session.campaign_ids.append(campaign_id)
        scenario.campaigns.append(CampaignUnderTest(campaign_id, name, per_campaign))
        if mode == "sequential":
            _start(world, campaign_id)
            # Waiting on every campaign started so far keeps the earlier ones watched for pauses too.
            monitor.wait_for_fetch(scenario.campaign_ids, deadline)
        else:
            created_ids.append(campaign_id)
    if mode == "concurrent":
        # Every start back to back once all exist: on a one-queue platform a fetch started after the first
        # fetch's enrichment was queued waits behind it (behind held work, a whole campaign may finish first).
        for campaign_id in created_ids:
            _start(world, campaign_id)
        monitor.wait_for_fetch(scenario.campaign_ids, deadline)
    scenario.fetch_phase_s = monitor.clock.now() - scenario.started_at
    _remember_leads(world)


def _start(world: World, campaign_id: str) -> None:
    """Start a campaign; a refusal while a breaker is open is the service's failure, not the product's."""
    client = world.session.client
    try:
        client.start_campaign(campaign_id)
    except ApiError as error:
        report = failure_report(client.breakers())
        if report is None:
            raise
        raise ServiceFailure(report) from error


def _remember_leads(world: World) -> None:
    client = world.session.client
    for campaign in world.scenario.campaigns:
        leads = client.list_leads(campaign.id)
        campaign.leads = len(leads)
        campaign.emails = frozenset(str(lead["email"]) for lead in leads if lead.get("email"))


def start_running_campaigns(world: World, campaigns: int, leads: int) -> None:
    """Campaigns that are still enriching when the scenario acts on them.

    They are started all at once (the order of fetches does not matter here). Where the target can hold
    enrichment back (fault control), it does until the scenario acts (see _release_hold); a real stack is
    slow enough on its own, and the check below says so if it was not.
    """
    target = world.session.target
    if target.can_hold:
        # Work still running from an earlier scenario of this run (e.g. resumed campaigns) would be held
        # back too and starve this scenario's lead fetches: let it settle first. Only the run's own
        # campaigns count; other tenants' jobs are none of its business.
        _monitor(world).wait_until_settled(
            world.session.campaign_ids, world.session.settings.pause_deadline_s, target.settle_quiet_s
        )
        target.hold()
        world.scenario.cleanups.append((f"heal {target.hold_service}", target.release))
    start_campaigns(world, campaigns, leads, mode="concurrent")
    monitor, ids = _monitor(world), world.scenario.campaign_ids
    observation = monitor.observe_once(ids)
    if monitor.check_campaigns_agree(observation, ids):  # paused for no service: a second read decides
        observation = monitor.observe_once(ids)
        monitor.check_campaigns_agree(observation, ids)
    seen = observation.campaigns
    finished = [
        f"{c.name} ({snap.status}{': ' + snap.status_message if snap.status_message else ''})"
        if (snap := seen.get(c.id))
        else f"{c.name} (not listed)"
        for c in world.scenario.campaigns
        if c.id not in seen or seen[c.id].status != "RUNNING"
    ]
    assert_that(
        finished,
        empty(),
        "campaigns must still be running for this scenario; these were not (use more leads on a fast stack)",
    )


def _release_hold(world: World) -> None:
    """Once the scenario has acted, enrichment may run at full speed again (it is bounded either way)."""
    world.session.target.release()


def check_every_fetch_found_leads(world: World) -> None:
    for campaign in world.scenario.campaigns:
        assert_that(campaign.leads, greater_than_or_equal_to(1), f"leads fetched for {campaign.name}")


def wait_until_every_lead_enriched(world: World) -> None:
    scenario = world.scenario
    monitor = _monitor(world)
    # Without a database progress counts jobs only: the leads the API listed show the ones with no job. With
    # one, the database's leads are progress's truth (where the API lists them differently, the check of
    # each lead below says so, rather than a wait that can never end).
    listed = {c.id: c.leads for c in scenario.campaigns} if world.session.probe is None else None
    observation = monitor.wait_for_enrichment(
        scenario.campaign_ids, world.session.settings.enrichment_deadline_s, leads=listed
    )
    if scenario.started_at is not None:
        scenario.enrichment = EnrichmentTiming(
            key=scenario.key,
            scenario=scenario.name,
            campaigns=len(scenario.campaigns),
            leads=sum(p.enrich_completed for p in observation.progress.values()),
            fetch_phase_s=scenario.fetch_phase_s or 0.0,
            time_to_enrichment_s=monitor.clock.now() - scenario.started_at,
        )
        world.record.enrichment.append(scenario.enrichment)
    # A COMPLETED job is not an enriched lead until the lead holds what enrichment produces (docs/judging.md).
    assert_that(_enrichment_of_each_lead(world), every_lead_enriched())


def _enrichment_of_each_lead(world: World) -> dict[str, list[str]]:
    """Lead (email, id, campaign) -> what is wrong with its enrichment, read through the API and, with a
    database, in the database: no ENRICH_LEAD job, more than one, its job not COMPLETED, results missing,
    and where the two say differently, both sides."""
    session, scenario = world.session, world.scenario
    probe = session.probe
    ids = scenario.campaign_ids
    names = {c.id: c.name for c in scenario.campaigns}
    stored = {row.id: row.status for row in probe.jobs(ids)} if probe is not None else {}
    problems: dict[str, list[str]] = {}
    label_of: dict[str, str] = {}
    listed_under: dict[str, str] = {}
    for campaign in scenario.campaigns:
        jobs = [j for j in session.client.list_jobs(campaign.id) if j.get("job_type") == "ENRICH_LEAD"]
        for lead in session.client.list_leads(campaign.id):
            lead_id, email = str(lead["id"]), lead.get("email")
            label = label_of[lead_id] = f"lead {email} ({lead_id}) of {campaign.name}"
            listed_under[lead_id] = campaign.id
            found = problems.setdefault(label, [])
            own = [
                j
                for j in jobs
                if str(j["id"]) == str(lead.get("enrichment_job_id"))
                or (email and j.get("description") == f"Enrich lead {email}")
            ]
            if not own:
                found.append("no enrichment job")
            elif len(own) > 1:
                which = ", ".join(f"{j['id']} {j['status']}" for j in own)
                found.append(f"enriched twice: more than one ENRICH_LEAD job ({which})")
            for job in own:
                in_db = stored.get(int(str(job["id"])))
                if in_db is not None and in_db != job.get("status"):
                    found.append(
                        f"its ENRICH_LEAD job {job['id']} has status {job.get('status')} in the API, "
                        f"{in_db} in the database"
                    )
            done = [j for j in own if j.get("status") == "COMPLETED"]
            if own and not done:
                found.append(f"its ENRICH_LEAD job is {own[-1].get('status')}, not COMPLETED")
            if done and (missing := missing_results(lead)):
                found.append(f"missing {', '.join(missing)} in the API")
    if probe is not None:
        per_lead = probe.enrich_jobs_per_lead(ids)
        for row in probe.lead_results(ids):
            label = label_of.get(row.id) or f"lead {row.email} ({row.id}) of {names.get(row.campaign_id)}"
            found = problems.setdefault(label, [])
            api_campaign = listed_under.get(row.id)
            if api_campaign is None:
                found.append("in the database, missing from the API's lead list")
            elif api_campaign != row.campaign_id:
                found.append(
                    f"the API lists it under {names.get(api_campaign)}, the database has it under "
                    f"{names.get(row.campaign_id, row.campaign_id)}"
                )
            jobs_of_lead = per_lead.get(row.id, 0)
            if jobs_of_lead > 1 and not any("more than one" in p for p in found):
                found.append(
                    f"enriched twice: more than one ENRICH_LEAD job ({jobs_of_lead}) in the database"
                )
            if row.missing:
                found.append(f"missing {', '.join(row.missing)} in the database")
    return problems


def report_capacity_figures(world: World) -> None:
    """Throughput and lead latency of the scenario's campaigns, into every report (figures, not a verdict)."""
    session, scenario = world.session, world.scenario
    timing = scenario.enrichment
    assert timing is not None, "the capacity figures need the step that waits for every lead to be enriched"
    if session.probe is not None:
        jobs, source = session.probe.job_timings(scenario.campaign_ids), "database"
    else:
        jobs = [t for c in scenario.campaigns for t in timings_from_api(session.client.list_jobs(c.id))]
        source = "jobs endpoint"
    monitor = _monitor(world)
    requested = scenario.campaigns[0].requested_leads if scenario.campaigns else 0
    figures = capacity_figures(
        timing, requested, jobs, requests=monitor.requests, cycles=monitor.cycles, source=source
    )
    world.record.capacity.append(figures)
    for line in figures.render_lines():
        say(line)


def check_no_shared_emails(world: World) -> None:
    seen: Counter[str] = Counter()
    for campaign in world.scenario.campaigns:
        seen.update({email.lower() for email in campaign.emails})
    shared = sorted(email for email, times in seen.items() if times > 1)
    if world.session.probe is not None:
        shared += world.session.probe.emails_in_several_campaigns(world.scenario.campaign_ids)
    assert_that(sorted(set(shared)), no_shared_emails())


def _current_campaigns(world: World) -> dict[str, dict[str, object]]:
    scenario = world.scenario
    assert scenario.organization_id is not None
    listed = world.session.client.list_campaigns(scenario.organization_id)
    return {str(c["id"]): c for c in listed if str(c["id"]) in set(scenario.campaign_ids)}


def _current_snapshots(world: World) -> list[CampaignSnapshot]:
    return [snapshot_from_api(c) for c in _current_campaigns(world).values()]


def check_no_campaign_paused_or_failed(world: World) -> None:
    current = _current_campaigns(world)
    bad = {
        str(c["name"]): f"{c['status']}: {c.get('status_message')}"
        for c in current.values()
        if c["status"] in ("PAUSED", "FAILED")
    }
    assert_that(bad, equal_to({}), "campaigns paused or failed")


def check_no_campaign_paused(world: World) -> None:
    """After the resume the platform answered with success: no campaign of the run PAUSED within one poll."""
    resumed = ", ".join(world.scenario.resumed_services) or "the service"

    def still_paused() -> str | None:
        paused = [
            f"{c['name']} ({c['id']}): {c.get('status_message')}"
            for c in _current_campaigns(world).values()
            if c["status"] == "PAUSED"
        ]
        if not paused:
            return None
        return (
            f"resume-service answered success for {resumed}; "
            f"{len(paused)} campaigns of the run still PAUSED: " + "; ".join(paused)
        )

    _monitor(world).agree_within_one_poll(still_paused)


def check_database_agrees_with_api(world: World) -> None:
    session, scenario = world.session, world.scenario
    probe = session.probe
    if probe is None:
        # Said in every report rather than passed silently.
        world.record.warnings.append(f"{scenario.name}: database checks not run: no database URL configured")
        return
    ids = scenario.campaign_ids
    assert_that(_disagreements(world), no_disagreement("the run's campaigns, their leads and their jobs"))
    progress = probe.progress(ids)
    for campaign in scenario.campaigns:
        assert_that(progress[campaign.id].fetch_status, equal_to("COMPLETED"), f"fetch of {campaign.name}")
        assert_that(
            progress[campaign.id].enrich_completed, equal_to(campaign.leads), f"enrichment of {campaign.name}"
        )


def _disagreements(world: World) -> list[str]:
    """Each thing the API and the database say differently, per campaign of the run: a campaign missing or
    in another status, a lead missing on one side or under another campaign (or with another email), a job
    missing on one side or in another status."""
    session, scenario = world.session, world.scenario
    probe = session.probe
    assert probe is not None
    ids = scenario.campaign_ids
    names = {c.id: c.name for c in scenario.campaigns}
    api = _current_campaigns(world)
    rows = {row.id: row for row in probe.campaigns(ids)}
    found: list[str] = []
    for campaign in scenario.campaigns:
        listed, row = api.get(campaign.id), rows.get(campaign.id)
        if listed is None:
            found.append(f"campaign {campaign.name} ({campaign.id}): in the database, missing from the API")
        if row is None:
            found.append(f"campaign {campaign.name} ({campaign.id}): in the API, missing from the database")
        if listed is not None and row is not None and row.status != listed["status"]:
            found.append(
                f"campaign {campaign.name}: status {listed['status']} in the API, "
                f"{row.status} in the database"
            )
    db_leads = {row.id: row for row in probe.leads(ids)}
    db_jobs = {row.id: row for row in probe.jobs(ids)}
    for campaign in scenario.campaigns:
        listed_leads: set[str] = set()
        for lead in session.client.list_leads(campaign.id):
            lead_id, email = str(lead["id"]), lead.get("email")
            listed_leads.add(lead_id)
            label = f"lead {email} ({lead_id})"
            under = str(lead.get("campaign_id") or campaign.id)
            db_lead = db_leads.get(lead_id)
            if db_lead is None:
                found.append(
                    f"{label}: the API lists it under {campaign.name}, the database has no such lead"
                )
            elif db_lead.campaign_id != campaign.id or under != campaign.id:
                api_side = campaign.name if under == campaign.id else f"{campaign.name} as campaign {under}"
                found.append(
                    f"{label}: the API lists it under {api_side}, the database has it under "
                    f"{names.get(db_lead.campaign_id, db_lead.campaign_id)}"
                )
            elif (db_lead.email or "") != (email or ""):
                found.append(
                    f"{label} of {campaign.name}: email {email} in the API, {db_lead.email} in the database"
                )
        found += [
            f"lead {row.email} ({row.id}) of {campaign.name}: in the database, missing from the API"
            for row in db_leads.values()
            if row.campaign_id == campaign.id and row.id not in listed_leads
        ]
        listed_jobs: set[int] = set()
        for job in session.client.list_jobs(campaign.id):
            job_id = int(str(job["id"]))
            listed_jobs.add(job_id)
            label = f"job {job_id} ({job.get('job_type')}) of {campaign.name}"
            db_job = db_jobs.get(job_id)
            if db_job is None or db_job.campaign_id != campaign.id:
                where = "has no such job" if db_job is None else f"has it under {db_job.campaign_id}"
                found.append(f"{label}: listed by the API, the database {where}")
            elif db_job.status != job.get("status"):
                found.append(
                    f"{label}: status {job.get('status')} in the API, {db_job.status} in the database"
                )
        found += [
            f"job {row.id} ({row.job_type}) of {campaign.name}: in the database, missing from the API"
            for row in db_jobs.values()
            if row.campaign_id == campaign.id and row.id not in listed_jobs
        ]
    return found


def check_every_lead_enriched_exactly_once(world: World) -> None:
    probe = world.session.probe
    assert probe is not None, "this scenario is tagged @needs_database and runs only with a database"
    per_lead = probe.completed_enrich_jobs_per_lead(world.scenario.campaign_ids)
    expected = sum(c.leads for c in world.scenario.campaigns)
    assert_that(per_lead, has_length(expected), "leads of the run in the database")
    assert_that(per_lead, every_lead_enriched_once())


# --- breakers ------------------------------------------------------------------------------------


def ensure_every_breaker_closed(world: World) -> None:
    """Scenarios that trip breakers start from all closed; under the warn policy an open one still aborts."""
    breakers = world.session.client.breakers()
    stuck = stuck_resume(world.session.stuck_resumes, breakers)
    if stuck is not None:
        raise ProgressFailure(stuck)
    report = failure_report(breakers)
    if report is not None:
        raise ServiceFailure(report)


def _breaker_text(breaker: BreakerState | None, service: str) -> str:
    if breaker is None:
        return f"status does not list {service}"
    return (
        f"status still says {service} {breaker.state} ({breaker.failure_count}/{breaker.failure_threshold})"
    )


def check_every_breaker_closed(world: World) -> None:
    """After a resume the platform answered with success: every breaker closed within one poll."""
    client = world.session.client
    resumed = world.scenario.resumed_services or ["the service"]

    def still_open() -> str | None:
        not_closed = [b for b in client.breakers().values() if b.state != CLOSED]
        if not not_closed:
            return None
        return f"resume-service answered success for {', '.join(resumed)}; " + "; ".join(
            _breaker_text(b, b.service) for b in not_closed
        )

    _monitor(world).agree_within_one_poll(still_open)


def operator_pauses_service(world: World, service: str) -> None:
    """Pause a service as an operator would; the platform then agrees within one poll: the breaker not
    closed, and the run's campaigns that were RUNNING now PAUSED."""
    session, scenario = world.session, world.scenario
    svc = _service(service)
    monitor = _monitor(world)
    ids = scenario.campaign_ids
    statuses = {c.id: c.status for c in _current_snapshots(world)} if ids else {}
    running = [cid for cid in ids if statuses.get(cid) == "RUNNING"]  # in the run's order
    answer = session.client.pause_service(svc, f"operator pause by acceptance run {session.settings.run_id}")
    scenario.cleanups.append((f"resume {svc}", lambda: _resume_after_scenario(world, svc)))
    said = (
        f"pause-service answered paused for {svc} ({answer.get('campaigns_paused', '?')} campaigns affected)"
    )
    seen: list[Observation] = []

    def disagreement() -> str | None:
        obs = monitor.observe(ids, "pause")
        seen[:] = [obs]
        breaker = obs.breakers.get(svc)
        problems = [] if breaker is not None and not breaker.closed else [_breaker_text(breaker, svc)]
        still = [
            f"{c.name} ({c.id})"
            for cid in running
            if (c := obs.campaigns.get(cid)) is not None and c.status == "RUNNING"
        ]
        if still:
            problems.append(f"{len(still)} campaigns of the run still RUNNING: {', '.join(still)}")
        return f"{said}; " + "; ".join(problems) if problems else None

    monitor.agree_within_one_poll(disagreement)
    scenario.paused_seen, scenario.paused_service = seen[-1], svc
    _release_hold(world)


def _resume(world: World, svc: str) -> None:
    """resume-service; within one poll the platform agrees: the breaker closed (else the resume failed,
    also for the gate of every later scenario)."""
    session = world.session
    session.client.resume_service(svc)
    world.scenario.resumed_services.append(svc)

    def still_open() -> str | None:
        breaker = session.client.breakers().get(svc)
        if breaker is not None and breaker.closed:
            return None
        return f"resume-service answered success for {svc}; {_breaker_text(breaker, svc)}"

    try:
        _monitor(world).agree_within_one_poll(still_open)
    except ProgressFailure as failure:
        session.stuck_resumes[svc] = f"{failure} (resumed in '{world.scenario.name}')"
        raise
    session.stuck_resumes.pop(svc, None)


def _resume_after_scenario(world: World, svc: str) -> None:
    """The cleanup's resume: a breaker it leaves open is recorded (the later gates name the resume), not
    raised (the scenario's verdict is already made)."""
    try:
        _resume(world, svc)
    except ProgressFailure as failure:
        world.record.warnings.append(f"{world.scenario.name}: cleanup: {failure}")


def operator_resumes_service(world: World, service: str) -> None:
    svc = _service(service)
    _resume(world, svc)
    _monitor(world).mark("resumed", f"{svc} resumed")
    _monitor(world).note_resume()


def resume_service_and_check_every_breaker_closed(world: World, service: str) -> None:
    operator_resumes_service(world, service)
    check_every_breaker_closed(world)


def service_has_failed_and_paused_campaigns(world: World, service: str) -> None:
    make_service_fail(world, service)
    wait_until_campaigns_paused(world, service)


def make_service_fail(world: World, service: str) -> None:
    session = world.session
    svc = _service(service)
    faults = session.faults
    assert faults is not None, "this scenario is tagged @needs_fault_control and runs only with fault control"
    faults.set(svc, "error")

    def heal() -> None:
        faults.set(svc, "ok")
        _resume_after_scenario(world, svc)

    world.scenario.cleanups.append((f"heal {svc}", heal))
    _release_hold(world)


def wait_until_breaker_open(world: World, service: str) -> None:
    svc = _service(service)
    client = world.session.client

    monitor = _monitor(world)

    def is_open() -> bool:
        breakers = client.breakers()
        monitor.check_breakers_agree(breakers)  # failures past the threshold yet closed: at once
        return breakers[svc].state != CLOSED

    monitor.wait_until(is_open, world.session.settings.pause_deadline_s, f"{svc} breaker open")


def wait_until_campaigns_paused(world: World, service: str) -> None:
    svc = _service(service)
    scenario = world.scenario
    monitor = _monitor(world)
    started = monitor.clock.now()
    report = monitor.wait_for_pause(scenario.campaign_ids, world.session.settings.pause_deadline_s, svc)
    scenario.pause_wait_s = monitor.clock.now() - started
    scenario.report = report
    paused = {c.id: c for c in report.paused_campaigns}
    # A campaign that finished before the trip was not running any more (only the sandbox finishes them).
    finished = {c.id for c in _current_snapshots(world) if c.status == "COMPLETED"}
    running = [c for c in scenario.campaigns if c.id not in finished]
    assert_that(len(running), greater_than(0), "campaigns of the run still running when the service failed")
    for campaign in running:
        assert_that(campaign.id, is_in(list(paused)), f"{campaign.name} is paused")
        assert_that(
            (paused[campaign.id].status_message or "").lower(),
            contains_string(svc),
            f"pause message of {campaign.name}",
        )


def wait_until_enrichment_stopped(world: World) -> None:
    """While the service is paused, the run's enrichment work ends (finished or parked) and nothing new runs:
    so the resume that follows has paused work to bring back."""
    scenario = world.scenario
    _monitor(world).wait_for_work_stopped(
        scenario.campaign_ids,
        world.session.settings.pause_deadline_s,
        paused=scenario.paused_seen,
        service=scenario.paused_service,
    )


def check_pause_noticed_early(world: World) -> None:
    deadline = world.session.settings.pause_deadline_s
    waited = world.scenario.pause_wait_s
    assert waited is not None, "no pause was awaited in this scenario"
    assert_that(waited, less_than(deadline / 2), "seconds until the pause was noticed (deadline / 2)")


def check_report_names_service(world: World, service: str) -> None:
    svc = _service(service)
    scenario = world.scenario
    report = scenario.report or (scenario.gate.report if scenario.gate else None)
    assert report is not None, "no breaker report was produced in this scenario"
    breakers = {b.service: b for b in report.breakers}
    assert_that(svc, is_in(list(breakers)), "services named by the breaker report")
    breaker = breakers[svc]
    assert_that(breaker.state, is_in(["open", "half_open"]), f"state of {svc}")
    assert_that(breaker.failure_threshold, greater_than(0), f"failure threshold of {svc}")
    assert_that(report.reason, contains_string(svc), "reason of the breaker report")
    assert_that(report.render_text(), contains_string(f"{breaker.failure_count}/{breaker.failure_threshold}"))
    # The report is only as good as the status it is made of: the platform's own entry for the service
    # carries its failures, its threshold and, while not closed, the reason it is paused (contract §1.7).
    entry = world.session.client.queue_status().get("circuit_breakers", {}).get(svc)
    assert_that(_incomplete_breaker_entry(entry), empty(), f"the breaker status of {svc}: {entry}")


def _incomplete_breaker_entry(entry: object) -> list[str]:
    if not isinstance(entry, dict):
        return ["no entry at all"]
    lacks = [
        f"lacks {key} (an integer)"
        for key in ("failure_count", "failure_threshold")
        if not isinstance(entry.get(key), int) or isinstance(entry.get(key), bool)
    ]
    if isinstance(entry.get("failure_threshold"), int) and entry["failure_threshold"] <= 0:
        lacks.append(f"failure_threshold {entry['failure_threshold']} is no threshold")
    pause = entry.get("pause_info")
    if entry.get("circuit_state") != CLOSED and not (isinstance(pause, dict) and pause.get("reason")):
        lacks.append("lacks the reason it is paused (pause_info.reason)")
    return lacks


def check_report_lists_paused_campaigns(world: World) -> None:
    report = world.scenario.report
    assert report is not None, "no breaker report was produced in this scenario"
    listed = {c.id: c for c in report.paused_campaigns}
    for campaign in world.scenario.campaigns:
        assert_that(campaign.id, is_in(list(listed)), f"{campaign.name} listed in the breaker report")
        assert_that(listed[campaign.id], campaign_with_status("PAUSED", message_containing="paused"))
    assert_that(report.render_text(), contains_string(world.scenario.campaigns[0].name))


def heal_service_and_resume_campaigns(world: World, service: str) -> None:
    """Heal the fault, resume the service, then resume any campaign of the run the service left paused."""
    session = world.session
    svc = _service(service)
    if session.faults is not None:
        session.faults.set(svc, "ok")
    _resume(world, svc)
    for campaign_id, campaign in _current_campaigns(world).items():
        if campaign["status"] == "PAUSED":
            session.client.resume_campaign(campaign_id)
    _monitor(world).mark("resumed", f"{svc} healed, campaigns resumed")
    _monitor(world).note_resume()


def run_health_gate(world: World) -> None:
    """The decision the hooks' gate takes before each scenario (outcome.gate_decision, the run's policy)."""
    session = world.session
    world.scenario.gate = gate_decision(
        session.client.breakers(), session.settings.health_gate, earlier_job_errors(session)
    )


def check_gate_would_abort(world: World) -> None:
    decision = world.scenario.gate
    assert decision is not None, "the health gate found every breaker closed and would let the scenario start"
    policy = world.session.settings.health_gate
    # Policy 'warn' starts the scenario with a warning instead; 'abort' stops it before its first step.
    assert_that(
        decision.abort, equal_to(policy == "abort"), f"the health gate's decision to abort (policy {policy})"
    )


# --------------------------------------------------------------------------------------------------
# The contract scenarios (features/contract.feature), over contract_check
# --------------------------------------------------------------------------------------------------


def compare_document(world: World, scenario: Any) -> None:
    """The first half: skipped, with the reason, on a target that serves no OpenAPI document."""
    document, where = read_document(world.session.client)
    if document is None:
        scenario.skip(reason=where)
        return
    world.scenario.contract = check_document(document)
    world.scenario.contract_source = f"the OpenAPI document at {where}"


def compare_tenant_answers(world: World) -> None:
    session, state = world.session, world.scenario
    assert state.organization_id is not None, "the scenario has no tenant"
    name = f"{session.settings.run_id} contract check"
    campaign_id, found = exercise_tenant(session.client, state.organization_id, name)
    if campaign_id is not None:
        session.campaign_ids.append(campaign_id)  # deleted with the run's other data
    found.extend(check_answers(session.client.answers))
    state.contract = found
    state.contract_source = "the answers to the run's tenant"


def check_no_drift(world: World) -> None:
    """Notes go to the run's warnings; drifts fail the scenario, one line each."""
    state = world.scenario
    found = state.contract
    assert found is not None, "nothing was compared"
    unused = found.summary_of_unused()
    notes = [*found.notes, *([unused] if unused else [])]
    world.record.warnings.extend(f"{state.name}: contract note: {note}" for note in notes)
    if found.drifts:
        count = len(found.drifts)
        raise AssertionError(
            f"the platform no longer speaks the contract this suite relies on: {count} "
            f"difference{'s' if count != 1 else ''} in {state.contract_source}\n" + "\n".join(found.drifts)
        )
