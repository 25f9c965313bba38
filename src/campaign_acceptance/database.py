"""Read-only probe of the platform's database (SQLAlchemy Core), plus the exact-by-id cleanup of one run.

The tables are declared here with the platform's exact names (contract §6), not reflected: the probe needs a
handful of columns and must not depend on the migrations' extras. Status and type columns are native enums on
PostgreSQL and plain text on SQLite, so every comparison casts the column to VARCHAR first: the same SQL then
works on both, and psycopg never has to guess an enum type for a bound string.

Failures to reach or query the database raise ``DatabaseUnavailableError`` with one line and no password.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
import tenacity
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError

from campaign_acceptance.capacity import JobTiming
from campaign_acceptance.errors import DatabaseUnavailableError
from campaign_acceptance.model import ENRICHED_LEAD_FIELDS, Progress
from campaign_common.redaction import redact, redact_url

__all__ = ["CampaignRow", "DatabaseProbe", "JobRow", "LeadResultRow", "LeadRow", "engine_url"]

T = TypeVar("T")

CONNECT_TIMEOUT_S = 5
DELETE_ATTEMPTS = 5
DELETE_BACKOFF_S = 0.2  # doubles per attempt, capped: the retries add at most ~4 s
DELETE_BACKOFF_MAX_S = 2.0
ENRICH_LEAD, FETCH_LEADS = "ENRICH_LEAD", "FETCH_LEADS"
ENRICH_DESCRIPTION_PREFIX = "Enrich lead "  # the platform names each ENRICH_LEAD job after its lead's email

_text = sa.String()

organizations = sa.table("organizations", sa.column("id", _text), sa.column("name", _text))
campaigns = sa.table(
    "campaigns",
    sa.column("id", _text),
    sa.column("name", _text),
    sa.column("status", _text),
    sa.column("status_message", _text),
    sa.column("status_error", _text),
    sa.column("organization_id", _text),
    sa.column("fileName", _text),  # camelCase: SQLAlchemy quotes it
    sa.column("totalRecords", sa.Integer()),
    sa.column("created_at", sa.DateTime()),
)
leads = sa.table(
    "leads",
    sa.column("id", _text),
    sa.column("campaign_id", _text),
    sa.column("email", _text),
    sa.column("enrichment_job_id", _text),
    # json on PostgreSQL, text on SQLite: only ever read cast to text (json has no = operator).
    *(sa.column(name, _text) for name in ENRICHED_LEAD_FIELDS),
)
jobs = sa.table(
    "jobs",
    sa.column("id", sa.Integer()),
    sa.column("name", _text),
    sa.column("description", _text),
    sa.column("job_type", _text),
    sa.column("status", _text),
    sa.column("campaign_id", _text),
    sa.column("error", _text),
    sa.column("created_at", sa.DateTime()),
    sa.column("completed_at", sa.DateTime()),
)
users = sa.table("users", sa.column("id", _text), sa.column("email", _text))
TABLES = (organizations, campaigns, leads, jobs, users)


def _str(column: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    """An enum (PostgreSQL) or text (SQLite) column as VARCHAR, comparable with a string literal."""
    return sa.cast(column, sa.String())


@dataclass(frozen=True)
class CampaignRow:
    id: str
    name: str
    status: str
    status_message: str | None
    status_error: str | None
    organization_id: str
    file_name: str
    total_records: int


@dataclass(frozen=True)
class LeadRow:
    id: str
    campaign_id: str
    email: str | None
    enrichment_job_id: str | None


@dataclass(frozen=True)
class LeadResultRow:
    """A lead and the ENRICHED_LEAD_FIELDS its row does not hold (SQL NULL, JSON null or an empty object)."""

    id: str
    campaign_id: str
    email: str | None
    enrichment_job_id: str | None
    missing: tuple[str, ...]


@dataclass(frozen=True)
class JobRow:
    id: int
    campaign_id: str | None
    name: str
    job_type: str
    status: str
    error: str | None


def _sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def engine_url(url: str) -> sa.URL:
    """The SQLAlchemy URL to open: plain ``postgresql://`` (or ``postgres://``) gets the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


