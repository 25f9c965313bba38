"""The behave runner named in behave.ini: runs the features as usual, then decides the verdict and exits.

behave.ini:

    [behave]
    runner = campaign_acceptance.runner:VerdictRunner
    junit = true
    junit_directory = reports/junit

Why a runner: behave's main maps `runner.run()` to 0/1 only, and `sys.exit()` inside a hook is caught by
behave (run_hook turns SystemExit into a hook error). `run()` of the runner is called outside any of that
(behave/__main__.py catches `Exception`, not SystemExit), after behave has closed its formatters and ended
its reporters (JUnit files written, summary printed), so exiting there is safe and keeps every report.

Abort mechanics (behave 1.3.3, verified by tests/suite/test_runner.py running behave for real); the pure
decisions they act on (verdict, gate, outcome records) are in outcome.py, which never imports behave:

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
- Cannot test, in before_all: the runner wraps the hook; a CannotTestError from it goes to
  `cannot_test(context, error, record)`, which records the one-line reason and sets behave's `aborted` flag;
  behave then runs no feature (run_model checks `aborted` right after before_all) but still runs after_all,
  so cleanup happens.
- Refused before anything starts (`run_with_paths`): settings that cannot be read, or a selection that
  matches no scenario, stop the run before behave loads the hooks and steps: no sandbox, no user, no
  feature printed; the reporters still see every feature (JUnit shows the run red).

The console says one thing once: behave's `USING RUNNER` banner and its summary (which counts a known issue
or a cannot-test run as "failed") are replaced by the runner's own lines (`summary_line`, `cause`, verdict);
an exit 3 is exactly two lines, the cause and the verdict.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Any
from xml.etree import ElementTree

from behave.exception import ConfigError
from behave.formatter._registry import make_formatters
from behave.model import Tag
from behave.model_type import Status
from behave.reporter.junit import JUnitReporter
from behave.reporter.summary import AbstractSummaryReporter
from behave.runner import Context, Runner
from behave.runner_util import parse_features, print_undefined_step_snippets

from campaign_acceptance.allure_results import allure_directories, finish_results
from campaign_acceptance.errors import CannotTestError, ConfigurationError, ProgressFailure, ServiceFailure
from campaign_acceptance.known_issues import listing_issue, matching_issue
from campaign_acceptance.metrics import export as export_metrics
from campaign_acceptance.model import BreakerReport, BreakerState
from campaign_acceptance.outcome import (
    ABORTED,
    ABORTED_TAG,
    FAILED,
    FIXED,
    KNOWN_ISSUE,
    PASSED,
    PHASE_GATE,
    PHASE_IN_FLIGHT,
    SKIPPED,
    STOP_EXIT_CODES,
    STOP_WORDS,
    UNTESTED,
    AbortRecord,
    RunRecord,
    ScenarioOutcome,
    StepOutcome,
    Verdict,
    abort_tags,
    gate_decision,
    judge_run,
    one_line,
    verdict_line,
)
from campaign_acceptance.progress import say
from campaign_acceptance.report import RunSummary, summary_campaigns, write_reports
from campaign_acceptance.selection import (
    Selection,
    apply_selection,
    contract_first,
    describe_selection,
    is_not_selected,
)
from campaign_acceptance.settings import reports_dir_from_behave, settings_from_behave

__all__ = [
    "BannerFilter",
    "StdoutGuard",
    "VerdictJUnitReporter",
    "VerdictRunner",
    "abort_before_start",
    "apply_health_gate",
    "cannot_test",
    "failed_lines",
    "known_issue_lines",
    "on_step_done",
    "outcome_of",
    "outcomes_from_features",
    "record_of",
    "scenario_key",
    "summary_line",
]

JUNIT_SUBDIR = "junit"
BEHAVE_JUNIT_DIRECTORY = "reports"  # behave's default for --junit-directory
JUNIT_PATTERN = "TESTS-*.xml"  # the names behave's JUnit reporter gives its files
BANNER = "USING RUNNER:"  # behave's main prints it before run(): a line about behave, not about the run


# ---------------------------------------------------------------------------------------------------
# Abort mechanics (called by features/environment.py)
# ---------------------------------------------------------------------------------------------------
def scenario_key(scenario: Any) -> str:
    """'features/x.feature:12' (an outline's example row has its own line, so keys are unique)."""
    return f"{scenario.filename}:{scenario.line}"


def _add_tags(scenario: Any, names: Iterable[str]) -> None:
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
    """Act on the gate's decision (outcome.gate_decision) before a scenario: None when all breakers are
    closed; otherwise abort it (policy 'abort') or add a warning and go on (policy 'warn'). Returns the
    report either way."""
    decision = gate_decision(breakers, policy, job_errors)
    if decision is None:
        return None
    if decision.abort:
        abort_before_start(scenario, decision.report, record)
    else:
        record.warnings.append(
            f"{scenario.name}: started with {decision.report.reason} (health gate policy warn)"
        )
    return decision.report


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


def cannot_test(context: Any, error: BaseException | str, record: RunRecord | None) -> str:
    """before_all: nothing can be tested. One line, no traceback, no scenario runs, exit code 3.
    Returns the line."""
    message = one_line(error)
    if record is not None:
        record.cannot_test = message
    # behave's context.abort() would print its own `ABORTED: ...` line: the runner says the cause once,
    # right before the verdict line. Setting the flag is all behave reads (run_model checks it after
    # before_all and runs no feature).
    context._set_root_attribute("aborted", True)
    return message


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


class VerdictJUnitReporter(JUnitReporter):  # type: ignore[misc]
    """behave's JUnit reporter, plus the reason on `<skipped message="..." type="...">` (behave 1.3.3 writes
    an empty `<skipped/>`): type `aborted` for scenarios stopped by a service failure, `not-selected` for
    those the selection left out (tags, the suite's rules, another shard), `skipped` for the others (a
    capability the target lacks). A scenario that did not run because the run could not test or was
    interrupted is an `<error type="cannot-test|interrupted">`: a dashboard must show such a run red, not
    as skipped. README's "JUnit types" table lists them (tests/suite/test_runner.py reads it)."""

    # Set by VerdictRunner: why the whole run stopped (kind, message), or None while it goes on.
    run_stop: Callable[[], tuple[str, str] | None] = staticmethod(lambda: None)
    record_source: Callable[[], RunRecord | None] | None = None  # set by VerdictRunner

    def _process_scenario(self, scenario: Any, report: Any) -> None:
        self.process_scenario_with_known_issues(scenario, report)

    def _process_scenario_plain(self, scenario: Any, report: Any) -> None:
        before = len(report.testcases)
        super()._process_scenario(scenario, report)
        if len(report.testcases) == before:
            return
        case = report.testcases[-1]
        skipped = case.find("skipped")
        if skipped is None:
            return
        stop = self.run_stop()
        if scenario.status.name == "untested" and stop is not None:
            kind, message = stop
            case.remove(skipped)
            error = ElementTree.Element("error", {"type": kind, "message": message})
            case.insert(0, error)
            report.counts_skipped -= 1
            report.counts_errors += 1
            return
        reason = scenario.skip_reason
        if ABORTED_TAG in scenario.tags:
            kind = "aborted"
            record = self.record_source() if self.record_source else None
            abort = record.aborts.get(scenario_key(scenario)) if record else None
            if abort is not None:  # the whole evidence, job errors included, for people reading the XML
                skipped.text = abort.report.render_text()
        elif scenario.status.name == "untested":
            kind, reason = "not-run", reason or "not run"
        elif not reason or is_not_selected(reason):
            # behave's --tags/--name, the @capacity and health-monitoring rules, another shard: README
            kind, reason = "not-selected", reason or "not selected"
        else:
            kind = "skipped"  # e.g. a capability the target lacks ("needs fault control: ...")
        skipped.set("message", str(reason))
        skipped.set("type", kind)

    def process_scenario_with_known_issues(self, scenario: Any, report: Any) -> None:
        """A known issue is a skipped testcase saying so (like pytest's xfail); a listed scenario that
        passed under the strict setting is a failure "fixed? remove known issue <id>"."""
        before = len(report.testcases)
        self._process_scenario_plain(scenario, report)
        record = self.record_source() if self.record_source else None
        if record is None or not record.known_issues or len(report.testcases) == before:
            return
        outcome = outcome_of(scenario, record)
        case = report.testcases[-1]
        if outcome.status == KNOWN_ISSUE:
            for problem in [*case.findall("failure"), *case.findall("error")]:
                if problem.tag == "failure":
                    report.counts_failed -= 1
                else:
                    report.counts_errors -= 1
                case.remove(problem)
            report.counts_skipped += 1
            case.set("status", "skipped")
            skipped = ElementTree.Element("skipped", {"type": "known_issue", "message": outcome.reason or ""})
            case.insert(0, skipped)
        elif outcome.status == FIXED:
            report.counts_failed += 1
            case.set("status", "failed")
            failure = ElementTree.Element("failure", {"type": "fixed", "message": outcome.reason or ""})
            case.insert(0, failure)


def record_of(context: Any) -> RunRecord | None:
    """The RunRecord at `context.world.record` (set in before_all, on the root layer), if any."""
    if context is None:
        return None
    world = getattr(context, "world", None)
    record = getattr(world, "record", None)
    return record if isinstance(record, RunRecord) else None


class StdoutGuard:
    """Stands in for the console stream: a closed pipe (`behave ... | head -3`) stops the run like Ctrl-C
    (cleanup, reports), and every later write goes nowhere instead of failing again."""

    def __init__(self, stream: Any, on_closed: Callable[[], None]) -> None:
        self._stream = stream
        self._on_closed = on_closed
        self.pipe_closed = False

    def write(self, text: str) -> int:
        if not self.pipe_closed:
            try:
                return int(self._stream.write(text))
            except BrokenPipeError:
                self._closed()
        return len(text)

    def flush(self) -> None:
        if not self.pipe_closed:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._closed()

    def _closed(self) -> None:
        self.pipe_closed = True
        try:  # what is still buffered (here and at exit) drains into /dev/null, not into another error
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass
        self._on_closed()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class VerdictRunner(Runner):  # type: ignore[misc]
    """behave's standard Runner + verdict, reports and exit code 0/1/2/3 (130/143/141 when stopped)."""

    exit_on_finish = True  # tests that drive the runner in-process may turn this off
    gives_the_verdict = True  # what lifecycle.check_runner looks for (it need not import the runner)

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.reports_dir = reports_dir_from_behave(config, os.environ)
        # Everything a run writes goes under reports_dir, unless --junit-directory was given.
        if config.junit_directory == config.defaults.get("junit_directory", BEHAVE_JUNIT_DIRECTORY):
            config.junit_directory = str(self.reports_dir / JUNIT_SUBDIR)
        reporters = []
        # behave's summary counts a known issue, a dry run or a run that could not test as "failed": the
        # runner prints its own (summary_line), in the verdict's words, where behave's would have been.
        self.show_summary = any(isinstance(r, AbstractSummaryReporter) for r in config.reporters)
        for r in config.reporters:
            if isinstance(r, AbstractSummaryReporter):
                continue
            if type(r) is JUnitReporter:
                if config.dry_run:  # a dry run writes no verdict artefacts, JUnit included
                    continue
                r = VerdictJUnitReporter(config)
                r.run_stop = self._run_stop
                r.record_source = lambda: record_of(self.context)
            reporters.append(r)
        config.reporters = reporters
        self.abort_reason: str | None = None
        self.cannot_test_reason: str | None = None
        self.interrupted = False
        self.stopped_by: str | None = None  # "SIGINT" | "SIGTERM" | "SIGPIPE" once the run is told to stop
        self.summary: RunSummary | None = None
        self.verdict: Verdict | None = None
        self.exit_code: int | None = None
        self._guard_stdout(config)
        self._stdout_before = sys.stdout
        if sys.stdout is sys.__stdout__:  # a real console, not a test capturing it
            sys.stdout = BannerFilter(sys.stdout)
        self.selection = Selection()

    # -- behave hooks into the run ---------------------------------------------------------------------
    def abort(self, reason: str | None = None) -> None:
        # behave calls runner.abort("KeyboardInterrupt") on Ctrl-C in a step or between features.
        if self.abort_reason is None:
            self.abort_reason = reason
        super().abort(reason=reason)

    def load_hooks(self, filename: str | None = None) -> None:
        super().load_hooks(filename)
        original = self.hooks["before_all"]

        def before_all(context: Any) -> None:
            # The one place a CannotTestError of set-up is handled (escaping the hook it would print a
            # HOOK-ERROR and exit 1): one line, no scenario runs, exit 3.
            try:
                original(context)
            except CannotTestError as error:
                record = record_of(context)
                if record is not None and not record.settings:
                    # The settings themselves are invalid: still write where CI looks.
                    record.reports_dir = str(self.reports_dir)
                self.cannot_test_reason = cannot_test(context, error, record)

        self.hooks["before_all"] = before_all

    def run_hook_with_capture(self, hook_name: str, *args: Any, **kwargs: Any) -> bool:
        passed = bool(super().run_hook_with_capture(hook_name, *args, **kwargs))
        if hook_name == "after_all" and (self._cannot_test() is not None or self.stopped_by):
            # The run was stopped on purpose or by a signal: the verdict line says so, not "By user.".
            self.aborted = False
        return passed

    def _cannot_test(self) -> str | None:
        record = record_of(self.context)
        return (record.cannot_test if record else None) or self.cannot_test_reason

    def _is_interrupted(self) -> bool:
        return (
            self.interrupted
            or self.stopped_by is not None
            or "KeyboardInterrupt" in (self.abort_reason or "")
        )

    def _run_stop(self) -> tuple[str, str] | None:
        """For the JUnit reporter: why scenarios that did not run did not run, if the run was stopped."""
        if self._is_interrupted():
            return "interrupted", f"not run: interrupted by {STOP_WORDS[self.stopped_by or 'SIGINT']}"
        cannot_test = self._cannot_test()
        if cannot_test is not None:
            return "cannot-test", f"not run: nothing could be tested: {cannot_test}"
        return None

    # -- stopping: signals and a closed stdout ---------------------------------------------------------
    def _guard_stdout(self, config: Any) -> None:
        self.stdout_guard = StdoutGuard(sys.stdout, lambda: self._stop("SIGPIPE"))
        for opener in getattr(config, "outputs", ()):
            if getattr(opener, "stream", None) is sys.stdout:
                opener.stream = self.stdout_guard
        for reporter in config.reporters:
            if getattr(reporter, "stream", None) is sys.stdout:
                reporter.stream = self.stdout_guard

    def _stop(self, cause: str) -> None:
        """The first stop raises KeyboardInterrupt where the run is (a wait stops at once; behave then
        runs after_scenario and after_all: cleanup, reports). Later ones only say cleanup is under way."""
        if self.stopped_by is None:
            self.stopped_by = cause
            say(f"stopping: {STOP_WORDS[cause]}; cleaning up and writing the reports")
            raise KeyboardInterrupt(cause)
        say(f"still cleaning up after {STOP_WORDS[self.stopped_by]} ({STOP_WORDS[cause]} ignored)")

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._stop(signal.Signals(signum).name)

    def _install_signal_handlers(self) -> dict[int, Any]:
        previous: dict[int, Any] = {}
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                current = signal.getsignal(signum)
                if current == signal.SIG_IGN:
                    continue  # started with it ignored (nohup, background job): respect that
                previous[signum] = signal.signal(signum, self._on_signal)
            except ValueError:  # not the main thread (in-process tests): behave's own handling stays
                break
        return previous

    def run_with_paths(self) -> bool:
        """behave's run_with_paths, reordered: the features are parsed and selected first, so a run that
        cannot test (settings unreadable, a selection matching no scenario) is refused before behave loads
        the hooks (no sandbox, no user, nothing to clean up) and in well under a second."""
        self.context = Context(self)
        locations = [name for name in self.feature_locations() if not self.config.exclude(name)]
        self.features.extend(parse_features(locations, language=self.config.lang))
        refusal = self._select()
        if refusal is not None:
            self.cannot_test_reason = refusal
            for reporter in self.config.reporters:  # JUnit: every scenario an <error type="cannot-test">
                for feature in self.features:
                    reporter.feature(feature)
                reporter.end()
            return True
        self.load_hooks()
        self.load_step_definitions()
        self.formatters = make_formatters(self.config, self.config.outputs)
        return bool(self.run_model())

    def _select(self) -> str | None:
        """The suite's own selection rules (selection.py), before any hook runs; why the run cannot test,
        if it cannot."""
        try:
            settings = settings_from_behave(self.config, os.environ)
        except ConfigurationError as error:
            return one_line(error)
        contract_first(self.features)
        self.selection = apply_selection(
            self.features,
            self.config,
            health_monitoring=settings.health_monitoring,
            shard=settings.shard,
            shared_target=settings.api_url is not None,
        )
        if self.config.dry_run or settings.allow_no_scenarios:
            return None
        if any(s.should_run(self.config) for f in self.features for s in f.walk_scenarios()):
            return None
        selection = describe_selection(self.config)
        if not self.features:
            return f"no scenario found in {selection}"
        left = list(self.selection.left_out.values())
        if left:  # behave's selection matched, the suite's rules left every one out (e.g. a shard)
            return f"no scenario to run: the {len(left)} selected by {selection} are left out ({left[0]})"
        return f"no scenario selected by {selection} (set allow_no_scenarios=true if that is intended)"

    # -- the run ---------------------------------------------------------------------------------------
    def run(self) -> bool:
        if self.config.dry_run:
            return self._dry_run()
        started = time.time()
        failed = True
        sys.stdout.flush()  # the banner filter lets go of anything it held back
        previous_stdout = self._stdout_before
        sys.stdout = self.stdout_guard
        previous_handlers = self._install_signal_handlers()
        try:
            self._remove_earlier_junit_files()
            try:
                failed = bool(super().run())
            except KeyboardInterrupt:
                self.interrupted = True
            except ConfigError as error:  # no steps directory, no feature files: nothing to test
                self.cannot_test_reason = one_line(error)
            verdict = self.finish(failed, started)
        finally:
            for signum, handler in previous_handlers.items():
                signal.signal(signum, handler)
            sys.stdout = previous_stdout
        if self.exit_on_finish:
            sys.exit(self.exit_code)
        return verdict is not Verdict.PASSED

    def _dry_run(self) -> bool:
        sys.stdout.flush()
        previous_stdout, sys.stdout = self._stdout_before, self.stdout_guard
        try:
            failed = bool(super().run())
        finally:
            sys.stdout = previous_stdout
        scenarios = [s for f in self.features for s in f.walk_scenarios()]
        selected = sum(1 for s in scenarios if s.should_run(self.config))
        undefined = len(self.undefined_steps)
        print(
            f"dry run: {_count(len(scenarios), 'scenario')} ({selected} selected, "
            f"{len(scenarios) - selected} not selected), "
            + (f"{_count(undefined, 'undefined step')}" if undefined else "every step defined")
            + "; nothing was executed: no verdict, no status.json, report.html or JUnit written",
            flush=True,
        )
        return failed

    def _remove_earlier_junit_files(self) -> None:
        if not getattr(self.config, "junit", False):
            return
        for path in Path(self.config.junit_directory).glob(JUNIT_PATTERN):
            with contextlib.suppress(OSError):  # not worth stopping the run for
                path.unlink()

    def finish(self, behave_failed: bool, started: float) -> Verdict:
        """Outcomes -> verdict -> reports -> the final line. Returns the verdict."""
        record = record_of(self.context) or RunRecord(reports_dir=str(self.reports_dir))
        cannot_test = record.cannot_test or self.cannot_test_reason
        interrupted = self._is_interrupted()
        run_aborted = bool(self.context is not None and self.aborted) or interrupted or bool(cannot_test)
        outcomes = outcomes_from_features(self.features, record, run_aborted=run_aborted)
        if not interrupted and not cannot_test and not record.allow_no_scenarios:
            cannot_test = self._nothing_ran(outcomes)
        # behave's own verdict catches what no scenario shows (before_feature/after_all hook errors...).
        unexplained = behave_failed and not any(o.status in (FAILED, KNOWN_ISSUE) for o in outcomes)
        run_errors = 1 if unexplained and not interrupted and not cannot_test else 0
        stopped_by = self.stopped_by or "SIGINT"
        verdict, reason = judge_run(
            outcomes,
            cannot_test,
            interrupted=interrupted,
            run_errors=run_errors,
            left_behind=record.left_behind,
            stopped_by=stopped_by,
        )
        exit_code = STOP_EXIT_CODES.get(stopped_by, 130) if verdict is Verdict.INTERRUPTED else int(verdict)
        summary = RunSummary(
            verdict=verdict,
            reason=reason,
            scenarios=outcomes,
            started_at=record.started_at or started,
            finished_at=record.finished_at or time.time(),
            settings=dict(record.settings),
            campaigns=summary_campaigns(record.campaigns),
            warnings=list(record.warnings),
            exit_code=exit_code,
            left_behind=dict(record.left_behind),
            enrichment=list(record.enrichment),
            capacity=list(record.capacity),
            breakers_at_start=list(record.breakers_at_start.values()),
            breakers_at_end=list(record.breakers_at_end.values()),
            target=dict(record.target),
            run_id=record.settings.get("run_id"),
            interrupted=interrupted,
            cannot_test=cannot_test,
            run_errors=run_errors,
            shard=self.selection.shard,
        )
        if record.metrics is not None:
            done, failed = export_metrics(
                record.metrics, summary, record.breakers_at_start, record.breakers_at_end
            )
            summary.warnings.extend(failed)
            for line in done + failed:
                print(line, flush=True)
        self.summary, self.verdict, self.exit_code = summary, verdict, exit_code
        if self.show_summary and verdict is not Verdict.CANNOT_TEST:
            print(summary_line(outcomes, time.time() - started))
        quiet = verdict is Verdict.CANNOT_TEST  # exactly two lines: the cause and the verdict
        self._write(Path(record.reports_dir or self.reports_dir), summary, quiet=quiet)
        for directory in allure_directories(getattr(self, "formatters", None) or ()):
            try:
                finish_results(directory, summary)
            except OSError as error:  # the verdict still stands; say why Allure will miss the suite's part
                print(f"allure results in {directory} not completed: {error}")
        if self.config.show_snippets and self.undefined_steps:
            print_undefined_step_snippets(self.undefined_steps, colored=self.config.has_colored_mode())
        if verdict is Verdict.CANNOT_TEST:
            # The cause once, then the verdict line without a second copy of it (status.json has both).
            print(f"cannot test: {cannot_test}")
            reason = reason.split(":", 1)[0]
        elif self.show_summary:
            for line in failed_lines(outcomes):
                print(line)
        for line in known_issue_lines(outcomes):
            print(line)
        print(verdict_line(verdict, reason, exit_code), flush=True)
        return verdict

    def _nothing_ran(self, outcomes: list[ScenarioOutcome]) -> str | None:
        """A run that executed no scenario tested nothing: say which selection found nothing to run."""
        if any(o.status in (PASSED, FAILED, ABORTED, KNOWN_ISSUE, FIXED) for o in outcomes):
            return None
        selection = describe_selection(self.config)
        if not outcomes:
            return f"no scenario found in {selection}"
        skipped = [o for o in outcomes if o.reason and o.reason != "not selected"]
        if skipped:
            return (
                f"no scenario ran: {len(skipped)} selected by {selection} were skipped ({skipped[0].reason})"
            )
        return f"no scenario selected by {selection} (set allow_no_scenarios=true if that is intended)"

    @staticmethod
    def _write(directory: Path, summary: RunSummary, *, quiet: bool = False) -> None:
        try:
            status, page = write_reports(directory, summary)
        except OSError as error:  # the verdict still stands; say why the files are missing
            print(f"reports not written to {directory}: {error}")
            return
        if not quiet:
            print(f"reports: {status} {page}")


def known_issue_lines(outcomes: list[Any]) -> list[str]:
    """One console line per scenario a known issue concerns, before the verdict line."""
    lines = []
    for o in outcomes:
        if o.known_issue is None:
            continue
        if o.status == KNOWN_ISSUE:
            lines.append(f"known issue {o.known_issue.id}: {o.name}: {o.known_issue.description}")
        else:
            lines.append(f"fixed? remove known issue {o.known_issue.id}: {o.name} passed")
    return lines


def _count(n: int, noun: str) -> str:
    """'1 scenario', '3 scenarios'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# The console's words for each outcome, in this order (the same words as the verdict: a known issue or a
# scenario left out is never counted as "failed").
_SUMMARY_WORDS: tuple[tuple[str, str, str], ...] = (
    (PASSED, "passed", "passed"),
    (FAILED, "failed", "failed"),
    (FIXED, "fixed? (listed as a known issue, passed)", "fixed? (listed as known issues, passed)"),
    (KNOWN_ISSUE, "known issue", "known issues"),
    (ABORTED, "aborted (service failure)", "aborted (service failure)"),
    (SKIPPED, "skipped", "skipped"),
    ("not selected", "not selected", "not selected"),
    (UNTESTED, "not run", "not run"),
)


def _summary_word(outcome: ScenarioOutcome) -> str:
    if outcome.status == SKIPPED and is_not_selected(outcome.reason or ""):
        return "not selected"
    return outcome.status


def summary_line(outcomes: Sequence[ScenarioOutcome], duration_s: float) -> str:
    """The run in one line, e.g. `8 scenarios in 1 min 12 s: 4 passed, 3 known issues, 1 not selected`
    (replaces behave's summary, which would count the known issues as failed)."""
    counts: dict[str, int] = {}
    for outcome in outcomes:
        word = _summary_word(outcome)
        counts[word] = counts.get(word, 0) + 1
    parts = [
        f"{counts[status]} {one if counts[status] == 1 else many}"
        for status, one, many in _SUMMARY_WORDS
        if counts.get(status)
    ]
    minutes, seconds = divmod(max(0.0, duration_s), 60)
    took = f"{int(minutes)} min {seconds:.0f} s" if minutes else f"{seconds:.1f} s"
    return f"{_count(len(outcomes), 'scenario')} in {took}: {', '.join(parts) or 'none'}"


def failed_lines(outcomes: Sequence[ScenarioOutcome]) -> list[str]:
    """Where each failed scenario is, as behave listed them ('Failing scenarios:'), failures only."""
    failed = [o for o in outcomes if o.status in (FAILED, FIXED)]
    if not failed:
        return []
    return ["failed scenarios:", *(f"  {o.key}  {o.name}" for o in failed)]


class BannerFilter:
    """behave's main prints `USING RUNNER: <class>` after making the runner and before run(): a line about
    behave, not the run. This stands in for standard output until then and drops that one line; everything
    else is passed on as it is."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._first: str | None = ""  # the first line while it is being written; None once decided

    def write(self, text: str) -> int:
        if self._first is None:
            return int(self._stream.write(text))
        self._first += text
        line, newline, rest = self._first.partition("\n")
        if newline:
            self._first = None
            self._stream.write(rest if line.startswith(BANNER) else line + newline + rest)
        return len(text)

    def flush(self) -> None:
        if self._first and not self._first.startswith(BANNER[: len(self._first)]):
            self._stream.write(self._first)
            self._first = None
        self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
