"""runner.py's edits of behave's model: the abort functions and outcomes on behave's real model objects."""

from __future__ import annotations

import io
from typing import Any

import pytest
from behave.configuration import Configuration
from behave.model_type import Status
from behave.parser import parse_feature
from behave.runner import Context, ModelRunner

from campaign_acceptance.errors import ServiceFailure
from campaign_acceptance.model import BreakerReport, BreakerState
from campaign_acceptance.monitor import breaker_report
from campaign_acceptance.outcome import (
    ABORTED,
    FAILED,
    UNTESTED,
    RunRecord,
    Verdict,
    decide_verdict,
    verdict_reason,
)
from campaign_acceptance.runner import (
    BannerFilter,
    abort_before_start,
    apply_health_gate,
    cannot_test,
    on_step_done,
    outcome_of,
    outcomes_from_features,
    scenario_key,
)
from support.evidence import OPENAI_OPEN, REPORT

FEATURE = """\
Feature: F
  Scenario: one
    Given a
    When b
    Then c

  Scenario Outline: many <n>
    Given a <n>
    Examples:
      | n |
      | 1 |
      | 2 |
"""


def feature() -> Any:
    return parse_feature(FEATURE, filename="features/f.feature")


def test_gate_abort_skips_tags_and_records() -> None:
    scenario = feature().scenarios[0]
    record = RunRecord()
    abort_before_start(scenario, REPORT, record)
    assert scenario.status == Status.skipped
    assert all(step.status == Status.skipped for step in scenario.steps)
    assert "aborted" in scenario.tags and "service.openai" in scenario.tags
    assert "openai is open" in scenario.skip_reason
    abort = record.aborts[scenario_key(scenario)]
    assert abort.phase == "gate" and abort.report is REPORT
    out = outcome_of(scenario, record)
    assert (out.status, out.phase, out.evidence) == (ABORTED, "gate", REPORT)


def test_health_gate_warn_policy_goes_on_with_a_warning() -> None:
    scenario = feature().scenarios[0]
    record = RunRecord()
    states = {"openai": OPENAI_OPEN, "apollo": BreakerState("apollo", "closed")}
    assert apply_health_gate(scenario, states, "warn", record) is not None
    assert not scenario.should_skip and record.aborts == {}
    assert "openai" in record.warnings[0]
    assert apply_health_gate(scenario, {"apollo": BreakerState("apollo", "closed")}, "abort", record) is None
    apply_health_gate(scenario, states, "abort", record)
    assert scenario.should_skip and scenario_key(scenario) in record.aborts


def test_in_flight_abort_turns_the_error_into_a_skip() -> None:
    scenario = feature().scenarios[0]
    first, second, third = scenario.steps
    first.status = Status.passed
    second.status = Status.error
    try:
        raise ServiceFailure(REPORT)
    except ServiceFailure as exc:
        second.store_exception_context(exc)
    record = RunRecord()
    assert on_step_done(scenario, second, record) is True
    assert (second.status, third.status) == (Status.skipped, Status.skipped)
    assert scenario.status == Status.skipped and scenario.should_skip
    assert "ABORTED" in second.error_message and "openai" in second.error_message
    assert record.aborts[scenario_key(scenario)].phase == "in-flight"


RATE_LIMITED = breaker_report(
    {"openai": OPENAI_OPEN},
    job_errors=("COMPLETED email_copy: Rate limit exceeded for OpenAI API. Remaining requests: 0. (5 jobs)",),
)


def _raised_in_step(report: BreakerReport) -> tuple[Any, Any]:
    scenario = feature().scenarios[0]
    scenario.steps[0].status = Status.passed
    step = scenario.steps[1]
    step.status = Status.error
    try:
        raise ServiceFailure(report)
    except ServiceFailure as exc:
        step.store_exception_context(exc)
    return scenario, step


def test_a_trip_by_the_platforms_own_rate_limiter_is_named_as_such() -> None:
    scenario, step = _raised_in_step(RATE_LIMITED)
    record = RunRecord()
    assert on_step_done(scenario, step, record) is True
    assert "ABORTED - the platform's own rate limiter opened a breaker" in step.error_message
    assert "a third-party service failed" not in step.error_message
    outcome = outcome_of(scenario, record)
    assert outcome.status == ABORTED
    reason = verdict_reason(Verdict.SERVICE_FAILURE, [outcome])
    assert reason.startswith("Stopped by the platform's own rate limiter: openai breaker open")
    assert "third-party" not in reason


