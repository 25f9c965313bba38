"""In-flight awareness: one deadline-bound polling loop that watches the run's campaigns and the breakers.

Every cycle reads the breakers, the run's campaign statuses and job progress (one `Observation`, at most
3 requests whatever the number of campaigns; without a database job progress is read in turns, see
`_JobTurns`).
A campaign of the run turning PAUSED, or any breaker that is not closed, raises `ServiceFailure` in that
very cycle unless the pause is what the wait expects (`wait_for_pause`). Nothing of the run changing for
`stall_s` while the wait is not over is a `ProgressFailure` naming what is stuck (a fetch PENDING, jobs
PROCESSING, PENDING or PAUSED, leads with no job) and for how long; a breaker closed past its threshold is one
too (docs/judging.md). A deadline, the last resort for work that moves but slowly, raises `DeadlineExceeded`
with what moved and how fast, per-campaign progress and each campaign's state timeline.

The interval adapts: it starts at `poll_interval_s`, grows x1.5 while nothing changes, is capped at
`max_interval_s`, drops back to the minimum as soon as anything changes, and never sleeps past the deadline.
A pause must be noticed within `notice_within_s` (NOTICE_WITHIN_S, 0.5 s): a pause that lands just after a
cycle read the campaigns is seen by the next cycle's reads, up to one sleep and two cycles later, so the
sleep is also capped at that budget minus twice what the last cycle took (and a little slack), whatever
`max_interval_s` says.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

import tenacity

from campaign_acceptance.client import ORG_CAMPAIGNS_LIMIT
from campaign_acceptance.errors import (
    ApiError,
    DeadlineExceeded,
    PlatformStoppedAnswering,
    ProgressFailure,
    ServiceFailure,
    SuiteError,
)
from campaign_acceptance.model import (
    RATE_LIMIT_TEXT,
    SERVICES,
    BreakerReport,
    BreakerState,
    CampaignSnapshot,
    Observation,
    Progress,
)
from campaign_common.waiting import Backoff, Clock, Deadline, RealClock, wait_until

__all__ = [
    "ApiDbSource",
    "Clock",
    "JobErrorSource",
    "Monitor",
    "ObservationSource",
    "PlatformReader",
    "ProgressProbe",
    "ProgressSink",
    "ReadErrors",
    "RealClock",
    "breaker_report",
    "describe_breakers",
    "failure_report",
    "progress_from_jobs",
    "read_job_errors",
    "render_state_text",
    "scenario_seconds",
    "snapshot_from_api",
    "summarize_job_errors",
]

T = TypeVar("T")

POLL_ERRORS_TOLERATED = 3  # consecutive bad answers to a poll read before the platform counts as gone
# The pause budget (p95), with or without a database; the pacing keeps NOTICE_SLACK_S of it for the pause's
# own answer and thread scheduling, and never sleeps less than MIN_SLEEP_S (no back-to-back polling).
NOTICE_WITHIN_S = 0.5
NOTICE_SLACK_S = 0.05
MIN_SLEEP_S = 0.05
# Without a database: every this-many-th turn of the job reads goes to the campaign read longest ago, even a
# settled one (see _JobTurns); a report reads this many campaigns' jobs afresh for its job errors.
OLDEST_TURN_EVERY = 4
FRESH_ERROR_READS = 2
# A breaker open while the campaigns stay RUNNING is a product failure once it has lasted this many cycles
# and this long: the platform pauses campaigns milliseconds after the trip (contract §5.2) or not at all.
STAYED_RUNNING_CYCLES = 3
STAYED_RUNNING_S = 2.0
MAX_JOB_ERRORS = 8  # distinct job error texts a report lists
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(\.[\w-]+)+\b")
MAX_ERROR_TEXT = 300
SHOWN = 10  # items a stall or deadline message names before "... and N more"

TimelineEntry = tuple[float, str, str | None]
MAX_MARKERS = 50  # marked moments in the report's picture


def _listing(items: Sequence[str]) -> str:
    shown = ", ".join(items[:SHOWN])
    return shown if len(items) <= SHOWN else f"{shown} ... and {len(items) - SHOWN} more"


def _table_phase(phase: str) -> str:
    # The pause wait's deadline shows enrichment progress (what the campaigns were doing meanwhile).
    return "fetch" if phase == "fetch" else "enrichment"


# --------------------------------------------------------------------------------------------------
# Bad answers to poll reads
# --------------------------------------------------------------------------------------------------
class ReadErrors:
    """A long run must not be lost to one bad answer: a poll read (an idempotent GET) that fails (5xx, a
    body that is not what the platform sends, no answer in time) is tried again after an interval, up to
    `limit` times in a row, each time with a warning naming method, path and status. One more in a row is
    `PlatformStoppedAnswering`. Shared by every wait of a run; writes never come through here."""

    def __init__(self, limit: int = POLL_ERRORS_TOLERATED) -> None:
        self.limit = limit
        self.warnings: list[str] = []
        self._streak: list[float] = []  # when each consecutive error happened

    def keep_reading(self, read: Callable[[], T], clock: Clock, interval_s: float) -> T:
        def count(state: tenacity.RetryCallState) -> None:  # raises once the streak is past the limit
            error = state.outcome.exception() if state.outcome is not None else None
            assert isinstance(error, ApiError)
            self._failed(error, clock.now())

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(ApiError),
            wait=tenacity.wait_fixed(interval_s),
            sleep=clock.sleep,
            before_sleep=count,
            reraise=True,
        )
        value = retrying(read)
        self._streak.clear()
        return value

    def _failed(self, error: ApiError, now: float) -> None:
        self._streak.append(now)
        path = urlsplit(error.url).path or error.url
        status = "no response" if error.status is None else str(error.status)
        count, span = len(self._streak), now - self._streak[0]
        if count > self.limit:
            raise PlatformStoppedAnswering(
                f"the platform stopped answering {path} ({count} errors over {span:.1f} s); last: "
                f"{error.method} -> {status}: {error.body}"
            )
        self.warnings.append(
            f"poll read {error.method} {path} -> {status}: {error.body} (bad answer {count} of "
            f"{self.limit} tolerated in a row)"
        )

    def take_warnings(self) -> list[str]:
        taken, self.warnings = self.warnings, []
        return taken


# --------------------------------------------------------------------------------------------------
# Sources of observations
# --------------------------------------------------------------------------------------------------
class ObservationSource(Protocol):
    def observe(self, campaign_ids: list[str]) -> Observation: ...


class ProgressSink(Protocol):
    """Told about every cycle (see progress.ConsoleProgress)."""

    def update(self, phase: str, observation: Observation) -> None: ...


class PlatformReader(Protocol):
    """The part of client.PlatformClient the monitor needs (typed here so tests can use fakes)."""

    def breakers(self) -> dict[str, BreakerState]: ...

    def organization_campaigns(self, organization_id: str, skip: int, limit: int) -> list[dict[str, Any]]: ...

    def jobs_page(self, campaign_id: str, page: int) -> dict[str, Any]: ...

    def list_jobs(self, campaign_id: str) -> list[dict[str, Any]]: ...


class ProgressProbe(Protocol):
    """The part of database.DatabaseProbe the monitor needs: job progress of many campaigns in one query."""

    def progress(self, campaign_ids: list[str]) -> dict[str, Progress]: ...

    def job_errors(self, campaign_ids: list[str]) -> list[tuple[str, str, int]]: ...


class JobErrorSource(Protocol):
    """A source that can also say why: (status, error, number of jobs) of jobs with an error."""

    def job_errors(self, campaign_ids: list[str]) -> list[tuple[str, str, int]]: ...


def snapshot_from_api(item: Mapping[str, Any]) -> CampaignSnapshot:
    """A campaign object of the API (CampaignResponse or to_dict form) as a snapshot."""
    return CampaignSnapshot(
        id=str(item.get("id", "")),
        name=str(item.get("name") or ""),
        status=str(item.get("status") or "UNKNOWN"),
        status_message=item.get("status_message") or None,
        total_records=int(item.get("totalRecords") or item.get("total_records") or 0),
    )


_FETCHED = re.compile(r"^Successfully fetched (\d+) leads\b")


def progress_from_jobs(campaign_id: str, jobs: Sequence[Mapping[str, Any]]) -> Progress:
    """Progress from the jobs endpoint: the fetch job's status, and one ENRICH_LEAD job per lead."""
    fetch = [j for j in jobs if j.get("job_type") == "FETCH_LEADS"]
    enrich = [j for j in jobs if j.get("job_type") == "ENRICH_LEAD"]
    fetch_status = str(fetch[-1].get("status")) if fetch else None
    statuses = [str(j.get("status")) for j in enrich]
    every = [str(j.get("status")) for j in jobs]
    # An ENRICH_LEAD job appears only once a worker takes the lead's task (contract 4.4): a lead still
    # queued has none. The fetch job's result says how many leads it saved (4.3 step 8).
    fetched = _FETCHED.match(str(fetch[-1].get("result") or "")) if fetch_status == "COMPLETED" else None
    return Progress(
        campaign_id=campaign_id,
        leads=max(len(enrich), int(fetched.group(1)) if fetched else 0),
        fetch_status=fetch_status,
        enrich_total=len(enrich),
        enrich_completed=statuses.count("COMPLETED"),
        enrich_failed=statuses.count("FAILED"),
        enrich_paused=statuses.count("PAUSED"),
        jobs_pending=every.count("PENDING"),
        jobs_processing=every.count("PROCESSING"),
    )


