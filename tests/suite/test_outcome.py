"""Verdict mapping, outcome words and the gate's decision: plain data, no behave (a test guards that)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from campaign_acceptance import outcome
from campaign_acceptance.model import BreakerReport, BreakerState, CampaignSnapshot
from campaign_acceptance.outcome import (
    ABORTED,
    FAILED,
    PASSED,
    SKIPPED,
    UNTESTED,
    ScenarioOutcome,
    Verdict,
    abort_tags,
    decide_verdict,
    gate_decision,
    judge_run,
    verdict_reason,
)
from support.evidence import OPENAI_OPEN, REPORT


def o(status: str, name: str = "s", evidence: BreakerReport | None = None) -> ScenarioOutcome:
    return ScenarioOutcome(key=f"f.feature:{name}", feature="F", name=name, status=status, evidence=evidence)


@pytest.mark.parametrize(
    ("statuses", "cannot", "expected"),
    [
        ([], None, Verdict.PASSED),
        ([PASSED, PASSED], None, Verdict.PASSED),
        ([PASSED, SKIPPED], None, Verdict.PASSED),
        ([PASSED, FAILED], None, Verdict.FAILED),
        ([PASSED, ABORTED], None, Verdict.SERVICE_FAILURE),
        ([ABORTED, ABORTED, SKIPPED], None, Verdict.SERVICE_FAILURE),
        ([ABORTED, FAILED], None, Verdict.FAILED),  # a real failure wins over an abort
        ([], "database unreachable", Verdict.CANNOT_TEST),
        ([UNTESTED, UNTESTED], "bad setting", Verdict.CANNOT_TEST),
        ([PASSED], "late set-up failure", Verdict.FAILED),
    ],
)
def test_verdict_mapping(statuses: list[str], cannot: str | None, expected: Verdict) -> None:
    assert decide_verdict([o(s, str(i)) for i, s in enumerate(statuses)], cannot) is expected


def test_an_interrupt_is_its_own_verdict_and_errors_outside_scenarios_are_failures() -> None:
    assert decide_verdict([o(ABORTED)], interrupted=True) is Verdict.INTERRUPTED
    assert decide_verdict([o(FAILED)], interrupted=True) is Verdict.INTERRUPTED
    assert decide_verdict([], "set-up interrupted", interrupted=True) is Verdict.INTERRUPTED
    assert decide_verdict([o(PASSED)], run_errors=1) is Verdict.FAILED
    assert [int(v) for v in Verdict] == [0, 1, 2, 3, 130]


@pytest.mark.parametrize(
    ("statuses", "interrupted", "expected"),
    [
        ([PASSED], False, Verdict.FAILED),
        ([ABORTED], False, Verdict.FAILED),
        ([FAILED], False, Verdict.FAILED),
        ([PASSED], True, Verdict.INTERRUPTED),  # the interrupt stays the verdict; the rows are still named
    ],
)
def test_rows_left_behind_fail_a_green_or_service_failure_run_and_are_named(
    statuses: list[str], interrupted: bool, expected: Verdict
) -> None:
    left = {"campaigns": ["c-1"], "jobs": []}
    verdict, reason = judge_run([o(s) for s in statuses], interrupted=interrupted, left_behind=left)
    assert verdict is expected
    assert reason.endswith("; cleanup left rows of this run: campaigns c-1")
    nothing_left = judge_run([o(PASSED)], left_behind={"jobs": []})
    assert nothing_left == (Verdict.PASSED, "The 1 executed scenario passed")


def test_two_failed_scenarios_are_counted_once() -> None:
    failed = [
        ScenarioOutcome("k1", "F", "first", FAILED, reason="Then x: expected 5"),
        ScenarioOutcome("k2", "F", "second", FAILED, reason="Then y: expected 6"),
    ]
    reason = verdict_reason(Verdict.FAILED, failed)
    assert reason == "2 scenarios failed; the first: first: Then x: expected 5"
    assert "more" not in reason


def test_verdict_reason_words() -> None:
    aborted = [o(ABORTED, "a", REPORT), o(ABORTED, "b", REPORT)]
    assert verdict_reason(Verdict.SERVICE_FAILURE, aborted) == (
        "Stopped by a third-party service failure: openai breaker open (2 scenarios aborted)"
    )
    failed = [ScenarioOutcome("k", "F", "happy path", FAILED, reason="Then x: expected 5\nbut 3")]
    assert verdict_reason(Verdict.FAILED, failed) == "1 scenario failed: happy path: Then x: expected 5"
    assert verdict_reason(Verdict.CANNOT_TEST, [], "no db") == "Nothing could be tested: no db"
    assert verdict_reason(Verdict.INTERRUPTED, [o(PASSED), o(UNTESTED, "2")], stopped_by="SIGTERM") == (
        "Interrupted by SIGTERM (the job was cancelled) before the run finished (1 of 2 scenarios ran)"
    )
    assert verdict_reason(Verdict.PASSED, [o(PASSED)]) == "The 1 executed scenario passed"


def test_abort_tags_name_the_service_also_from_paused_campaign_messages() -> None:
    assert abort_tags(REPORT) == ["aborted", "service.openai"]
    paused = CampaignSnapshot("c", "C", "PAUSED", "Campaign paused: Service perplexity unavailable: x")
    report = BreakerReport("1 campaign paused", (), (paused,))
    assert abort_tags(report) == ["aborted", "service.perplexity"]


def test_the_verdict_logic_imports_without_behave() -> None:
    """outcome.py is plain data and decisions: with behave blocked (a None entry fails every import of it)
    it still imports; behave's model is runner.py's business."""
    code = (
        "import sys\n"
        "for name in ('behave', 'behave.model', 'behave.model_type', 'behave.runner'):\n"
        "    sys.modules[name] = None\n"
        "import campaign_acceptance.outcome\n"
        "assert not [m for m in sys.modules if m.startswith('behave') and sys.modules[m] is not None]\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    # Nor later: no import of behave anywhere in the module, in a function body either.
    source = Path(outcome.__file__).read_text(encoding="utf-8")
    imported = [
        alias.name if isinstance(node, ast.Import) else str(node.module)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else node.names[:1])
    ]
    assert [name for name in imported if name.split(".")[0] == "behave"] == []


def test_the_gate_decides_by_the_policy_only_when_a_breaker_is_not_closed() -> None:
    closed = {"openai": BreakerState("openai", "closed"), "apollo": BreakerState("apollo", "closed")}
    assert gate_decision(closed, "abort") is None
    assert gate_decision(closed, "warn") is None
    opened = {**closed, "openai": OPENAI_OPEN}
    abort = gate_decision(opened, "abort")
    assert abort is not None and abort.abort and abort.report.services == ("openai",)
    warn = gate_decision(opened, "warn")
    assert warn is not None and not warn.abort and "openai" in warn.report.reason
