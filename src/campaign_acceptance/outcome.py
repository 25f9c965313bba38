"""What a run amounts to, in plain data: per-scenario outcomes, the verdict (exit code) and its reason, and
the health gate's decision. No behave here (tests/suite/test_outcome.py imports this module with behave
blocked): reading and editing behave's model (abort mechanics, JUnit, the runner) is runner.py's job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any

from campaign_acceptance.capacity import CapacityFigures, EnrichmentTiming
from campaign_acceptance.known_issues import KnownIssue
from campaign_acceptance.model import SERVICES, BreakerReport, BreakerState, CampaignSnapshot
from campaign_acceptance.monitor import failure_report

__all__ = [
    "ABORTED",
    "ABORTED_TAG",
    "FAILED",
    "FIXED",
    "KNOWN_ISSUE",
    "OUTCOME_STATUSES",
    "PASSED",
    "PHASE_GATE",
    "PHASE_IN_FLIGHT",
    "SKIPPED",
    "STOP_EXIT_CODES",
    "STOP_WORDS",
    "UNTESTED",
    "AbortRecord",
    "GateDecision",
    "MetricsTarget",
    "RunRecord",
    "ScenarioOutcome",
    "StepOutcome",
    "Verdict",
    "abort_tags",
    "aborted_services",
    "decide_verdict",
    "gate_decision",
    "judge_run",
    "known_issues_text",
    "left_behind_text",
    "one_line",
    "services_in",
    "stuck_resume",
    "verdict_line",
    "verdict_reason",
]

ABORTED_TAG = "aborted"
SERVICE_TAG_PREFIX = "service."
PHASE_GATE = "gate"
PHASE_IN_FLIGHT = "in-flight"

PASSED, FAILED, ABORTED, SKIPPED, UNTESTED = "passed", "failed", "aborted", "skipped", "untested"
# A failure the known-issues file lists (does not fail the verdict); a listed scenario that passed (does).
KNOWN_ISSUE, FIXED = "known_issue", "fixed"
OUTCOME_STATUSES: tuple[str, ...] = (PASSED, FAILED, ABORTED, SKIPPED, UNTESTED, KNOWN_ISSUE, FIXED)


class Verdict(IntEnum):
    """The run's exit code."""

    PASSED = 0
    FAILED = 1
    SERVICE_FAILURE = 2
    CANNOT_TEST = 3
    # Stopped before the end (Ctrl-C, SIGTERM, closed stdout). The exit code follows the shell's convention
    # for the signal (130 SIGINT, 143 SIGTERM, 141 SIGPIPE); 130 is the value for a plain Ctrl-C.
    INTERRUPTED = 130


# How each way of stopping a run is named in the reports, and its exit code (128 + signal number).
STOP_EXIT_CODES = {"SIGINT": 130, "SIGTERM": 143, "SIGPIPE": 141}
STOP_WORDS = {
    "SIGINT": "Ctrl-C (SIGINT)",
    "SIGTERM": "SIGTERM (the job was cancelled)",
    "SIGPIPE": "a closed standard output (SIGPIPE)",
}


@dataclass(frozen=True)
class AbortRecord:
    """One scenario stopped by a service failure."""

    key: str
    feature: str
    scenario: str
    phase: str  # PHASE_GATE | PHASE_IN_FLIGHT
    reason: str
    report: BreakerReport
    at: float  # epoch seconds

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "feature": self.feature,
            "scenario": self.scenario,
            "phase": self.phase,
            "reason": self.reason,
            "evidence": self.report.to_dict(),
            "at": self.at,
        }


@dataclass(frozen=True)
class StepOutcome:
    """One step as it ran: Given/When/Then as written (outline values filled in), status, time, message."""

    keyword: str
    name: str
    status: str  # behave's step status; "aborted" for the step a service failure stopped
    duration_s: float = 0.0
    message: str | None = None  # the failure, error or abort, one block of text
    output: str | None = None  # what the step printed (behave's capture), if kept
    background: bool = False
    # Structured failure tables (ProgressFailure.details: progress rows, breakers, timeline), if any.
    details: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "keyword": self.keyword,
            "name": self.name,
            "status": self.status,
            "duration_s": round(self.duration_s, 3),
            "message": self.message,
            "output": self.output,
            "background": self.background,
            "details": self.details,
        }