def _step_errors(error: str) -> list[str]:
    """A COMPLETED job's `error` is a JSON object of step errors (contract §4.4 step 8); others are text."""
    try:
        parsed = json.loads(error)
    except ValueError:
        return [error]
    if not isinstance(parsed, dict):
        return [error]
    return [f"{step}: {text}" for step, text in parsed.items() if text]


def summarize_job_errors(rows: Iterable[tuple[str, str, int]]) -> tuple[str, ...]:
    """Distinct error texts of (status, error, n) rows, paused/failed first, then most frequent, each
    with its job count: what the target shows about why a breaker opened."""
    counts: dict[tuple[int, str], int] = {}
    for status, error, n in rows:
        if not error or status not in ("PAUSED", "FAILED", "COMPLETED"):
            continue
        rank = 1 if status == "COMPLETED" else 0
        texts = _step_errors(error) if status == "COMPLETED" else [error]
        for text in texts:
            # Per-lead ids and addresses would make every text distinct: group on the rest.
            text = _EMAIL.sub("<email>", _UUID.sub("<id>", text.strip()))
            key = (rank, f"{status} {text[:MAX_ERROR_TEXT]}")
            counts[key] = counts.get(key, 0) + n
    ordered = sorted(counts.items(), key=lambda item: (item[0][0], -item[1], item[0][1]))
    shown = [f"{text} ({n} job{'s' if n != 1 else ''})" for (_, text), n in ordered[:MAX_JOB_ERRORS]]
    if len(ordered) > MAX_JOB_ERRORS:
        shown.append(f"... and {len(ordered) - MAX_JOB_ERRORS} more distinct errors")
    return tuple(shown)


def _error_rows(jobs: Iterable[Mapping[str, Any]]) -> list[tuple[str, str, int]]:
    return [(str(j.get("status")), str(j["error"]), 1) for j in jobs if j.get("error")]


def _settled(p: Progress) -> bool:
    """Nothing of the campaign's can change on its own: the fetch and every lead's job reached an end."""
    if p.jobs_pending or p.jobs_processing or p.enrich_paused:
        return False
    if p.fetch_status == "FAILED":
        return True
    return p.fetch_status == "COMPLETED" and p.leads > 0 and p.enrich_completed + p.enrich_failed >= p.leads


@dataclasses.dataclass
class _Partial:
    """A campaign whose jobs span several pages, read one page a turn."""

    campaign_id: str
    page: int
    jobs: dict[Any, Mapping[str, Any]]
    retried: bool = False


class _JobTurns:
    """Without a database, job progress is read in turns: one page (100 jobs) of one campaign per cycle, so
    a cycle costs 3 requests whatever the number of campaigns, and each campaign's last complete read is
    carried into the cycles between its reads.

    Whose turn it is: the campaign in the middle of a multi-page read; else one never read, or whose status
    or message changed since its read (its carried progress is dropped at once: after a pause or a resume it
    says nothing); else the one read longest ago among those not settled (`_settled`); every
    OLDEST_TURN_EVERY-th turn, the one read longest ago of all. So a campaign that finishes is read within
    about 4/3 x (campaigns not yet seen settled) cycles, and none goes unread for more than about 4 x N.
    """

    def __init__(self) -> None:
        self.turn = 0
        self.progress: dict[str, Progress] = {}
        self.errors: dict[str, list[tuple[str, str, int]]] = {}  # each campaign's job errors, as last read
        self.read_turn: dict[str, int] = {}
        self.listed: dict[str, tuple[str, str | None]] = {}  # status and message as last listed
        self.listed_at_read: dict[str, tuple[str, str | None] | None] = {}
        self.partial: _Partial | None = None

    def read(self, client: PlatformReader, ids: Sequence[str]) -> int:
        """Read this turn's page; returns the requests it took (0 or 1)."""
        if not ids:
            return 0
        self.turn += 1
        partial = self.partial if self.partial is not None and self.partial.campaign_id in ids else None
        if partial is None:
            oldest_turn = self.turn % OLDEST_TURN_EVERY == 0

            def rank(item: tuple[int, str]) -> tuple[int, int, int]:
                index, cid = item
                p = self.progress.get(cid)
                group = 0 if p is None else 1 if oldest_turn or not _settled(p) else 2
                return group, self.read_turn.get(cid, -1), index

            cid = min(enumerate(ids), key=rank)[1]
            partial = _Partial(cid, 1, {})
        self.partial = None
        if partial.page == 1:
            self.listed_at_read[partial.campaign_id] = self.listed.get(partial.campaign_id)
        data = client.jobs_page(partial.campaign_id, partial.page)
        chunk = [j for j in data.get("jobs") or [] if isinstance(j, Mapping)]
        for index, job in enumerate(chunk):
            partial.jobs[job.get("id", (partial.page, index))] = job
        pages, total = int(data.get("pages") or 1), int(data.get("total") or len(partial.jobs))
        if partial.page < pages:
            self.partial = dataclasses.replace(partial, page=partial.page + 1)
        elif pages > 1 and len(partial.jobs) < total and not partial.retried:
            # Pages read turns apart missed a job (no ORDER BY, rows moving): read it all again, once.
            self.partial = _Partial(partial.campaign_id, 1, {}, retried=True)
        else:
            self._finish(partial.campaign_id, list(partial.jobs.values()))
        return 1

    def _finish(self, cid: str, jobs: list[Mapping[str, Any]]) -> None:
        self.progress[cid] = progress_from_jobs(cid, jobs)
        self.errors[cid] = _error_rows(jobs)
        self.read_turn[cid] = self.turn

    def saw(self, campaigns: Mapping[str, CampaignSnapshot]) -> None:
        """The cycle's campaign list: drop the progress of campaigns that changed since it was read."""
        for cid, snap in campaigns.items():
            key = (snap.status, snap.status_message)
            self.listed[cid] = key
            if self.listed_at_read.get(cid, key) is None:
                self.listed_at_read[cid] = key  # read before the campaign was first listed, just now
            if self.listed_at_read.get(cid) != key:
                self.progress.pop(cid, None)
                if self.partial is not None and self.partial.campaign_id == cid:
                    self.partial = _Partial(cid, 1, {})

    def observed(self, ids: Sequence[str]) -> tuple[dict[str, Progress], frozenset[str]]:
        """Each campaign's last complete read, and those of them read in an earlier turn and not settled."""
        progress = {cid: self.progress[cid] for cid in ids if cid in self.progress}
        carried = frozenset(
            cid for cid, p in progress.items() if self.read_turn.get(cid) != self.turn and not _settled(p)
        )
        return progress, carried