def test_a_rate_limiter_trip_can_count_as_a_product_failure() -> None:
    scenario, step = _raised_in_step(RATE_LIMITED)
    record = RunRecord()
    assert on_step_done(scenario, step, record, rate_limit_fails=True) is False
    assert step.status == Status.failed and record.aborts == {}
    outcome = outcome_of(scenario, record)
    assert outcome.status == FAILED
    assert outcome.reason is not None and "the platform's own rate limiter opened a breaker" in outcome.reason
    assert decide_verdict([outcome]) is Verdict.FAILED


def test_a_third_party_trip_stays_a_service_failure_whatever_the_rate_limit_setting() -> None:
    scenario, step = _raised_in_step(REPORT)
    assert on_step_done(scenario, step, RunRecord(), rate_limit_fails=True) is True
    assert "a third-party service failed" in step.error_message


def test_other_errors_are_left_alone() -> None:
    scenario = feature().scenarios[0]
    step = scenario.steps[0]
    step.status = Status.failed
    step.store_exception_context(AssertionError("nope"))
    assert on_step_done(scenario, step, RunRecord()) is False
    assert step.status == Status.failed


def test_cannot_test_records_one_line_and_aborts_the_run_silently(capsys: pytest.CaptureFixture[str]) -> None:
    # behave's own context: its abort flag is what run_model reads; the runner prints the cause itself
    # once, so nothing may be printed here (behave's context.abort() would print `ABORTED: ...`).
    context = Context(ModelRunner(Configuration(command_args=[], load_config=False)))
    record = RunRecord()
    cannot_test(context, ValueError("database unreachable\n  details nobody needs"), record)
    assert record.cannot_test == "database unreachable"
    assert context.aborted is True
    assert capsys.readouterr() == ("", "")


def test_outcomes_cover_outline_examples_with_unique_keys() -> None:
    outcomes = outcomes_from_features([feature()], RunRecord(), run_aborted=True)
    assert [x.name.split(" -- ")[0] for x in outcomes][1:] == ["many 1", "many 2"]
    assert len({x.key for x in outcomes}) == 3
    assert {x.status for x in outcomes} == {UNTESTED}
    assert outcomes[0].reason == "not run: the run was stopped before it"


def test_a_passed_scenario_carries_the_evidence_of_a_pause_it_provoked() -> None:
    scenario = feature().scenarios[0]
    for step in scenario.steps:
        step.status = Status.passed
    record = RunRecord()
    assert outcome_of(scenario, record).evidence is None
    record.evidence[scenario_key(scenario)] = REPORT
    out = outcome_of(scenario, record)
    assert (out.status, out.evidence) == ("passed", REPORT)


def test_the_health_gate_says_why_from_the_runs_earlier_job_errors_only_when_it_aborts() -> None:
    reads: list[int] = []

    def errors() -> tuple[str, ...]:
        reads.append(1)
        return ("COMPLETED email_copy: Rate limit exceeded for OpenAI API. Remaining requests: 0. (5 jobs)",)

    closed = {"openai": BreakerState("openai", "closed")}
    assert apply_health_gate(feature().scenarios[0], closed, "abort", RunRecord(), errors) is None
    assert reads == []  # nothing read while every breaker is closed
    record = RunRecord()
    report = apply_health_gate(feature().scenarios[0], {"openai": OPENAI_OPEN}, "abort", record, errors)
    assert report is not None and report.rate_limited and reads == [1]
    assert "the platform's own rate limiter" in next(iter(record.aborts.values())).reason


def test_the_banner_filter_drops_behaves_runner_banner_and_nothing_else() -> None:
    # behave's main: print("USING RUNNER: ...") writes the text, then the newline.
    out = io.StringIO()
    banner = BannerFilter(out)
    banner.write("USING RUNNER: campaign_acceptance.runner:VerdictRunner")
    banner.write("\n")
    banner.write("cannot test: x\n")
    assert out.getvalue() == "cannot test: x\n"
    other = io.StringIO()
    plain = BannerFilter(other)
    plain.write("Feature: A")
    plain.flush()  # a first line that cannot be the banner is let through at once
    plain.write("\n")
    assert other.getvalue() == "Feature: A\n"
