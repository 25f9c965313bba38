"""The kill matrix (issue 14 point 4): the default suite, unchanged, against every planted sandbox defect.

One run per defect (4 at a time, each stopping at its first failing scenario) and a control run without
any: the control passes; each defect ends the run with exit 1 and a failing step whose reason names the
broken rule (the phrase of ``kill_matrix.EXPECTATIONS``), not a deadline. A defect no scenario catches fails
its test here. The results go to reports/kill_matrix.json, which ``bench/kill_times.py --readme`` turns into
the README's table; the README must show what this run found (seconds aside), so it is never hand-written.
"""

from __future__ import annotations

import time

import pytest
from kill_matrix import (
    BY_DEFECT,
    CONTROL,
    EXPECTATIONS,
    README_PATH,
    RESULTS_PATH,
    KillResult,
    comparable,
    readme_rows,
    run_matrix,
    table_rows,
    write_results,
)

from campaign_sandbox.defects import CATALOGUE

pytestmark = pytest.mark.selftest

DEFECTS = [e.defect for e in EXPECTATIONS]


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> dict[str, KillResult]:
    started = time.monotonic()
    results = run_matrix([CONTROL, *DEFECTS], tmp_path_factory.mktemp("kill-matrix"))
    wall_s = time.monotonic() - started
    write_results(results, RESULTS_PATH, wall_s=round(wall_s, 1))
    print(f"kill matrix: {len(results)} runs in {wall_s:.0f} s wall; results in {RESULTS_PATH}")
    return {r.defect: r for r in results}


def _describe(result: KillResult) -> str:
    where = f"{result.scenario}: {result.step}" if result.step else "no failing step"
    return (
        f"{result.defect or 'control'}: exit {result.exit_code}, {where}\n  reason: {result.headline()}\n"
        f"  suite's verdict: {result.verdict_reason}\n  problems: {'; '.join(result.problems)}"
    )


def test_every_catalogue_entry_is_in_the_matrix() -> None:
    assert list(BY_DEFECT) == list(CATALOGUE)


def test_the_readme_lists_every_defect_with_its_rule() -> None:
    rows = readme_rows(README_PATH.read_text(encoding="utf-8"))
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in rows]
    assert [c[0] for c in cells] == [f"`{name}`" for name in CATALOGUE]
    assert [c[1] for c in cells] == [entry.rule for entry in CATALOGUE.values()]


def test_the_control_run_passes(matrix: dict[str, KillResult]) -> None:
    assert matrix[CONTROL].caught, _describe(matrix[CONTROL])


@pytest.mark.parametrize("defect", DEFECTS)
def test_the_suite_catches(matrix: dict[str, KillResult], defect: str) -> None:
    result = matrix[defect]
    assert result.caught, _describe(result)
    assert result.seconds is not None


def test_the_readme_table_is_this_runs_matrix(matrix: dict[str, KillResult]) -> None:
    fresh = [comparable(row) for row in table_rows(matrix.values())]
    shown = [comparable(row) for row in readme_rows(README_PATH.read_text(encoding="utf-8"))]
    assert shown == fresh, (
        "README.md's kill matrix is not what the suite does today: run bench/kill_times.py --readme "
        f"(it reads {RESULTS_PATH}, which this test just wrote)"
    )
