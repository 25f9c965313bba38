"""Merging shards' reports into one verdict with the single run's precedence rules, one status file and one
JUnit file per feature."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from campaign_acceptance.merge import MergeError, load, main, merge_junit, merge_summary
from campaign_acceptance.model import BreakerReport, BreakerState
from campaign_acceptance.outcome import ScenarioOutcome, Verdict
from campaign_acceptance.report import RunSummary, write_reports
from campaign_acceptance.sharding import Shard, ShardReport

KEYS = ["features/a.feature:3", "features/a.feature:9", "features/b.feature:4", "features/b.feature:20"]
OPEN = BreakerState("openai", "open", 5, 5, True, "2025-01-01T00:00:00", "circuit_breaker_open")
EVIDENCE = BreakerReport("breaker openai is open (5/5 failures)", (OPEN,), (), 1.0, (OPEN,))


def shard_status(
    tmp_path: Path, index: int, owned: list[str], results: dict[str, str], *, total: int = 2, **run: Any
) -> Path:
    scenarios = []
    for key in KEYS:
        if key not in owned:
            scenarios.append(ScenarioOutcome(key, "F", key, "skipped", "not in this shard: shard x runs it"))
        elif results[key] == "aborted":
            scenarios.append(
                ScenarioOutcome(key, "F", key, "aborted", "aborted", evidence=EVIDENCE, phase="gate")
            )
        else:
            scenarios.append(ScenarioOutcome(key, "F", key, results[key], None, ("happy",), 2.0))
    run.setdefault(
        "target",
        {
            "description": "embedded sandbox, profile intended, SQLite",
            "api_url": f"http://127.0.0.1:{8000 + index}",
            "platform": "campaign-sandbox 0.1.0",
        },
    )
    summary = RunSummary(
        verdict=Verdict.PASSED,  # the shard's own verdict is not what the merge uses
        reason="shard",
        scenarios=scenarios,
        started_at=1_700_000_000.0 + index,
        finished_at=1_700_000_100.0 + index,
        settings={"run_id": f"run-{index}"},
        shard=ShardReport(Shard(index, total), tuple(KEYS), tuple(owned)),
        **run,
    )
    directory = tmp_path / f"shard-{index}"
    write_reports(directory, summary)
    return directory


def merged(tmp_path: Path, *dirs: Path) -> RunSummary:
    return merge_summary([load(d) for d in dirs])


def test_all_passed_shards_merge_to_passed_with_every_outcome_from_its_owner(tmp_path: Path) -> None:
    ok = dict.fromkeys(KEYS, "passed")
    one = shard_status(tmp_path, 1, KEYS[:2], ok)
    two = shard_status(tmp_path, 2, KEYS[2:], ok)
    summary = merged(tmp_path, two, one)
    assert summary.verdict is Verdict.PASSED
    assert [(o.key, o.status) for o in summary.scenarios] == [(k, "passed") for k in KEYS]
    assert summary.settings["run_id"] == "run-1, run-2"
    assert summary.started_at == 1_700_000_001.0 and summary.finished_at == 1_700_000_102.0
    assert [s["index"] for s in summary.shards] == [1, 2]


def test_the_merged_reports_name_the_target_every_shard_recorded(tmp_path: Path) -> None:
    ok = dict.fromkeys(KEYS, "passed")
    one = shard_status(tmp_path, 1, KEYS[:2], ok)
    two = shard_status(tmp_path, 2, KEYS[2:], ok)
    assert main(["--out", str(tmp_path / "merged"), str(one), str(two)]) == 0
    status = json.loads((tmp_path / "merged" / "status.json").read_text())
    assert status["target"] == {
        "description": "embedded sandbox, profile intended, SQLite",  # the same in both: said once
        "api_url": "http://127.0.0.1:8001, http://127.0.0.1:8002",  # each shard's own sandbox
        "platform": "campaign-sandbox 0.1.0",
    }
    page = (tmp_path / "merged" / "report.html").read_text()
    assert '<dd id="target">embedded sandbox, profile intended, SQLite</dd>' in page


@pytest.mark.parametrize(
    ("first", "second", "verdict"),
    [
        ("failed", "aborted", Verdict.FAILED),  # a real failure wins over an abort, as in one run
        ("passed", "aborted", Verdict.SERVICE_FAILURE),
        ("passed", "failed", Verdict.FAILED),
    ],
)
def test_merged_verdict_uses_the_single_run_precedence(
    tmp_path: Path, first: str, second: str, verdict: Verdict
) -> None:
    results = {KEYS[0]: first, KEYS[1]: "passed", KEYS[2]: second, KEYS[3]: "passed"}
    summary = merged(
        tmp_path, shard_status(tmp_path, 1, KEYS[:2], results), shard_status(tmp_path, 2, KEYS[2:], results)
    )
    assert summary.verdict is verdict
    if verdict is Verdict.SERVICE_FAILURE:
        assert summary.aborts[0].evidence == EVIDENCE


def test_an_interrupted_shard_makes_the_merged_run_interrupted(tmp_path: Path) -> None:
    ok = dict.fromkeys(KEYS, "passed")
    one = shard_status(tmp_path, 1, KEYS[:2], ok, interrupted=True)
    summary = merged(tmp_path, one, shard_status(tmp_path, 2, KEYS[2:], ok))
    # As for one run: an interrupted run is INTERRUPTED, whatever the other shards say.
    assert summary.verdict is Verdict.INTERRUPTED and "Interrupted" in summary.reason


def test_a_missing_shard_is_never_green(tmp_path: Path) -> None:
    summary = merged(tmp_path, shard_status(tmp_path, 1, KEYS[:2], dict.fromkeys(KEYS, "passed")))
    assert summary.verdict is Verdict.FAILED
    assert "shard 2/2 reported nothing" in summary.reason
    assert [o.status for o in summary.scenarios] == ["passed", "passed", "untested", "untested"]


def test_a_shard_that_could_not_test_is_cannot_test_when_nothing_ran(tmp_path: Path) -> None:
    none = dict.fromkeys(KEYS, "untested")
    one = shard_status(tmp_path, 1, KEYS[:2], none, cannot_test="the platform cannot be reached")
    two = shard_status(tmp_path, 2, KEYS[2:], none, cannot_test="the platform cannot be reached")
    summary = merged(tmp_path, one, two)
    assert summary.verdict is Verdict.CANNOT_TEST
    assert "shard 1/2: the platform cannot be reached" in summary.reason


def test_a_shard_that_owned_nothing_does_not_count_as_cannot_test(tmp_path: Path) -> None:
    ok = dict.fromkeys(KEYS, "passed")
    one = shard_status(tmp_path, 1, KEYS, ok)
    two = shard_status(tmp_path, 2, [], ok, cannot_test="no scenario selected")
    assert merged(tmp_path, one, two).verdict is Verdict.PASSED


def test_shards_that_do_not_fit_together_cannot_be_merged(tmp_path: Path) -> None:
    ok = dict.fromkeys(KEYS, "passed")
    one = shard_status(tmp_path, 1, KEYS[:3], ok)
    two = shard_status(tmp_path, 2, KEYS[2:], ok)
    with pytest.raises(MergeError, match=r"run by more than one shard: features/b.feature:4"):
        merged(tmp_path, one, two)
    three = shard_status(tmp_path / "x", 1, KEYS[:2], ok, total=3)
    with pytest.raises(MergeError, match="cut differently"):
        merged(tmp_path, three, two)
    with pytest.raises(MergeError, match=r"shard 1/2 given more than once"):
        merged(tmp_path, one, one)


def test_merge_command_writes_one_verdict_and_exits_with_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = {KEYS[0]: "passed", KEYS[1]: "passed", KEYS[2]: "aborted", KEYS[3]: "passed"}
    one = shard_status(tmp_path, 1, KEYS[:2], results)
    two = shard_status(tmp_path, 2, KEYS[2:], results)
    assert main(["--out", str(tmp_path / "merged"), str(one), str(two)]) == 2
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed[-1].startswith(
        "verdict: SERVICE_FAILURE (exit 2): Stopped by a third-party service failure"
    )
    data = json.loads((tmp_path / "merged" / "status.json").read_text())
    assert (data["counts"]["passed"], data["counts"]["aborted"], data["counts"]["total"]) == (3, 1, 4)
    assert (tmp_path / "merged" / "report.html").is_file()


def test_merge_command_on_bad_input_is_one_line_and_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--out", str(tmp_path / "m"), str(tmp_path / "nowhere")]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("merge: cannot read ")
    with pytest.raises(SystemExit) as exited:
        main(["--out"])
    assert exited.value.code == 3


def junit_file(path: Path, cases: list[tuple[str, str | None]]) -> None:
    suite = ET.Element("testsuite", {"name": "F", "tests": "0"})
    for name, skipped in cases:
        case = ET.SubElement(
            suite,
            "testcase",
            {"classname": "F", "name": name, "status": "skipped" if skipped else "passed", "time": "1.5"},
        )
        if skipped:
            ET.SubElement(case, "skipped", {"message": skipped})
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suite).write(path)


def test_junit_takes_each_testcase_from_the_shard_that_ran_it(tmp_path: Path) -> None:
    ok = dict.fromkeys(KEYS, "passed")
    one = shard_status(tmp_path, 1, KEYS[:2], ok)
    two = shard_status(tmp_path, 2, KEYS[2:], ok)
    junit_file(
        one / "junit" / "TESTS-a.xml",
        [("a", None), ("b", "not in this shard: shard 2/2 runs it"), ("c", "not selected")],
    )
    junit_file(
        two / "junit" / "TESTS-a.xml",
        [("a", "not in this shard: shard 1/2 runs it"), ("b", None), ("c", "not selected")],
    )
    [written] = merge_junit([load(one), load(two)], tmp_path / "out")
    root = ET.parse(written).getroot()
    assert [(c.get("name"), c.get("status")) for c in root.iter("testcase")] == [
        ("a", "passed"),
        ("b", "passed"),
        ("c", "skipped"),
    ]
    assert (root.get("tests"), root.get("skipped"), root.get("failures"), root.get("time")) == (
        "3",
        "1",
        "0",
        "4.500000",
    )


def test_a_shard_that_left_rows_behind_fails_the_merged_run_naming_them(tmp_path: Path) -> None:
    # The same rule as one run: rows of the run left on the target fail it, whatever its scenarios said.
    ok = dict.fromkeys(KEYS, "passed")
    left = {"campaigns": ["c-17"], "leads": ["l-1", "l-2"]}
    one = shard_status(tmp_path, 1, KEYS[:2], ok, left_behind=left)
    summary = merged(tmp_path, one, shard_status(tmp_path, 2, KEYS[2:], ok))
    assert summary.verdict is Verdict.FAILED
    assert summary.left_behind == {"campaigns": ["c-17"], "leads": ["l-1", "l-2"]}
    assert "cleanup left rows of this run: campaigns c-17; leads l-1, l-2" in summary.reason
