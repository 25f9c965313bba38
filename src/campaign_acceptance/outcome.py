"""What a run amounts to: per-scenario outcomes, the verdict (exit code), and the abort mechanics on behave.

Abort mechanics (behave 1.3.3, verified by tests/suite/test_runner.py running behave for real):

- Gate abort, in before_scenario: `abort_before_start(scenario, report, record)` calls
  `scenario.skip(reason)`; behave re-reads `should_run()` after the hook, so no step runs and every
  step is `skipped`. The tags are appended to `scenario.tags` *in place*: behave's JSON formatter keeps
  a reference to that very list and serialises it at the end of the feature; the JUnit reporter
  reads it after the feature.
- In-flight abort, in after_step: a step that raises `ServiceFailure` leaves `step.status == error` and
  `step.exception` set. `on_step_done(scenario, step, record)` turns that into `skipped` and calls
  `scenario.skip(reason)`; `Step.run` then returns "keep going", `Scenario.run` sees `should_skip` and marks
  the remaining steps skipped without running them. The scenario ends `skipped` (not failed), the runner's
  `failed` flag stays clear, and the reason is in `scenario.skip_reason`.
- Cannot test, in before_all: `cannot_test(context, error, record)` records the one-line reason and calls
  `context.abort(reason)`, which prints one `ABORTED: cannot test: ...` line; behave then runs no feature
  (run_model checks `aborted` right after before_all) but still runs after_all, so cleanup happens.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from campaign_acceptance.capacity import CapacityFigures, EnrichmentTiming
from campaign_acceptance.errors import ProgressFailure, ServiceFailure
from campaign_acceptance.known_issues import KnownIssue, listing_issue, matching_issue
from campaign_acceptance.model import SERVICES, BreakerReport, BreakerState, CampaignSnapshot
from campaign_acceptance.monitor import failure_report
from campaign_acceptance.progress import say

if TYPE_CHECKING:
    from campaign_acceptance.metrics import MetricsTarget

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
    """'2 failed as known issues (a, b)': visible in the verdict line even when it is green."""
    ids = ", ".join(dict.fromkeys(o.known_issue.id for o in known if o.known_issue))
    noun = "issue" if len(known) == 1 else "issues"
    return f"{len(known)} failed as known {noun} ({ids})"


# ---------------------------------------------------------------------------------------------------
# Abort mechanics (called by features/environment.py)
# ---------------------------------------------------------------------------------------------------
def scenario_key(scenario: Any) -> str:
    """'features/x.feature:12' (an outline's example row has its own line, so keys are unique)."""
    return f"{scenario.filename}:{scenario.line}"


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


def _add_tags(scenario: Any, names: Iterable[str]) -> None:
    from behave.model import Tag

    # Mutate the list in place: behave's JSON formatter holds a reference to it (formatter/json.py).
    for name in names:
        if name not in scenario.tags:
            scenario.tags.append(Tag(name, scenario.line))


def _feature_name(scenario: Any) -> str:
    feature = getattr(scenario, "feature", None)
    return str(getattr(feature, "name", "") or "")


def _record_abort(scenario: Any, report: BreakerReport, record: RunRecord, phase: str, reason: str) -> None:
    key = scenario_key(scenario)
    record.aborts[key] = AbortRecord(
        key=key,
        feature=_feature_name(scenario),
        scenario=str(scenario.name),
        phase=phase,
        reason=reason,
        report=report,
        at=time.time(),
    )


def abort_before_start(scenario: Any, report: BreakerReport, record: RunRecord) -> None:
    """Health-gate abort from before_scenario: skip the whole scenario, tag it, record the evidence."""
    reason = f"aborted before start (service failure): {report.reason}"
    _add_tags(scenario, abort_tags(report))
    scenario.skip(reason=reason)
    _record_abort(scenario, report, record, PHASE_GATE, reason)
    say(f"ABORTED {scenario.name}: {reason}")


def apply_health_gate(
    scenario: Any,
    breakers: Mapping[str, BreakerState],
    policy: str,
    record: RunRecord,
    job_errors: Callable[[], Sequence[str]] | None = None,
) -> BreakerReport | None:
    """The gate decision in one call: None when all breakers are closed; otherwise abort (policy 'abort')
    or add a warning and go on (policy 'warn'). Returns the report either way. `job_errors` (the run's
    earlier jobs' errors) says why the breaker opened, e.g. the platform's own rate limiter."""
    report = failure_report(breakers, job_errors)
    if report is None:
        return None
    if policy == "abort":
        abort_before_start(scenario, report, record)
    else:
        record.warnings.append(f"{scenario.name}: started with {report.reason} (health gate policy warn)")
    return report


def _service_failure_of(exc: BaseException | None) -> ServiceFailure | None:
    # Follow explicit chaining too, in case a step wrapped the signal (raise X from failure).
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, ServiceFailure):
            return exc
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def on_step_done(scenario: Any, step: Any, record: RunRecord, *, rate_limit_fails: bool = False) -> bool:
    """after_step: a step that raised ServiceFailure becomes an in-flight abort. True if it did.

    A breaker opened by the platform's own rate limiter is not a third-party outage; with
    `rate_limit_fails` (setting rate_limit_trips=product_failure) it is a product failure instead: a
    platform that cannot run its own standard test under its own limits."""
    from behave.model_type import Status

    failure = _service_failure_of(step.exception)
    if failure is None or step.status not in (Status.error, Status.failed):
        return False
    report = failure.report
    if report.rate_limited and rate_limit_fails:
        step.status = Status.failed
        step.exception = AssertionError(
            "the platform's own rate limiter opened a breaker (rate_limit_trips=product_failure): "
            + report.reason
        )
        step.error_message = f"FAILED - {step.exception}\n" + report.render_text()
        return False
    reason = f"aborted in flight (service failure): {report.reason}"
    cause = (
        "the platform's own rate limiter opened a breaker (counted as a service failure; "
        "rate_limit_trips=product_failure fails instead)"
        if report.rate_limited
        else "a third-party service failed, not the product"
    )
    # Order matters: the step must be 'skipped' before scenario.skip() recomputes the scenario status.
    step.status = Status.skipped
    step.error_message = f"ABORTED - {cause}\n" + report.render_text()
    _add_tags(scenario, abort_tags(report))
    scenario.skip(reason=reason)
    _record_abort(scenario, report, record, PHASE_IN_FLIGHT, reason)
    say(f"ABORTED {scenario.name}: {reason}")
    return True


