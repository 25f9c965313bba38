"""DatabaseProbe against a real database whose schema is the platform's (contract §6), made here by DDL.

Every test runs on a SQLite file; with the ``pg_url`` fixture (tests/conftest.py) the same tests also run on
PostgreSQL, where the status and type columns are native enums, each test in a schema of its own.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from campaign_acceptance import database
from campaign_acceptance.database import (
    CampaignRow,
    DatabaseProbe,
    JobRow,
    LeadResultRow,
    LeadRow,
    engine_url,
)
from campaign_acceptance.errors import DatabaseUnavailableError
from campaign_acceptance.model import ENRICHED_LEAD_FIELDS, Progress


def schema_ddl(dialect: str) -> list[str]:
    pg = dialect == "postgresql"
    ts = "TIMESTAMP WITH TIME ZONE" if pg else "TIMESTAMP"
    now = "now()" if pg else "CURRENT_TIMESTAMP"
    campaign_status = "campaignstatus" if pg else "VARCHAR(9)"
    job_status = "jobstatus" if pg else "VARCHAR(10)"
    job_type = "jobtype" if pg else "VARCHAR(16)"
    job_id = "SERIAL PRIMARY KEY" if pg else "INTEGER PRIMARY KEY AUTOINCREMENT"
    binary = "BYTEA" if pg else "BLOB"
    enums = (
        [
            "CREATE TYPE campaignstatus AS ENUM ('CREATED','RUNNING','COMPLETED','FAILED','PAUSED')",
            "CREATE TYPE jobstatus AS ENUM"
            " ('PENDING','PROCESSING','COMPLETED','FAILED','CANCELLED','PAUSED')",
            "CREATE TYPE jobtype AS ENUM ('FETCH_LEADS','ENRICH_LEAD','CLEANUP_CAMPAIGN')",
        ]
        if pg
        else []
    )
    return [
        *enums,
        f"""CREATE TABLE organizations (
            id VARCHAR(36) PRIMARY KEY, name VARCHAR(255) NOT NULL, description TEXT,
            created_at {ts} NOT NULL DEFAULT {now}, updated_at {ts} NOT NULL DEFAULT {now})""",
        f"""CREATE TABLE campaigns (
            id VARCHAR(36) PRIMARY KEY, name VARCHAR(255) NOT NULL, description TEXT,
            status {campaign_status} NOT NULL,
            created_at {ts} NOT NULL DEFAULT {now}, updated_at {ts} NOT NULL DEFAULT {now},
            organization_id VARCHAR(36) NOT NULL REFERENCES organizations(id),
            status_message TEXT, status_error TEXT, completed_at {ts}, failed_at {ts},
            "fileName" VARCHAR(255) NOT NULL, "totalRecords" INTEGER NOT NULL, url TEXT NOT NULL,
            instantly_campaign_id VARCHAR(64))""",
        f"""CREATE TABLE jobs (
            id {job_id}, task_id VARCHAR UNIQUE, name VARCHAR NOT NULL, description TEXT,
            status {job_status} NOT NULL, result TEXT, error TEXT,
            created_at {ts} DEFAULT {now}, updated_at {ts}, completed_at {ts},
            campaign_id VARCHAR(36) REFERENCES campaigns(id),
            job_type {job_type} NOT NULL DEFAULT 'FETCH_LEADS')""",
        f"""CREATE TABLE leads (
            id VARCHAR(36) PRIMARY KEY, campaign_id VARCHAR(36) NOT NULL REFERENCES campaigns(id),
            first_name VARCHAR(100), last_name VARCHAR(100), email VARCHAR(255), phone VARCHAR(50),
            company VARCHAR(255), title VARCHAR(255), linkedin_url VARCHAR(255), source_url VARCHAR(255),
            raw_data JSON, email_verification JSON, enrichment_results JSON, email_copy_gen_results JSON,
            instantly_lead_record JSON, enrichment_job_id VARCHAR(36),
            created_at {ts} NOT NULL DEFAULT {now}, updated_at {ts} NOT NULL DEFAULT {now})""",
        "CREATE UNIQUE INDEX idx_leads_email_unique ON leads (email) WHERE email IS NOT NULL",
        f"""CREATE TABLE users (
            id VARCHAR(36) PRIMARY KEY, email VARCHAR(255) NOT NULL UNIQUE, name VARCHAR(255) NOT NULL,
            password {binary} NOT NULL, failed_attempts INTEGER NOT NULL, last_failed_attempt {ts},
            created_at {ts} NOT NULL DEFAULT {now}, updated_at {ts} NOT NULL DEFAULT {now})""",
    ]


# Two tenants: A (this run: user ua, org oa, campaigns c1 c2 c3) and B (another run: ub, ob, d1).
ORGS = [("oa", "Org A"), ("ob", "Org B")]
USERS = [("ua", "a@hellacooltestingdomain.pizza"), ("ub", "b@hellacooltestingdomain.pizza")]
CAMPAIGNS = [
    ("c1", "Campaign 1", "RUNNING", "oa", "Successfully fetched 3 leads, enrichment in progress", 3),
    ("c2", "Campaign 2", "PAUSED", "oa", "Campaign paused: Service openai unavailable: x", 5),
    ("c3", "Campaign 3", "CREATED", "oa", None, 4),
    ("d1", "Other run", "RUNNING", "ob", None, 1),
]
# (id, campaign, email, enrichment_job_id)
LEADS = [
    ("l1", "c1", "l1@example.test", "2"),
    ("l2", "c1", "l2@example.test", "3"),
    ("l3", "c1", "l3@example.test", "4"),
    ("l4", "c2", "l4@example.test", "8"),
    ("l5", "c2", "L1@Example.test", None),  # the same address as l1, other case: shared across c1 and c2
    ("m1", "d1", "L2@example.test", "11"),  # shares with l2 only when d1 is asked about
]
# (id, campaign, name/job_type, status, description)
JOBS = [
    (1, "c1", "FETCH_LEADS", "COMPLETED", "Fetch leads for campaign Campaign 1"),
    (2, "c1", "ENRICH_LEAD", "COMPLETED", "Enrich lead l1@example.test"),
    (3, "c1", "ENRICH_LEAD", "COMPLETED", "Enrich lead l2@example.test"),
    (4, "c1", "ENRICH_LEAD", "FAILED", "Enrich lead l3@example.test"),
    (5, "c1", "ENRICH_LEAD", "PAUSED", "Enrich lead l1@example.test"),  # l1 enriched a second time
    (6, "c2", "FETCH_LEADS", "FAILED", "Fetch leads for campaign Campaign 2"),
    (7, "c2", "FETCH_LEADS", "PROCESSING", "Fetch leads for campaign Campaign 2"),  # the latest fetch counts
    (8, "c2", "ENRICH_LEAD", "PAUSED", "Enrich lead l4@example.test"),
    (10, "d1", "FETCH_LEADS", "COMPLETED", "Fetch leads for campaign Other run"),
    (11, "d1", "ENRICH_LEAD", "COMPLETED", "Enrich lead L2@example.test"),
]
RUN = ["c1", "c2", "c3"]


def fill(url: str) -> None:
    engine = sa.create_engine(engine_url(url))
    with engine.begin() as conn:
        for statement in schema_ddl(engine.dialect.name):
            conn.execute(sa.text(statement))
        conn.execute(
            sa.text("INSERT INTO organizations (id, name) VALUES (:id, :name)"),
            [{"id": i, "name": n} for i, n in ORGS],
        )
        conn.execute(
            sa.text(
                "INSERT INTO users (id, email, name, password, failed_attempts)"
                " VALUES (:id, :email, '', :pw, 0)"
            ),
            [{"id": i, "email": e, "pw": b"$2b$hash"} for i, e in USERS],
        )
        conn.execute(
            sa.text(
                'INSERT INTO campaigns (id, name, status, organization_id, status_message, "fileName",'
                " \"totalRecords\", url) VALUES (:id, :name, :status, :org, :message, 'f.csv', :total,"
                " 'https://app.apollo.io/#/people')"
            ),
            [
                {"id": i, "name": n, "status": s, "org": o, "message": m, "total": t}
                for i, n, s, o, m, t in CAMPAIGNS
            ],
        )
        conn.execute(
            sa.text(
                "INSERT INTO jobs (id, campaign_id, name, job_type, status, description)"
                " VALUES (:id, :campaign, :name, :type, :status, :description)"
            ),
            [
                {"id": i, "campaign": c, "name": n, "type": n, "status": s, "description": d}
                for i, c, n, s, d in JOBS
            ],
        )
        conn.execute(
            sa.text(
                "INSERT INTO leads (id, campaign_id, email, enrichment_job_id, raw_data)"
                " VALUES (:id, :campaign, :email, :job, :raw)"
            ),
            [{"id": i, "campaign": c, "email": e, "job": j, "raw": '{"a": 1}'} for i, c, e, j in LEADS],
        )
    engine.dispose()


def postgres_schema_url(pg_url: str) -> Iterator[str]:
    """A fresh schema on the throwaway server, so each test gets its own tables and enum types."""
    schema = "probe_" + secrets.token_hex(4)
    admin = sa.create_engine(engine_url(pg_url))
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    url = make_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'platform.db'}"
        fill(url)
        yield url
        return
    try:
        pg_url = request.getfixturevalue("pg_url")
    except pytest.FixtureLookupError:
        pytest.skip("no pg_url fixture in tests/conftest.py")
    for url in postgres_schema_url(pg_url):
        fill(url)
        yield url


@pytest.fixture
def probe(db_url: str) -> Iterator[DatabaseProbe]:
    p = DatabaseProbe(db_url)
    yield p
    p.close()


def count(url: str, table: str, where: str = "1=1") -> int:
    engine = sa.create_engine(engine_url(url))
    with engine.connect() as conn:
        n = conn.execute(sa.text(f"SELECT count(*) FROM {table} WHERE {where}")).scalar_one()
    engine.dispose()
    return int(n)


# ------------------------------------------------------------------------------------------- reads


def test_ping_succeeds_on_the_platform_schema(probe: DatabaseProbe) -> None:
    probe.ping()
    assert probe.progress(["c3"]) == {"c3": Progress("c3")}


def test_progress_counts_leads_fetch_status_and_enrich_jobs_exactly(probe: DatabaseProbe) -> None:
    assert probe.progress([*RUN, "unknown"]) == {
        "c1": Progress(
            "c1",
            leads=3,
            fetch_status="COMPLETED",
            enrich_total=4,
            enrich_completed=2,
            enrich_failed=1,
            enrich_paused=1,
        ),
        # The latest fetch is PROCESSING: one job of c2 is being worked on.
        "c2": Progress(
            "c2", leads=2, fetch_status="PROCESSING", enrich_total=1, enrich_paused=1, jobs_processing=1
        ),
        "c3": Progress("c3", leads=0, fetch_status=None),
    }
    assert probe.progress([]) == {}


def test_progress_counts_pending_and_processing_jobs_of_the_campaign_only(db_url: str) -> None:
    engine = sa.create_engine(engine_url(db_url))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE jobs SET status = 'PENDING' WHERE id IN (2, 3, 11)"))
        conn.execute(sa.text("UPDATE jobs SET status = 'PROCESSING' WHERE id = 4"))
    engine.dispose()
    probe = DatabaseProbe(db_url)
    try:
        progress = probe.progress(["c1"])["c1"]
    finally:
        probe.close()
    assert (progress.jobs_pending, progress.jobs_processing) == (2, 1)  # job 11 is another run's


def test_job_errors_are_grouped_by_status_and_text_for_the_given_campaigns_only(db_url: str) -> None:
    engine = sa.create_engine(engine_url(db_url))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE jobs SET error = 'Job paused: openai unavailable' WHERE id IN (5, 8)"))
        conn.execute(sa.text("UPDATE jobs SET error = 'boom' WHERE id IN (4, 11)"))
    engine.dispose()
    probe = DatabaseProbe(db_url)
    try:
        rows = sorted(probe.job_errors(RUN))
        assert probe.job_errors([]) == []
    finally:
        probe.close()
    assert rows == [("FAILED", "boom", 1), ("PAUSED", "Job paused: openai unavailable", 2)]


def test_progress_is_one_query(probe: DatabaseProbe) -> None:
    statements: list[str] = []
    engine = probe._engine  # the probe's own engine: count what it sends

    def record(*args: Any) -> None:
        statements.append(args[2])

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        probe.progress(RUN)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1


def test_campaign_rows(probe: DatabaseProbe) -> None:
    rows = probe.campaigns(["c1", "c2", "zz"])
    assert sorted(rows, key=lambda r: r.id) == [
        CampaignRow(
            "c1",
            "Campaign 1",
            "RUNNING",
            "Successfully fetched 3 leads, enrichment in progress",
            None,
            "oa",
            "f.csv",
            3,
        ),
        CampaignRow(
            "c2",
            "Campaign 2",
            "PAUSED",
            "Campaign paused: Service openai unavailable: x",
            None,
            "oa",
            "f.csv",
            5,
        ),
    ]


def test_lead_and_job_rows(probe: DatabaseProbe) -> None:
    assert probe.leads(["c2"]) == [
        LeadRow("l4", "c2", "l4@example.test", "8"),
        LeadRow("l5", "c2", "L1@Example.test", None),
    ]
    assert probe.jobs(["c2"]) == [
        JobRow(6, "c2", "FETCH_LEADS", "FETCH_LEADS", "FAILED", None),
        JobRow(7, "c2", "FETCH_LEADS", "FETCH_LEADS", "PROCESSING", None),
        JobRow(8, "c2", "ENRICH_LEAD", "ENRICH_LEAD", "PAUSED", None),
    ]
    assert probe.leads([]) == []


def test_job_timings_read_type_status_and_both_timestamps(probe: DatabaseProbe, db_url: str) -> None:
    engine = sa.create_engine(engine_url(db_url))
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE jobs SET created_at = :created, completed_at = :completed WHERE id = 2"),
            {"created": datetime(2026, 1, 1, 12, 0, 0), "completed": datetime(2026, 1, 1, 12, 0, 3)},
        )
    engine.dispose()
    timings = probe.job_timings(["c1"])
    assert sorted((t.job_type, t.status) for t in timings) == [
        ("ENRICH_LEAD", "COMPLETED"),
        ("ENRICH_LEAD", "COMPLETED"),
        ("ENRICH_LEAD", "FAILED"),
        ("ENRICH_LEAD", "PAUSED"),
        ("FETCH_LEADS", "COMPLETED"),
    ]
    done = [t for t in timings if t.completed_at is not None]
    assert len(done) == 1 and done[0].created_at is not None and done[0].completed_at is not None
    assert (done[0].completed_at - done[0].created_at).total_seconds() == 3.0


def test_emails_in_several_campaigns(probe: DatabaseProbe) -> None:
    assert probe.emails_in_several_campaigns(RUN) == ["l1@example.test"]
    assert probe.emails_in_several_campaigns(["c1", "d1"]) == ["l2@example.test"]
    assert probe.emails_in_several_campaigns(["c1"]) == []


def test_completed_enrich_jobs_per_lead_finds_missing_enrichment(probe: DatabaseProbe) -> None:
    # l1's second job (PAUSED) and l3's (FAILED), l4's (PAUSED) do not count; l5 has none.
    assert probe.completed_enrich_jobs_per_lead(RUN) == {"l1": 1, "l2": 1, "l3": 0, "l4": 0, "l5": 0}
    assert probe.completed_enrich_jobs_per_lead(["d1"]) == {"m1": 1}


def test_lead_results_name_the_results_each_row_lacks(probe: DatabaseProbe, db_url: str) -> None:
    engine = sa.create_engine(engine_url(db_url))
    with engine.begin() as conn:
        # l1: all three; l2: a JSON null and an empty object are no result; l3 and l4: nothing stored.
        conn.execute(
            sa.text(
                "UPDATE leads SET email_verification = :v, enrichment_results = :e,"
                " instantly_lead_record = :r WHERE id = :id"
            ),
            [
                {"id": "l1", "v": '{"result": "ok"}', "e": '{"error": "x"}', "r": '{"id": "i1"}'},
                {"id": "l2", "v": '{"result": "ok"}', "e": "null", "r": "{}"},
            ],
        )
    engine.dispose()
    rows = {row.id: row for row in probe.lead_results(["c1", "c2"])}
    assert rows["l1"] == LeadResultRow("l1", "c1", "l1@example.test", "2", ())
    assert rows["l2"].missing == ("enrichment_results", "instantly_lead_record")
    assert rows["l3"].missing == ENRICHED_LEAD_FIELDS
    assert sorted(rows) == ["l1", "l2", "l3", "l4", "l5"]
    assert probe.lead_results([]) == []


# ------------------------------------------------------------------------------------------- cleanup


def test_delete_run_data_deletes_exactly_the_run(probe: DatabaseProbe, db_url: str) -> None:
    counts = probe.delete_run_data("ua", "oa", RUN)
    assert counts == {"jobs": 8, "leads": 5, "campaigns": 3, "organizations": 1, "users": 1}
    for table in ("jobs", "leads", "campaigns"):
        assert count(db_url, table, "campaign_id = 'd1'" if table != "campaigns" else "id = 'd1'") > 0
    assert (count(db_url, "jobs"), count(db_url, "leads"), count(db_url, "campaigns")) == (2, 1, 1)
    assert count(db_url, "organizations") == 1
    assert count(db_url, "organizations", "id = 'ob'") == 1
    assert count(db_url, "users") == 1
    assert count(db_url, "users", "id = 'ub'") == 1
    assert probe.delete_run_data("ua", "oa", RUN) == dict.fromkeys(counts, 0)


def test_delete_run_data_with_nothing_to_delete_touches_nothing(probe: DatabaseProbe, db_url: str) -> None:
    assert probe.delete_run_data(None, None, []) == dict.fromkeys(
        ("jobs", "leads", "campaigns", "organizations", "users"), 0
    )
    assert count(db_url, "jobs") == len(JOBS)


def test_delete_run_data_retries_after_a_concurrent_insert(probe: DatabaseProbe, db_url: str) -> None:
    # A worker inserts a job for a run campaign between our job and campaign deletes (first try only).
    inserted: list[bool] = []

    def insert_late_job(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not inserted and statement.lstrip().upper().startswith("DELETE FROM LEADS"):
            inserted.append(True)
            cursor.execute(
                "INSERT INTO jobs (id, campaign_id, name, job_type, status) "
                "VALUES (99, 'c1', 'ENRICH_LEAD', 'ENRICH_LEAD', 'PROCESSING')"
            )

    sa.event.listen(probe._engine, "before_cursor_execute", insert_late_job)
    try:
        counts = probe.delete_run_data("ua", "oa", RUN)
    finally:
        sa.event.remove(probe._engine, "before_cursor_execute", insert_late_job)
    assert inserted == [True]
    assert counts["campaigns"] == 3
    assert count(db_url, "campaigns") == 1


def test_delete_run_data_includes_unrecorded_campaigns_of_the_runs_organizations(
    probe: DatabaseProbe, db_url: str
) -> None:
    # Ctrl-C during a create: the campaign exists in the run's organization but its id was never recorded.
    counts = probe.delete_run_data("ua", "oa", ["c1"])
    assert (counts["campaigns"], counts["organizations"]) == (3, 1)
    assert count(db_url, "campaigns") == 1 and count(db_url, "campaigns", "id = 'd1'") == 1
    assert count(db_url, "organizations", "id = 'ob'") == 1  # another run's organization is untouched


def test_delete_run_data_gives_up_and_keeps_everything_when_the_fk_keeps_failing(
    probe: DatabaseProbe, db_url: str
) -> None:
    # A worker keeps inserting jobs for a run campaign during every attempt: the campaign can never go.
    def insert_job_every_time(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE FROM LEADS"):
            cursor.execute(
                "INSERT INTO jobs (campaign_id, name, job_type, status) "
                "VALUES ('c1', 'ENRICH_LEAD', 'ENRICH_LEAD', 'PROCESSING')"
            )

    sa.event.listen(probe._engine, "before_cursor_execute", insert_job_every_time)
    try:
        with pytest.raises(DatabaseUnavailableError, match=r"cleanup \(5 attempts\) failed"):
            probe.delete_run_data("ua", "oa", RUN)
    finally:
        sa.event.remove(probe._engine, "before_cursor_execute", insert_job_every_time)
    assert count(db_url, "jobs") == len(JOBS)  # one transaction: nothing half-deleted
    assert count(db_url, "campaigns") == len(CAMPAIGNS)


def stamped_rows(url: str) -> None:
    """Rows whose ids the run never saw (their answers were lost): found by the run's stamp "run-7"."""
    engine = sa.create_engine(engine_url(url))
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO organizations (id, name) VALUES ('oz', 'run-7 happy path')"))
        conn.execute(sa.text("INSERT INTO organizations (id, name) VALUES ('oy', 'run-77 happy path')"))
        conn.execute(
            sa.text(
                "INSERT INTO users (id, email, name, password, failed_attempts)"
                " VALUES ('uz', 'run-7@hellacooltestingdomain.pizza', '', :pw, 0)"
            ),
            {"pw": b"$2b$hash"},
        )
        for cid, name, org in (("cz", "run-7 campaign 1 of 1", "ob"), ("cy", "run-77 campaign 1 of 1", "oy")):
            conn.execute(
                sa.text(
                    "INSERT INTO campaigns (id, name, status, organization_id,"
                    ' "fileName", "totalRecords", url)'
                    " VALUES (:id, :name, 'CREATED', :org, 'f.csv', 1, 'u')"
                ),
                {"id": cid, "name": name, "org": org},
            )
    engine.dispose()


