"""Sharded runs: which scenarios shard i of N runs, and how the shards' reports become one verdict.

Assignment (deterministic: the same features, selection and durations file give every shard the same
answer, with no coordination between the shards' processes), one unit per scenario or Examples row:
- With embedded sandboxes (no api_url: each shard has its own breakers) by expected duration
  (`assign_by_duration`): the longest first, each to the shard with the least expected time so far (the
  lowest index on a tie), so that the shards finish together. The durations come from the committed file
  `features/scenario-durations.json`, recorded from an earlier run's status.json(s) by
  `python -m campaign_acceptance.sharding record <status.json>...`; a scenario it does not list counts as
  the median of those it does, and without the file every scenario counts the same (a split by counts).
- On a shared target (api_url set: the breakers are global) by the old rule (`assign`): every
  `@trips_breaker` scenario goes to shard 1, so no two shards ever trip the breakers at once; every other
  scenario goes, in file and line order, to the shard with the fewest scenarios so far.

Each shard's status.json says which shard it was, every key the selection held and the keys it owned;
`merge_statuses` checks that the shards fit together (same N, every index once, the same selection, each
scenario owned by exactly one shard), takes each scenario's outcome from its owner and decides the verdict
with the very function a single run uses (outcome.judge_run), so the precedence rules are the same.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "DURATIONS_FILE",
    "OTHER_SHARD_PREFIX",
    "Shard",
    "ShardReport",
    "assign",
    "assign_by_duration",
    "check_fit",
    "durations_from_statuses",
    "expected_loads",
    "key_order",
    "load_durations",
    "main",
    "missing_shards",
    "other_shard_reason",
    "parse_shard",
]

SHARD_PATTERN = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")
TRIPS_BREAKER_TAG = "trips_breaker"
OTHER_SHARD_PREFIX = "not in this shard"
DURATIONS_FILE = "scenario-durations.json"  # in the features directory
# Outcomes whose duration says how long the scenario takes (a skipped one took no time).
_TIMED_STATUSES = ("passed", "failed", "known_issue", "fixed", "aborted")


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


def _expected(keys: Iterable[str], durations: Mapping[str, float]) -> dict[str, float]:
    """Each key's expected seconds: its recorded duration, else the median of the recorded ones (1 when
    none is: every scenario then weighs the same)."""
    keys = list(keys)
    known = [durations[k] for k in keys if k in durations]
    default = statistics.median(known) if known else 1.0
    return {k: float(durations.get(k, default)) for k in keys}


def assign_by_duration(keys: Iterable[str], total: int, durations: Mapping[str, float]) -> dict[str, int]:
    """Key -> shard index (1-based): the longest expected scenario first, each to the shard with the least
    expected time so far (lowest index on a tie; ties of duration in file and line order)."""
    expected = _expected(keys, durations)
    loads = [0.0] * total
    owner: dict[str, int] = {}
    for key in sorted(expected, key=lambda k: (-expected[k], key_order(k))):
        shard = min(range(total), key=lambda i: (loads[i], i))
        owner[key] = shard + 1
        loads[shard] += expected[key]
    return owner


def expected_loads(owner: Mapping[str, int], total: int, durations: Mapping[str, float]) -> list[float]:
    """The expected seconds of each shard's scenarios under `owner` (index 0 is shard 1)."""
    expected = _expected(owner, durations)
    loads = [0.0] * total
    for key, shard in owner.items():
        loads[shard - 1] += expected[key]
    return loads


def load_durations(features_dir: Path) -> dict[str, float]:
    """The committed durations (key -> seconds) of `features_dir`, or none when it has no such file."""
    path = features_dir / DURATIONS_FILE
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {str(k): float(v) for k, v in data["durations_s"].items()}


def durations_from_statuses(statuses: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    """Key -> seconds of every scenario the runs (single, shard or merged status.json) executed; a key run
    more than once keeps its longest time."""
    durations: dict[str, float] = {}
    for status in statuses:
        for scenario in status.get("scenarios", []):
            if scenario.get("status") in _TIMED_STATUSES:
                key, seconds = str(scenario["key"]), round(float(scenario.get("duration_s") or 0.0), 1)
                durations[key] = max(seconds, durations.get(key, 0.0))
    return dict(sorted(durations.items(), key=lambda item: key_order(item[0])))


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m campaign_acceptance.sharding record <status.json>... [--out FILE]`: record the scenarios'
    durations for the split by duration (commit the file it writes)."""
    parser = argparse.ArgumentParser(prog="python -m campaign_acceptance.sharding")
    sub = parser.add_subparsers(dest="command", required=True)
    record = sub.add_parser("record", help="write the durations file from earlier runs' status.json")
    record.add_argument("statuses", nargs="+", type=Path)
    record.add_argument("--out", type=Path, default=Path("features") / DURATIONS_FILE)
    args = parser.parse_args(argv)
    try:
        statuses = [json.loads(p.read_text(encoding="utf-8")) for p in args.statuses]
    except (OSError, ValueError) as error:
        print(f"cannot record durations: {error}", file=sys.stderr)
        return 3
    durations = durations_from_statuses(statuses)
    if not durations:
        print("cannot record durations: no executed scenario in " + ", ".join(map(str, args.statuses)))
        return 3
    data = {
        "about": "seconds each scenario took, for --shard's split by duration (README: Sharded runs); "
        "rewrite with `python -m campaign_acceptance.sharding record <status.json>...`",
        "durations_s": durations,
    }
    args.out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(f"durations of {len(durations)} scenarios written to {args.out}")
    return 0


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


if __name__ == "__main__":
    sys.exit(main())