def one_line(error: BaseException | str) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def cannot_test(context: Any, error: BaseException | str, record: RunRecord) -> None:
    """before_all: nothing can be tested. One line, no traceback, no scenario runs, exit code 3."""
    message = one_line(error)
    record.cannot_test = message
    context.abort(reason=f"cannot test: {message}")


# ---------------------------------------------------------------------------------------------------
# From behave's model to outcomes
# ---------------------------------------------------------------------------------------------------
def _step_message(step: Any) -> str | None:
    """The failure or abort of a step as the reports show it; None for a step that did not fail."""
    exc = step.exception
    failure = _service_failure_of(exc)
    if failure is not None:
        return str(step.error_message or failure.report.render_text())
    if not step.status.has_failed():
        return None
    if step.status.name == "undefined":
        return "undefined step: no step definition matches these words"
    if exc is None:
        return str(step.error_message or step.status.name)
    kind = "" if isinstance(exc, AssertionError) else f"{type(exc).__name__}: "
    return f"{kind}{str(exc).strip() or type(exc).__name__}"


def _step_outcomes(scenario: Any) -> tuple[StepOutcome, ...]:
    background = {id(s) for s in getattr(scenario, "background_steps", None) or ()}
    steps = []
    for step in scenario.all_steps:
        captured = getattr(step, "captured", None)
        output = str(getattr(captured, "output", "") or "").strip() or None
        exc = step.exception
        steps.append(
            StepOutcome(
                keyword=str(step.keyword),
                name=str(step.name),
                status=ABORTED if _service_failure_of(exc) is not None else str(step.status.name),
                duration_s=float(step.duration or 0.0),
                message=_step_message(step),
                output=output,
                background=id(step) in background,
                details=exc.details if isinstance(exc, ProgressFailure) else None,
            )
        )
    return tuple(steps)


