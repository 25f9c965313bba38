"""Sharding: the deterministic assignment of scenarios to shards, on made-up keys and on the real features.
Merging the shards' reports is tested in test_merge.py."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from behave.configuration import Configuration
from behave.parser import parse_file

from campaign_acceptance.selection import apply_selection
from campaign_acceptance.sharding import (
    DURATIONS_FILE,
    Shard,
    ShardReport,
    assign,
    assign_by_duration,
    durations_from_statuses,
    expected_loads,
    load_durations,
    main,
    other_shard_reason,
    parse_shard,
)

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


def test_on_a_shared_target_the_real_features_split_with_the_breaker_scenarios_together() -> None:
    config = Configuration(command_args=[], load_config=False)
    runs: dict[int, set[str]] = {}
    reports = []
    for index in (1, 2, 3):
        features = real_features()
        selection = apply_selection(features, config, shard=Shard(index, 3), shared_target=True)
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


# --- embedded sandboxes: the split by expected duration ----------------------------------------------


def test_by_duration_the_longest_go_first_each_to_the_least_loaded_shard() -> None:
    durations = {"f:1": 8.0, "f:2": 7.0, "f:3": 6.0, "f:4": 5.0, "f:5": 2.0, "f:6": 1.0}
    owner = assign_by_duration(durations, 3, durations)
    assert owner == {"f:1": 1, "f:2": 2, "f:3": 3, "f:4": 3, "f:5": 2, "f:6": 1}
    assert expected_loads(owner, 3, durations) == [9.0, 9.0, 11.0]
    assert owner == assign_by_duration(list(reversed(list(durations))), 3, durations)  # order-free


def test_by_duration_without_durations_is_a_split_by_counts_and_an_unknown_scenario_counts_the_median() -> (
    None
):
    keys = [f"f/a.feature:{n}" for n in (5, 9, 12, 20, 30, 41, 50)]
    owner = assign_by_duration(keys, 3, {})
    assert Counter(owner.values()) == {1: 3, 2: 2, 3: 2}
    assert [owner[k] for k in keys] == [1, 2, 3, 1, 2, 3, 1]  # file and line order on a tie
    # f:9 is not listed: it weighs the median of the listed ones (4 s), so it pairs with the short one.
    owner = assign_by_duration(["f:1", "f:2", "f:3", "f:9"], 2, {"f:1": 6.0, "f:2": 4.0, "f:3": 1.0})
    assert owner == {"f:1": 1, "f:2": 2, "f:9": 2, "f:3": 1}


def test_with_embedded_sandboxes_the_real_features_split_by_the_committed_durations() -> None:
    config = Configuration(command_args=[], load_config=False)
    durations = load_durations(FEATURES)
    runs: dict[int, set[str]] = {}
    for index in (1, 2, 3):
        features = real_features()
        selection = apply_selection(features, config, shard=Shard(index, 3), shared_target=False)
        assert selection.shard is not None
        runs[index] = set(selection.shard.owned)
        selected = set(selection.shard.selected)
    assert not (runs[1] & runs[2] or runs[1] & runs[3] or runs[2] & runs[3])
    assert runs[1] | runs[2] | runs[3] == selected
    assert selected <= set(durations), "scenario-durations.json lacks a selected scenario: record it again"
    tripping = {
        f"{s.filename}:{s.line}"
        for f in real_features()
        for s in f.walk_scenarios()
        if "trips_breaker" in s.effective_tags
    }
    # Each shard has its own breakers: the breaker scenarios no longer all wait for shard 1 ...
    assert not tripping <= runs[1]
    # ... and the longest shard is expected to take at most 1.3 times the mean.
    owner = {key: index for index, keys in runs.items() for key in keys}
    loads = expected_loads(owner, 3, durations)
    assert max(loads) <= 1.3 * (sum(loads) / 3), loads


def test_durations_are_recorded_from_earlier_status_files(tmp_path: Path) -> None:
    shard_1 = {
        "scenarios": [
            {"key": "features/b.feature:9", "status": "passed", "duration_s": 7.04},
            {"key": "features/a.feature:3", "status": "skipped", "duration_s": 0.0},
        ]
    }
    shard_2 = {
        "scenarios": [
            {"key": "features/a.feature:3", "status": "known_issue", "duration_s": 2.26},
            {"key": "features/b.feature:9", "status": "skipped", "duration_s": 0.0},
        ]
    }
    recorded = {"features/a.feature:3": 2.3, "features/b.feature:9": 7.0}
    assert durations_from_statuses([shard_1, shard_2]) == recorded
    paths = []
    for number, status in enumerate((shard_1, shard_2), start=1):
        paths.append(tmp_path / f"status-{number}.json")
        paths[-1].write_text(json.dumps(status), encoding="utf-8")
    out = tmp_path / "features" / DURATIONS_FILE
    out.parent.mkdir()
    assert main(["record", *map(str, paths), "--out", str(out)]) == 0
    assert load_durations(out.parent) == recorded
    assert load_durations(tmp_path) == {}  # no file: the split falls back to counts
