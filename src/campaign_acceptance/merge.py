"""`python -m campaign_acceptance.merge --out DIR SHARD_DIR...`: one verdict from a sharded run's reports.

Each SHARD_DIR is a shard's reports_dir: its status.json and its JUnit files under `junit/`. The command
writes one status.json, one report.html and one JUnit file per feature to DIR (JUnit under `DIR/junit`),
prints the verdict line and exits with the verdict's code, decided as for one run (see sharding.py).
Inputs that cannot make one run (unreadable, cut differently, overlapping) are one line and exit 3.
"""

from __future__ import annotations

import argparse
import json
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

from campaign_acceptance.capacity import CapacityFigures, EnrichmentTiming
from campaign_acceptance.model import BreakerState, CampaignSnapshot
from campaign_acceptance.outcome import UNTESTED, ScenarioOutcome, Verdict, judge_run, verdict_line
from campaign_acceptance.report import STATUS_FILE, RunSummary, write_reports
from campaign_acceptance.sharding import OTHER_SHARD_PREFIX, ShardReport, check_fit, missing_shards

__all__ = ["MergeError", "ShardInput", "load", "main", "merge_junit", "merge_summary"]

JUNIT_DIR = "junit"


class MergeError(Exception):
    """The inputs cannot make one run; the text is the one line to print."""


@dataclass
class ShardInput:
    directory: Path
    status: dict[str, Any]

    @property
    def report(self) -> ShardReport | None:
        section = self.status.get("shard")
        return ShardReport.from_dict(section) if section else None

    def label(self) -> str:
        report = self.report
        return f"shard {report.shard}" if report else str(self.directory)


def load(directory: Path) -> ShardInput:
    path = directory / STATUS_FILE
    try:
        status = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise MergeError(f"cannot read {path}: {error}") from None
    if not isinstance(status, dict) or "verdict" not in status or "scenarios" not in status:
        raise MergeError(f"{path} is not a status file of this suite")
    return ShardInput(directory, status)


def _epoch(value: object) -> float | None:
    return datetime.fromisoformat(value).timestamp() if isinstance(value, str) else None


def merge_summary(inputs: Sequence[ShardInput]) -> RunSummary:
    """The merged run (see the module doc of sharding.py for the rules)."""
    pairs = sorted(
        ((report, i) for i in inputs if (report := i.report) is not None), key=lambda p: p[0].shard.index
    )
    sharded = [i for _, i in pairs]
    reports = [r for r, _ in pairs]
    if not reports:
        raise MergeError("none of the inputs is a shard's status file (run each shard with -D shard=i/N)")
    problems = check_fit(reports)
    if problems:
        raise MergeError("cannot merge: " + "; ".join(problems))
    why_not_tested: list[str] = []
    for other in (i for i in inputs if i.report is None):
        why_not_tested.append(f"{other.directory} is not a shard's report ({other.status.get('reason')})")
    total = reports[0].shard.total
    missing = missing_shards(reports)
    if missing:
        names = ", ".join(f"{i}/{total}" for i in missing)
        why_not_tested.append(f"shard {names} reported nothing: its scenarios were not run")

    outcomes = _outcomes(pairs)
    runs = [i.status.get("run") or {} for i in sharded]
    interrupted = any(bool(r.get("interrupted")) for r in runs)
    run_errors = sum(int(r.get("run_errors") or 0) for r in runs)
    for (report, shard), run in zip(pairs, runs, strict=True):
        # A shard that owned nothing had nothing to test: not a reason of the merged run.
        if run.get("cannot_test") and report.owned:
            why_not_tested.append(f"{shard.label()}: {run['cannot_test']}")
    cannot_test = "; ".join(why_not_tested) or None
    left_behind: dict[str, list[str]] = {}
    for i in sharded:
        for table, ids in (i.status.get("left_behind") or {}).items():
            left_behind.setdefault(table, []).extend(str(x) for x in ids)
    verdict, reason = judge_run(
        outcomes, cannot_test, interrupted=interrupted, run_errors=run_errors, left_behind=left_behind
    )

    starts = [t for i in sharded if (t := _epoch(i.status.get("started_at"))) is not None]
    ends = [t for i in sharded if (t := _epoch(i.status.get("finished_at"))) is not None]
    settings = dict(sharded[0].status.get("settings") or {})
    settings["run_id"] = ", ".join(str((i.status.get("settings") or {}).get("run_id", "?")) for i in sharded)
    settings["shard"] = f"{len(sharded)} of {total} shards merged"
    last = max(sharded, key=lambda i: _epoch(i.status.get("finished_at")) or 0.0)
    return RunSummary(
        verdict=verdict,
        reason=reason,
        scenarios=outcomes,  # in the order the run took them (@contract first), as one run lists them
        started_at=min(starts, default=None),
        finished_at=max(ends, default=None),
        settings=settings,
        campaigns=[
            CampaignSnapshot.from_dict(c)
            for i in sharded
            for c in i.status.get("campaigns", {}).get("items", [])
        ],
        warnings=[f"{i.label()}: {w}" for i in sharded for w in i.status.get("warnings", [])],
        enrichment=[EnrichmentTiming.from_dict(t) for i in sharded for t in i.status.get("enrichment", [])],
        capacity=[CapacityFigures.from_dict(c) for i in sharded for c in i.status.get("capacity", [])],
        breakers_at_start=_breakers(sharded[0].status, "at_start"),
        breakers_at_end=_breakers(last.status, "at_end"),
        interrupted=interrupted,
        cannot_test=cannot_test,
        run_errors=run_errors,
        left_behind=left_behind,
        shards=[_shard_row(i) for i in sharded],
        target=_target(sharded),
    )