@functools.cache
def _progress_query() -> sa.Select[Any]:
    """The progress query, built once: the campaigns are one expanding parameter (``ids``), so a cycle at
    1,000 campaigns neither rebuilds it nor coerces 3,000 literals."""
    ids: sa.BindParameter[list[str]] = sa.bindparam("ids", expanding=True)
    lead_counts = (
        sa.select(leads.c.campaign_id, sa.func.count().label("n"))
        .where(leads.c.campaign_id.in_(ids))
        .group_by(leads.c.campaign_id)
        .subquery("lead_counts")
    )
    status = _str(jobs.c.status)

    def count_status(value: str) -> sa.ColumnElement[Any]:
        return sa.func.coalesce(sa.func.sum(sa.case((status == value, 1), else_=0)), 0)

    enrich = (
        sa.select(
            jobs.c.campaign_id,
            sa.func.count().label("total"),
            count_status("COMPLETED").label("completed"),
            count_status("FAILED").label("failed"),
            count_status("PAUSED").label("paused"),
            count_status("PENDING").label("pending"),
            count_status("PROCESSING").label("processing"),
        )
        .where(jobs.c.campaign_id.in_(ids), _str(jobs.c.job_type) == ENRICH_LEAD)
        .group_by(jobs.c.campaign_id)
        .subquery("enrich")
    )
    fetch_status = (
        sa.select(status)
        .where(jobs.c.campaign_id == campaigns.c.id, _str(jobs.c.job_type) == FETCH_LEADS)
        .order_by(jobs.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        sa.select(
            campaigns.c.id,
            sa.func.coalesce(lead_counts.c.n, 0),
            fetch_status,
            sa.func.coalesce(enrich.c.total, 0),
            sa.func.coalesce(enrich.c.completed, 0),
            sa.func.coalesce(enrich.c.failed, 0),
            sa.func.coalesce(enrich.c.paused, 0),
            sa.func.coalesce(enrich.c.pending, 0),
            sa.func.coalesce(enrich.c.processing, 0),
        )
        .select_from(campaigns)
        .outerjoin(lead_counts, lead_counts.c.campaign_id == campaigns.c.id)
        .outerjoin(enrich, enrich.c.campaign_id == campaigns.c.id)
        .where(campaigns.c.id.in_(ids))
    )


class DatabaseProbe:
    """Explicit SELECTs against the platform's tables; ``delete_run_data`` is the only write."""

    def __init__(self, url: str) -> None:
        self._url = engine_url(url)
        self._shown = redact_url(self._url.render_as_string(hide_password=False))
        self._password = self._url.password
        options: dict[str, Any] = {"pool_pre_ping": True}
        if self._url.get_backend_name() == "sqlite":
            options["connect_args"] = {"timeout": CONNECT_TIMEOUT_S}  # seconds to wait for a writer's lock
        else:
            options.update(pool_size=2, max_overflow=2, connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
        self._engine: Engine = sa.create_engine(self._url, **options)
        self.cleanup_retries: list[str] = []  # transient errors the last cleanup retried after
        if self._url.get_backend_name() == "sqlite":
            # SQLite checks foreign keys only when asked (per connection); PostgreSQL always does.
            sa.event.listen(self._engine, "connect", _sqlite_foreign_keys)

    def __repr__(self) -> str:
        return f"DatabaseProbe({self._shown!r})"

    def close(self) -> None:
        self._engine.dispose()

    # -- plumbing ----------------------------------------------------------------------------------------

    def _fail(self, what: str, exc: BaseException) -> DatabaseUnavailableError:
        detail = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        line = " ".join(str(detail).split()) or type(detail).__name__
        known = [str(self._password)] if self._password else []
        return DatabaseUnavailableError(f"database {self._shown}: {what} failed: {redact(line, known)[:300]}")

    @contextmanager
    def _connection(self, what: str) -> Iterator[Connection]:
        try:
            with self._engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise self._fail(what, exc) from None

    def _read(self, what: str, query: Callable[[Connection], T]) -> T:
        with self._connection(what) as conn:
            return query(conn)

    # -- reads -------------------------------------------------------------------------------------------

    def ping(self) -> None:
        """Connect and touch every table the probe reads; raise DatabaseUnavailableError otherwise."""
        with self._connection("ping") as conn:
            for table in TABLES:
                conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).all()

    def progress(self, campaign_ids: Sequence[str]) -> dict[str, Progress]:
        """Job progress of each campaign in ONE query; campaigns missing from the database are absent."""
        if not campaign_ids:
            return {}
        ids = list(campaign_ids)
        query = _progress_query()
        rows = self._read("progress query", lambda conn: conn.execute(query, {"ids": ids}).all())
        return {
            row[0]: Progress(
                row[0],
                int(row[1]),
                row[2],
                int(row[3]),
                int(row[4]),
                int(row[5]),
                int(row[6]),
                jobs_pending=int(row[7]) + (row[2] == "PENDING"),
                jobs_processing=int(row[8]) + (row[2] == "PROCESSING"),
            )
            for row in rows
        }

    def job_errors(self, campaign_ids: Sequence[str]) -> list[tuple[str, str, int]]:
        """(status, error, number of jobs) of the given campaigns' jobs that carry an error, in one query."""
        if not campaign_ids:
            return []
        c = jobs.c
        status = _str(c.status)
        query = (
            sa.select(status, c.error, sa.func.count())
            .where(c.campaign_id.in_(list(campaign_ids)), c.error.is_not(None))
            .group_by(status, c.error)
        )
        rows = self._read("job error query", lambda conn: conn.execute(query).all())
        return [(str(row[0]), str(row[1]), int(row[2])) for row in rows]

    def campaigns(self, ids: Sequence[str]) -> list[CampaignRow]:
        c = campaigns.c
        query = (
            sa.select(
                c.id,
                c.name,
                _str(c.status),
                c.status_message,
                c.status_error,
                c.organization_id,
                c.fileName,
                c.totalRecords,
            )
            .where(c.id.in_(list(ids)))
            .order_by(c.created_at, c.id)
        )
        rows = self._read("campaign query", lambda conn: conn.execute(query).all())
        return [CampaignRow(*row) for row in rows]

    def leads(self, campaign_ids: Sequence[str]) -> list[LeadRow]:
        """The leads of the given campaigns."""
        c = leads.c
        query = (
            sa.select(c.id, c.campaign_id, c.email, c.enrichment_job_id)
            .where(c.campaign_id.in_(list(campaign_ids)))
            .order_by(c.campaign_id, c.id)
        )
        rows = self._read("lead query", lambda conn: conn.execute(query).all())
        return [LeadRow(*row) for row in rows]

    def lead_results(self, campaign_ids: Sequence[str]) -> list[LeadResultRow]:
        """The leads of the given campaigns with the enrichment results each row lacks, in one query."""
        c = leads.c

        def held(name: str) -> sa.ColumnElement[Any]:
            column = c[name]
            empty = sa.or_(column.is_(None), sa.cast(column, sa.String()).in_(["null", "{}", ""]))
            return sa.case((empty, 0), else_=1)

        query = (
            sa.select(
                c.id, c.campaign_id, c.email, c.enrichment_job_id, *(held(n) for n in ENRICHED_LEAD_FIELDS)
            )
            .where(c.campaign_id.in_(list(campaign_ids)))
            .order_by(c.campaign_id, c.id)
        )
        rows = self._read("lead result query", lambda conn: conn.execute(query).all())
        return [
            LeadResultRow(
                row[0],
                row[1],
                row[2],
                row[3],
                tuple(name for name, has in zip(ENRICHED_LEAD_FIELDS, row[4:], strict=True) if not has),
            )
            for row in rows
        ]

    def jobs(self, campaign_ids: Sequence[str]) -> list[JobRow]:
        """The jobs of the given campaigns."""
        c = jobs.c
        query = (
            sa.select(c.id, c.campaign_id, c.name, _str(c.job_type), _str(c.status), c.error)
            .where(c.campaign_id.in_(list(campaign_ids)))
            .order_by(c.id)
        )
        rows = self._read("job query", lambda conn: conn.execute(query).all())
        return [JobRow(*row) for row in rows]

    def job_timings(self, campaign_ids: Sequence[str]) -> list[JobTiming]:
        """Type, status and created/completed timestamps of every job of the campaigns (one query)."""
        c = jobs.c
        query = sa.select(_str(c.job_type), _str(c.status), c.created_at, c.completed_at).where(
            c.campaign_id.in_(list(campaign_ids))
        )
        rows = self._read("job timing query", lambda conn: conn.execute(query).all())
        return [JobTiming(*row) for row in rows]

    def emails_in_several_campaigns(self, campaign_ids: Sequence[str]) -> list[str]:
        """Emails (compared lower-cased) that leads of more than one of the given campaigns share."""
        email = sa.func.lower(leads.c.email)
        query = (
            sa.select(email)
            .where(leads.c.campaign_id.in_(list(campaign_ids)), leads.c.email.is_not(None))
            .group_by(email)
            .having(sa.func.count(sa.distinct(leads.c.campaign_id)) > 1)
            .order_by(email)
        )
        return self._read("shared email query", lambda conn: list(conn.execute(query).scalars()))

    def enrich_jobs_per_lead(self, campaign_ids: Sequence[str]) -> dict[str, int]:
        """For each lead of the campaigns, how many ENRICH_LEAD jobs are that lead's (0 for none)."""
        return self._jobs_per_lead(campaign_ids, completed_only=False)

    def completed_enrich_jobs_per_lead(self, campaign_ids: Sequence[str]) -> dict[str, int]:
        """Like enrich_jobs_per_lead, counting only COMPLETED jobs."""
        return self._jobs_per_lead(campaign_ids, completed_only=True)

    def _jobs_per_lead(self, campaign_ids: Sequence[str], *, completed_only: bool) -> dict[str, int]:
        # A job is the lead's when the lead points at it (enrichment_job_id is varchar, jobs.id integer:
        # cast the integer side) or when it is named after the lead's email in the same campaign; the second
        # link is what reveals a lead enriched twice, since enrichment_job_id only keeps the last job.
        belongs = sa.or_(
            sa.cast(jobs.c.id, sa.String()) == leads.c.enrichment_job_id,
            jobs.c.description == sa.literal(ENRICH_DESCRIPTION_PREFIX, sa.String()) + leads.c.email,
        )
        on = [jobs.c.campaign_id == leads.c.campaign_id, _str(jobs.c.job_type) == ENRICH_LEAD, belongs]
        if completed_only:
            on.append(_str(jobs.c.status) == "COMPLETED")
        query = (
            sa.select(leads.c.id, sa.func.count(sa.distinct(jobs.c.id)))
            .select_from(leads)
            .outerjoin(jobs, sa.and_(*on))
            .where(leads.c.campaign_id.in_(list(campaign_ids)))
            .group_by(leads.c.id)
        )
        rows = self._read("jobs-per-lead query", lambda conn: conn.execute(query).all())
        return {lead_id: int(n) for lead_id, n in rows}

    # -- the one write -----------------------------------------------------------------------------------

    def _run_selection(
        self,
        user_id: str | None,
        organization_ids: str | Sequence[str] | None,
        campaign_ids: Sequence[str],
        user_email: str | None,
        name_stamp: str | None,
    ) -> tuple[Any, Any, Any]:
        """WHERE clauses for the run's users, organizations and campaigns: by the ids it recorded, and by its
        stamp (exact email; names that start with the run id and a space, as the suite names them)."""
        org_ids = [organization_ids] if isinstance(organization_ids, str) else list(organization_ids or ())
        of_user = [users.c.id == user_id] if user_id is not None else []
        if user_email:
            of_user.append(users.c.email == user_email)
        of_org = [organizations.c.id.in_(org_ids)] if org_ids else []
        of_campaign = [campaigns.c.id.in_(list(campaign_ids))]
        if name_stamp:
            # Run ids are lowercase letters, digits and dashes: no LIKE wildcard can hide in them.
            of_org.append(organizations.c.name.like(f"{name_stamp} %"))
            of_campaign.append(campaigns.c.name.like(f"{name_stamp} %"))
        org_where = sa.or_(*of_org) if of_org else sa.false()
        run_orgs = sa.select(organizations.c.id).where(org_where).scalar_subquery()
        # The run's campaigns are the ones it recorded plus any in its own organizations: a campaign whose
        # creation was interrupted (Ctrl-C) exists there although the run never saw its id.
        of_campaign.append(campaigns.c.organization_id.in_(run_orgs))
        user_where = sa.or_(*of_user) if of_user else sa.false()
        return user_where, org_where, sa.or_(*of_campaign)

    def run_rows(
        self,
        user_id: str | None,
        organization_ids: str | Sequence[str] | None,
        campaign_ids: Sequence[str],
        *,
        user_email: str | None = None,
        name_stamp: str | None = None,
    ) -> dict[str, list[str]]:
        """The ids of the run's rows still in the database, by table (what cleanup would delete)."""
        user_where, org_where, campaign_where = self._run_selection(
            user_id, organization_ids, campaign_ids, user_email, name_stamp
        )
        run_campaigns = sa.select(campaigns.c.id).where(campaign_where).scalar_subquery()

        def query(conn: Connection) -> dict[str, list[str]]:
            ids = {
                "jobs": sa.select(jobs.c.id).where(jobs.c.campaign_id.in_(run_campaigns)),
                "leads": sa.select(leads.c.id).where(leads.c.campaign_id.in_(run_campaigns)),
                "campaigns": sa.select(campaigns.c.id).where(campaign_where),
                "organizations": sa.select(organizations.c.id).where(org_where),
                "users": sa.select(users.c.id).where(user_where),
            }
            return {table: sorted(str(v) for v in conn.execute(q).scalars()) for table, q in ids.items()}

        return self._read("reading the run's rows", query)

    def delete_run_data(
        self,
        user_id: str | None,
        organization_ids: str | Sequence[str] | None,
        campaign_ids: Sequence[str],
        *,
        user_email: str | None = None,
        name_stamp: str | None = None,
    ) -> dict[str, int]:
        """Delete exactly the run's rows in foreign-key order, in one transaction; return the counts.

        The run's rows: its user (by id or its exact email), its organizations (by id or a name starting with
        the run's stamp), the campaigns it recorded, named with its stamp or in those organizations, and their
        leads and jobs. Nothing else, and never a whole table.

        Transient errors are retried a bounded number of times with backoff: a worker inserting a job or
        lead for one of the campaigns (the foreign key fails the transaction), "database is locked", a
        serialization failure or deadlock (OperationalError). Each retry is kept in ``cleanup_retries``.
        """
        user_where, org_where, campaign_where = self._run_selection(
            user_id, organization_ids, campaign_ids, user_email, name_stamp
        )
        run_campaigns = sa.select(campaigns.c.id).where(campaign_where).scalar_subquery()
        steps: list[tuple[str, sa.Delete]] = [
            ("jobs", sa.delete(jobs).where(jobs.c.campaign_id.in_(run_campaigns))),
            ("leads", sa.delete(leads).where(leads.c.campaign_id.in_(run_campaigns))),
            ("campaigns", sa.delete(campaigns).where(campaign_where)),
            ("organizations", sa.delete(organizations).where(org_where)),
            ("users", sa.delete(users).where(user_where)),
        ]
        counts = {name: 0 for name in ("jobs", "leads", "campaigns", "organizations", "users")}
        self.cleanup_retries = []

        def delete_all() -> dict[str, int]:
            with self._engine.begin() as conn:
                for name, statement in steps:
                    counts[name] = conn.execute(statement).rowcount
            return counts

        def note_retry(state: tenacity.RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome is not None else None
            if isinstance(error, BaseException):
                self.cleanup_retries.append(f"attempt {state.attempt_number}: {self._fail('cleanup', error)}")

        # Let a concurrent insert commit (then delete it too) or a lock go away: 0.2 s doubling, at most 2 s.
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(DELETE_ATTEMPTS),
            wait=tenacity.wait_exponential(multiplier=DELETE_BACKOFF_S, max=DELETE_BACKOFF_MAX_S),
            retry=tenacity.retry_if_exception_type((IntegrityError, OperationalError)),
            before_sleep=note_retry,
            reraise=True,
        )
        try:
            return retrying(delete_all)
        except (IntegrityError, OperationalError) as exc:
            raise self._fail(f"cleanup ({DELETE_ATTEMPTS} attempts)", exc) from None
        except SQLAlchemyError as exc:
            raise self._fail("cleanup", exc) from None
