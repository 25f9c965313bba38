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
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any
from xml.etree import ElementTree

from behave.exception import ConfigError
from behave.reporter.junit import JUnitReporter
from behave.runner import Runner
from behave.runner_util import print_undefined_step_snippets

from campaign_acceptance.allure_results import allure_directories, finish_results
from campaign_acceptance.errors import CannotTestError, ConfigurationError
from campaign_acceptance.metrics import export as export_metrics
from campaign_acceptance.outcome import (
    ABORTED,
    ABORTED_TAG,
    FAILED,
    FIXED,
    KNOWN_ISSUE,
    PASSED,
    STOP_EXIT_CODES,
    STOP_WORDS,
    RunRecord,
    ScenarioOutcome,
    Verdict,
    decide_verdict,
    one_line,
    outcome_of,
    outcomes_from_features,
    scenario_key,
    verdict_reason,
)
from campaign_acceptance.progress import say
from campaign_acceptance.report import RunSummary, summary_campaigns, write_reports
from campaign_acceptance.selection import Selection, apply_selection
from campaign_acceptance.settings import Settings, reports_dir_from_behave, settings_from_behave

JUNIT_SUBDIR = "junit"
BEHAVE_JUNIT_DIRECTORY = "reports"  # behave's default for --junit-directory
JUNIT_PATTERN = "TESTS-*.xml"  # the names behave's JUnit reporter gives its files


class VerdictJUnitReporter(JUnitReporter):  # type: ignore[misc]
    """behave's JUnit reporter, plus the reason on `<skipped message="..." type="...">` (behave 1.3.3 writes
    an empty `<skipped/>`): type `aborted` for scenarios stopped by a service failure, `not-selected` and
    `skipped` otherwise. A scenario that did not run because the run could not test or was interrupted is an
    `<error type="cannot-test|interrupted">`: a dashboard must show such a run red, not as skipped."""

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
        elif reason:
            kind = "skipped"
        else:
            kind, reason = "not-selected", "not selected"
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

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.reports_dir = reports_dir_from_behave(config, os.environ)
        # Everything a run writes goes under reports_dir, unless --junit-directory was given.
        if config.junit_directory == config.defaults.get("junit_directory", BEHAVE_JUNIT_DIRECTORY):
            config.junit_directory = str(self.reports_dir / JUNIT_SUBDIR)
        reporters = []
        for r in config.reporters:
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
            # Safety net: a CannotTestError escaping before_all would print a HOOK-ERROR and exit 1.
            try:
                original(context)
            except CannotTestError as error:
                self.cannot_test_reason = one_line(error)
                record = record_of(context)
                if record is not None and record.cannot_test is None:
                    record.cannot_test = self.cannot_test_reason
                context.abort(reason=f"cannot test: {self.cannot_test_reason}")

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

    def run_model(self, features: Any = None) -> bool:
        # The suite's own selection rules (selection.py), before any hook runs.
        settings = self._peek_settings()
        self.selection = apply_selection(
            self.features if features is None else features,
            self.config,
            health_monitoring=bool(settings and settings.health_monitoring),
            shard=settings.shard if settings else None,
        )
        return bool(super().run_model(features))

    def _peek_settings(self) -> Settings | None:
        """The settings, for the selection rules; invalid ones are reported by before_all (exit 3)."""
        try:
            return settings_from_behave(self.config, os.environ)
        except ConfigurationError:
            return None

    # -- the run ---------------------------------------------------------------------------------------
    def run(self) -> bool:
        if self.config.dry_run:
            return self._dry_run()
        started = time.time()
        failed = True
        previous_stdout = sys.stdout
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
        failed = bool(super().run())
        print(
            "dry run: no scenario was executed; no verdict, no status.json, report.html or JUnit written",
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
        verdict = decide_verdict(outcomes, cannot_test, interrupted=interrupted, run_errors=run_errors)
        stopped_by = self.stopped_by or "SIGINT"
        reason = verdict_reason(
            verdict,
            outcomes,
            cannot_test,
            interrupted=interrupted,
            run_errors=run_errors,
            stopped_by=stopped_by,
        )
        if record.left_behind:
            # Rows left on a shared stack are a failure of the run, whatever the scenarios said.
            if verdict in (Verdict.PASSED, Verdict.SERVICE_FAILURE):
                verdict = Verdict.FAILED
            reason = f"{reason}; cleanup left rows of this run: {left_behind_text(record.left_behind)}"
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
        self._write(Path(record.reports_dir or self.reports_dir), summary)
        for directory in allure_directories(getattr(self, "formatters", None) or ()):
            try:
                finish_results(directory, summary)
            except OSError as error:  # the verdict still stands; say why Allure will miss the suite's part
                print(f"allure results in {directory} not completed: {error}")
        if self.config.show_snippets and self.undefined_steps:
            print_undefined_step_snippets(self.undefined_steps, colored=self.config.has_colored_mode())
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
    def _write(directory: Path, summary: RunSummary) -> None:
        try:
            status, page = write_reports(directory, summary)
        except OSError as error:  # the verdict still stands; say why the files are missing
            print(f"reports not written to {directory}: {error}")
            return
        print(f"reports: {status} {page}")


def describe_selection(config: Any) -> str:
    """The command-line selection in the user's words, e.g. `features --tags=@hapy_path`."""
    parts = [" ".join(str(p) for p in (getattr(config, "paths", None) or ["features"]))]
    tags = getattr(config, "tags", None)
    for tag in tags or ():
        parts.append(f"--tags={tag}")
    for name in getattr(config, "name", None) or ():
        parts.append(f"--name={name}")
    return " ".join(parts)


def left_behind_text(left: dict[str, list[str]]) -> str:
    return "; ".join(f"{table} {', '.join(ids)}" for table, ids in left.items() if ids)


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


def verdict_line(verdict: Verdict, reason: str, exit_code: int | None = None) -> str:
    short = reason.splitlines()[0] if reason else ""
    code = int(verdict) if exit_code is None else exit_code
    return f"verdict: {verdict.name} (exit {code}): {short}"