def _failed_step(scenario: Any) -> Any | None:
    return next((step for step in scenario.all_steps if step.status.has_failed()), None)


def _failure_reason(scenario: Any) -> str:
    for step in scenario.all_steps:
        if not step.status.has_failed():
            continue
        where = f"{step.keyword} {step.name}"
        if step.status.name == "undefined":
            return f"undefined step: {where}"
        exc = step.exception
        if exc is None:
            return f"{where}: {step.error_message or step.status.name}"
        kind = "" if isinstance(exc, AssertionError) else f"{type(exc).__name__}: "
        return f"{where}: {kind}{str(exc).strip() or type(exc).__name__}"
    message = (scenario.error_message or "").strip()
    return message or f"scenario ended {scenario.status.name}"


def outcome_of(scenario: Any, record: RunRecord, run_aborted: bool = False) -> ScenarioOutcome:
    key = scenario_key(scenario)
    status = scenario.status
    tags = tuple(str(t) for t in scenario.tags)
    base = ScenarioOutcome(
        key=key,
        feature=_feature_name(scenario),
        name=str(scenario.name),
        status=UNTESTED,
        tags=tags,
        duration_s=float(scenario.duration or 0.0),
        steps=_step_outcomes(scenario),
        timeline=record.timelines.get(key),
    )
    abort = record.aborts.get(key)
    if status.has_failed():
        # A real failure wins over an abort (e.g. after_scenario failed after an in-flight abort).
        failed = replace(base, status=FAILED, reason=_failure_reason(scenario))
        return _as_known_issue(failed, _failed_step(scenario), record)
    if abort is not None:
        return replace(base, status=ABORTED, reason=abort.reason, evidence=abort.report, phase=abort.phase)
    if ABORTED_TAG in tags:  # tagged by our functions but the record was not reachable
        return replace(base, status=ABORTED, reason=scenario.skip_reason)
    if status.name in ("passed", "pending_warn"):
        passed = replace(base, status=PASSED, evidence=record.evidence.get(key))
        issue = listing_issue(record.known_issues, passed.name)
        if issue is None:
            return passed
        fixed = f"fixed? remove known issue {issue.id}: the scenario passed ({issue.description})"
        return replace(
            passed, status=FIXED if record.known_issues_strict else PASSED, reason=fixed, known_issue=issue
        )
    if status.name == "skipped":
        return replace(base, status=SKIPPED, reason=scenario.skip_reason or "not selected")
    why = "not run: the run was stopped before it" if run_aborted else "not run"
    return replace(base, reason=why)


def _as_known_issue(failed: ScenarioOutcome, step: Any | None, record: RunRecord) -> ScenarioOutcome:
    """A failure the known-issues file lists, matched on scenario, failing step and message."""
    if not record.known_issues or step is None:
        return failed
    message = "\n".join(
        part
        for part in (str(step.exception or ""), str(step.error_message or ""), failed.reason or "")
        if part
    )
    issue = matching_issue(record.known_issues, failed.name, f"{step.keyword} {step.name}", message)
    if issue is None:
        return failed
    reason = f"known issue {issue.id}: {issue.description}\nfailed as expected: {failed.reason}"
    return replace(failed, status=KNOWN_ISSUE, reason=reason, known_issue=issue)


def outcomes_from_features(
    features: Iterable[Any], record: RunRecord, run_aborted: bool = False
) -> list[ScenarioOutcome]:
    """Every scenario of every feature (outline examples included), in file order."""
    return [
        outcome_of(scenario, record, run_aborted)
        for feature in features
        for scenario in feature.walk_scenarios()
    ]
