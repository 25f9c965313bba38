"""In-flight awareness: one deadline-bound polling loop that watches the run's campaigns and the breakers.

Every cycle reads the breakers, the run's campaign statuses and job progress (one `Observation`).
A campaign of the run turning PAUSED, or any breaker that is not closed, raises `ServiceFailure` in that
very cycle unless the pause is what the wait expects (`wait_for_pause`). A deadline passing raises
`DeadlineExceeded` with per-campaign progress and each campaign's state timeline, so a failure explains
itself.

The interval adapts: it starts at `poll_interval_s`, grows x1.5 while nothing changes, is capped at
`max_interval_s`, drops back to the minimum as soon as anything changes, and never sleeps past the deadline.
A pause must be noticed within `notice_within_s` (1.5 s): the sleep is also capped at that budget minus
what the last cycle took, so a quiet stretch cannot push detection past it whatever `max_interval_s` says.
"""

from __future__ import annotations

import dataclasses
import math
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from campaign_acceptance.errors import DeadlineExceeded, ProgressFailure, ServiceFailure
from campaign_acceptance.model import (
    BreakerReport,
    BreakerState,
    CampaignSnapshot,
    Observation,
    Progress,
)

T = TypeVar("T")

BACKOFF_FACTOR = 1.5
PAGE_SIZE = 100  # campaigns per list request (the client follows pages of 100)

TimelineEntry = tuple[float, str, str | None]
# Kinds of marked moments in the report's picture.
MARKERS = ("breaker-opened", "pause-noticed", "resumed", "deadline")
MAX_MARKERS = 50


def _table_phase(phase: str) -> str:
    # The pause wait's deadline shows enrichment progress (what the campaigns were doing meanwhile).
    return "fetch" if phase == "fetch" else "enrichment"


# --------------------------------------------------------------------------------------------------
# Time
# --------------------------------------------------------------------------------------------------
class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class RealClock:
    """Monotonic time; sleeping waits on an Event so `interrupt()` (or Ctrl-C) ends it early."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._event.wait(seconds)

    def interrupt(self) -> None:
        """Wake a sleeping monitor (e.g. from a signal handler or another thread)."""
        self._event.set()


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

    def list_campaigns(self, organization_id: str) -> list[dict[str, Any]]: ...

    def list_jobs(self, campaign_id: str) -> list[dict[str, Any]]: ...


class ProgressProbe(Protocol):
    """The part of database.DatabaseProbe the monitor needs: job progress of many campaigns in one query."""

    def progress(self, campaign_ids: list[str]) -> dict[str, Progress]: ...


def snapshot_from_api(item: Mapping[str, Any]) -> CampaignSnapshot:
    """A campaign object of the API (CampaignResponse or to_dict form) as a snapshot."""
    return CampaignSnapshot(
        id=str(item.get("id", "")),
        name=str(item.get("name") or ""),
        status=str(item.get("status") or "UNKNOWN"),
        status_message=item.get("status_message") or None,
        total_records=int(item.get("totalRecords") or item.get("total_records") or 0),
    )


def progress_from_jobs(campaign_id: str, jobs: Sequence[Mapping[str, Any]]) -> Progress:
    """Progress from the jobs endpoint: the fetch job's status, and one ENRICH_LEAD job per lead."""
    fetch = [j for j in jobs if j.get("job_type") == "FETCH_LEADS"]
    enrich = [j for j in jobs if j.get("job_type") == "ENRICH_LEAD"]
    fetch_status = str(fetch[-1].get("status")) if fetch else None
    statuses = [str(j.get("status")) for j in enrich]
    return Progress(
        campaign_id=campaign_id,
        # The fetch creates one ENRICH_LEAD job per saved lead, so their count is the lead count.
        leads=len(enrich),
        fetch_status=fetch_status,
        enrich_total=len(enrich),
        enrich_completed=statuses.count("COMPLETED"),
        enrich_failed=statuses.count("FAILED"),
        enrich_paused=statuses.count("PAUSED"),
    )


