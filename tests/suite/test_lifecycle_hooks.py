"""The hooks' functions (lifecycle.py) on behave's real model with a fake platform: a fresh scenario state,
capability skips before any read, and the health gate acting on what the breakers say."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from behave.model_type import Status
from behave.parser import parse_feature

from campaign_acceptance.errors import ProgressFailure
from campaign_acceptance.known_issues import load_known_issues
from campaign_acceptance.lifecycle import begin_scenario, end_scenario
from campaign_acceptance.model import BreakerState
from campaign_acceptance.monitor import ReadErrors
from campaign_acceptance.outcome import RunRecord
from campaign_acceptance.settings import Settings
from campaign_acceptance.target import Target
from campaign_acceptance.world import Session, TenantUser, World
from support.evidence import OPENAI_OPEN

FEATURE = """\
Feature: F
  Scenario: plain
    Given a

  @needs_database
  Scenario: with the database
    Given a
"""


class Platform:
    """Stands in for PlatformClient: the breakers, counted."""

    def __init__(self, *open_breakers: BreakerState) -> None:
        self.states = {"openai": BreakerState("openai", "closed"), **{b.service: b for b in open_breakers}}
        self.reads = 0

    def breakers(self) -> dict[str, BreakerState]:
        self.reads += 1
        return dict(self.states)


class Context:
    def __init__(self, world: World) -> None:
        self.world = world


def context_on(platform: Platform, policy: str = "abort") -> Any:
    session = Session(
        Settings(run_id="unit", health_gate=policy, poll_interval_s=0.01),
        platform,  # type: ignore[arg-type]
        None,
        None,
        TenantUser("u@example.org", "1", "secret"),
        Target("fake", has_database=False, faults=None),
        read_errors=ReadErrors(),
    )
    return Context(World(record=RunRecord(), session_=session))


def scenarios() -> Any:
    return parse_feature(FEATURE, filename="features/f.feature").scenarios


def test_each_scenario_starts_from_a_fresh_state_named_and_keyed_after_it() -> None:
    context = context_on(Platform())
    first = scenarios()[0]
    context.world.scenario.campaigns.append("left over")
    begin_scenario(context, first)
    assert (context.world.scenario.name, context.world.scenario.key) == ("plain", "features/f.feature:2")
    assert context.world.scenario.campaigns == []
    assert not first.should_skip and context.world.record.aborts == {}


def test_a_capability_the_target_lacks_skips_the_scenario_before_any_read() -> None:
    platform = Platform(OPENAI_OPEN)
    context = context_on(platform)
    scenario = scenarios()[1]
    begin_scenario(context, scenario)
    assert scenario.should_skip and "database_url" in scenario.skip_reason
    assert platform.reads == 0 and context.world.record.aborts == {}  # skipped, not aborted


def test_an_open_breaker_aborts_the_scenario_under_abort_and_warns_under_warn() -> None:
    context = context_on(Platform(OPENAI_OPEN))
    scenario = scenarios()[0]
    begin_scenario(context, scenario)
    assert scenario.status == Status.skipped and "aborted" in scenario.tags
    assert list(context.world.record.aborts) == ["features/f.feature:2"]
    warned = context_on(Platform(OPENAI_OPEN), policy="warn")
    scenario = scenarios()[0]
    begin_scenario(warned, scenario)
    assert not scenario.should_skip and warned.world.record.aborts == {}
    assert any("health gate policy warn" in w for w in warned.world.record.warnings)


def test_the_contract_check_runs_whatever_the_breakers_say() -> None:
    # It touches no breaker and reads the contract, not the service: an open breaker does not stop it.
    platform = Platform(OPENAI_OPEN)
    context = context_on(platform)
    (scenario,) = parse_feature(
        "@contract\nFeature: C\n  Scenario: contract\n    Given a\n", filename="features/contract.feature"
    ).scenarios
    begin_scenario(context, scenario)
    assert not scenario.should_skip and context.world.record.aborts == {}
    assert platform.reads == 0


KNOWN_FILE = """\
[[issue]]
id = "stall-1"
description = "Enrichment stops at four leads"
link = "https://example.test/issues/1"
scenarios = ["plain"]
step = "a"
message = 'found 4'
"""


def test_a_failure_the_known_issues_file_lists_is_said_to_be_one_right_under_it(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "known.toml").write_text(KNOWN_FILE)
    context = context_on(Platform())
    context.world.record.known_issues = load_known_issues(tmp_path / "known.toml")
    listed, other = scenarios()
    for scenario, text in ((listed, "expected 5 leads enriched, found 4"), (other, "found 3")):
        begin_scenario(context, scenario)
        step = scenario.steps[0]
        step.status, step.exception = Status.failed, AssertionError(text)
        scenario.set_status(Status.failed)
        end_scenario(context, scenario)
    said = [line for line in capfd.readouterr().err.splitlines() if "known issue" in line]
    assert said == ["  known issue stall-1: this failure is listed; it does not fail the run"]


def test_a_breaker_this_run_resumed_that_stays_open_fails_the_next_scenario_as_the_resume_failure() -> None:
    context = context_on(Platform(OPENAI_OPEN))
    context.world.session.stuck_resumes["openai"] = "resume-service answered success for openai; still open"
    scenario = scenarios()[0]
    with pytest.raises(
        ProgressFailure, match=r"the resume's failure .*openai: resume-service answered success"
    ):
        begin_scenario(context, scenario)  # behave turns this into the scenario's failure (exit 1)
    assert context.world.record.aborts == {} and "aborted" not in scenario.tags  # never a service failure
    # Once seen closed the breaker is a new story: open again later, it is a service failure as usual.
    context = context_on(Platform())
    context.world.session.stuck_resumes["openai"] = "still open"
    begin_scenario(context, scenarios()[0])
    assert context.world.session.stuck_resumes == {}
