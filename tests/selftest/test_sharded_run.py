"""Sharded runs: 3 shards as 3 behave processes at once against one sandbox, merged into one verdict that
equals one unsharded run's (verdict, counts, campaigns), with each shard's data its own."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from selftest_support import (
    REPO_ROOT,
    BehaveResult,
    SandboxFactory,
    assert_no_traceback,
    finish_behave,
    new_run_id,
    prepare_run,
    run_rows,
    start_behave,
)

pytestmark = pytest.mark.selftest

# Small and cheap: the two happy-path rows and the capacity scenario, 2 campaigns x 3 leads each. No
# @trips_breaker scenario: a breaker is global, so one shard tripping it would abort the others' scenarios.
SELECTION = "--tags=@happy_path or @capacity"
SHARDS = 3


def defines(server: Any, run_id: str, **more: str) -> dict[str, str]:
    return {
        "api_url": server.url,
        "fault_control_url": server.url,
        "database_url": server.database_url,
        "campaigns": "2",
        "leads": "3",
        "run_id": run_id,
        **more,
    }


def shard_dir(result: BehaveResult) -> Path:
    """A shard's reports as CI collects them: status.json and JUnit under one directory."""
    reports = result.run.reports_dir
    shutil.move(str(result.run.junit_dir), str(reports / "junit"))
    return reports


def outcome_view(status: dict[str, Any]) -> list[tuple[str, str]]:
    return [(s["key"], s["status"]) for s in status["scenarios"]]


def test_three_shards_at_once_merge_into_the_unsharded_verdict(
    tmp_path: Path, own_sandbox: SandboxFactory
) -> None:
    server, _ = own_sandbox()
    started = time.monotonic()
    whole_id = new_run_id("whole")
    whole = finish_behave(
        run := prepare_run(tmp_path / "whole", SELECTION, defines=defines(server, whole_id)),
        start_behave(run),
        started,
        timeout_s=240,
    )
    whole_s = time.monotonic() - started
    assert whole.exit_code == 0, whole.describe()
    assert whole.status is not None

    started = time.monotonic()
    runs, ids = [], []
    for index in range(1, SHARDS + 1):
        ids.append(new_run_id(f"shard{index}"))
        run = prepare_run(
            tmp_path / f"shard-{index}",
            SELECTION,
            defines=defines(server, ids[-1], shard=f"{index}/{SHARDS}"),
        )
        runs.append((run, start_behave(run)))  # all three at once
    shards = [finish_behave(run, proc, started, timeout_s=240) for run, proc in runs]
    sharded_s = time.monotonic() - started
    print(f"\nwall time: unsharded {whole_s:.1f} s, {SHARDS} shards at once {sharded_s:.1f} s")
    for result in shards:
        assert result.exit_code == 0, result.describe()
        assert_no_traceback(result)

    merged_dir = tmp_path / "merged"
    merge = subprocess.run(
        [sys.executable, "-m", "campaign_acceptance.merge", "--out", str(merged_dir)]
        + [str(shard_dir(r)) for r in shards],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert merge.returncode == 0, merge.stdout + merge.stderr
    assert merge.stdout.strip().splitlines()[-1] == whole.last_line, merge.stdout
    merged = json.loads((merged_dir / "status.json").read_text(encoding="utf-8"))
    expected = whole.status

    # One verdict, the same counts and outcomes as the unsharded run.
    assert (
        (merged["verdict"], merged["exit_code"])
        == (expected["verdict"], expected["exit_code"])
        == ("PASSED", 0)
    )
    assert merged["counts"] == expected["counts"]
    assert outcome_view(merged) == outcome_view(expected)
    # The same campaigns: as many, with the same statuses and sizes.
    assert merged["campaigns"]["total"] == expected["campaigns"]["total"] > 0
    assert merged["campaigns"]["counts"] == expected["campaigns"]["counts"]
    assert Counter(c["total_records"] for c in merged["campaigns"]["items"]) == Counter(
        c["total_records"] for c in expected["campaigns"]["items"]
    )
    assert (
        [c["campaigns"] for c in merged["capacity"]] == [c["campaigns"] for c in expected["capacity"]] == [2]
    )

    # Each shard ran its own part of the selection, and only with its own data.
    owned = [set(r.status["shard"]["owned"]) for r in shards if r.status]
    assert [len(o) for o in owned] == [1, 1, 1]
    assert set().union(*owned) == {k for k, s in outcome_view(expected) if s == "passed"}
    campaign_ids: list[set[str]] = []
    for result, run_id, mine in zip(shards, ids, owned, strict=True):
        status = result.status
        assert status is not None
        ran = {s["key"] for s in status["scenarios"] if s["status"] == "passed"}
        assert ran == mine
        items = status["campaigns"]["items"]
        assert items and all(run_id in c["name"] for c in items), items
        campaign_ids.append({c["id"] for c in items})
        assert {t["key"] for t in status["enrichment"]} == mine
        assert run_rows(server.database_url, run_id).empty  # cleaned up exactly its own rows
    assert sum(len(c) for c in campaign_ids) == len(set().union(*campaign_ids))  # no campaign in two shards
    assert {c["id"] for c in merged["campaigns"]["items"]} == set().union(*campaign_ids)

    # One JUnit file per feature with the unsharded run's testcases; one HTML page.
    def junit(directory: Path) -> list[tuple[str, str, str]]:
        return sorted(
            (path.name, case.get("name") or "", case.get("status") or "")
            for path in directory.glob("*.xml")
            for case in ET.parse(path).getroot().iter("testcase")
        )

    assert junit(merged_dir / "junit") == junit(whole.run.junit_dir)
    html = (merged_dir / "report.html").read_text(encoding="utf-8")
    assert "Passed" in html and "<h2>Capacity</h2>" in html


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--shard", "4/3"], "setting shard: expected i/N with 1 <= i <= N, e.g. 2/3, got '4/3' (from -D)"),
        (["--shard"], "run-suite: --shard needs a value i/N, e.g. --shard 2/3"),
    ],
)
def test_run_suite_shard_option_is_the_shard_setting(tmp_path: Path, args: list[str], line: str) -> None:
    done = subprocess.run(
        [str(REPO_ROOT / "scripts" / "run-suite"), *args, "-D", f"reports_dir={tmp_path / 'reports'}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3, done.stdout + done.stderr
    assert line in done.stdout + done.stderr, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