def _target(shards: Sequence[ShardInput]) -> dict[str, str]:
    """What the shards tested, in their words: one value where they agree (the description of embedded
    sandboxes), each distinct one where they differ (each shard's sandbox has its own address)."""
    values: dict[str, list[str]] = {}
    for shard in shards:
        for key, value in (shard.status.get("target") or {}).items():
            if value and str(value) not in values.setdefault(key, []):
                values[key].append(str(value))
    return {key: ", ".join(seen) for key, seen in values.items() if seen}


def _outcomes(pairs: Sequence[tuple[ShardReport, ShardInput]]) -> list[ScenarioOutcome]:
    """Each scenario's outcome from the shard that owned it (untested when that shard reported nothing)."""
    owner = {key: shard for report, shard in pairs for key in report.owned}
    selected = set(pairs[0][0].selected)
    outcomes: list[ScenarioOutcome] = []
    for item in pairs[0][1].status["scenarios"]:
        key = str(item["key"])
        if key in owner:
            mine = next(s for s in owner[key].status["scenarios"] if s["key"] == key)
            outcomes.append(ScenarioOutcome.from_dict(mine))
        elif key in selected:
            lost = ScenarioOutcome.from_dict(item)
            why = "not run: its shard reported nothing"
            outcomes.append(ScenarioOutcome(lost.key, lost.feature, lost.name, UNTESTED, why))
        else:
            outcomes.append(ScenarioOutcome.from_dict(item))  # not selected: the same in every shard
    return outcomes


def _shard_row(shard: ShardInput) -> dict[str, Any]:
    """One shard's line in the merged status file."""
    return {
        "index": shard.report.shard.index if shard.report else None,
        "run_id": (shard.status.get("settings") or {}).get("run_id"),
        "verdict": shard.status.get("verdict"),
        "exit_code": shard.status.get("exit_code"),
        "duration_s": shard.status.get("duration_s"),
        "scenarios": len(shard.report.owned) if shard.report else 0,
        "reports_dir": str(shard.directory),
    }


def _breakers(status: dict[str, Any], when: str) -> list[BreakerState]:
    return [BreakerState(**b) for b in (status.get("breakers") or {}).get(when, [])]


# ---------------------------------------------------------------------------------------------- JUnit


def _counted(suite: ET.Element, cases: list[ET.Element]) -> ET.Element:
    merged = ET.Element(suite.tag, dict(suite.attrib))
    for case in cases:
        merged.append(case)
    merged.set("tests", str(len(cases)))
    for kind, attribute in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
        merged.set(attribute, str(sum(1 for c in cases if c.find(kind) is not None)))
    merged.set("time", f"{sum(float(c.get('time') or 0) for c in cases):.6f}")
    return merged


def merge_junit(inputs: Sequence[ShardInput], out: Path) -> list[Path]:
    """One file per feature: each testcase from the shard that ran it; a testcase no shard ran (left out by
    the selection) once."""
    by_file: dict[str, list[ET.Element]] = {}
    for shard in inputs:
        for path in sorted((shard.directory / JUNIT_DIR).glob("*.xml")):
            try:
                by_file.setdefault(path.name, []).append(ET.parse(path).getroot())
            except ET.ParseError as error:
                raise MergeError(f"cannot read {path}: {error}") from None
    written: list[Path] = []
    for name, suites in sorted(by_file.items()):
        ran: dict[tuple[str, str], ET.Element] = {}
        left_out: dict[tuple[str, str], ET.Element] = {}
        for suite in suites:
            for case in suite.iter("testcase"):
                case_id = (case.get("classname") or "", case.get("name") or "")
                skipped = case.find("skipped")
                if skipped is not None and (skipped.get("message") or "").startswith(OTHER_SHARD_PREFIX):
                    continue  # another shard ran it
                if skipped is not None and (skipped.get("type") != "aborted"):
                    left_out.setdefault(case_id, case)
                else:
                    ran[case_id] = case
        cases = list(ran.values()) + [c for i, c in left_out.items() if i not in ran]
        out.mkdir(parents=True, exist_ok=True)
        target = out / name
        ET.ElementTree(_counted(suites[0], cases)).write(target, encoding="utf-8", xml_declaration=True)
        written.append(target)
    return written


# ---------------------------------------------------------------------------------------------- command


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(int(Verdict.CANNOT_TEST), f"merge: {message}\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _Parser(prog="python -m campaign_acceptance.merge", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", required=True, type=Path, help="where the merged reports go")
    parser.add_argument("shards", nargs="+", type=Path, help="each shard's reports_dir")
    args = parser.parse_args(argv)
    try:
        inputs = [load(d) for d in args.shards]
        summary = merge_summary(inputs)
        junit = merge_junit(inputs, args.out / JUNIT_DIR)
        status, page = write_reports(args.out, summary)
    except MergeError as error:
        print(f"merge: {error}", file=sys.stderr)
        return int(Verdict.CANNOT_TEST)
    except OSError as error:
        print(f"merge: cannot write the merged reports to {args.out}: {error}", file=sys.stderr)
        return int(Verdict.CANNOT_TEST)
    print(f"merged {len(inputs)} shard reports: {status} {page} ({len(junit)} JUnit files)")
    print(verdict_line(summary.verdict, summary.reason), flush=True)
    return int(summary.verdict)


if __name__ == "__main__":
    sys.exit(main())