def test_delete_run_data_finds_rows_by_the_runs_stamp_and_nothing_else(
    probe: DatabaseProbe, db_url: str
) -> None:
    stamped_rows(db_url)
    stamp = {"user_email": "run-7@hellacooltestingdomain.pizza", "name_stamp": "run-7"}
    assert probe.run_rows(None, [], [], **stamp) == {
        "jobs": [],
        "leads": [],
        "campaigns": ["cz"],
        "organizations": ["oz"],
        "users": ["uz"],
    }
    counts = probe.delete_run_data(None, [], [], **stamp)
    assert (counts["users"], counts["organizations"], counts["campaigns"]) == (1, 1, 1)
    # "run-77" is another run (the stamp is the whole run id), and tenants A and B are untouched.
    assert count(db_url, "organizations", "id = 'oy'") == 1
    assert count(db_url, "campaigns", "id = 'cy'") == 1
    assert count(db_url, "campaigns") == len(CAMPAIGNS) + 1
    assert count(db_url, "users") == len(USERS)


def test_delete_run_data_retries_while_the_database_is_locked(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'locked.db'}"
    fill(url)
    monkeypatch.setattr(database, "CONNECT_TIMEOUT_S", 0.05)  # give up on the lock at once, then retry
    locked = probe_of(url)
    holder = sqlite3.connect(tmp_path / "locked.db", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock for a moment
    release = threading.Timer(0.5, holder.rollback)
    release.start()
    try:
        counts = locked.delete_run_data("ua", "oa", RUN)
    finally:
        release.join()
        holder.close()
        locked.close()
    assert counts["campaigns"] == 3
    assert locked.cleanup_retries and "database is locked" in locked.cleanup_retries[0]
    assert count(url, "campaigns") == 1


def probe_of(url: str) -> DatabaseProbe:
    return DatabaseProbe(url)


# ------------------------------------------------------------------------------------------- failures


def test_unreachable_database_is_one_line_without_the_password() -> None:
    probe = DatabaseProbe("postgresql://suite:hunter2secret@127.0.0.1:1/platform")
    with pytest.raises(DatabaseUnavailableError) as caught:
        probe.ping()
    probe.close()
    text = str(caught.value)
    assert "hunter2secret" not in text
    assert "\n" not in text
    assert text.startswith("database postgresql+psycopg://suite:***@127.0.0.1:1/platform: ping failed: ")
    assert "hunter2secret" not in repr(probe)


def test_database_without_the_platform_tables_fails_ping(tmp_path: Any) -> None:
    probe = DatabaseProbe(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(DatabaseUnavailableError, match="ping failed: no such table: organizations"):
        probe.ping()
    probe.close()


def test_plain_postgresql_urls_get_the_psycopg_driver() -> None:
    assert engine_url("postgresql://u:p@h/db").drivername == "postgresql+psycopg"
    assert engine_url("postgres://u:p@h/db").drivername == "postgresql+psycopg"
    assert engine_url("sqlite:///x.db").drivername == "sqlite"