class ApiDbSource:
    """Observes through the API (breakers, campaign statuses) and the database probe (job progress).

    Cost per cycle with a probe: 1 breaker request + ceil(campaigns of the organization / 100) list requests
    (1 for up to 100 campaigns) + 1 SQL query, whatever the number of campaigns.
    Without a probe it falls back to `client.list_jobs(id)` for every campaign: N more requests per cycle
    (more when a campaign has over a page of jobs), so 10 campaigns cost ~12 requests a cycle instead of 2;
    those reads are skipped in a cycle whose first two reads already show a pause or a breaker not closed.
    """

    def __init__(self, client: PlatformReader, probe: ProgressProbe | None, organization_id: str) -> None:
        self.client = client
        self.probe = probe
        self.organization_id = organization_id

    def _requests_so_far(self) -> int | None:
        # Use the client's own counter when it keeps one; otherwise the documented estimate is used.
        count = getattr(self.client, "request_count", None)
        return count if isinstance(count, int) else None

    def observe(self, campaign_ids: list[str]) -> Observation:
        before = self._requests_so_far()
        breakers = self.client.breakers()
        listed = self.client.list_campaigns(self.organization_id)
        wanted = set(campaign_ids)
        campaigns = {
            snap.id: snap for snap in (snapshot_from_api(item) for item in listed) if snap.id in wanted
        }
        estimate = 1 + max(1, math.ceil(len(listed) / PAGE_SIZE))
        failing = any(not b.closed for b in breakers.values()) or any(
            c.status == "PAUSED" for c in campaigns.values()
        )
        if self.probe is not None:
            progress = self.probe.progress(list(campaign_ids))
        elif failing:
            # The cycle's verdict is already a service failure: skip the per-campaign job reads so
            # the pause is reported at once even without a database (they cost N requests).
            progress = {}
        else:
            progress = {}
            for cid in campaign_ids:
                jobs = self.client.list_jobs(cid)
                progress[cid] = progress_from_jobs(cid, jobs)
                estimate += max(1, math.ceil(len(jobs) / PAGE_SIZE))
        after = self._requests_so_far()
        used = after - before if before is not None and after is not None else estimate
        return Observation(at=0.0, breakers=breakers, campaigns=campaigns, progress=progress, requests=used)


# --------------------------------------------------------------------------------------------------
# Evidence
# --------------------------------------------------------------------------------------------------
def breaker_report(
    breakers: Mapping[str, BreakerState],
    paused_campaigns: Sequence[CampaignSnapshot] = (),
    detected_at: float | None = None,
) -> BreakerReport:
    """The evidence of a service failure: non-closed breakers, all breakers, paused campaigns, when."""
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
    reason = "; ".join(parts) or "no breaker open and no campaign paused"
    return BreakerReport(
        reason=reason,
        breakers=not_closed,
        paused_campaigns=paused,
        detected_at=detected_at,
        all_breakers=tuple(breakers.values()),
    )


