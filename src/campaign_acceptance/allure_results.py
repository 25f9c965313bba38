"""What the suite adds to allure-behave's results, so Allure sorts the run the way the verdict does.

`behave features/ -f allure_behave.formatter:AllureFormatter -o <dir> -f pretty` makes allure-behave write one
`<uuid>-result.json` per scenario into `<dir>`. Once the run is over the runner adds (`finish_results`):
- `categories.json`: "Known issues", "Service failures (breaker)", "Could not test", "Product defects";
  Allure puts each result into the first category whose statuses and message pattern match;
- `environment.properties`: the target in words, the platform's version, run id, suite version, verdict;
- per result, the suite's outcome: an aborted scenario becomes `skipped` with the abort as its message and
  the breaker report attached as a text file (allure-behave alone calls it `broken`, like a product error);
  a scenario skipped for a missing capability says "could not test: <why>"; a listed known issue is failed
  with "known issue <id>: ..." (its own category), a listed one that passed is failed with "fixed? ...".
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from campaign_acceptance.outcome import ABORTED, FIXED, KNOWN_ISSUE, PASSED, SKIPPED, ScenarioOutcome
from campaign_acceptance.report import NOT_SELECTED, RunSummary, suite_version

__all__ = ["CATEGORIES", "allure_directories", "environment", "finish_results"]

CATEGORIES_FILE = "categories.json"
ENVIRONMENT_FILE = "environment.properties"
RESULT_SUFFIX = "-result.json"
BREAKER_REPORT = "breaker report"
SERVICE_FAILURE_WORDS = "stopped: service failure"
COULD_NOT_TEST_WORDS = "could not test"

CATEGORIES: list[dict[str, Any]] = [
    {
        "name": "Known issues",
        "description": "A failure listed in the known-issues file: expected, does not fail the verdict",
        "matchedStatuses": ["failed", "broken", "skipped"],
        "messageRegex": "(?s)known issue.*",
    },
    {
        "name": "Service failures (breaker)",
        "description": "A third-party service failed (breaker not closed, campaigns paused): not the product",
        "matchedStatuses": ["skipped", "broken"],
        "messageRegex": "(?s).*service failure.*",
    },
    {
        "name": "Could not test",
        "description": "The target lacks what the scenario needs (database, fault control)",
        "matchedStatuses": ["skipped"],
        "messageRegex": "(?s)could not test.*",
    },
    {
        "name": "Product defects",
        "description": "The product (or the suite) did not do what the scenario says",
        "matchedStatuses": ["failed", "broken"],
    },
]


def allure_directories(formatters: Iterable[Any]) -> list[Path]:
    """The result directories of the allure-behave formatters of a run (`-o` after its `-f`)."""
    found = []
    for formatter in formatters:
        if type(formatter).__name__ == "AllureFormatter":
            name = getattr(getattr(formatter, "stream_opener", None), "name", None)
            if name:
                found.append(Path(name))
    return found


def _escape(text: str) -> str:
    """A .properties value (Java rules: backslash escapes, non-ASCII as \\uXXXX, one line)."""
    out = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    return "".join(c if ord(c) < 128 else f"\\u{ord(c):04x}" for c in out)


def environment(summary: RunSummary) -> dict[str, str]:
    target = summary.target
    values = {
        "target": target.get("description", "unknown"),
        "platform": target.get("platform", "unknown"),
        "api_url": target.get("api_url", ""),
        "database": target.get("database", ""),
        "run_id": summary.run_id or summary.settings.get("run_id", ""),
        "suite_version": suite_version(),
        "verdict": f"{summary.verdict.name} (exit {int(summary.verdict)})",
    }
    return {k: v for k, v in values.items() if v}


def _verdict_of(outcome: ScenarioOutcome) -> tuple[str, str] | None:
    """(Allure status, message) for a result allure-behave cannot classify; None to keep its own."""
    if outcome.status == ABORTED:
        return "skipped", f"{SERVICE_FAILURE_WORDS}: {outcome.reason or 'a third-party service failed'}"
    if outcome.status == SKIPPED and (outcome.reason or NOT_SELECTED) != NOT_SELECTED:
        return "skipped", f"{COULD_NOT_TEST_WORDS}: {outcome.reason}"
    if outcome.status == KNOWN_ISSUE:  # its reason starts "known issue <id>: ..."
        return "failed", outcome.reason or "known issue"
    if outcome.status == FIXED:  # a listed defect that passed: the known-issues file is out of date
        return "failed", outcome.reason or "fixed? remove the known issue"
    return None


def _feature_of(result: Mapping[str, Any]) -> str:
    return next(
        (str(label["value"]) for label in result.get("labels", []) if label.get("name") == "feature"), ""
    )


def _enrich(path: Path, result: dict[str, Any], outcome: ScenarioOutcome) -> bool:
    verdict = _verdict_of(outcome)
    if verdict is None:
        return False
    details = dict(result.get("statusDetails") or {})
    result["status"], details["message"] = verdict
    if outcome.status == ABORTED and outcome.evidence is not None:
        text = outcome.evidence.render_text()
        details["trace"] = text
        source = f"{uuid.uuid4()}-attachment.txt"
        (path.parent / source).write_text(text + "\n", encoding="utf-8")
        attachments = [a for a in result.get("attachments", []) if a.get("name") != BREAKER_REPORT]
        attachments.append({"name": BREAKER_REPORT, "source": source, "type": "text/plain"})
        result["attachments"] = attachments
    result["statusDetails"] = details
    issue = outcome.known_issue
    if issue is not None and issue.link:  # Allure shows it as a link of the result
        links = [link for link in result.get("links", []) if link.get("url") != issue.link]
        result["links"] = [*links, {"type": "issue", "name": issue.id, "url": issue.link}]
    return True


def finish_results(directory: Path, summary: RunSummary) -> int:
    """Write categories.json and environment.properties into `directory` and the suite's outcome into each
    result file allure-behave wrote there. Returns how many results were changed."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / CATEGORIES_FILE).write_text(json.dumps(CATEGORIES, indent=2) + "\n", encoding="utf-8")
    lines = [f"{key}={_escape(value)}" for key, value in environment(summary).items()]
    (directory / ENVIRONMENT_FILE).write_text("\n".join(lines) + "\n", encoding="ascii")
    outcomes = {(o.feature, o.name): o for o in summary.scenarios}
    changed = 0
    for path in sorted(directory.glob(f"*{RESULT_SUFFIX}")):
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # not ours to judge; Allure reports unreadable files itself
        outcome = outcomes.get((_feature_of(result), str(result.get("name", ""))))
        if outcome is None or outcome.status == PASSED or not _enrich(path, result, outcome):
            continue
        path.write_text(json.dumps(result), encoding="utf-8")
        changed += 1
    return changed
