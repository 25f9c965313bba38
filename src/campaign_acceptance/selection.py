"""Which scenarios a run executes, beyond behave's own tag and name selection.

Applied by the runner to the parsed features before before_all: a scenario left out is marked skipped with
its reason (so every report lists it, as behave lists scenarios its tags left out), and no hook runs for it.

- `@capacity` scenarios run only when the tag selection names that tag: `--tags=-@trips_breaker` on a shared
  stack must not start a 100 x 20 load test by accident.
- Health monitoring (setting health_monitoring) with no tag selection given runs only the scenarios that
  trip no breaker: a scheduled run must not pause everyone's campaigns.
- A shard (setting shard=i/N) runs its part of what the rules above and behave selected: by expected
  duration with embedded sandboxes, every @trips_breaker scenario in shard 1 on a shared target (sharding).
- `@contract` features run first, whatever their file names (behave sorts files by name): a platform whose
  contract drifted is said so before scenarios fail for reasons of their own.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from campaign_acceptance.sharding import (
    OTHER_SHARD_PREFIX,
    Shard,
    ShardReport,
    assign,
    assign_by_duration,
    load_durations,
    other_shard_reason,
)

__all__ = [
    "CAPACITY_REASON",
    "CONTRACT_TAG",
    "MONITORING_REASON",
    "Selection",
    "all_scenarios",
    "apply_selection",
    "contract_first",
    "describe_selection",
    "is_not_selected",
    "names_tag",
    "tags_text",
]

CAPACITY_TAG = "capacity"
CAPACITY_REASON = "not selected: @capacity scenarios run only when the tag selection names @capacity"
TRIPS_BREAKER_TAG = "trips_breaker"
CONTRACT_TAG = "contract"
MONITORING_REASON = "not selected: health monitoring runs only scenarios that trip no breaker"


NOT_SELECTED = "not selected"


def is_not_selected(reason: str) -> bool:
    """Is this skip reason the selection's (behave's tags, the rules here, another shard), not a skip of a
    scenario that was selected (e.g. a capability the target lacks)?"""
    return reason.startswith((NOT_SELECTED, OTHER_SHARD_PREFIX))


def tags_text(config_tags: object) -> str:
    """behave's `config.tags` (None, a string, or a list of --tags values) as one text."""
    if config_tags is None:
        return ""
    if isinstance(config_tags, str):
        return config_tags
    if isinstance(config_tags, Iterable):
        return " ".join(str(t) for t in config_tags)
    return str(config_tags)


def names_tag(config_tags: object, tag: str) -> bool:
    """Does the tag selection mention `@tag` (in any position: `@tag`, `-@tag`, `not @tag`)?"""
    return re.search(rf"@{re.escape(tag)}(?![\w.-])", tags_text(config_tags)) is not None


@dataclass
class Selection:
    """What the rules decided: the reason of each scenario they left out, by key."""

    left_out: dict[str, str] = field(default_factory=dict)
    shard: ShardReport | None = None


def _key(scenario: Any) -> str:
    return f"{scenario.filename}:{scenario.line}"


def all_scenarios(features: Iterable[Any]) -> list[Any]:
    """Every scenario in file order, one per Examples row of an outline."""
    return [scenario for feature in features for scenario in feature.walk_scenarios()]


def contract_first(features: list[Any]) -> None:
    """Put the ``@contract`` features first, in place (a stable sort: the others keep behave's order)."""
    features.sort(key=lambda feature: CONTRACT_TAG not in feature.tags)


def apply_selection(
    features: Sequence[Any],
    config: Any,
    *,
    health_monitoring: bool = False,
    shard: Shard | None = None,
    shared_target: bool = True,
) -> Selection:
    """Mark the scenarios the rules leave out as skipped (before the run) and say why."""
    selection = Selection()
    tags = getattr(config, "tags", None)
    capacity_named = names_tag(tags, CAPACITY_TAG)
    monitoring_default = health_monitoring and not tags_text(tags).strip()
    for scenario in all_scenarios(features):
        if not scenario.should_run(config):
            continue  # behave's own selection leaves it out already
        if not capacity_named and CAPACITY_TAG in scenario.effective_tags:
            _leave_out(scenario, CAPACITY_REASON, selection)
        elif monitoring_default and TRIPS_BREAKER_TAG in scenario.effective_tags:
            _leave_out(scenario, MONITORING_REASON, selection)
    if shard is not None:
        _apply_shard(features, config, shard, selection, shared_target)
    return selection


def _apply_shard(
    features: Sequence[Any], config: Any, shard: Shard, selection: Selection, shared_target: bool
) -> None:
    selected = {_key(s): s for s in all_scenarios(features) if s.should_run(config)}
    if shared_target:  # global breakers: every scenario that trips one in shard 1
        owner = assign({k: TRIPS_BREAKER_TAG in s.effective_tags for k, s in selected.items()}, shard.total)
    else:  # each shard its own sandbox and breakers: balanced by expected duration
        directory = Path(features[0].filename).parent if features else Path("features")
        owner = assign_by_duration(selected, shard.total, load_durations(directory))
    for key, scenario in selected.items():
        if owner[key] != shard.index:
            _leave_out(scenario, other_shard_reason(owner[key], shard.total), selection)
    selection.shard = ShardReport(
        shard, tuple(selected), tuple(k for k in selected if owner[k] == shard.index)
    )


def _leave_out(scenario: Any, reason: str, selection: Selection) -> None:
    # behave logs a `SKIP Scenario <name>: <reason>` warning per scenario marked: the console shows what
    # was not selected once per feature instead (console.SuiteFormatter).
    behave_log = logging.getLogger("behave")
    level = behave_log.level
    behave_log.setLevel(logging.ERROR)
    try:
        scenario.mark_skipped(reason=reason)
    finally:
        behave_log.setLevel(level)
    selection.left_out[_key(scenario)] = reason


def describe_selection(config: Any) -> str:
    """The command-line selection in the user's words, e.g. `features --tags=@hapy_path`."""
    parts = [" ".join(str(p) for p in (getattr(config, "paths", None) or ["features"]))]
    tags = getattr(config, "tags", None)
    for tag in tags or ():
        parts.append(f"--tags={tag}")
    for name in getattr(config, "name", None) or ():
        parts.append(f"--name={name}")
    return " ".join(parts)
