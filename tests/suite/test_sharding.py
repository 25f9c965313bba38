"""Sharding: the deterministic assignment of scenarios to shards, on made-up keys and on the real features.
Merging the shards' reports is tested in test_merge.py."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from behave.configuration import Configuration
from behave.parser import parse_file

from campaign_acceptance.selection import apply_selection
from campaign_acceptance.sharding import Shard, ShardReport, assign, other_shard_reason, parse_shard

FEATURES = Path(__file__).resolve().parents[2] / "features"


@pytest.mark.parametrize(
    ("raw", "shard"), [("1/3", Shard(1, 3)), (" 3 / 3 ", Shard(3, 3)), ("1/1", Shard(1, 1))]
)
def test_parse_shard(raw: str, shard: Shard) -> None:
    assert parse_shard(raw) == shard
    assert str(shard) == raw.replace(" ", "")


@pytest.mark.parametrize("raw", ["0/3", "4/3", "3", "a/b", "1/0", "-1/2", ""])
def test_parse_shard_rejects(raw: str) -> None:
    with pytest.raises(ValueError, match="i/N"):
        parse_shard(raw)


def test_assignment_puts_every_breaker_scenario_in_shard_one_and_balances_the_rest() -> None:
    scenarios = {f"f/a.feature:{n}": n in (5, 9, 30) for n in (5, 9, 12, 20, 30, 41, 50, 61)}
    owner = assign(scenarios, 3)
    assert {k for k, shard in owner.items() if scenarios[k]} == {
        "f/a.feature:5",
        "f/a.feature:9",
        "f/a.feature:30",
    }
    assert all(owner[k] == 1 for k, trips in scenarios.items() if trips)
    loads = Counter(owner.values())
    assert loads == {
        1: 3,
        2: 3,
        3: 2,
    }  # 3 breaker scenarios in shard 1; the other 5 fill shards 2 and 3 first
    assert set(owner) == set(scenarios)
    # Line numbers sort as numbers, and the same input always gives the same answer.
    assert owner == assign(dict(reversed(list(scenarios.items()))), 3)
    assert assign({"f/a.feature:9": False, "f/a.feature:10": False}, 2) == {
        "f/a.feature:9": 1,
        "f/a.feature:10": 2,
    }


def test_more_shards_than_scenarios_leaves_some_empty() -> None:
    assert assign({"f:1": False}, 3) == {"f:1": 1}


def real_features() -> list[Any]:
    return [parse_file(str(p)) for p in sorted(FEATURES.glob("*.feature"))]


def test_the_real_features_split_into_disjoint_shards_with_the_breaker_scenarios_together() -> None:
    config = Configuration(command_args=[], load_config=False)
    runs: dict[int, set[str]] = {}
    reports = []
    for index in (1, 2, 3):
        features = real_features()
        selection = apply_selection(features, config, shard=Shard(index, 3))
        assert selection.shard is not None
        reports.append(selection.shard)
        runs[index] = {
            f"{s.filename}:{s.line}" for f in features for s in f.walk_scenarios() if s.should_run(config)
        }
        assert runs[index] == set(selection.shard.owned)
        for f in features:
            for s in f.walk_scenarios():
                if s.should_skip and s.skip_reason.startswith("not in this shard"):
                    assert s.skip_reason == other_shard_reason(
                        assign_of(reports[-1])[f"{s.filename}:{s.line}"], 3
                    )
    tripping = {
        f"{s.filename}:{s.line}"
        for f in real_features()
        for s in f.walk_scenarios()
        if "trips_breaker" in s.effective_tags
    }
    assert tripping and tripping <= runs[1]
    assert not (runs[1] & runs[2] or runs[1] & runs[3] or runs[2] & runs[3])
    selected = set(reports[0].selected)
    assert runs[1] | runs[2] | runs[3] == selected
    assert all(r.selected == reports[0].selected for r in reports)
    assert not any("capacity" in k for k in selected)  # the capacity rule applies before sharding


def assign_of(report: ShardReport) -> dict[str, int]:
    features = real_features()
    trips = {
        f"{s.filename}:{s.line}": "trips_breaker" in s.effective_tags
        for f in features
        for s in f.walk_scenarios()
    }
    return assign({k: trips[k] for k in report.selected}, report.shard.total)
