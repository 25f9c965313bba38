"""The suite's own selection rules, on behave's real model and configuration."""

from __future__ import annotations

from typing import Any

import pytest
from behave.configuration import Configuration
from behave.parser import parse_feature

from campaign_acceptance.selection import (
    CAPACITY_REASON,
    MONITORING_REASON,
    apply_selection,
    contract_first,
    names_tag,
)

FEATURES = {
    "features/a.feature": """
Feature: A
  @happy
  Scenario: plain
    Given a step

  @trips_breaker
  Scenario: trips
    Given a step
""",
    "features/capacity.feature": """
@capacity
Feature: Capacity
  Scenario Outline: load <n>
    Given a step
    Examples:
      | n |
      | 1 |
""",
}


def features() -> list[Any]:
    return [parse_feature(text, filename=name) for name, text in FEATURES.items()]


def config(*args: str) -> Configuration:
    return Configuration(command_args=list(args), load_config=False)


def statuses(parsed: list[Any], cfg: Configuration) -> dict[str, str | None]:
    return {
        s.name: (s.skip_reason if s.should_skip else "runs" if s.should_run(cfg) else "not selected")
        for f in parsed
        for s in f.walk_scenarios()
    }


@pytest.mark.parametrize(
    ("tags", "named"),
    [
        (None, False),
        ("", False),
        ("@capacity", True),
        (["-@trips_breaker"], False),
        (["not @capacity"], True),
        ("@happy or @capacity", True),
        ("@capacity_x", False),
        ("@capacity.x", False),
    ],
)
def test_names_tag(tags: object, named: bool) -> None:
    assert names_tag(tags, "capacity") is named


def test_capacity_is_left_out_of_the_default_selection_with_its_reason() -> None:
    parsed, cfg = features(), config()
    selection = apply_selection(parsed, cfg)
    assert statuses(parsed, cfg) == {"plain": "runs", "trips": "runs", "load 1 -- @1.1 ": CAPACITY_REASON}
    assert selection.left_out == {"features/capacity.feature:8": CAPACITY_REASON}


def test_a_selection_without_capacity_in_it_still_leaves_it_out() -> None:
    parsed, cfg = features(), config("--tags=-@trips_breaker")
    apply_selection(parsed, cfg)
    assert statuses(parsed, cfg)["load 1 -- @1.1 "] == CAPACITY_REASON
    assert statuses(parsed, cfg)["trips"] == "not selected"


def test_naming_capacity_runs_it() -> None:
    parsed, cfg = features(), config("--tags=@capacity")
    selection = apply_selection(parsed, cfg)
    assert statuses(parsed, cfg) == {
        "plain": "not selected",
        "trips": "not selected",
        "load 1 -- @1.1 ": "runs",
    }
    assert selection.left_out == {}


def test_health_monitoring_runs_no_breaker_tripping_scenario_by_default() -> None:
    parsed, cfg = features(), config()
    selection = apply_selection(parsed, cfg, health_monitoring=True)
    assert statuses(parsed, cfg) == {
        "plain": "runs",
        "trips": MONITORING_REASON,
        "load 1 -- @1.1 ": CAPACITY_REASON,
    }
    assert selection.left_out["features/a.feature:8"] == MONITORING_REASON


def test_health_monitoring_with_a_tag_selection_keeps_that_selection() -> None:
    parsed, cfg = features(), config("--tags=@trips_breaker")
    apply_selection(parsed, cfg, health_monitoring=True)
    assert statuses(parsed, cfg) == {
        "plain": "not selected",
        "trips": "runs",
        "load 1 -- @1.1 ": "not selected",
    }


def test_contract_features_run_first_and_the_others_keep_their_order() -> None:
    texts = {
        "features/a.feature": "Feature: A\n  Scenario: a\n    Given a step\n",
        "features/b.feature": "Feature: B\n  Scenario: b\n    Given a step\n",
        "features/contract.feature": "@contract\nFeature: C\n  Scenario: c\n    Given a step\n",
    }
    parsed = [parse_feature(text, filename=name) for name, text in texts.items()]
    contract_first(parsed)
    assert [f.name for f in parsed] == ["C", "A", "B"]