class ApiDbSource:
    """Observes through the API (breakers, campaign statuses) and the database probe (job progress).

    Cost per cycle: 1 breaker request + 1 request for the organization's campaigns (up to 1,000 a request;
    one more per further 1,000 of the organization's campaigns not yet seen) + either 1 SQL query or, without
    a probe, 1 request for one page of one campaign's jobs (`_JobTurns`): 3 requests at 10 to 1,000 campaigns.
    The status reads come last in the cycle (campaigns, then breakers: the platform opens a breaker before
    it pauses the campaigns), so the verdict of a cycle rests on its freshest reads.
    """

    def __init__(self, client: PlatformReader, probe: ProgressProbe | None, organization_id: str) -> None:
        self.client = client
        self.probe = probe
        self.organization_id = organization_id
        self._turns = _JobTurns()

    def _requests_so_far(self) -> int | None:
        # Use the client's own counter when it keeps one; otherwise the counted estimate is used.
        count = getattr(self.client, "request_count", None)
        return count if isinstance(count, int) else None

    def _campaigns(self, wanted: set[str]) -> tuple[list[dict[str, Any]], int]:
        """The organization's campaigns, newest first, slice by slice until every wanted one was seen or a
        slice came back short (the run's campaigns are the newest of its organization)."""
        listed: list[dict[str, Any]] = []
        seen: set[str] = set()
        requests = 0
        while True:
            chunk = self.client.organization_campaigns(self.organization_id, len(listed), ORG_CAMPAIGNS_LIMIT)
            requests += 1
            new = {str(item.get("id")) for item in chunk} - seen
            listed += chunk
            seen |= new
            if len(chunk) < ORG_CAMPAIGNS_LIMIT or wanted <= seen or not new:
                return listed, requests

    def observe(self, campaign_ids: list[str]) -> Observation:
        before = self._requests_so_far()
        ids = list(dict.fromkeys(campaign_ids))
        estimate = 0
        if self.probe is not None:
            progress, carried = self.probe.progress(ids), frozenset[str]()
        else:
            estimate += self._turns.read(self.client, ids)
        listed, list_requests = self._campaigns(set(ids))
        breakers = self.client.breakers()
        estimate += list_requests + 1
        wanted = set(ids)
        campaigns = {
            snap.id: snap for snap in (snapshot_from_api(item) for item in listed) if snap.id in wanted
        }
        if self.probe is None:
            self._turns.saw(campaigns)
            progress, carried = self._turns.observed(ids)
        after = self._requests_so_far()
        used = after - before if before is not None and after is not None else estimate
        return Observation(
            at=0.0,
            breakers=breakers,
            campaigns=campaigns,
            progress=progress,
            requests=used,
            carried=carried,
        )

    def job_errors(self, campaign_ids: list[str]) -> list[tuple[str, str, int]]:
        """Only read when a report is made: one SQL query; without a database, the errors of each campaign's
        jobs as its turns last read them, with FRESH_ERROR_READS campaigns (paused ones first) read afresh so
        the report stays prompt at any size. A source that never observed (the health gate's) reads every
        campaign's jobs."""
        if self.probe is not None:
            return self.probe.job_errors(list(campaign_ids))
        ids = list(dict.fromkeys(campaign_ids))
        turns = self._turns
        fresh = set(ids)
        if turns.turn:
            paused = {cid for cid, key in turns.listed.items() if key[0] == "PAUSED"}
            order = sorted(ids, key=lambda c: (c not in paused, turns.read_turn.get(c, -1)))
            fresh = set(order[:FRESH_ERROR_READS])
        rows: list[tuple[str, str, int]] = []
        for cid in ids:
            rows += _error_rows(self.client.list_jobs(cid)) if cid in fresh else turns.errors.get(cid, [])
        return rows


# --------------------------------------------------------------------------------------------------
# Evidence
# --------------------------------------------------------------------------------------------------
def breaker_report(
    breakers: Mapping[str, BreakerState],
    paused_campaigns: Sequence[CampaignSnapshot] = (),
    detected_at: float | None = None,
    job_errors: Sequence[str] = (),
) -> BreakerReport:
    """The evidence of a service failure: non-closed breakers, all breakers, paused campaigns, when, and
    the job errors that say why."""
    not_closed = tuple(b for b in breakers.values() if not b.closed)
    paused = tuple(paused_campaigns)
    parts = [
        f"breaker {b.service} is {b.state} ({b.failure_count}/{b.failure_threshold} failures)"
        for b in not_closed
    ]
    if paused:
        noun = "campaign" if len(paused) == 1 else "campaigns"
        parts.append(f"{len(paused)} {noun} paused")
        if not not_closed and paused[0].status_message:
            parts.append(f"first: {paused[0].status_message}")
    report = BreakerReport(
        reason="",
        breakers=not_closed,
        paused_campaigns=paused,
        detected_at=detected_at,
        all_breakers=tuple(breakers.values()),
        job_errors=tuple(job_errors),
    )
    if report.rate_limited:
        # Not a third-party outage: the platform's own limiter (contract §7) counted its refusals as failures.
        evidence = next(
            (
                t
                for t in (*report.job_errors, *(c.status_message or "" for c in paused))
                if RATE_LIMIT_TEXT.search(t)
            ),
            "",
        )
        parts.append(f"opened by the platform's own rate limiter, not a third-party failure ({evidence})")
    elif job_errors:
        parts.append(f"job errors: {job_errors[0]}")
    reason = "; ".join(parts) or "no breaker open and no campaign paused"
    return dataclasses.replace(report, reason=reason)


def failure_report(
    breakers: Mapping[str, BreakerState], job_errors: Callable[[], Sequence[str]] | None = None
) -> BreakerReport | None:
    """The breaker report when any breaker is not closed, else None (the health gate's question);
    `job_errors` is only read when there is a report to make."""
    if all(b.closed for b in breakers.values()):
        return None
    return breaker_report(breakers, job_errors=job_errors() if job_errors else ())


def read_job_errors(source: object, campaign_ids: Sequence[str]) -> tuple[str, ...]:
    """The summarized job errors of the campaigns, if the source can read them; never raises."""
    reader = getattr(source, "job_errors", None)
    if reader is None or not campaign_ids:
        return ()
    try:
        return summarize_job_errors(reader(list(campaign_ids)))
    except SuiteError as error:  # the evidence is a bonus: never lose the verdict over it
        return (f"job errors unknown: {error}",)


def describe_breakers(breakers: Mapping[str, BreakerState]) -> str:
    not_closed = [b for b in breakers.values() if not b.closed]
    if not breakers:
        return "breakers unknown"
    if not not_closed:
        return "breakers all closed"
    return "breakers " + ", ".join(
        f"{b.service} {b.state.upper()} {b.failure_count}/{b.failure_threshold}" for b in not_closed
    )