@dataclass(frozen=True)
class ScenarioOutcome:
    key: str
    feature: str
    name: str
    status: str  # one of OUTCOME_STATUSES
    reason: str | None = None
    tags: tuple[str, ...] = ()
    duration_s: float = 0.0
    evidence: BreakerReport | None = None
    phase: str | None = None  # PHASE_GATE | PHASE_IN_FLIGHT for aborts
    steps: tuple[StepOutcome, ...] = ()
    timeline: dict[str, Any] | None = None  # Monitor.chart() of the scenario, if it waited on campaigns
    known_issue: KnownIssue | None = None  # the listed defect (status KNOWN_ISSUE or FIXED, or a lax pass)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "feature": self.feature,
            "name": self.name,
            "status": self.status,
            "reason": self.reason,
            "tags": list(self.tags),
            "duration_s": round(self.duration_s, 3),
            "phase": self.phase,
            "evidence": self.evidence.to_dict() if self.evidence else None,
            "steps": [step.to_dict() for step in self.steps],
            "timeline": self.timeline,
            "known_issue": self.known_issue.to_dict() if self.known_issue else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScenarioOutcome:
        """The inverse of to_dict (a merge of sharded runs reads outcomes back from status.json)."""
        evidence = data.get("evidence")
        return cls(
            key=str(data["key"]),
            feature=str(data["feature"]),
            name=str(data["name"]),
            status=str(data["status"]),
            reason=data.get("reason"),
            tags=tuple(str(t) for t in data.get("tags", ())),
            duration_s=float(data.get("duration_s") or 0.0),
            evidence=BreakerReport.from_dict(evidence) if evidence else None,
            phase=data.get("phase"),
            steps=tuple(StepOutcome(**step) for step in data.get("steps", [])),
            timeline=data.get("timeline"),
            known_issue=_known_issue(data.get("known_issue")),
        )


def _known_issue(data: Mapping[str, Any] | None) -> KnownIssue | None:
    """A known issue as status.json shows it (what it says; its matching rules stay in the file)."""
    if not data:
        return None
    return KnownIssue(str(data["id"]), str(data["description"]), str(data["link"]), (), "", "")


@dataclass(frozen=True)
class MetricsTarget:
    """Where a run's Prometheus metrics go (from the settings; metrics.export writes them)."""

    textfile: Path | None
    pushgateway_url: str | None
    timeout_s: float = 10.0


@dataclass
class RunRecord:
    """What the glue records during the run, for the runner (kept at `context.world.record`)."""

    cannot_test: str | None = None
    aborts: dict[str, AbortRecord] = field(default_factory=dict)
    # Breaker reports of pauses a scenario provoked on purpose (it passes, and its report shows them).
    evidence: dict[str, BreakerReport] = field(default_factory=dict)
    campaigns: list[CampaignSnapshot] = field(default_factory=list)  # final statuses, for the summary
    warnings: list[str] = field(default_factory=list)
    started_at: float | None = None  # epoch seconds
    finished_at: float | None = None
    settings: dict[str, str] = field(default_factory=dict)  # already redacted
    reports_dir: str = "reports"
    allow_no_scenarios: bool = False  # the setting: a run that executes nothing may pass
    # Rows of this run that cleanup could not delete: table -> ids. Any makes the verdict say so.
    left_behind: dict[str, list[str]] = field(default_factory=dict)
    enrichment: list[EnrichmentTiming] = field(default_factory=list)  # one per enrichment wait
    capacity: list[CapacityFigures] = field(default_factory=list)  # the capacity scenario's figures
    # Every breaker as read once before the first scenario and once after the last (empty: not read).
    breakers_at_start: dict[str, BreakerState] = field(default_factory=dict)
    breakers_at_end: dict[str, BreakerState] = field(default_factory=dict)
    metrics: MetricsTarget | None = None  # where the run's Prometheus metrics go, if anywhere
    # Monitor.chart() per scenario key, for the report's pictures.
    timelines: dict[str, dict[str, Any]] = field(default_factory=dict)
    # What was tested, in words (lifecycle.describe_target): description, api_url, database, platform...
    target: dict[str, str] = field(default_factory=dict)
    known_issues: tuple[KnownIssue, ...] = ()
    known_issues_strict: bool = True


