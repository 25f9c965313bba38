"""What each behave hook does; features/environment.py calls exactly one function per hook.

- start_run (before_all): settings, target (or the embedded sandbox), database, fault control, the run's user.
  Anything unusable is a CannotTestError: one line, no scenario runs, exit 3.
- begin_scenario (before_scenario): a fresh scenario state, capability skips, the health gate.
- step_done (after_step): a ServiceFailure raised by a step becomes an in-flight abort.
- end_scenario (after_scenario): undo what the scenario changed (paused services, faults), keep its
  campaigns' final statuses for the reports.
- finish_run (after_all, also after Ctrl-C): delete what the run created, by id; stop the sandbox.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from pydantic import ValidationError

from campaign_acceptance.client import FaultControl, PlatformClient
from campaign_acceptance.database import DatabaseProbe
from campaign_acceptance.errors import (
    ApiError,
    CannotTestError,
    ConfigurationError,
    ProgressFailure,
    SuiteError,
    TargetUnreachableError,
)
from campaign_acceptance.known_issues import load_known_issues
from campaign_acceptance.metrics import TEXTFILE_NAME
from campaign_acceptance.model import BreakerState
from campaign_acceptance.monitor import ApiDbSource, ReadErrors, read_job_errors, snapshot_from_api
from campaign_acceptance.outcome import KNOWN_ISSUE, MetricsTarget, RunRecord, one_line, stuck_resume
from campaign_acceptance.progress import say
from campaign_acceptance.runner import apply_health_gate, on_step_done, outcome_of, scenario_key
from campaign_acceptance.selection import CONTRACT_TAG
from campaign_acceptance.settings import (
    Settings,
    settings_from_behave,
)
from campaign_acceptance.target import Target
from campaign_acceptance.world import ScenarioState, Session, TenantUser, World, world_of
from campaign_common.redaction import redact_url
from campaign_common.waiting import RealClock
from campaign_sandbox.core.config import SandboxSettings
from campaign_sandbox.profile import ProfileName
from campaign_sandbox.server import SandboxServer, SandboxStartError

__all__ = [
    "begin_scenario",
    "check_runner",
    "describe_target",
    "earlier_job_errors",
    "end_scenario",
    "finish_run",
    "metrics_target",
    "open_session",
    "platform_version",
    "run_email",
    "start_run",
    "step_done",
]

# The platform only lets whitelisted addresses sign up; this domain is whitelisted for tests.
SIGNUP_DOMAIN = "hellacooltestingdomain.pizza"
SANDBOX_START_TIMEOUT_S = 30.0


# --- before_all ----------------------------------------------------------------------------------------


NOT_UNDER_RUNNER_EXIT = 3  # cannot test


def check_runner(context: Any) -> None:
    """Without the suite's runner (behave started where it finds no behave.ini) there would be no verdict,
    no reports and exit codes 0/1 only: stop before anything is created, with one line saying how to run."""
    if getattr(getattr(context, "_runner", None), "gives_the_verdict", False):  # runner.VerdictRunner
        return
    say(
        f"cannot test: behave is not using the suite's runner (no behave.ini in {os.getcwd()}); run "
        "`python -m campaign_acceptance <behave arguments>` (works from any directory) or behave from the "
        "suite's root"
    )
    sys.stdout.flush()
    # sys.exit would be swallowed by behave's hook runner (docs/behave-notes.md), and behave's own runner
    # maps everything to 0/1: leave at once; nothing exists yet that would need cleaning up.
    os._exit(NOT_UNDER_RUNNER_EXIT)


def start_run(context: Any) -> None:
    check_runner(context)
    record = RunRecord(started_at=time.time())
    world = World(record=record)
    context.world = world  # root layer: the runner reads the record after the run
    # A CannotTestError from here is handled once, by the runner's wrapper of this hook (runner.cannot_test).
    settings = settings_from_behave(context.config, os.environ)
    record.settings = settings.redacted()
    record.reports_dir = str(settings.reports_dir)
    record.allow_no_scenarios = settings.allow_no_scenarios
    record.metrics = metrics_target(settings)
    if settings.known_issues is not None:
        record.known_issues = load_known_issues(settings.known_issues)
    record.known_issues_strict = settings.known_issues_strict
    # Named before it is reached, so that a run that cannot test it (or is stopped first) names it too.
    record.target = _planned_target(settings)
    world.session_ = open_session(settings, record)
    record.breakers_at_start = _breakers_or_none(world.session_.client)
    record.target = describe_target(world.session_)


def metrics_target(settings: Settings) -> MetricsTarget | None:
    """Where the run's metrics go: set by health_monitoring, metrics_textfile or pushgateway_url."""
    textfile = settings.metrics_textfile
    if textfile is None and settings.health_monitoring:
        textfile = settings.reports_dir / TEXTFILE_NAME
    if textfile is None and settings.pushgateway_url is None:
        return None
    return MetricsTarget(textfile, settings.pushgateway_url, settings.request_timeout_s)


