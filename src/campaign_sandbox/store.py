"""Engine and sessions. SQLite by default (WAL, busy timeout), PostgreSQL by URL (psycopg 3).

All writes of this process go through one lock: on SQLite that is what keeps eight worker threads and the API
from ever seeing "database is locked", and on both databases it makes the few read-modify-write steps of the
lifecycle (claiming a job, completing a campaign) atomic without row locks.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session

from campaign_common.redaction import redact_url
from campaign_sandbox.models import Base


class StoreError(Exception):
    """The database URL is unusable (bad syntax, unknown driver, unreachable server)."""


def normalize_url(url: str) -> str:
    """Accept the platform's ``postgresql://`` form and use psycopg 3 for it."""
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Store:
    """Owns the engines; hands out read sessions and serialised write sessions."""

    def __init__(self, database_url: str | None) -> None:
        self._tempdir: Path | None = None
        if database_url is None:
            self._tempdir = Path(tempfile.mkdtemp(prefix="campaign-sandbox-"))
            database_url = f"sqlite:///{self._tempdir / 'sandbox.db'}"
        self.url = normalize_url(database_url)
        try:
            parsed = make_url(self.url)
        except ArgumentError as exc:
            raise StoreError(f"invalid database URL {database_url!r}") from exc
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self.write_lock = WriteLock()
        try:
            if self.is_sqlite:
                self.engine = self._sqlite_engine(immediate=False)
                self.write_engine = self._sqlite_engine(immediate=True)
            elif parsed.get_backend_name() == "postgresql":
                self.engine = create_engine(
                    self.url,
                    pool_size=12,
                    max_overflow=8,
                    pool_pre_ping=True,
                    connect_args={"connect_timeout": 5},
                )
                self.write_engine = self.engine
            else:
                raise StoreError(
                    f"unsupported database {parsed.get_backend_name()!r} (use sqlite or postgresql)"
                )
        except (NoSuchModuleError, ArgumentError) as exc:
            raise StoreError(f"unusable database URL {database_url!r}: {exc}") from exc

    def _sqlite_engine(self, *, immediate: bool) -> Engine:
        engine = create_engine(
            self.url, connect_args={"timeout": 30, "check_same_thread": False}, pool_size=10, max_overflow=10
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Driver-level autocommit so that the BEGIN below is the only transaction control.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            # Writers take the write lock up front, so a reader never has to upgrade (the upgrade is what
            # fails with "database is locked" regardless of the busy timeout).
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    def create_all(self) -> None:
        try:
            Base.metadata.create_all(self.write_engine)
            inspect(self.engine).get_table_names()
        except Exception as exc:
            raise StoreError(f"cannot open database {self.redacted_url}: {_one_line(exc)}") from exc

    @property
    def redacted_url(self) -> str:
        return redact_url(self.plain_url)

    @property
    def plain_url(self) -> str:
        """The URL with its password, for a probe in another thread or process."""
        return make_url(self.url).render_as_string(hide_password=False)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A serialised write transaction, committed on success and rolled back on error."""
        with self.write_lock, Session(self.write_engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()
        if self.write_engine is not self.engine:
            self.write_engine.dispose()
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None


class WriteLock:
    """Serialises write transactions; any thread may release it.

    Not an RLock: FastAPI runs a sync generator dependency's set-up and tear-down as separate thread-pool
    calls, so the request that took the lock may release it on another thread (an RLock then raises and
    stays held for good). Writes never nest, so re-entrancy is not needed; a wait past the timeout is an
    error instead of a silent hang.
    """

    TIMEOUT_S = 60.0

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        if not self._lock.acquire(timeout=self.TIMEOUT_S):
            raise StoreError(f"no write slot within {self.TIMEOUT_S:g} s")

    def __exit__(self, *exc_info: object) -> None:
        self._lock.release()


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
