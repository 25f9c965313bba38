"""The planted defects (campaign_sandbox.defects): each does what its catalogue entry says, and only that.

Every test runs the same story twice, without and with the defect (``planted``), and checks both sides: the
broken rule holds without it and is broken with it, while the rest of the story is unchanged. "Never" is
checked without waiting it out: once the worker pool is idle (nothing queued, nothing running) no job can
change unless a request submits work.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from campaign_sandbox.core.config import SandboxSettings
from campaign_sandbox.defects import CATALOGUE, Defect, parse_defects
from campaign_sandbox.server import SandboxServer
from support.api import Api
from support.polling import wait_until
from support.sandboxes import run_cli

MakeSandbox = Callable[..., tuple[SandboxServer, Api]]
RESULT_FIELDS = (
    "email_verification",
    "enrichment_results",
    "email_copy_gen_results",
    "instantly_lead_record",
)
PROFILES = [
    pytest.param({}, id="intended"),
    pytest.param({"profile": "as-built", "rate_limits": "off"}, id="as-built"),
]
planted_or_not = pytest.mark.parametrize("planted", [False, True], ids=["without", "with"])


def _sandbox(
    make_sandbox: MakeSandbox, defect: Defect, planted: bool, **settings: Any
) -> tuple[SandboxServer, Api]:
    return make_sandbox(defects=frozenset({defect.value}) if planted else frozenset(), **settings)


def _idle(server: SandboxServer, what: str = "the workers to be idle") -> None:
    wait_until(server.runtime.pool.idle, 30, what)


def _enrich_jobs(client: Api, cid: str) -> list[dict[str, Any]]:
    return [j for j in client.jobs(cid) if j["job_type"] == "ENRICH_LEAD"]


def _fetch_job(client: Api, cid: str) -> dict[str, Any]:
    return next(j for j in client.jobs(cid) if j["job_type"] == "FETCH_LEADS")


def _run(server: SandboxServer, client: Api, total: int = 5, name: str = "campaign") -> str:
    """A started campaign whose work has ended (the pool idle)."""
    cid = client.new_campaign(total, name=name)
    client.start(cid)
    _idle(server)
    return cid


def _rows(server: SandboxServer, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(server.database_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), params).all())
    finally:
        engine.dispose()


# ------------------------------------------------------------------------------------------ the catalogue


def test_every_defect_has_one_entry_with_a_rule_and_a_description() -> None:
    assert list(CATALOGUE) == [d.value for d in Defect]
    for name, entry in CATALOGUE.items():
        assert entry.name == name and entry.rule and entry.description and entry.where, name


def test_names_are_parsed_comma_separated_and_unknown_ones_named_in_one_line() -> None:
    assert parse_defects(" results-missing, FETCH-NEVER-STARTS ,") == {
        "results-missing",
        "fetch-never-starts",
    }
    with pytest.raises(ValueError, match=r"^unknown defect 'nope' \(known: fetch-never-starts, ") as bad:
        parse_defects("results-missing,nope")
    assert "\n" not in str(bad.value)


def test_the_setting_reads_the_variable_and_refuses_an_unknown_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDBOX_DEFECTS", "results-missing,enriched-twice")
    assert SandboxSettings().defects == {"results-missing", "enriched-twice"}
    assert SandboxSettings.model_validate({"defects": ""}).defects == frozenset()
    with pytest.raises(ValueError, match="unknown defect 'typo'"):
        SandboxSettings.model_validate({"defects": "typo"})


def test_the_command_line_refuses_an_unknown_defect_in_one_line() -> None:
    done = run_cli("--defects", "results-missing,typo", "--port", "0")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("campaign_sandbox: error: defects: unknown defect 'typo' (known: ")


# ------------------------------------------------------------------------------------------ fetch


@planted_or_not
@pytest.mark.parametrize("profile", PROFILES)
def test_fetch_never_starts(make_sandbox: MakeSandbox, planted: bool, profile: dict[str, Any]) -> None:
    server, client = _sandbox(make_sandbox, Defect.FETCH_NEVER_STARTS, planted, **profile)
    cid = _run(server, client)
    assert client.campaign_status(cid) in ("RUNNING", "COMPLETED")
    assert _fetch_job(client, cid)["status"] == ("PENDING" if planted else "COMPLETED")
    assert (len(client.leads(cid)) == 0) is planted


@planted_or_not
@pytest.mark.parametrize("profile", PROFILES)
def test_fetch_finds_nothing(make_sandbox: MakeSandbox, planted: bool, profile: dict[str, Any]) -> None:
    server, client = _sandbox(make_sandbox, Defect.FETCH_FINDS_NOTHING, planted, **profile)
    cid = _run(server, client)
    fetch = _fetch_job(client, cid)
    assert fetch["status"] == "COMPLETED"
    leads = client.leads(cid)
    if planted:
        assert leads == []
        assert fetch["result"] == "Successfully fetched 0 leads and queued enrichment tasks"
    else:
        assert len(leads) >= 5 and all(job["status"] == "COMPLETED" for job in _enrich_jobs(client, cid))


# ------------------------------------------------------------------------------------------ enrichment


@planted_or_not
@pytest.mark.parametrize("profile", PROFILES)
def test_jobs_never_finish(make_sandbox: MakeSandbox, planted: bool, profile: dict[str, Any]) -> None:
    server, client = _sandbox(make_sandbox, Defect.JOBS_NEVER_FINISH, planted, **profile)
    cid = _run(server, client)
    assert _fetch_job(client, cid)["status"] == "COMPLETED"
    jobs = _enrich_jobs(client, cid)
    assert len(jobs) == len(client.leads(cid)) > 0
    assert {j["status"] for j in jobs} == ({"PROCESSING"} if planted else {"COMPLETED"})


@planted_or_not
@pytest.mark.parametrize("profile", PROFILES)
def test_leads_not_queued(make_sandbox: MakeSandbox, planted: bool, profile: dict[str, Any]) -> None:
    server, client = _sandbox(make_sandbox, Defect.LEADS_NOT_QUEUED, planted, **profile)
    cid = _run(server, client)
    assert _fetch_job(client, cid)["status"] == "COMPLETED"
    leads = client.leads(cid)
    assert len(leads) >= 5
    jobs = _enrich_jobs(client, cid)
    if planted:
        assert jobs == [] and all(lead["enrichment_job_id"] is None for lead in leads)
    else:
        assert len(jobs) == len(leads)


@planted_or_not
@pytest.mark.parametrize("profile", PROFILES)
def test_enriched_twice(make_sandbox: MakeSandbox, planted: bool, profile: dict[str, Any]) -> None:
    server, client = _sandbox(make_sandbox, Defect.ENRICHED_TWICE, planted, **profile)
    cid = _run(server, client)
    leads = client.leads(cid)
    completed = [j for j in _enrich_jobs(client, cid) if j["status"] == "COMPLETED"]
    per_email = {lead["email"]: 0 for lead in leads}
    for job in completed:
        per_email[job["description"].removeprefix("Enrich lead ")] += 1
    assert set(per_email.values()) == ({2} if planted else {1})
    # Each lead points at one COMPLETED job either way.
    assert {lead["enrichment_job_id"] for lead in leads} <= {str(j["id"]) for j in completed}


@planted_or_not
@pytest.mark.parametrize("profile", PROFILES)
def test_results_missing(make_sandbox: MakeSandbox, planted: bool, profile: dict[str, Any]) -> None:
    server, client = _sandbox(make_sandbox, Defect.RESULTS_MISSING, planted, **profile)
    cid = _run(server, client)
    jobs = _enrich_jobs(client, cid)
    leads = client.leads(cid)
    assert len(jobs) == len(leads) >= 5 and {j["status"] for j in jobs} == {"COMPLETED"}
    for lead in leads:
        stored = {name: lead[name] is not None for name in RESULT_FIELDS}
        assert stored == dict.fromkeys(RESULT_FIELDS, not planted), lead["email"]
    # The rows say the same as the API.
    rows = _rows(server, f"SELECT {', '.join(RESULT_FIELDS)} FROM leads WHERE campaign_id = :c", c=cid)
    assert all((value is None) is planted for row in rows for value in row)


@planted_or_not
@pytest.mark.parametrize("profile", PROFILES)
def test_enrichment_fails(make_sandbox: MakeSandbox, planted: bool, profile: dict[str, Any]) -> None:
    server, client = _sandbox(make_sandbox, Defect.ENRICHMENT_FAILS, planted, **profile)
    cid = _run(server, client, total=10)
    titles = {lead["email"]: lead["title"] for lead in client.leads(cid)}
    for job in _enrich_jobs(client, cid):
        cto = titles[job["description"].removeprefix("Enrich lead ")] == "CTO"
        assert job["status"] == ("FAILED" if planted and cto else "COMPLETED"), job
        if planted and cto:
            assert "KeyError: 'CTO'" in job["error"]
    assert "CTO" in titles.values()
    # A crash of the worker's own code: no breaker heard of it.
    assert {b["failure_count"] for b in client.status_breakers().values()} == {0}


# ----------------------------------------------------------------------------------- leads and campaigns


@planted_or_not
@pytest.mark.parametrize("profile", PROFILES)
def test_duplicate_leads(make_sandbox: MakeSandbox, planted: bool, profile: dict[str, Any]) -> None:
    server, client = _sandbox(make_sandbox, Defect.DUPLICATE_LEADS, planted, **profile)
    first, second = _run(server, client, name="first"), _run(server, client, name="second")
    emails = [{lead["email"].lower() for lead in client.leads(cid)} for cid in (first, second)]
    shared = emails[0] & emails[1]
    assert len(shared) == (1 if planted else 0)
    assert len(emails[1]) >= 5  # the second campaign still has its leads
    if planted:
        # Stored twice, once in capitals: another string to the unique index, the same person.
        stored = _rows(server, "SELECT email FROM leads WHERE lower(email) = :e", e=shared.pop())
        assert len(stored) == 2


@planted_or_not
@pytest.mark.parametrize("profile", PROFILES)
def test_campaign_fails(make_sandbox: MakeSandbox, planted: bool, profile: dict[str, Any]) -> None:
    server, client = _sandbox(make_sandbox, Defect.CAMPAIGN_FAILS, planted, **profile)
    cid = _run(server, client)
    assert {j["status"] for j in _enrich_jobs(client, cid)} == {"COMPLETED"}
    campaign = client.campaign(cid)
    if planted:
        assert campaign["status"] == "FAILED"
        assert campaign["status_error"] == "Campaign failed: completion check error"
    else:
        assert campaign["status"] == ("RUNNING" if profile else "COMPLETED")


@planted_or_not
def test_campaign_pauses_itself(make_sandbox: MakeSandbox, planted: bool) -> None:
    server, client = _sandbox(make_sandbox, Defect.CAMPAIGN_PAUSES_ITSELF, planted)
    cid = _run(server, client)
    campaign = client.campaign(cid)
    assert _fetch_job(client, cid)["status"] == "COMPLETED"
    assert set(client.breaker_states().values()) == {"closed"}
    if planted:
        assert (campaign["status"], campaign["status_message"]) == (
            "PAUSED",
            "Campaign paused: enrichment queue busy",
        )
    else:
        assert campaign["status"] == "COMPLETED"


# ------------------------------------------------------------------------------------------ the API's answers


@planted_or_not
def test_api_wrong_campaign(make_sandbox: MakeSandbox, planted: bool) -> None:
    server, client = _sandbox(make_sandbox, Defect.API_WRONG_CAMPAIGN, planted)
    first, second = _run(server, client, name="first"), _run(server, client, name="second")
    listed = client.leads(second)
    stored = {str(r[0]) for r in _rows(server, "SELECT id FROM leads WHERE campaign_id = :c", c=second)}
    assert {lead["id"] for lead in listed} == stored  # the right leads are listed ...
    reported = {lead["campaign_id"] for lead in listed}
    assert reported == ({first} if planted else {second})  # ... under the wrong campaign
    one = client.call("GET", f"/leads/{listed[0]['id']}")["data"]
    assert one["campaign_id"] == (first if planted else second)
    assert {lead["campaign_id"] for lead in client.leads(first)} == {first}


@planted_or_not
def test_api_job_status_stale(make_sandbox: MakeSandbox, planted: bool) -> None:
    server, client = _sandbox(make_sandbox, Defect.API_JOB_STATUS_STALE, planted)
    cid = _run(server, client)
    listed = _enrich_jobs(client, cid)
    assert {j["status"] for j in listed} == ({"PROCESSING"} if planted else {"COMPLETED"})
    assert client.call("GET", f"/jobs/{listed[0]['id']}")["data"]["status"] == "COMPLETED"
    stored = {str(r[0]) for r in _rows(server, "SELECT status FROM jobs WHERE campaign_id = :c", c=cid)}
    assert stored == {"COMPLETED"}
    assert _fetch_job(client, cid)["status"] == "COMPLETED"


# ------------------------------------------------------------------------------------------ breakers


@planted_or_not
def test_breaker_status_misreports(make_sandbox: MakeSandbox, planted: bool) -> None:
    _server, client = _sandbox(make_sandbox, Defect.BREAKER_STATUS_MISREPORTS, planted)
    client.pause_service("openai")
    for entry in (client.status_breakers()["openai"], client.breakers()["openai"]):
        assert entry["circuit_state"] == ("closed" if planted else "open")
        assert entry["queue_paused"] is True
    # The breaker really is open: the start validation (which reads the breaker itself) says so.
    cid = client.new_campaign(5)
    validation = client.call("GET", f"/campaigns/{cid}/start/validate")["data"]
    assert validation["validation_details"]["services"]["openai"]["available"] is False


@planted_or_not
def test_breaker_report_incomplete(make_sandbox: MakeSandbox, planted: bool) -> None:
    _server, client = _sandbox(make_sandbox, Defect.BREAKER_REPORT_INCOMPLETE, planted)
    client.pause_service("apollo")
    for entry in (client.status_breakers()["apollo"], client.breakers()["apollo"]):
        assert entry["failure_threshold"] == (0 if planted else 3)
        assert entry["circuit_state"] == "open"
        assert entry["pause_info"]["reason"] == "circuit_breaker_open"


@planted_or_not
@pytest.mark.parametrize("profile", PROFILES)
def test_breaker_never_opens(make_sandbox: MakeSandbox, planted: bool, profile: dict[str, Any]) -> None:
    server, client = _sandbox(make_sandbox, Defect.BREAKER_NEVER_OPENS, planted, **profile)
    client.set_fault("openai", "error")
    _run(server, client, total=10)
    openai = client.status_breakers()["openai"]
    assert openai["failure_count"] >= openai["failure_threshold"] == 3
    assert openai["circuit_state"] == ("closed" if planted else "open")


# ------------------------------------------------------------------------------------------ pausing


def _running(client: Api, total: int = 5) -> str:
    """A RUNNING campaign with no work in flight (PATCH bypasses the state machine)."""
    cid = client.new_campaign(total)
    client.force_status(cid, "RUNNING")
    return cid


@planted_or_not
def test_pause_pauses_nothing(make_sandbox: MakeSandbox, planted: bool) -> None:
    _server, client = _sandbox(make_sandbox, Defect.PAUSE_PAUSES_NOTHING, planted)
    cid = _running(client)
    answer = client.pause_service("perplexity")
    assert answer["campaigns_paused"] == (0 if planted else 1)
    assert client.campaign_status(cid) == ("RUNNING" if planted else "PAUSED")
    assert client.breaker_states()["perplexity"] == "open"


@planted_or_not
def test_trip_pauses_nothing(make_sandbox: MakeSandbox, planted: bool) -> None:
    server, client = _sandbox(make_sandbox, Defect.TRIP_PAUSES_NOTHING, planted)
    client.set_fault("openai", "error")
    cid = _run(server, client, total=10)
    assert client.breaker_states()["openai"] == "open"
    assert client.campaign_status(cid) == ("RUNNING" if planted else "PAUSED")
    # A pause by hand still pauses (only the trip's handler is broken).
    client.resume_service("openai")
    client.heal()
    other = _running(client)
    client.pause_service("perplexity")
    assert client.campaign_status(other) == "PAUSED"


@planted_or_not
def test_pause_message_missing(make_sandbox: MakeSandbox, planted: bool) -> None:
    _server, client = _sandbox(make_sandbox, Defect.PAUSE_MESSAGE_MISSING, planted)
    cid = _running(client)
    client.pause_service("perplexity", reason="outage")
    campaign = client.campaign(cid)
    assert campaign["status"] == "PAUSED"
    expected = "Campaign paused" if planted else "Campaign paused: Service perplexity unavailable: outage"
    assert campaign["status_message"] == expected


@planted_or_not
def test_enrich_while_paused(make_sandbox: MakeSandbox, planted: bool) -> None:
    server, client = _sandbox(make_sandbox, Defect.ENRICH_WHILE_PAUSED, planted)
    client.pause_service("openai")
    cid = _run(server, client)  # a start is allowed with openai down (a warning), as on the platform
    statuses = {j["status"] for j in _enrich_jobs(client, cid)}
    assert statuses == ({"COMPLETED"} if planted else {"PAUSED"})
    assert client.breaker_states()["openai"] == "open"


# ------------------------------------------------------------------------------------------ resuming


@planted_or_not
def test_resume_leaves_breaker_open(make_sandbox: MakeSandbox, planted: bool) -> None:
    _server, client = _sandbox(make_sandbox, Defect.RESUME_LEAVES_BREAKER_OPEN, planted)
    cid = _running(client)
    client.pause_service("perplexity")
    answer = client.resume_service("perplexity")
    assert answer["service"] == "perplexity"  # answered success either way
    assert client.breaker_states()["perplexity"] == ("open" if planted else "closed")
    assert client.campaign_status(cid) == ("PAUSED" if planted else "RUNNING")


@planted_or_not
def test_resume_leaves_campaigns_paused(make_sandbox: MakeSandbox, planted: bool) -> None:
    _server, client = _sandbox(make_sandbox, Defect.RESUME_LEAVES_CAMPAIGNS_PAUSED, planted)
    cid = _running(client)
    client.pause_service("perplexity")
    answer = client.resume_service("perplexity")
    assert answer["campaigns_resumed"] == (0 if planted else 1)
    assert client.breaker_states()["perplexity"] == "closed"
    assert client.campaign_status(cid) == ("PAUSED" if planted else "RUNNING")


@planted_or_not
def test_resume_loses_work(make_sandbox: MakeSandbox, planted: bool) -> None:
    server, client = _sandbox(make_sandbox, Defect.RESUME_LOSES_WORK, planted)
    client.pause_service("openai")
    cid = _run(server, client)  # the gate parks every enrichment: openai is paused
    assert {j["status"] for j in _enrich_jobs(client, cid)} == {"PAUSED"}
    answer = client.resume_service("openai")
    assert answer["jobs_resumed"] == len(client.leads(cid)) > 0
    _idle(server)
    assert {j["status"] for j in _enrich_jobs(client, cid)} == ({"PENDING"} if planted else {"COMPLETED"})
    assert client.campaign_status(cid) == ("RUNNING" if planted else "COMPLETED")


def test_several_defects_at_once_each_do_their_part(make_sandbox: MakeSandbox) -> None:
    names = frozenset({Defect.RESULTS_MISSING.value, Defect.API_JOB_STATUS_STALE.value})
    server, client = make_sandbox(defects=names)
    cid = _run(server, client)
    assert {j["status"] for j in _enrich_jobs(client, cid)} == {"PROCESSING"}
    assert all(lead["enrichment_results"] is None for lead in client.leads(cid))
    assert json.loads(server.runtime.settings.model_dump_json())["defects"]


def test_docs_list_every_defect_with_its_rule() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "sandbox.md").read_text(encoding="utf-8")
    for entry in CATALOGUE.values():
        assert f"| `{entry.name}` | {entry.rule} | {entry.description} |" in docs, entry.name