def _breakers_or_none(client: PlatformClient) -> dict[str, BreakerState]:
    """Every breaker now, or nothing when they cannot be read (the reports then say 'not read')."""
    try:
        return client.breakers()
    except ApiError:
        return {}


def open_session(settings: Settings, record: RunRecord | None = None) -> Session:
    """Connect to everything the run needs, or raise CannotTestError saying what is unusable."""
    sandbox = _start_sandbox(settings) if settings.api_url is None else None
    probe: DatabaseProbe | None = None
    try:
        api_url = sandbox.url if sandbox else settings.api_url
        assert api_url is not None
        database_url = settings.database_url or (sandbox.database_url if sandbox else None)
        fault_url = settings.fault_control_url or (sandbox.url if sandbox else None)
        client = PlatformClient(api_url, settings.request_timeout_s)
        try:
            client.health()
        except ApiError as error:
            raise TargetUnreachableError(f"the platform at {api_url} cannot be reached: {error}") from None
        probe = DatabaseProbe(database_url) if database_url else None
        if probe is not None:
            probe.ping()
        faults = FaultControl(fault_url, settings.request_timeout_s) if fault_url else None
        if faults is not None:
            try:
                faults.faults()
            except ApiError as error:
                raise ConfigurationError(f"fault control at {fault_url} is unusable: {error}") from None
        try:
            user = _sign_up(client, settings.run_id)
        except CannotTestError:
            # The answer may be lost after the platform created the user: delete it by the run's stamp.
            if probe is not None:
                _delete_run_data(record or RunRecord(), settings, probe, None, [], [])
            raise
        target = Target(
            "embedded sandbox" if sandbox else api_url, has_database=probe is not None, faults=faults
        )
        database = "its database" if probe else "no database"
        planted = sorted(sandbox.settings.defects) if sandbox else []
        profile = (
            f" (profile {sandbox.settings.profile.value}"
            + (f", planted defects {','.join(planted)}" if planted else "")
            + ")"
            if sandbox
            else ""
        )
        say(f"run {settings.run_id}: testing {target.description} with {database}{profile}")
        return Session(
            settings, client, probe, faults, user, target, sandbox=sandbox, read_errors=ReadErrors()
        )
    except BaseException:
        if probe is not None:
            probe.close()
        if sandbox is not None:
            sandbox.stop()
        raise


def _sandbox_choices(settings: Settings) -> dict[str, Any]:
    # Unset ones keep the sandbox's default (or its SANDBOX_* variable).
    chosen: dict[str, Any] = {
        "database_url": settings.sandbox_database_url,
        "workers": settings.sandbox_workers,
        "fault_control": True,
    }
    if settings.sandbox_profile is not None:
        chosen["profile"] = ProfileName(settings.sandbox_profile)
    if settings.sandbox_rate_limits is not None:
        chosen["rate_limits"] = settings.sandbox_rate_limits
    if settings.sandbox_defects is not None:
        chosen["defects"] = settings.sandbox_defects
    return chosen


def _start_sandbox(settings: Settings) -> SandboxServer:
    try:
        sandbox_settings = SandboxSettings(**_sandbox_choices(settings))
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(map(str, first["loc"]))
        text = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigurationError(
            f"embedded sandbox: {where + ': ' if where else ''}{text} "
            "(settings sandbox_profile, sandbox_rate_limits, sandbox_defects, or SANDBOX_* environment "
            "variables)"
        ) from None
    try:
        server = SandboxServer(sandbox_settings)
        server.start(timeout=SANDBOX_START_TIMEOUT_S)
    except (SandboxStartError, ValueError) as error:
        raise TargetUnreachableError(f"the embedded sandbox did not start: {error}") from None
    return server


def run_email(run_id: str) -> str:
    return f"{run_id}@{SIGNUP_DOMAIN}"


def _sign_up(client: PlatformClient, run_id: str) -> TenantUser:
    email = run_email(run_id)
    # Meets the platform's rules (a letter, a digit, one of its special characters); never printed.
    password = f"Aa1!{secrets.token_hex(12)}"
    try:
        user = client.signup(email, password)
        client.login(email, password)
    except ApiError as error:
        raise TargetUnreachableError(f"cannot sign up the run's user {email}: {error}") from None
    return TenantUser(email=email, user_id=str(user["id"]), password=password)