# --------------------------------------------------------------------------------------------------
# The monitor
# --------------------------------------------------------------------------------------------------
class Monitor:
    """Deadline-bound waits over an ObservationSource; see the module docstring for the rules."""

    def __init__(
        self,
        source: ObservationSource,
        clock: Clock,
        poll_interval_s: float = 0.2,
        max_interval_s: float = 2.0,
        progress: ProgressSink | None = None,
        notice_within_s: float | None = NOTICE_WITHIN_S,
        read_errors: ReadErrors | None = None,
        stall_s: float | None = None,
        origin: float | None = None,
        origin_epoch: float | None = None,
    ) -> None:
        if poll_interval_s <= 0 or max_interval_s < poll_interval_s:
            raise ValueError("need 0 < poll_interval_s <= max_interval_s")
        self.source = source
        self.clock = clock
        self.poll_interval_s = poll_interval_s
        self.max_interval_s = max_interval_s
        self.progress = progress
        self.notice_within_s = notice_within_s
        # Enrichment with nothing processing and nothing changing for this long has stalled (None: never).
        self.stall_s = stall_s
        self.resumed_at: float | None = None  # set by note_resume(): stalls are then said to follow a resume
        # The scenario's clock: timeline, picture and messages say seconds since this moment (the scenario's
        # start when the caller knows it, else the monitor's making).
        self.origin = clock.now() if origin is None else origin
        # The same moment on the wall clock, when known: puts the platform's timestamps on that clock too.
        self.origin_epoch = origin_epoch
        self._wait_start: float | None = None  # the current wait's start, to put its times on that clock
        self.timeline: dict[str, list[TimelineEntry]] = {}
        self.cycles = 0
        self.requests = 0
        self.last: Observation | None = None
        self.sleeps: list[float] = []  # every interval slept, for the benchmark and the tests
        self.read_errors = read_errors or ReadErrors()
        # The report's picture: one sample per cycle (at, {id: (enriched, expected)}, {service: state not
        # closed}), campaign names, and marked moments (at, kind, label).
        self.samples: list[tuple[float, dict[str, tuple[int, int]], dict[str, str]]] = []
        self.names: dict[str, str] = {}
        self.markers: list[tuple[float, str, str]] = []
        self._not_closed: set[str] = set()
        # The current wait's first observation: how fast its work moved, for the deadline's text.
        self._wait_first: Observation | None = None
        self._past_threshold: set[str] = set()  # breakers seen closed past their threshold on the last read
        self._paused_for_nothing: set[str] = set()  # campaigns seen paused for no service on the last read
        self._progress_read: dict[str, float] = {}  # when each campaign's progress was last read (clock time)

    # -- one cycle -------------------------------------------------------------------------------------------
    def observe(
        self, campaign_ids: Sequence[str], phase: str = "observe", wait_start: float | None = None
    ) -> Observation:
        """One cycle: observe, stamp, record state changes, count, tell the progress sink."""
        raw = self.source.observe(list(campaign_ids))
        now = self.clock.now()
        start = self.origin if wait_start is None else wait_start
        for cid in raw.progress:
            if cid not in raw.carried or cid not in self._progress_read:
                self._progress_read[cid] = now
        obs = dataclasses.replace(
            raw,
            at=round(now - start, 3),
            progress_read_at={cid: round(self._progress_read[cid] - start, 3) for cid in raw.progress},
        )
        self._wait_start = wait_start
        self.cycles += 1
        self.requests += raw.requests
        at = round(now - self.origin, 3)
        for cid, snap in obs.campaigns.items():
            entries = self.timeline.setdefault(cid, [])
            if not entries or entries[-1][1:] != (snap.status, snap.status_message):
                entries.append((at, snap.status, snap.status_message))
        self._sample(obs, at)
        self.last = obs
        if self.progress is not None:
            self.progress.update(phase, obs)
        return obs

    # -- the generic loop ------------------------------------------------------------------------------------
    def _poll(
        self,
        campaign_ids: Sequence[str],
        deadline_s: float,
        phase: str,
        check: Callable[[Observation], T | None],
        on_deadline: Callable[[Observation, float], str],
    ) -> T:
        deadline = Deadline.after(deadline_s, self.clock)
        backoff = Backoff(self.poll_interval_s, self.max_interval_s)
        previous: tuple[Any, ...] | None = None
        seen: list[Observation] = []  # the last observation, for the deadline's evidence
        cycle_cost = 0.0
        self._wait_first = None

        def look() -> tuple[T] | None:
            nonlocal previous, cycle_cost
            cycle_start = self.clock.now()
            obs = self.read_errors.keep_reading(
                lambda: self.observe(campaign_ids, phase, wait_start=deadline.started),
                self.clock,
                self.poll_interval_s,
            )
            cycle_cost = self.clock.now() - cycle_start
            if self._wait_first is None:
                self._wait_first = obs
            self.check_breakers_agree(obs.breakers)
            self.check_campaigns_agree(obs, campaign_ids)
            result = check(obs)  # raises ServiceFailure / AssertionError, or says done
            if result is not None:
                return (result,)  # a tuple, so that a falsy result still ends the wait
            signature = _signature(obs)
            if previous is not None and signature != previous:
                backoff.reset()  # something moved: look again soon
            previous, seen[:] = signature, [obs]
            return None

        def pace() -> float:
            # A pause must be noticed within the budget, whatever the backoff says: one sleep and two
            # cycles at most pass between a pause just missed by a cycle's reads and its notice.
            if self.notice_within_s is None:
                return backoff.next()
            budget = self.notice_within_s - NOTICE_SLACK_S - 2 * cycle_cost
            return min(backoff.next(), max(min(MIN_SLEEP_S, self.poll_interval_s), budget))

        def timed_out(_: tuple[T] | None) -> DeadlineExceeded:
            self.mark("deadline", f"{phase} deadline ({deadline_s:g} s)", deadline.at - self.origin)
            obs = seen[-1]
            return DeadlineExceeded(
                on_deadline(obs, deadline.elapsed()), self.state_tables(obs, _table_phase(phase))
            )

        return wait_until(look, deadline, timed_out, next_interval=pace, on_sleep=self.sleeps.append)[0]

    def observe_once(self, campaign_ids: Sequence[str]) -> Observation:
        """One cycle outside any wait (counts, timeline and progress as usual)."""
        return self.read_errors.keep_reading(
            lambda: self.observe(campaign_ids, "observe"), self.clock, self.poll_interval_s
        )

    def wait_until(self, predicate: Callable[[], bool], deadline_s: float, describe: str) -> None:
        """Generic bounded poll of a condition the caller reads itself (no observation, no pause check).

        Same interval rules: a false answer counts as 'nothing changed', so the interval backs off.
        """
        deadline = Deadline.after(deadline_s, self.clock)
        # The pause budget caps the interval itself: the same pauses as capping each sleep.
        cap = self.max_interval_s
        if self.notice_within_s is not None:
            cap = min(cap, max(self.poll_interval_s, self.notice_within_s - NOTICE_SLACK_S))

        def timed_out(_: bool | None) -> DeadlineExceeded:
            self.mark("deadline", f"deadline: {describe} ({deadline_s:g} s)", deadline.at - self.origin)
            return DeadlineExceeded(
                f"{describe}: not reached within {deadline_s:.1f}s (waited {deadline.elapsed():.1f}s)"
            )

        wait_until(
            lambda: self.read_errors.keep_reading(predicate, self.clock, self.poll_interval_s),
            deadline,
            timed_out,
            interval_s=self.poll_interval_s,
            max_interval_s=cap,
            on_sleep=self.sleeps.append,
        )

    def agree_within_one_poll(self, disagreement: Callable[[], str | None]) -> None:
        """After an action of the suite the platform answered with success, what it reports agrees with that
        within one poll (`max_interval_s`): `disagreement` reads and says what does not agree (None: all
        agrees). Still disagreeing after one poll is a product failure, in its words, at once."""
        deadline = Deadline.after(self.max_interval_s, self.clock)
        said: list[str] = []

        def agrees() -> bool:
            text = self.read_errors.keep_reading(disagreement, self.clock, self.poll_interval_s)
            said[:] = [text] if text else []
            return text is None

        def disagrees(_: bool | None) -> ProgressFailure:
            waited = deadline.elapsed()
            return ProgressFailure(f"{said[0] if said else 'disagreement'} (after {waited:.1f} s, one poll)")

        wait_until(
            agrees,
            deadline,
            disagrees,
            interval_s=self.poll_interval_s,
            max_interval_s=self.max_interval_s,
            on_sleep=self.sleeps.append,
        )

    def check_breakers_agree(self, breakers: Mapping[str, BreakerState]) -> None:
        """A breaker reported closed with its failures at or past its threshold contradicts itself (contract
        §5.1: the threshold-th failure opens it). Seen on two reads in a row (not a read between the failure
        and the transition), that is a product failure at once."""
        past = {
            b.service: b
            for b in breakers.values()
            if b.closed and b.failure_threshold > 0 and b.failure_count >= b.failure_threshold
        }
        again = [b for service, b in past.items() if service in self._past_threshold]
        self._past_threshold = set(past)
        if again:
            raise ProgressFailure(
                "the breaker status contradicts itself: "
                + "; ".join(
                    f"{b.service} is closed with {b.failure_count}/{b.failure_threshold} failures, "
                    "at or past its threshold"
                    for b in again
                )
            )

    def check_campaigns_agree(self, obs: Observation, campaign_ids: Sequence[str]) -> bool:
        """The run's campaigns contradicting the platform's own rules, a product failure at once:

        - a campaign PAUSED with a message naming no service while every breaker is closed, on two reads in a
          row (not a read between a resume's breaker and its campaigns): the platform pauses a campaign only
          for a paused service or an open breaker, so this is no third-party failure to abort on.

        True when a campaign was seen paused for no service for the first time: read again to be sure."""
        unexplained = {
            c.id: c
            for c in obs.paused_campaigns()
            if c.id in campaign_ids and not any(s in (c.status_message or "").lower() for s in SERVICES)
        }
        if obs.open_breakers():
            unexplained = {}
        again = [c for cid, c in unexplained.items() if cid in self._paused_for_nothing]
        self._paused_for_nothing = set(unexplained)
        if again:
            raise ProgressFailure(
                "campaigns PAUSED with every breaker closed and no service named, though a campaign pauses "
                "only when a service is paused or its breaker opens: "
                + "; ".join(f"{self._name(obs, c.id)} ({c.status_message or 'no message'!r})" for c in again)
            )
        return bool(unexplained)

    def note_resume(self) -> None:
        """The scenario resumed work: a stall from now on is a resume that re-dispatched nothing."""
        self.resumed_at = self.clock.now()

    # -- evidence --------------------------------------------------------------------------------------------
    def report(self, obs: Observation, campaign_ids: Sequence[str]) -> BreakerReport:
        """The breaker report of an observation, with the campaigns' job errors where the source has them."""
        return breaker_report(
            obs.breakers,
            obs.paused_campaigns(),
            detected_at=self.scenario_s(obs),
            job_errors=self.job_errors(campaign_ids),
        )

    def scenario_s(self, obs: Observation) -> float:
        """An observation of the current wait on the scenario's clock (obs.at counts from the wait start)."""
        start = self.origin if self._wait_start is None else self._wait_start
        return round(obs.at + start - self.origin, 3)

    def job_errors(self, campaign_ids: Sequence[str]) -> tuple[str, ...]:
        return read_job_errors(self.source, campaign_ids)

    # -- the waits -------------------------------------------------------------------------------------------
    def _raise_on_service_failure(self, obs: Observation, campaign_ids: Sequence[str] = ()) -> None:
        # A campaign paused for no service is no service failure: check_campaigns_agree reads it again.
        paused = [c for c in obs.paused_campaigns() if c.id not in self._paused_for_nothing]
        opened = obs.open_breakers()
        if opened and not paused and campaign_ids:
            # The platform opens a breaker, then pauses its campaigns (two writes; a cycle reads the campaigns
            # first): one more look at once, so the report lists the campaigns the trip paused.
            obs = self.observe_once(campaign_ids)
            paused = obs.paused_campaigns()
            opened = obs.open_breakers() or opened
        if paused or opened:
            report = self.report(obs, campaign_ids)
            self.mark("pause-noticed", "service failure noticed" + (": campaigns paused" if paused else ""))
            raise ServiceFailure(report)

    def _raise_on_stall(
        self,
        stall: _StallWatch,
        obs: Observation,
        ids: Sequence[str],
        phase: str,
        expected: Mapping[str, int] | None = None,
    ) -> None:
        """Nothing of the run changed for `stall_s` while the wait is not over: name what is stuck."""
        stalled = stall.stalled_for(obs, ids)
        if stalled is not None:
            tables = self.state_tables(obs, phase)
            raise ProgressFailure(
                self._stall_text(obs, ids, stalled, expected) + "\n" + render_state_text(tables), tables
            )

    def wait_for_fetch(self, campaign_ids: Sequence[str], deadline_s: float) -> Observation:
        """Every campaign's FETCH_LEADS job COMPLETED, each with at least one lead."""
        ids = list(campaign_ids)
        stall = _StallWatch(self.clock, self.stall_s)

        def check(obs: Observation) -> Observation | None:
            self._raise_on_service_failure(obs, ids)
            problems = self._failed_campaigns(obs, ids)
            problems += [
                f"FETCH_LEADS of {self._name(obs, cid)} is FAILED"
                for cid in ids
                if (p := obs.progress.get(cid)) is not None and p.fetch_status == "FAILED"
            ]
            empty = [
                self._name(obs, cid)
                for cid in ids
                if (p := obs.progress.get(cid)) is not None and p.fetch_status == "COMPLETED" and p.leads == 0
            ]
            if empty:
                # Nothing to enrich can ever come of it (and no breaker can open without leads): say so now.
                problems.append(f"fetch COMPLETED with zero leads for {_listing(empty)}")
            if problems:
                tables = self.state_tables(obs, "fetch")
                raise ProgressFailure(
                    "fetch failed: " + "; ".join(problems) + "\n" + render_state_text(tables), tables
                )
            done = all(
                (p := obs.progress.get(cid)) is not None and p.fetch_status == "COMPLETED" for cid in ids
            )
            if not done:
                self._raise_on_stall(stall, obs, ids, "fetch")
            return obs if done else None

        return self._poll(ids, deadline_s, "fetch", check, self._deadline_text("fetch", deadline_s))

    def wait_for_enrichment(
        self, campaign_ids: Sequence[str], deadline_s: float, leads: Mapping[str, int] | None = None
    ) -> Observation:
        """Every lead of every campaign has a COMPLETED ENRICH_LEAD job (Progress.enrichment_done).

        `leads`: the lead count the suite saw per campaign (the API's lead list); with it, leads that never
        got a job are seen even where progress only counts jobs (no database)."""
        ids = list(campaign_ids)
        expected = dict(leads or {})
        stall = _StallWatch(self.clock, self.stall_s)

        def check(obs: Observation) -> Observation | None:
            self._raise_on_service_failure(obs, ids)
            problems = self._failed_campaigns(obs, ids)
            for cid in ids:
                p = obs.progress.get(cid)
                if p is None:
                    continue
                if p.fetch_status == "FAILED":
                    problems.append(f"FETCH_LEADS of {self._name(obs, cid)} is FAILED")
                if p.enrich_failed:
                    problems.append(f"{p.enrich_failed} ENRICH_LEAD job(s) of {self._name(obs, cid)} FAILED")
                if p.fetch_status == "COMPLETED" and p.leads == 0:
                    # Enrichment can never finish with nothing to enrich: say so now, not at the deadline.
                    problems.append(f"{self._name(obs, cid)} fetched 0 leads (zero leads)")
            if problems:
                tables = self.state_tables(obs, "enrichment")
                raise ProgressFailure(
                    "enrichment failed: " + "; ".join(problems) + "\n" + render_state_text(tables), tables
                )
            done = all(
                (p := obs.progress.get(cid)) is not None
                and p.enrichment_done
                and p.enrich_completed >= expected.get(cid, 0)
                for cid in ids
            )
            if not done:
                self._raise_on_stall(stall, obs, ids, "enrichment", expected)
            return obs if done else None

        return self._poll(ids, deadline_s, "enrichment", check, self._deadline_text("enrichment", deadline_s))

    def wait_for_pause(
        self, campaign_ids: Sequence[str], deadline_s: float, service: str | None = None
    ) -> BreakerReport:
        """The pause is the expectation: returns the evidence once no campaign of the run is RUNNING and at
        least one is PAUSED (with campaigns given), and `service`'s breaker (or, without one, any breaker) is
        not closed (with no campaigns given, or with a service named)."""
        ids = list(campaign_ids)
        stayed: list[Observation] = []  # consecutive cycles with a breaker open and campaigns RUNNING

        def check(obs: Observation) -> BreakerReport | None:
            if service is not None:
                state = obs.breakers.get(service)
                breaker_ok = state is not None and not state.closed
            else:
                breaker_ok = bool(ids) or bool(obs.open_breakers())
            statuses = [obs.campaigns[c].status for c in ids if c in obs.campaigns]
            campaigns_ok = not ids or ("RUNNING" not in statuses and "PAUSED" in statuses)
            if breaker_ok and campaigns_ok:
                self.mark("pause-noticed", "pause noticed")
                return self.report(obs, ids)
            opened = [b for b in obs.open_breakers() if service is None or b.service == service]
            if ids and opened and "RUNNING" in statuses:
                stayed.append(obs)
                if len(stayed) >= STAYED_RUNNING_CYCLES and obs.at - stayed[0].at >= STAYED_RUNNING_S:
                    raise ProgressFailure(
                        self._stayed_running_text(stayed[0], obs, ids, opened),
                        self.state_tables(obs, "pause"),
                    )
            else:
                stayed.clear()
            return None

        def on_deadline(obs: Observation, waited: float) -> str:
            what = f"breaker {service} to leave closed and " if service else ""
            return (
                f"no pause: waited {waited:.1f}s (deadline {deadline_s:.1f}s) for {what}"
                "every running campaign to be PAUSED\n" + self.render_state(obs, "enrichment")
            )

        return self._poll(ids, deadline_s, "pause", check, on_deadline)

    def wait_for_work_stopped(
        self,
        campaign_ids: Sequence[str],
        deadline_s: float,
        paused: Observation | None = None,
        service: str | None = None,
    ) -> Observation:
        """While a service is paused: every lead's job has ended COMPLETED, PAUSED or FAILED and none is
        PENDING or PROCESSING (work in flight finishes or is parked; nothing new starts). The breaker being
        open is the point here, not a service failure.

        `paused`: an observation made once the pause was in place. Only the jobs PROCESSING then may still
        complete; more COMPLETED jobs than that is enrichment going on while the service is paused."""
        ids = list(campaign_ids)
        stall = _StallWatch(self.clock, self.stall_s)
        what = f"{service} is paused" if service else "the service is paused"

        def check(obs: Observation) -> Observation | None:
            if paused is not None:
                self._raise_on_enrichment_while_paused(paused, obs, ids, what)
            for cid in ids:
                p = obs.progress.get(cid)
                if p is None or p.fetch_status != "COMPLETED" or p.jobs_pending or p.jobs_processing:
                    break
                if p.enrich_completed + p.enrich_paused + p.enrich_failed < p.leads:
                    break  # a lead whose task has not started yet
            else:
                return obs
            self._raise_on_stall(stall, obs, ids, "enrichment")
            return None

        def on_deadline(obs: Observation, waited: float) -> str:
            return (
                f"enrichment did not stop: waited {waited:.1f}s (deadline {deadline_s:.1f}s) for every "
                "lead's job to be COMPLETED, PAUSED or FAILED with none PENDING or PROCESSING"
                + self._movement(obs, "enrichment")
                + "\n"
                + self.render_state(obs, "enrichment")
            )

        return self._poll(ids, deadline_s, "pause", check, on_deadline)

    def _raise_on_enrichment_while_paused(
        self, paused: Observation, obs: Observation, ids: Sequence[str], what: str
    ) -> None:
        # More ENRICH_LEAD jobs than leads is a lead enriched twice (one per lead, docs/judging.md), which
        # would otherwise read as enrichment going on while paused: say the rule it breaks.
        twice = [
            f"{self._name(obs, cid)}: {p.enrich_total} ENRICH_LEAD jobs for {p.leads} leads"
            for cid in ids
            if (p := obs.progress.get(cid)) is not None
            and p.fetch_status == "COMPLETED"
            and 0 < p.leads < p.enrich_total
        ]
        if twice:
            raise ProgressFailure(
                f"leads enriched twice (more than one ENRICH_LEAD job per lead): {'; '.join(twice)}"
            )
        grown: list[str] = []
        for cid in ids:
            before, now = paused.progress.get(cid), obs.progress.get(cid)
            if before is None or now is None:
                continue
            in_flight = before.enrich_completed + _enrich_processing(before)
            if now.enrich_completed > in_flight:
                grown.append(
                    f"{self._name(obs, cid)}: {now.enrich_completed - before.enrich_completed} more leads "
                    f"enriched ({before.enrich_completed} COMPLETED and {_enrich_processing(before)} "
                    f"PROCESSING when the pause was in place, {now.enrich_completed} COMPLETED now)"
                )
        if grown:
            tables = self.state_tables(obs, "enrichment")
            raise ProgressFailure(
                f"leads were enriched while {what}, beyond the jobs already in flight: "
                + "; ".join(grown)
                + "\n"
                + render_state_text(tables),
                tables,
            )

    def wait_until_settled(self, campaign_ids: Sequence[str], deadline_s: float, quiet_s: float) -> None:
        """The campaigns' own work no longer competes for workers: no job of theirs PROCESSING, and their
        PENDING jobs (if any) unchanged for `quiet_s` (a job PENDING with nothing processing and nothing
        moving waits for nobody, e.g. after a resume that re-dispatched nothing). Only these campaigns are
        looked at, never the platform's global counts (other tenants' load is none of this run's business)."""
        ids = list(campaign_ids)
        if not ids:
            return
        quiet = _StallWatch(self.clock, quiet_s)
        stuck = _StallWatch(self.clock, self.stall_s)

        def check(obs: Observation) -> bool | None:
            busy = [p for cid in ids if (p := obs.progress.get(cid)) is not None and p.jobs_processing]
            if busy:
                quiet.reset()
                stalled = stuck.stalled_for(obs, ids)
                if stalled is not None:  # processing that never ends settles never: say what, now
                    tables = self.state_tables(obs, "enrichment")
                    raise ProgressFailure(
                        "the run's earlier work did not settle: "
                        + self._stall_text(obs, ids, stalled)
                        + "\n"
                        + render_state_text(tables),
                        tables,
                    )
                return None
            if any(cid not in obs.progress for cid in ids):
                return None  # progress read in turns (no database) has not reached every campaign yet
            if not any((p := obs.progress.get(cid)) is not None and p.jobs_pending for cid in ids):
                return True
            return True if quiet.stalled_for(obs, ids) is not None else None

        def on_deadline(obs: Observation, waited: float) -> str:
            return (
                f"the run's earlier work did not settle: waited {waited:.1f}s (deadline {deadline_s:.1f}s) "
                "for "
                "no job of the run's campaigns to be processing\n" + self.render_state(obs, "enrichment")
            )

        self._poll(ids, deadline_s, "settle", check, on_deadline)

    # -- explaining ------------------------------------------------------------------------------------------
    def _stall_text(
        self,
        obs: Observation,
        ids: Sequence[str],
        stalled_s: float,
        expected: Mapping[str, int] | None = None,
    ) -> str:
        """What of the run is stuck, each item named, and for how long nothing of the run has changed."""
        progress = {cid: p for cid in ids if (p := obs.progress.get(cid)) is not None}
        after = " after resume" if self.resumed_at is not None else ""
        still = "nothing of the run changing"
        parts: list[str] = []
        fetches: dict[str, list[str]] = {}
        for cid in ids:
            p = progress.get(cid)
            if p is not None and p.fetch_status in (None, "PENDING", "PROCESSING"):
                fetches.setdefault(p.fetch_status or "not created", []).append(self._name(obs, cid))
        for status, names in fetches.items():
            what = "no FETCH_LEADS job" if status == "not created" else f"FETCH_LEADS job {status}"
            parts.append(f"{what} for {stalled_s:.0f} s{after} with {still}: {_listing(names)}")
        processing = {cid: n for cid, p in progress.items() if (n := _enrich_processing(p))}
        if processing:
            each = _listing([f"{self._name(obs, cid)}: {n}" for cid, n in processing.items()])
            parts.append(
                f"{sum(processing.values())} ENRICH_LEAD jobs PROCESSING for {stalled_s:.0f} s{after} "
                f"with {still} ({each})"
            )
        pending = sum(_enrich_pending(p) for p in progress.values())
        paused = sum(p.enrich_paused for p in progress.values())
        missing = sum(max(0, p.leads - p.enrich_completed) for p in progress.values())
        none = ", none processing" if not processing else ""
        if pending:
            tail = f"; {paused} jobs still PAUSED" if paused else ""
            parts.append(f"{pending} jobs PENDING for {stalled_s:.0f} s{after}{none}{tail}")
        elif paused:
            parts.append(
                f"{paused} jobs still PAUSED for {stalled_s:.0f} s{after}{none} "
                f"({missing} leads not enriched)"
            )
        counted = expected or {}
        jobless = {cid: n for cid, p in progress.items() if (n := _leads_without_job(p, counted.get(cid, 0)))}
        if jobless:
            each = _listing([f"{self._name(obs, cid)}: {n}" for cid, n in jobless.items()])
            settled = not any(progress[cid].jobs_pending or progress[cid].jobs_processing for cid in jobless)
            parts.append(
                f"{sum(jobless.values())} leads with no enrichment job {stalled_s:.0f} s after their fetch "
                f"COMPLETED{', the jobs that exist settled' if settled else ''} ({each})"
            )
        if not parts:
            parts.append(f"{still} for {stalled_s:.0f} s{after} ({missing} leads not enriched)")
        return "; ".join(parts)

    def _stayed_running_text(
        self, first: Observation, obs: Observation, ids: Sequence[str], opened: Sequence[BreakerState]
    ) -> str:
        running = [
            self._name(obs, cid)
            for cid in ids
            if cid in obs.campaigns and obs.campaigns[cid].status == "RUNNING"
        ]
        breakers = ", ".join(
            f"{b.service} ({b.state}, {b.failure_count}/{b.failure_threshold} failures"
            + (f", paused_at {_on_scenario_clock(b.paused_at, self.origin_epoch)}" if b.paused_at else "")
            + ")"
            for b in opened
        )
        progress = [obs.progress[cid] for cid in ids if cid in obs.progress]
        paused = (
            f"{sum(p.enrich_paused for p in progress)} of their jobs are PAUSED"
            if progress
            else "their job counts are unknown"
        )
        errors = self.job_errors(ids)
        why = "".join(f"\n  {text}" for text in errors)
        return (
            f"breaker {breakers} opened, first seen {self.scenario_s(first):.1f}s into the scenario, but the "
            f"campaigns stayed RUNNING for {obs.at - first.at:.1f}s ({len(running)}: {', '.join(running)}); "
            f"{paused}\n"
            + (f"errors of their paused or failed jobs:{why}\n" if errors else "")
            + self.render_state(obs, "pause")
        )

    @staticmethod
    def _name(obs: Observation, cid: str) -> str:
        snap = obs.campaigns.get(cid)
        return f"{snap.name} ({cid})" if snap and snap.name else cid

    def _failed_campaigns(self, obs: Observation, ids: Sequence[str]) -> list[str]:
        return [
            f"campaign {self._name(obs, cid)} is FAILED: {obs.campaigns[cid].status_message or 'no message'}"
            for cid in ids
            if cid in obs.campaigns and obs.campaigns[cid].status == "FAILED"
        ]

    def _deadline_text(self, phase: str, deadline_s: float) -> Callable[[Observation, float], str]:
        def text(obs: Observation, waited: float) -> str:
            return (
                f"{phase} not finished within {deadline_s:.1f}s (waited {waited:.1f}s, {self.cycles} cycles, "
                f"no service failure seen){self._movement(obs, phase)}\n" + self.render_state(obs, phase)
            )

        return text

    def _movement(self, obs: Observation, phase: str) -> str:
        """What was still moving during the wait and how fast (a deadline is for work that moves but is slow):
        from the wait's first observation to `obs`."""
        first = self._wait_first
        if first is None or not obs.progress:
            return ""
        span = max(obs.at - first.at, 1e-9)
        now = list(obs.progress.values())
        before = [first.progress.get(p.campaign_id) or Progress(campaign_id="") for p in now]
        if phase == "fetch":
            leads = sum(p.leads for p in now) - sum(p.leads for p in before)
            done = sum(p.fetch_status == "COMPLETED" for p in now)
            return (
                f"; still moving: {leads} leads fetched in {span:.1f}s ({leads / span:.2f} leads/s), "
                f"{done} of {len(now)} fetches COMPLETED"
            )
        completed = sum(p.enrich_completed for p in now)
        moved = completed - sum(p.enrich_completed for p in before)
        expected = sum(p.leads for p in now)
        rate = moved / span
        left = max(0, expected - completed)
        if moved <= 0:
            return f"; nothing enriched during the wait ({completed}/{expected} leads enriched)"
        return (
            f"; still moving: {moved} leads enriched in {span:.1f}s ({rate:.2f} leads/s), "
            f"{completed}/{expected} done, {left} to go (about {left / rate:.0f} s more at that rate)"
        )

    def state_tables(self, obs: Observation, phase: str) -> dict[str, Any]:
        """Per-campaign progress (done/expected) and status, the breakers, and the state timeline, as data
        (the HTML report draws tables from it; `render_state` prints the same as text)."""
        columns = ["campaign", "status", "done/expected", "fetch", "enrich ok/failed/paused"]
        rows: list[list[str]] = []
        for cid in sorted(set(obs.campaigns) | set(obs.progress), key=lambda c: self._name(obs, c)):
            snap = obs.campaigns.get(cid)
            p = obs.progress.get(cid) or Progress(campaign_id=cid)
            expected_fetch = snap.total_records if snap else 0
            if phase == "fetch":
                done, expected = p.leads, expected_fetch
            else:
                done, expected = p.enrich_completed, p.leads or expected_fetch
            rows.append(
                [
                    self._name(obs, cid),
                    snap.status if snap else "?",
                    f"{done}/{expected}",
                    p.fetch_status or "-",
                    f"{p.enrich_completed}/{p.enrich_failed}/{p.enrich_paused}",
                ]
            )
        timeline = [
            {"campaign": self._name(obs, cid), "changes": [list(entry) for entry in self.timeline[cid]]}
            for cid in sorted(self.timeline, key=lambda c: self._name(obs, c))
        ]
        return {
            "phase": phase,
            "columns": columns,
            "rows": rows,
            "breakers": describe_breakers(obs.breakers),
            "timeline": timeline,
        }

    def render_state(self, obs: Observation, phase: str) -> str:
        """`state_tables` as fixed-width console text."""
        return render_state_text(self.state_tables(obs, phase))

    # -- the picture's data ----------------------------------------------------------------------------------
    def mark(self, kind: str, label: str, at: float | None = None) -> None:
        """A moment for the report's picture, in seconds on the scenario's clock (see origin); ``kind`` is one
        of breaker-opened, pause-noticed, resumed, deadline."""
        if len(self.markers) < MAX_MARKERS:
            when = round(self.clock.now() - self.origin, 3) if at is None else round(at, 3)
            self.markers.append((when, kind, label))

    def _sample(self, obs: Observation, at: float) -> None:
        previous = self.samples[-1][1] if self.samples else {}
        counts: dict[str, tuple[int, int]] = {}
        for cid in set(obs.campaigns) | set(obs.progress) | set(previous):
            snap = obs.campaigns.get(cid)
            if snap is not None and snap.name:
                self.names[cid] = snap.name
            p = obs.progress.get(cid)
            if p is None:  # not read this cycle (a failing cycle without a database): keep the last count
                if cid in previous:
                    counts[cid] = previous[cid]
                continue
            counts[cid] = (p.enrich_completed, p.leads or (snap.total_records if snap else 0))
        not_closed = {b.service: b.state for b in obs.breakers.values() if not b.closed}
        for service, state in not_closed.items():
            if service not in self._not_closed:
                self.mark("breaker-opened", f"{service} breaker {state.replace('_', '-')}", at)
        self._not_closed = set(not_closed)
        self.samples.append((at, counts, not_closed))

    def chart(self, campaign_ids: Sequence[str] | None = None) -> dict[str, Any] | None:
        """What the monitor saw over time, for status.json and the report's picture; None if it saw nothing
        (of the scenario's own campaigns, with `campaign_ids`).

        `samples`: one per cycle, `[at, {campaign id: [enriched, expected]}, {service: state}]` (only breakers
        that were not closed); `markers`: `[at, kind, label]`; times in seconds since the monitor's origin
        (the scenario's start). With `campaign_ids`, only those campaigns (the scenario's own: a wait for
        the run's earlier work also observed other scenarios' campaigns).
        """
        if not self.samples:
            return None
        own = None if campaign_ids is None else set(campaign_ids)
        began = {} if self.origin_epoch is None else {"began_at": round(self.origin_epoch, 3)}

        def keep(cid: str) -> bool:
            return own is None or cid in own

        campaigns = [
            {"id": cid, "name": name} for cid, name in sorted(self.names.items(), key=_by_name) if keep(cid)
        ]
        if own is not None and not campaigns:
            return None  # it only saw other scenarios' campaigns (settling earlier work): nothing of its own
        return {
            "campaigns": campaigns,
            "samples": [
                [at, {cid: list(v) for cid, v in counts.items() if keep(cid)}, dict(breakers)]
                for at, counts, breakers in self.samples
            ],
            "markers": [list(m) for m in self.markers],
            **began,
        }


