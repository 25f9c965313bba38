"""What the suite adds to allure-behave's results: categories, environment, the outcome of each result."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from campaign_acceptance.allure_results import CATEGORIES, allure_directories, finish_results
from campaign_acceptance.model import BreakerReport, BreakerState, CampaignSnapshot
from campaign_acceptance.outcome import ScenarioOutcome, Verdict
from campaign_acceptance.report import RunSummary

OPENAI = BreakerState("openai", "open", 5, 5, True, "2026-01-01T10:00:00", "circuit_breaker_open")
PAUSED = CampaignSnapshot("c-1", "campaign 1", "PAUSED", "Campaign paused: Service openai unavailable", 20)
REPORT = BreakerReport("breaker openai is open (5/5 failures); 1 campaign paused", (OPENAI,), (PAUSED,), 0.8)


def write_result(directory: Path, name: str, status: str, message: str | None = None) -> Path:
    path = directory / f"{name.replace(' ', '-')}-result.json"
    result: dict[str, Any] = {
        "name": name,
        "status": status,
        "labels": [{"name": "feature", "value": "Concurrent"}],
        "attachments": [],
    }
    if message:
        result["statusDetails"] = {"message": message, "trace": "Traceback ..."}
    path.write_text(json.dumps(result), encoding="utf-8")
    return path


def category(result: dict[str, Any]) -> str | None:
    message = (result.get("statusDetails") or {}).get("message") or ""
    for c in CATEGORIES:
        if result["status"] in c["matchedStatuses"] and (
            "messageRegex" not in c or re.fullmatch(c["messageRegex"], message)
        ):
            return str(c["name"])
    return None


def summary() -> RunSummary:
    return RunSummary(
        Verdict.FAILED,
        "1 scenario failed",
        scenarios=[
            ScenarioOutcome("f:1", "Concurrent", "ok", "passed"),
            ScenarioOutcome("f:2", "Concurrent", "bad", "failed", reason="Then x: expected 5 got 3"),
            ScenarioOutcome(
                "f:3", "Concurrent", "stopped", "aborted", reason="aborted (service failure): openai",
                evidence=REPORT, phase="in-flight",
            ),
            ScenarioOutcome("f:4", "Concurrent", "no faults", "skipped", reason="needs fault control: set"),
        ],
        target={"description": "http://u:pw@h:8000, PostgreSQL", "platform": "FastAPI K8s 0.1.0"},
        run_id="acceptance-x",
    )  # fmt: skip


def test_each_result_lands_in_the_category_of_its_outcome(tmp_path: Path) -> None:
    write_result(tmp_path, "ok", "passed")
    write_result(tmp_path, "bad", "failed", "AssertionError: expected 5 got 3")
    # allure-behave alone calls an in-flight abort 'broken' (the step raised ServiceFailure) ...
    write_result(tmp_path, "stopped", "broken", "ServiceFailure: breaker openai is open")
    write_result(tmp_path, "no faults", "skipped")
    changed = finish_results(tmp_path, summary())
    results = {r["name"]: r for r in (json.loads(p.read_text()) for p in tmp_path.glob("*-result.json"))}
    assert changed == 2
    assert category(results["bad"]) == "Product defects"
    # ... the suite makes it a skipped service failure with the breaker report attached.
    stopped = results["stopped"]
    assert stopped["status"] == "skipped" and category(stopped) == "Service failures (breaker)"
    (attachment,) = stopped["attachments"]
    assert attachment["name"] == "breaker report" and attachment["type"] == "text/plain"
    text = (tmp_path / attachment["source"]).read_text()
    assert "breaker openai: open, failures 5/5" in text and "campaign 1 (c-1): PAUSED" in text
    assert category(results["no faults"]) == "Could not test"
    assert category(results["ok"]) is None and results["ok"]["status"] == "passed"


def test_categories_and_environment_files(tmp_path: Path) -> None:
    finish_results(tmp_path, summary())
    names = [c["name"] for c in json.loads((tmp_path / "categories.json").read_text())]
    assert names == ["Known issues", "Service failures (breaker)", "Could not test", "Product defects"]
    lines = (tmp_path / "environment.properties").read_text(encoding="ascii").splitlines()
    assert "target=http://u:***@h:8000, PostgreSQL" in lines  # the one secret-hider ran on the target
    assert "platform=FastAPI K8s 0.1.0" in lines and "run_id=acceptance-x" in lines
    assert "verdict=FAILED (exit 1)" in lines
    assert not any("pw@" in line for line in lines)


def test_known_issue_messages_are_a_category_of_their_own() -> None:
    assert (
        category({"status": "failed", "statusDetails": {"message": "known issue #15: resume"}})
        == "Known issues"
    )


def test_the_allure_formatter_directories_are_found_among_the_formatters(tmp_path: Path) -> None:
    class Opener:
        name = str(tmp_path / "allure")

    class AllureFormatter:
        stream_opener = Opener()

    class PrettyFormatter:
        stream_opener = Opener()

    assert allure_directories([PrettyFormatter(), AllureFormatter()]) == [tmp_path / "allure"]


def test_a_known_issue_result_lands_in_known_issues(tmp_path: Path) -> None:
    write_result(tmp_path, "resume path", "failed", "AssertionError: 3 leads not enriched")
    known = ScenarioOutcome(
        "f:5", "Concurrent", "resume path", "known_issue", reason="known issue r-15: resume"
    )
    finish_results(tmp_path, RunSummary(Verdict.PASSED, "ok", scenarios=[known]))
    (result,) = [json.loads(p.read_text()) for p in tmp_path.glob("*-result.json")]
    assert result["status"] == "failed" and category(result) == "Known issues"


def test_a_known_issues_link_is_a_link_of_its_result(tmp_path: Path) -> None:
    from campaign_acceptance.known_issues import KnownIssue

    write_result(tmp_path, "resume path", "failed", "AssertionError: 3 leads not enriched")
    issue = KnownIssue("r-15", "resume re-dispatches nothing", "https://tracker/15", ("*",), ".*", ".*")
    known = ScenarioOutcome(
        "f:5",
        "Concurrent",
        "resume path",
        "known_issue",
        reason="known issue r-15: resume",
        known_issue=issue,
    )
    finish_results(tmp_path, RunSummary(Verdict.PASSED, "ok", scenarios=[known]))
    (result,) = [json.loads(p.read_text()) for p in tmp_path.glob("*-result.json")]
    assert result["links"] == [{"type": "issue", "name": "r-15", "url": "https://tracker/15"}]