_DATABASE_KINDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _database_kind(url: str | None) -> str:
    if not url:
        return "no database"
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    return _DATABASE_KINDS.get(scheme, scheme)


def platform_version(client: PlatformClient) -> str | None:
    """'<title> <version>' from the target's OpenAPI document, if it serves one (it needs the token)."""
    try:
        response = client.request("GET", "openapi.json")
        info = response.json().get("info", {}) if response.status_code == 200 else {}
    except (ApiError, ValueError, AttributeError):
        return None
    title, version = str(info.get("title") or "").strip(), str(info.get("version") or "").strip()
    return f"{title} {version}".strip() or None


def _planned_target(settings: Settings) -> dict[str, str]:
    """The target as the settings name it, in describe_target's words (before anything answered)."""
    if settings.api_url is None:
        try:  # the profile the sandbox would get (a SANDBOX_* variable may choose it)
            profile = SandboxSettings(**_sandbox_choices(settings)).profile.value
        except ValidationError:
            profile = settings.sandbox_profile or "unknown"
        database = _database_kind(settings.sandbox_database_url or "sqlite:")
        description = f"embedded sandbox, profile {profile}, {database}"
        return {"description": description, "api_url": "", "database": database, "fault_control": "yes"}
    api_url = redact_url(settings.api_url)
    database = _database_kind(settings.database_url)
    return {
        "description": f"{api_url}, {database}",
        "api_url": api_url,
        "database": database,
        "fault_control": "yes" if settings.fault_control_url else "no",
    }


def describe_target(session: Session) -> dict[str, str]:
    """What the run tests, in words for the reports: 'embedded sandbox, profile intended, SQLite' or the
    API URL (password hidden) with its database kind; the platform's version where its OpenAPI tells it."""
    settings = session.settings
    if session.sandbox is not None:
        profile = session.sandbox.settings.profile.value
        database = _database_kind(session.sandbox.database_url)
        description = f"embedded sandbox, profile {profile}, {database}"
        api_url = redact_url(session.sandbox.url)
    else:
        api_url = redact_url(settings.api_url or "")
        database = _database_kind(settings.database_url) if session.probe is not None else "no database"
        description = f"{api_url}, {database}"
    target = {
        "description": description,
        "api_url": api_url,
        "database": database,
        "fault_control": "yes" if session.faults is not None else "no",
    }
    version = platform_version(session.client)
    if version:
        target["platform"] = version
    return target


# --- scenarios -----------------------------------------------------------------------------------------

CAPABILITIES = {
    "needs_fault_control": ("faults", "needs fault control: set fault_control_url (the sandbox has its own)"),
    "needs_database": ("probe", "needs the platform's database: set database_url"),
}


def begin_scenario(context: Any, scenario: Any) -> None:
    world = world_of(context)
    world.scenario = ScenarioState(name=scenario.name, key=scenario_key(scenario))
    session = world.session_
    if session is None:
        return
    tags = set(scenario.effective_tags)
    for tag, (attribute, reason) in CAPABILITIES.items():
        if tag in tags and getattr(session, attribute) is None:
            scenario.skip(reason=reason)
            return
    if CONTRACT_TAG in tags:
        return  # the contract is checked whatever the breakers say: it touches none
    assert session.read_errors is not None
    breakers = session.read_errors.keep_reading(
        session.client.breakers, RealClock(), session.settings.poll_interval_s
    )
    stuck = stuck_resume(session.stuck_resumes, breakers)
    if stuck is not None:
        # Raised from the hook, the scenario fails (exit 1) with this reason and none of its steps run.
        raise ProgressFailure(stuck)
    apply_health_gate(
        scenario, breakers, session.settings.health_gate, world.record, earlier_job_errors(session)
    )


def earlier_job_errors(session: Session) -> Callable[[], Sequence[str]]:
    """The errors of the run's earlier jobs, read only when the gate finds a breaker open (they say why it
    opened, e.g. the platform's own rate limiter)."""
    source = ApiDbSource(session.client, session.probe, "")
    return lambda: read_job_errors(source, session.campaign_ids)


def step_done(context: Any, step: Any) -> None:
    world = world_of(context)
    fails = world.session_ is not None and world.session_.settings.rate_limit_trips == "product_failure"
    on_step_done(context.scenario, step, world.record, rate_limit_fails=fails)