def scenario_seconds(stamp: str | None, began_at: float | None) -> float | None:
    """A platform timestamp (ISO 8601, UTC when it names no zone) as seconds since the scenario began
    (`began_at`, epoch seconds); None when either is unknown or the stamp is not a time."""
    if not stamp or began_at is None:
        return None
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return round(moment.replace(tzinfo=moment.tzinfo or UTC).timestamp() - began_at, 3)


def _on_scenario_clock(stamp: str, began_at: float | None) -> str:
    since = scenario_seconds(stamp, began_at)
    if since is None:
        return stamp
    return f"{since:.1f}s into the scenario" if since >= 0 else f"{-since:.1f}s before the scenario began"


def _by_name(item: tuple[str, str]) -> tuple[list[Any], str]:
    # Natural order: "campaign 2 of 10" before "campaign 10 of 10".
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", item[1])], item[0]


def render_state_text(tables: Mapping[str, Any]) -> str:
    """The progress table, the breakers and the timeline of `Monitor.state_tables` as console text."""
    rows = [tuple(tables["columns"])] + [tuple(r) for r in tables["rows"]]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  " + "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
    lines.append("  " + str(tables["breakers"]))
    lines.append("timeline (seconds since the scenario began):")
    for entry in tables["timeline"]:
        steps = " -> ".join(
            f"{at:.1f}s {status}" + (f' "{message}"' if message else "")
            for at, status, message in entry["changes"]
        )
        lines.append(f"  {entry['campaign']}: {steps}")
    return "\n".join(lines)