# ---------------------------------------------------------------------------------------------------
# Verdict
# ---------------------------------------------------------------------------------------------------
def decide_verdict(
    outcomes: Sequence[ScenarioOutcome],
    cannot_test: str | None = None,
    *,
    interrupted: bool = False,
    run_errors: int = 0,
) -> Verdict:
    """An interrupt -> INTERRUPTED; cannot_test with nothing executed -> 3; any failure (or an error outside
    the scenarios, e.g. a hook) -> 1; else any abort -> 2; else 0. A real failure wins over an abort."""
    statuses = {o.status for o in outcomes}
    executed = bool(statuses & {PASSED, FAILED, ABORTED, KNOWN_ISSUE, FIXED})
    if interrupted:
        return Verdict.INTERRUPTED
    if cannot_test and not executed:
        return Verdict.CANNOT_TEST
    if FAILED in statuses or FIXED in statuses or run_errors or cannot_test:
        return Verdict.FAILED
    if ABORTED in statuses:
        return Verdict.SERVICE_FAILURE
    return Verdict.PASSED


def judge_run(
    outcomes: Sequence[ScenarioOutcome],
    cannot_test: str | None = None,
    *,
    interrupted: bool = False,
    run_errors: int = 0,
    left_behind: Mapping[str, Sequence[str]] | None = None,
    stopped_by: str = "SIGINT",
) -> tuple[Verdict, str]:
    """The verdict and its reason: the one decision a run and a merge of shards both make.

    Rows of the run that cleanup left on the target turn 0 and 2 into 1 (a shared stack was left dirty,
    whatever the scenarios said), and the reason names them."""
    verdict = decide_verdict(outcomes, cannot_test, interrupted=interrupted, run_errors=run_errors)
    reason = verdict_reason(
        verdict, outcomes, cannot_test, interrupted=interrupted, run_errors=run_errors, stopped_by=stopped_by
    )
    if left_behind and any(left_behind.values()):
        if verdict in (Verdict.PASSED, Verdict.SERVICE_FAILURE):
            verdict = Verdict.FAILED
        reason = f"{reason}; cleanup left rows of this run: {left_behind_text(left_behind)}"
    return verdict, reason


def left_behind_text(left: Mapping[str, Sequence[str]]) -> str:
    return "; ".join(f"{table} {', '.join(ids)}" for table, ids in left.items() if ids)


def aborted_services(outcomes: Iterable[ScenarioOutcome]) -> list[str]:
    """Words for the banner, e.g. ['openai breaker open'], in the order first seen."""
    seen: dict[str, None] = {}
    for o in outcomes:
        if o.status != ABORTED or o.evidence is None:
            continue
        cause = " (opened by the platform's own rate limiter)" if o.evidence.rate_limited else ""
        for b in o.evidence.breakers:
            seen[f"{b.service} breaker {b.state.replace('_', '-')}{cause}"] = None
        if not o.evidence.breakers:
            for svc in services_in(o.evidence):
                seen[f"{svc} unavailable (campaigns paused)"] = None
            if not services_in(o.evidence):
                seen["campaigns paused"] = None
    return list(seen)


def verdict_line(verdict: Verdict, reason: str, exit_code: int | None = None) -> str:
    """The last line of a run (and of a merge): the verdict, its exit code and the reason's first line."""
    short = reason.splitlines()[0] if reason else ""
    code = int(verdict) if exit_code is None else exit_code
    return f"verdict: {verdict.name} (exit {code}): {short}"


