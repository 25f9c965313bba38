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

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
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
    ABORTED_TAG,
    FAILED,
    FIXED,
    KNOWN_ISSUE,
    RunRecord,
    Verdict,
    decide_verdict,
    one_line,
    outcome_of,
    outcomes_from_features,
    scenario_key,
    verdict_reason,
)
from campaign_acceptance.report import RunSummary, summary_campaigns, write_reports
from campaign_acceptance.selection import Selection, apply_selection
from campaign_acceptance.settings import Settings, settings_from_behave


class VerdictJUnitReporter(JUnitReporter):  # type: ignore[misc]
    """behave's JUnit reporter, plus the reason on `<skipped message="...">` (behave 1.3.3 writes an empty
    `<skipped/>`), `type="aborted"` for scenarios stopped by a service failure, and known issues."""

    record_source: Callable[[], RunRecord | None] | None = None  # set by VerdictRunner

    def _process_scenario(self, scenario: Any, report: Any) -> None:
        self.process_scenario_with_known_issues(scenario, report)

    def _process_scenario_plain(self, scenario: Any, report: Any) -> None:
        before = len(report.testcases)
        super()._process_scenario(scenario, report)
        if len(report.testcases) == before:
            return
        skipped = report.testcases[-1].find("skipped")
        if skipped is None:
            return
        reason = scenario.skip_reason
        if not reason:
            reason = "not run" if scenario.status.name == "untested" else "not selected"
        skipped.set("message", str(reason))
        if ABORTED_TAG in scenario.tags:
            skipped.set("type", "aborted")
            record = self.record_source() if self.record_source else None
            abort = record.aborts.get(scenario_key(scenario)) if record else None
            if abort is not None:  # the whole evidence, job errors included, for people reading the XML
                skipped.text = abort.report.render_text()

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


class VerdictRunner(Runner):  # type: ignore[misc]
    """behave's standard Runner + verdict, reports and exit code 0/1/2/3."""

    exit_on_finish = True  # tests that drive the runner in-process may turn this off

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        config.reporters = [
            VerdictJUnitReporter(config) if type(r) is JUnitReporter else r for r in config.reporters
        ]
        for reporter in config.reporters:
            if isinstance(reporter, VerdictJUnitReporter):
                reporter.record_source = lambda: record_of(self.context)
        self.abort_reason: str | None = None
        self.cannot_test_reason: str | None = None
        self.interrupted = False
        self.summary: RunSummary | None = None
        self.verdict: Verdict | None = None
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
        if hook_name == "after_all" and self._cannot_test() is not None:
            # The run was stopped on purpose, not by the user: avoid behave's "ABORTED: By user." line.
            self.aborted = False
        return passed

    def _cannot_test(self) -> str | None:
        record = record_of(self.context)
        return (record.cannot_test if record else None) or self.cannot_test_reason

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
        started = time.time()
        failed = True
        try:
            failed = bool(super().run())
        except KeyboardInterrupt:
            self.interrupted = True
        except ConfigError as error:  # no steps directory, no feature files: nothing to test
            self.cannot_test_reason = one_line(error)
        verdict = self.finish(failed, started)
        if self.exit_on_finish:
            sys.exit(int(verdict))
        return verdict is not Verdict.PASSED

    def finish(self, behave_failed: bool, started: float) -> Verdict:
        """Outcomes -> verdict -> reports -> the final line. Returns the verdict."""
        record = record_of(self.context) or RunRecord()
        cannot_test = record.cannot_test or self.cannot_test_reason
        interrupted = self.interrupted or "KeyboardInterrupt" in (self.abort_reason or "")
        run_aborted = bool(self.context is not None and self.aborted) or interrupted or bool(cannot_test)
        outcomes = outcomes_from_features(self.features, record, run_aborted=run_aborted)
        # behave's own verdict catches what no scenario shows (before_feature/after_all hook errors...).
        unexplained = behave_failed and not any(o.status in (FAILED, KNOWN_ISSUE) for o in outcomes)
        run_errors = 1 if unexplained and not interrupted and not cannot_test else 0
        verdict = decide_verdict(outcomes, cannot_test, interrupted=interrupted, run_errors=run_errors)
        reason = verdict_reason(
            verdict, outcomes, cannot_test, interrupted=interrupted, run_errors=run_errors
        )
        summary = RunSummary(
            verdict=verdict,
            reason=reason,
            scenarios=outcomes,
            started_at=record.started_at or started,
            finished_at=record.finished_at or time.time(),
            settings=dict(record.settings),
            campaigns=summary_campaigns(record.campaigns),
            warnings=list(record.warnings),
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
        self.summary, self.verdict = summary, verdict
        self._write(Path(record.reports_dir or "reports"), summary)
        for directory in allure_directories(getattr(self, "formatters", None) or ()):
            try:
                finish_results(directory, summary)
            except OSError as error:  # the verdict still stands; say why Allure will miss the suite's part
                print(f"allure results in {directory} not completed: {error}")
        if self.config.show_snippets and self.undefined_steps:
            print_undefined_step_snippets(self.undefined_steps, colored=self.config.has_colored_mode())
        for line in known_issue_lines(outcomes):
            print(line)
        print(verdict_line(verdict, reason), flush=True)
        return verdict

    @staticmethod
    def _write(directory: Path, summary: RunSummary) -> None:
        try:
            status, page = write_reports(directory, summary)
        except OSError as error:  # the verdict still stands; say why the files are missing
            print(f"reports not written to {directory}: {error}")
            return
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


def verdict_line(verdict: Verdict, reason: str) -> str:
    short = reason.splitlines()[0] if reason else ""
    return f"verdict: {verdict.name} (exit {int(verdict)}): {short}"