class _StallWatch:
    """How long nothing of the run has changed (no campaign status or message, no lead, no job count of its
    campaigns) while the wait is not over (None: not `limit_s` yet). Any state can be stuck: jobs PENDING,
    PROCESSING or PAUSED, a fetch that never starts, leads no job was made for."""

    def __init__(self, clock: Clock, limit_s: float | None) -> None:
        self.clock = clock
        self.limit_s = limit_s
        self.since: float | None = None
        self.last: tuple[Any, ...] | None = None

    def reset(self) -> None:
        self.since = self.last = None

    def stalled_for(self, obs: Observation, ids: Sequence[str]) -> float | None:
        if self.limit_s is None:
            return None
        if not any(cid in obs.progress for cid in ids):
            self.reset()  # no job information this cycle (no database and a failing cycle)
            return None
        shape = _run_state(obs, ids)
        now = self.clock.now()
        if shape != self.last or self.since is None:
            self.last, self.since = shape, now
        # Progress read in turns (no database) vouches for "no change" only up to its oldest read.
        waited = now - obs.progress_age(ids) - self.since
        return waited if waited >= self.limit_s else None


def _run_state(obs: Observation, ids: Sequence[str]) -> tuple[Any, ...]:
    """Everything of the run's campaigns an observation shows: equal twice means nothing of the run moved."""
    campaigns = tuple(
        (cid, c.status, c.status_message) if (c := obs.campaigns.get(cid)) is not None else (cid,)
        for cid in ids
    )
    progress = tuple(
        dataclasses.astuple(p) if (p := obs.progress.get(cid)) is not None else (cid,) for cid in ids
    )
    return campaigns, progress


def _leads_without_job(p: Progress, expected: int = 0) -> int:
    """Leads of a fetched campaign with no ENRICH_LEAD job (the lead count the suite saw counts too: without
    a database, the jobs endpoint alone cannot show a lead that has no job)."""
    if p.fetch_status != "COMPLETED":
        return 0
    return max(0, max(p.leads, expected) - p.enrich_total)


def _enrich_processing(p: Progress) -> int:
    return max(0, p.jobs_processing - (p.fetch_status == "PROCESSING"))


def _enrich_pending(p: Progress) -> int:
    return max(0, p.jobs_pending - (p.fetch_status == "PENDING"))


def _signature(obs: Observation) -> tuple[Any, ...]:
    """What counts as 'something changed' for the adaptive interval."""
    return (
        tuple(sorted((k, b.state, b.failure_count) for k, b in obs.breakers.items())),
        tuple(sorted((k, c.status, c.status_message) for k, c in obs.campaigns.items())),
        tuple(
            sorted(
                (k, p.leads, p.fetch_status, p.enrich_completed, p.enrich_failed, p.enrich_paused)
                for k, p in obs.progress.items()
            )
        ),
    )