def verdict_reason(
    verdict: Verdict,
    outcomes: Sequence[ScenarioOutcome],
    cannot_test: str | None = None,
    *,
    interrupted: bool = False,
    run_errors: int = 0,
    stopped_by: str = "SIGINT",
) -> str:
    """A short 'why' in words a product person can read."""
    failed = [o for o in outcomes if o.status in (FAILED, FIXED)]
    aborted = [o for o in outcomes if o.status == ABORTED]
    known = [o for o in outcomes if o.status == KNOWN_ISSUE]
    also = f"; {known_issues_text(known)}" if known else ""
    if verdict is Verdict.INTERRUPTED:
        done = sum(1 for o in outcomes if o.status in (PASSED, FAILED, ABORTED, KNOWN_ISSUE, FIXED))
        return (
            f"Interrupted by {STOP_WORDS.get(stopped_by, stopped_by)} before the run finished "
            f"({done} of {len(outcomes)} scenarios ran)"
        )
    if verdict is Verdict.CANNOT_TEST:
        return f"Nothing could be tested: {cannot_test}"
    if verdict is Verdict.FAILED:
        if failed:
            first = failed[0]
            why = (first.reason or "").splitlines()[0] if first.reason else "failed"
            if len(failed) == 1:
                return f"1 scenario failed: {first.name}: {why}"
            return f"{len(failed)} scenarios failed; the first: {first.name}: {why}"
        if cannot_test:
            return f"Set-up failed after some scenarios ran: {cannot_test}"
        return f"{run_errors} error(s) outside the scenarios (hook, cleanup or undefined step)"
    if verdict is Verdict.SERVICE_FAILURE:
        noun = "scenario" if len(aborted) == 1 else "scenarios"
        what = ", ".join(aborted_services(aborted)) or "service unavailable"
        limited = all(o.evidence is not None and o.evidence.rate_limited for o in aborted)
        kind = "the platform's own rate limiter" if limited else "a third-party service failure"
        return f"Stopped by {kind}: {what} ({len(aborted)} {noun} aborted){also}"
    passed = sum(1 for o in outcomes if o.status == PASSED)
    if known:
        noun = "scenario" if passed == 1 else "scenarios"
        return f"{passed} executed {noun} passed; {known_issues_text(known)}"
    return "The 1 executed scenario passed" if passed == 1 else f"All {passed} executed scenarios passed"


def known_issues_text(known: Sequence[ScenarioOutcome]) -> str:
    """'2 known issues (a, b)': visible in the verdict line even when it is green, in their own word (a
    known issue does not fail the run, so it is never counted as 'failed')."""
    ids = ", ".join(dict.fromkeys(o.known_issue.id for o in known if o.known_issue))
    noun = "issue" if len(known) == 1 else "issues"
    return f"{len(known)} known {noun} ({ids})"


# ---------------------------------------------------------------------------------------------------
# The health gate's decision (runner.apply_health_gate acts on it before each scenario)
# ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GateDecision:
    """What the health gate concluded from one read of the breakers: abort (policy 'abort') or go on with a
    warning (policy 'warn'), with the report saying why."""

    abort: bool
    report: BreakerReport


def gate_decision(
    breakers: Mapping[str, BreakerState],
    policy: str,
    job_errors: Callable[[], Sequence[str]] | None = None,
) -> GateDecision | None:
    """None when every breaker is closed. `job_errors` (the run's earlier jobs' errors) says why a breaker
    opened, e.g. the platform's own rate limiter."""
    report = failure_report(breakers, job_errors)
    if report is None:
        return None
    return GateDecision(abort=policy == "abort", report=report)


def stuck_resume(stuck: dict[str, str], breakers: Mapping[str, BreakerState]) -> str | None:
    """A breaker this run resumed (the platform answered success) that is still not closed is the resume's
    failure, a product failure (exit 1), never a service failure of whatever scenario meets it next.
    `stuck`: service -> what the resume saw (Session.stuck_resumes; a breaker seen closed leaves it)."""
    for service in [s for s, b in breakers.items() if b.closed]:
        stuck.pop(service, None)  # closed since: whatever opens it again is a new story
    left = [f"{s}: {stuck[s]}" for s, b in breakers.items() if not b.closed and s in stuck]
    if not left:
        return None
    why = "a breaker this run resumed is still open, the resume's failure (not a service failure)"
    return f"{why}: " + "; ".join(left)


def services_in(report: BreakerReport) -> list[str]:
    """The services a report blames: non-closed breakers, else services named by paused campaigns."""
    if report.breakers:
        return list(dict.fromkeys(report.services))
    found: list[str] = []
    for c in report.paused_campaigns:
        message = (c.status_message or "").lower()
        # The platform attributes a pause to the first service, in enum order, named in the message.
        svc = next((s for s in SERVICES if s in message), None)
        if svc and svc not in found:
            found.append(svc)
    return found


def abort_tags(report: BreakerReport) -> list[str]:
    return [ABORTED_TAG] + [SERVICE_TAG_PREFIX + s for s in services_in(report)]


def one_line(error: BaseException | str) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
