"""Sharded runs: which scenarios shard i of N runs, and how the shards' reports become one verdict.

Assignment (deterministic: the same features and selection give every shard the same answer, with no
coordination between the shards' processes):
- the scenarios the run selects, one per Examples row, are ordered by file and line;
- every `@trips_breaker` scenario forms one unit that goes to shard 1, so no two shards ever trip the
  global breakers at once;
- every other scenario goes, in that order, to the shard with the fewest scenarios so far (the lowest index
  on a tie).

Each shard's status.json says which shard it was, every key the selection held and the keys it owned;
`merge_statuses` checks that the shards fit together (same N, every index once, the same selection, each
scenario owned by exactly one shard), takes each scenario's outcome from its owner and decides the verdict
with the very function a single run uses (outcome.judge_run), so the precedence rules are the same.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "OTHER_SHARD_PREFIX",
    "Shard",
    "ShardReport",
    "assign",
    "check_fit",
    "key_order",
    "missing_shards",
    "other_shard_reason",
    "parse_shard",
]

SHARD_PATTERN = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")
TRIPS_BREAKER_TAG = "trips_breaker"
OTHER_SHARD_PREFIX = "not in this shard"


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    total: int

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"


def parse_shard(raw: str) -> Shard:
    """'i/N' with 1 <= i <= N; ValueError with the expectation otherwise."""
    found = SHARD_PATTERN.fullmatch(raw)
    if found is None:
        raise ValueError("i/N with 1 <= i <= N, e.g. 2/3")
    index, total = int(found.group(1)), int(found.group(2))
    if not 1 <= index <= total:
        raise ValueError("i/N with 1 <= i <= N, e.g. 2/3")
    return Shard(index, total)


def key_order(key: str) -> tuple[str, int]:
    """'features/x.feature:12' sorts by file, then by line as a number."""
    path, _, line = key.rpartition(":")
    return (path, int(line)) if line.isdigit() else (key, 0)


def assign(scenarios: Mapping[str, bool], total: int) -> dict[str, int]:
    """Key -> shard index (1-based) for `scenarios` (key -> trips a breaker)."""
    loads = [0] * total
    owner: dict[str, int] = {}
    tripping = sorted((k for k, trips in scenarios.items() if trips), key=key_order)
    for key in tripping:
        owner[key] = 1
    loads[0] = len(tripping)
    for key in sorted((k for k, trips in scenarios.items() if not trips), key=key_order):
        shard = min(range(total), key=lambda i: (loads[i], i))
        owner[key] = shard + 1
        loads[shard] += 1
    return owner


def other_shard_reason(owner: int, total: int) -> str:
    return f"{OTHER_SHARD_PREFIX}: shard {owner}/{total} runs it"


@dataclass(frozen=True)
class ShardReport:
    """What a shard's status.json says about the shard (its `shard` section)."""

    shard: Shard
    selected: tuple[str, ...]  # every key the run's selection held, before sharding
    owned: tuple[str, ...]  # the keys this shard ran

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.shard.index,
            "total": self.shard.total,
            "selected": list(self.selected),
            "owned": list(self.owned),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ShardReport:
        return cls(
            Shard(int(data["index"]), int(data["total"])),
            tuple(str(k) for k in data["selected"]),
            tuple(str(k) for k in data["owned"]),
        )


def check_fit(reports: Sequence[ShardReport]) -> list[str]:
    """Why these shards do not make one run (empty when they do)."""
    if not reports:
        return ["no shard to merge"]
    problems: list[str] = []
    totals = sorted({r.shard.total for r in reports})
    if len(totals) > 1:
        problems.append(f"the shards were cut differently (N = {', '.join(map(str, totals))})")
        return problems
    total = totals[0]
    indices = [r.shard.index for r in reports]
    twice = sorted({i for i in indices if indices.count(i) > 1})
    if twice:
        problems.append("shard " + ", ".join(f"{i}/{total}" for i in twice) + " given more than once")
    if len({r.selected for r in reports}) > 1:
        problems.append("the shards selected different scenarios (other features, tags or commits?)")
    owned = [k for r in reports for k in r.owned]
    shared = sorted({k for k in owned if owned.count(k) > 1}, key=key_order)
    if shared:
        problems.append(f"scenarios run by more than one shard: {', '.join(shared)}")
    return problems


def missing_shards(reports: Sequence[ShardReport]) -> list[int]:
    if not reports:
        return []
    total = reports[0].shard.total
    present = {r.shard.index for r in reports}
    return [i for i in range(1, total + 1) if i not in present]
