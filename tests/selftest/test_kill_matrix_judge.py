"""How the kill matrix judges one finished run (kill_matrix.judge), on status.json documents made here: no
behave run, so these are quick and say exactly which rule of the matrix decides."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kill_matrix import CONTROL, comparable, judge, table_rows
from selftest_support import BehaveResult, BehaveRun


def _step(
    name: str, status: str = "passed", seconds: float = 1.0, message: str | None = None
) -> dict[str, Any]:
    return {"keyword": "And", "name": name, "status": status, "duration_s": seconds, "message": message}


def _result(exit_code: int, steps: list[dict[str, Any]], reason: str = "") -> BehaveResult:
    status = {
        "reason": reason,
        "scenarios": [
            {"name": "earlier", "status": "passed", "steps": [_step("x")]},
            {"name": "the one", "status": "failed" if exit_code == 1 else "passed", "steps": steps},
        ],
    }
    run = BehaveRun(root=Path("."), args=[], env={})
    return BehaveResult(run=run, exit_code=exit_code, stdout="", stderr="", duration_s=12.34, status=status)


STARTED = "3 campaigns with 5 leads each are started"


def test_a_defect_caught_by_name_counts_with_the_seconds_from_the_observable_step() -> None:
    steps = [
        _step("a fresh tenant", seconds=0.5),
        _step(STARTED, seconds=2.0),
        _step("every lead fetch finishes", seconds=0.25),
        _step(
            "every lead is enriched",
            "failed",
            3.0,
            "3 leads have missing email_verification\n  campaign  status\n",
        ),
        _step("later", "skipped", 0.0),
    ]
    result = judge("results-missing", _result(1, steps))
    assert result.caught, result.problems
    assert (result.seconds, result.observable_step) == (5.25, f"And {STARTED}")
    assert result.step == "And every lead is enriched"


def test_the_phrase_must_be_in_the_reason_not_in_the_state_tables() -> None:
    message = "enrichment did not finish\n  campaign  status  done\n  c1  RUNNING  missing email_verification"
    steps = [_step(STARTED), _step("every lead is enriched", "failed", 1.0, message)]
    result = judge("results-missing", _result(1, steps))
    assert result.problems == [
        "reason lacks 'missing' and 'email_verification' or 'enrichment_results' or "
        "'email_copy_gen_results' or 'instantly_lead_record'"
    ]


def test_a_deadline_running_out_is_not_caught_by_name_even_with_the_phrase() -> None:
    message = "fetch not finished within 20.0s: FETCH_LEADS PENDING"
    result = judge("fetch-never-starts", _result(1, [_step(STARTED, "failed", 20.0, message)]))
    assert result.problems == ["caught only by a deadline running out"]
    assert result.seconds == 20.0


def test_a_service_failure_or_a_pass_is_never_a_catch_and_the_control_must_pass() -> None:
    assert judge("pause-pauses-nothing", _result(2, [_step("x")])).problems[0] == "exit 2, not 1"
    assert judge("results-missing", _result(0, [_step("x")])).problems == [
        "exit 0, not 1",
        "no failing step in status.json",
    ]
    assert judge(CONTROL, _result(0, [_step("x")])).caught
    assert not judge(CONTROL, _result(1, [_step("x", "failed", 1.0, "boom")])).caught


def test_without_the_observable_step_the_seconds_are_the_failing_steps_own() -> None:
    result = judge("resume-loses-work", _result(1, [_step("a"), _step("b", "failed", 4.5, "9 jobs PENDING")]))
    assert (result.caught, result.seconds, result.observable_step) == (True, 4.5, None)


def test_rows_compare_without_seconds_run_ids_ids_and_counts() -> None:
    one = judge(
        "resume-loses-work",
        _result(
            1,
            [_step("b", "failed", 4.5, "9 jobs PENDING of acceptance-20261204190329-ece9ea campaign 1 of 3")],
        ),
    )
    two = judge(
        "resume-loses-work",
        _result(
            1,
            [
                _step(
                    "b", "failed", 6.0, "12 jobs PENDING of acceptance-20261205101010-abcdef campaign 2 of 3"
                )
            ],
        ),
    )
    assert table_rows([one]) != table_rows([two])
    assert [comparable(r) for r in table_rows([one])] == [comparable(r) for r in table_rows([two])]