def failure_report(breakers: Mapping[str, BreakerState]) -> BreakerReport | None:
    """The breaker report when any breaker is not closed, else None (the health gate's question)."""
    if all(b.closed for b in breakers.values()):
        return None
    return breaker_report(breakers)


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
        notice_within_s: float | None = 1.5,
    ) -> None:
        if poll_interval_s <= 0 or max_interval_s < poll_interval_s:
            raise ValueError("need 0 < poll_interval_s <= max_interval_s")
        self.source = source
        self.clock = clock
        self.poll_interval_s = poll_interval_s
        self.max_interval_s = max_interval_s
        self.progress = progress
        self.notice_within_s = notice_within_s
        self.origin = clock.now()  # timeline times are seconds since the monitor was made
        self.timeline: dict[str, list[TimelineEntry]] = {}
        self.cycles = 0
        self.requests = 0
        self.last: Observation | None = None
        self.sleeps: list[float] = []  # every interval slept, for the benchmark and the tests
        # The report's picture: one sample per cycle (at, {id: (enriched, expected)}, {service: state not
        # closed}), campaign names, and marked moments (at, kind, label).
        self.samples: list[tuple[float, dict[str, tuple[int, int]], dict[str, str]]] = []
        self.names: dict[str, str] = {}
        self.markers: list[tuple[float, str, str]] = []
        self._not_closed: set[str] = set()

    # -- one cycle -------------------------------------------------------------------------------------------
    def observe(
        self, campaign_ids: Sequence[str], phase: str = "observe", wait_start: float | None = None
    ) -> Observation:
        """One cycle: observe, stamp, record state changes, count, tell the progress sink."""
        raw = self.source.observe(list(campaign_ids))
        now = self.clock.now()
        obs = dataclasses.replace(raw, at=round(now - (self.origin if wait_start is None else wait_start), 3))
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
        start = self.clock.now()
        deadline = start + deadline_s
        interval = self.poll_interval_s
        previous: tuple[Any, ...] | None = None
        while True:
            cycle_start = self.clock.now()
            obs = self.observe(campaign_ids, phase, wait_start=start)
            cycle_cost = self.clock.now() - cycle_start
            result = check(obs)  # raises ServiceFailure / AssertionError, or says done
            if result is not None:
                return result
            signature = _signature(obs)
            if previous is not None and signature != previous:
                interval = self.poll_interval_s  # something moved: look again soon
            elif previous is not None:
                interval = min(interval * BACKOFF_FACTOR, self.max_interval_s)
            previous = signature
            remaining = deadline - self.clock.now()
            if remaining <= 0:
                self.mark("deadline", f"{phase} deadline ({deadline_s:g} s)", deadline - self.origin)
                raise DeadlineExceeded(
                    on_deadline(obs, self.clock.now() - start), self.state_tables(obs, _table_phase(phase))
                )
            pause = min(interval, remaining)  # never sleep past the deadline; look once more at it
            if self.notice_within_s is not None:
                pause = min(pause, max(self.poll_interval_s, self.notice_within_s - cycle_cost))
            self.sleeps.append(pause)
            self.clock.sleep(pause)

    def observe_once(self, campaign_ids: Sequence[str]) -> Observation:
        """One cycle outside any wait (counts, timeline and progress as usual)."""
        return self.observe(campaign_ids, "observe")

    def wait_until(self, predicate: Callable[[], bool], deadline_s: float, describe: str) -> None:
        """Generic bounded poll of a condition the caller reads itself (no observation, no pause check).

        Same interval rules: a false answer counts as 'nothing changed', so the interval backs off.
        """
        start = self.clock.now()
        deadline = start + deadline_s
        interval = self.poll_interval_s
        while True:
            if predicate():
                return
            remaining = deadline - self.clock.now()
            if remaining <= 0:
                self.mark("deadline", f"deadline: {describe} ({deadline_s:g} s)", deadline - self.origin)
                raise DeadlineExceeded(
                    f"{describe}: not reached within {deadline_s:.1f}s "
                    f"(waited {self.clock.now() - start:.1f}s)"
                )
            pause = min(interval, remaining)
            if self.notice_within_s is not None:
                pause = min(pause, max(self.poll_interval_s, self.notice_within_s))
            self.sleeps.append(pause)
            self.clock.sleep(pause)
            interval = min(interval * BACKOFF_FACTOR, self.max_interval_s)

    # -- the waits -------------------------------------------------------------------------------------------
    def _raise_on_service_failure(self, obs: Observation) -> None:
        paused = obs.paused_campaigns()
        if paused or obs.open_breakers():
            report = breaker_report(obs.breakers, paused, detected_at=obs.at)
            self.mark("pause-noticed", "service failure noticed" + (": campaigns paused" if paused else ""))
            raise ServiceFailure(report)

    def wait_for_fetch(self, campaign_ids: Sequence[str], deadline_s: float) -> Observation:
        """Every campaign's FETCH_LEADS job COMPLETED."""
        ids = list(campaign_ids)

        def check(obs: Observation) -> Observation | None:
            self._raise_on_service_failure(obs)
            problems = self._failed_campaigns(obs, ids)
            problems += [
                f"FETCH_LEADS of {self._name(obs, cid)} is FAILED"
                for cid in ids
                if (p := obs.progress.get(cid)) is not None and p.fetch_status == "FAILED"
            ]
            if problems:
                tables = self.state_tables(obs, "fetch")
                raise ProgressFailure(
                    "fetch failed: " + "; ".join(problems) + "\n" + render_state_text(tables), tables
                )
            done = all(
                (p := obs.progress.get(cid)) is not None and p.fetch_status == "COMPLETED" for cid in ids
            )
            return obs if done else None

        return self._poll(ids, deadline_s, "fetch", check, self._deadline_text("fetch", deadline_s))

    def wait_for_enrichment(self, campaign_ids: Sequence[str], deadline_s: float) -> Observation:
        """Every lead of every campaign has a COMPLETED ENRICH_LEAD job (Progress.enrichment_done)."""
        ids = list(campaign_ids)

        def check(obs: Observation) -> Observation | None:
            self._raise_on_service_failure(obs)
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
                    problems.append(f"{self._name(obs, cid)} fetched 0 leads")
            if problems:
                tables = self.state_tables(obs, "enrichment")
                raise ProgressFailure(
                    "enrichment failed: " + "; ".join(problems) + "\n" + render_state_text(tables), tables
                )
            done = all((p := obs.progress.get(cid)) is not None and p.enrichment_done for cid in ids)
            return obs if done else None

        return self._poll(ids, deadline_s, "enrichment", check, self._deadline_text("enrichment", deadline_s))

    def wait_for_pause(
        self, campaign_ids: Sequence[str], deadline_s: float, service: str | None = None
    ) -> BreakerReport:
        """The pause is the expectation: returns the evidence once no campaign of the run is RUNNING and at
        least one is PAUSED (with campaigns given), and `service`'s breaker (or, without one, any breaker) is
        not closed (with no campaigns given, or with a service named)."""
        ids = list(campaign_ids)

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
                return breaker_report(obs.breakers, obs.paused_campaigns(), detected_at=obs.at)
            return None

        def on_deadline(obs: Observation, waited: float) -> str:
            what = f"breaker {service} to leave closed and " if service else ""
            return (
                f"no pause: waited {waited:.1f}s (deadline {deadline_s:.1f}s) for {what}"
                "every running campaign to be PAUSED\n" + self.render_state(obs, "enrichment")
            )

        return self._poll(ids, deadline_s, "pause", check, on_deadline)

    # -- explaining ------------------------------------------------------------------------------------------
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
                f"no service failure seen)\n" + self.render_state(obs, phase)
            )

        return text

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
        """A moment for the report's picture (MARKERS), in seconds since the monitor was made."""
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

    def chart(self) -> dict[str, Any] | None:
        """What the monitor saw over time, for status.json and the report's picture; None if it saw nothing.

        `samples`: one per cycle, `[at, {campaign id: [enriched, expected]}, {service: state}]` (only breakers
        that were not closed); `markers`: `[at, kind, label]`; times in seconds since the monitor was made.
        """
        if not self.samples:
            return None
        return {
            "campaigns": [
                {"id": cid, "name": name} for cid, name in sorted(self.names.items(), key=_by_name)
            ],
            "samples": [
                [at, {cid: list(v) for cid, v in counts.items()}, dict(breakers)]
                for at, counts, breakers in self.samples
            ],
            "markers": [list(m) for m in self.markers],
        }


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
    lines.append("timeline (seconds since the monitor started):")
    for entry in tables["timeline"]:
        steps = " -> ".join(
            f"{at:.1f}s {status}" + (f' "{message}"' if message else "")
            for at, status, message in entry["changes"]
        )
        lines.append(f"  {entry['campaign']}: {steps}")
    return "\n".join(lines)


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