def end_scenario(context: Any, scenario: Any) -> None:
    world = world_of(context)
    state, session = world.scenario, world.session_
    if world.record.known_issues and scenario.status.has_failed():
        # Right under the failure the console just showed: that it is a listed one, not a failed run.
        outcome = outcome_of(scenario, world.record)
        if outcome.status == KNOWN_ISSUE and outcome.known_issue is not None:
            say(f"  known issue {outcome.known_issue.id}: this failure is listed; it does not fail the run")
    # Undo in reverse order, every one of them even if one fails: a breaker left open would abort
    # every later scenario at the gate.
    for what, undo in reversed(state.cleanups):
        try:
            undo()
        except SuiteError as error:
            world.record.warnings.append(f"{scenario.name}: could not {what}: {error}")
            say(f"warning: {scenario.name}: could not {what}: {error}")
    state.cleanups.clear()
    if state.ran_as is not None:
        # Every report names the scenario by what it really did (the JUnit reporter reads it after this),
        # the figures recorded under its first name included.
        scenario.name = state.name = f"{scenario.name} (ran as {state.ran_as})"
        _rename_figures(world.record, scenario_key(scenario), scenario.name)
    if session is not None and session.read_errors is not None:
        world.record.warnings.extend(f"{scenario.name}: {w}" for w in session.read_errors.take_warnings())
    if state.report is not None:
        world.record.evidence[scenario_key(scenario)] = state.report
    chart = state.monitor.chart(state.campaign_ids) if state.monitor is not None else None
    if chart is not None:
        world.record.timelines[scenario_key(scenario)] = chart
    if session is not None and state.organization_id is not None:
        try:
            listed = session.client.list_campaigns(state.organization_id)
        except ApiError as error:
            world.record.warnings.append(f"{scenario.name}: final campaign statuses unknown: {error}")
        else:
            world.record.campaigns.extend(snapshot_from_api(c) for c in listed)


def _rename_figures(record: RunRecord, key: str, name: str) -> None:
    record.enrichment = [replace(t, scenario=name) if t.key == key else t for t in record.enrichment]
    record.capacity = [
        replace(c, timing=replace(c.timing, scenario=name)) if c.timing.key == key else c
        for c in record.capacity
    ]


# --- after_all -----------------------------------------------------------------------------------------


def finish_run(context: Any) -> None:
    world = world_of(context)
    session = world.session_
    if session is None:
        return
    world.record.breakers_at_end = _breakers_or_none(session.client)
    try:
        _delete_run_data(
            world.record,
            session.settings,
            session.probe,
            session.user.user_id,
            session.organization_ids,
            session.campaign_ids,
        )
        if session.client.relogins:
            world.record.warnings.append(
                f"the platform rejected the run's token {session.client.relogins} time(s); logged in again"
            )
    finally:
        session.client.close()
        if session.probe is not None:
            session.probe.close()
        if session.sandbox is not None:
            session.sandbox.stop()
        world.record.finished_at = time.time()


def _delete_run_data(
    record: RunRecord,
    settings: Settings,
    probe: DatabaseProbe | None,
    user_id: str | None,
    organization_ids: list[str],
    campaign_ids: list[str],
) -> None:
    """Delete what the run created: by the ids it saw and by its stamp (the run id in the user's email and
    in organization and campaign names: an answer lost after the platform committed a write leaves no id)."""
    run_id = settings.run_id
    organizations, campaigns = (
        _rows(len(organization_ids), "organizations"),
        _rows(len(campaign_ids), "campaigns"),
    )
    what = f"user {user_id}, {organizations}, {campaigns}"
    if probe is None:
        record.warnings.append(
            f"left on the platform (no database URL to delete them): {what}; organization ids "
            f"{', '.join(organization_ids)}; campaign ids {', '.join(campaign_ids)}"
        )
        return
    try:
        counts = probe.delete_run_data(
            user_id, organization_ids, campaign_ids, user_email=run_email(run_id), name_stamp=run_id
        )
    except CannotTestError as error:  # the probe's error family; here it only means cleanup failed
        try:
            left = probe.run_rows(
                user_id, organization_ids, campaign_ids, user_email=run_email(run_id), name_stamp=run_id
            )
        except CannotTestError as again:
            left = {"unknown (could not read them)": [one_line(again)]}
        left = {table: ids for table, ids in left.items() if ids}
        record.left_behind.update(left)
        listed = "; ".join(f"{table}: {', '.join(ids)}" for table, ids in left.items()) or what
        record.warnings.append(f"cleanup failed, left on the platform: {listed}: {error}")
        say(f"warning: cleanup failed, left on the platform: {listed}: {error}")
        return
    for attempt in probe.cleanup_retries:
        record.warnings.append(f"cleanup retried after a transient database error: {attempt}")
    deleted = ", ".join(_rows(n, table) for table, n in counts.items())
    say(f"cleanup: deleted {deleted} (exactly what run {run_id} created)")


def _rows(n: int, table: str) -> str:
    """'1 user', '2 users': a count of a table's rows in words (the tables are named in the plural)."""
    return f"{n} {table.removesuffix('s') if n == 1 else table}"
