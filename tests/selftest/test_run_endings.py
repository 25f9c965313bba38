"""How runs end that test nothing or are started the wrong way, and what a run writes where (issue 7):
an empty selection, a dry run, behave started where there is no behave.ini, the one command that works from
any directory, reports that say what really ran, JUnit under reports_dir, one console stream."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from selftest_support import (
    FEATURES_DIR,
    TINY,
    TINY_COUNTS,
    assert_no_traceback,
    closed_port,
    isolated_cwd,
    lines_with,
    new_run_id,
    run_behave,
)

pytestmark = pytest.mark.selftest


def plain_run(
    cwd: Path, *args: str, module: str = "behave", timeout_s: float = 90
) -> subprocess.CompletedProcess[str]:
    """`python -m <module> <args>` in ``cwd``, exactly as a user types it (no extra report arguments)."""
    env = {"PYTHONUNBUFFERED": "1", "PATH": "/usr/bin:/bin", "HOME": str(cwd)}
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )


def junit_cases(directory: Path) -> list[ET.Element]:
    return [
        case for path in sorted(directory.glob("*.xml")) for case in ET.parse(path).getroot().iter("testcase")
    ]


# ------------------------------------------------------------------------------------------- empty selection


def test_a_run_that_selects_no_scenario_is_exit_3_naming_the_selection(tmp_path: Path) -> None:
    result = run_behave(tmp_path / "typo", "--tags=@hapy_path", defines={"run_id": new_run_id("typo")})
    assert result.exit_code == 3, result.describe()
    assert result.status is not None
    assert result.status["verdict"] == "CANNOT_TEST"
    assert "no scenario selected by features --tags=@hapy_path" in result.status["reason"]
    # Refused before anything starts: the cause, then the verdict; no sandbox, user, scenario or cleanup.
    assert console_lines(result.output) == [
        "cannot test: no scenario selected by features --tags=@hapy_path (set allow_no_scenarios=true if "
        "that is intended)",
        "verdict: CANNOT_TEST (exit 3): Nothing could be tested",
    ]
    assert result.status["duration_s"] < 0.5, result.status["duration_s"]  # the runner's part of the run
    # Red in CI: every scenario an error, none merely skipped.
    cases = result.junit_testcases()
    assert cases and all(c.find("skipped") is None for c in cases)
    errors = [c.find("error") for c in cases]
    assert {e.get("type") if e is not None else None for e in errors} == {"cannot-test"}
    assert_no_traceback(result)


def console_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_a_run_that_selects_no_scenario_passes_when_the_setting_allows_it(tmp_path: Path) -> None:
    defines = {"run_id": new_run_id("empty-ok"), "allow_no_scenarios": "true"}
    result = run_behave(tmp_path / "allowed", "--tags=@hapy_path", defines=defines)
    assert result.exit_code == 0, result.describe()
    assert result.status is not None and result.status["verdict"] == "PASSED"


# ------------------------------------------------------------------------------------------- dry run


def test_a_dry_run_writes_no_verdict_artefacts_and_says_so(tmp_path: Path) -> None:
    cwd = isolated_cwd(tmp_path / "cwd")
    reports = tmp_path / "real-run-reports"
    (reports / "junit").mkdir(parents=True)
    earlier = {"status.json": '{"verdict": "FAILED"}', "report.html": "<p>real run</p>"}
    for name, text in earlier.items():
        (reports / name).write_text(text)
    (reports / "junit" / "TESTS-concurrent_campaigns.xml").write_text("<testsuite/>")
    done = plain_run(cwd, str(FEATURES_DIR), "--dry-run", "-D", f"reports_dir={reports}")
    assert done.returncode == 0, done.stdout + done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("dry run: 10 scenarios (9 selected, 1 not selected), every step defined; nothing")
    assert "verdict:" not in done.stdout
    # behave's summary said "0 features passed, 1 failed" here: no count may call anything failed.
    assert not re.search(r"\d+ failed|Failing", done.stdout + done.stderr), done.stdout + done.stderr
    for name, text in earlier.items():  # a real run's artefacts are untouched
        assert (reports / name).read_text() == text
    assert (reports / "junit" / "TESTS-concurrent_campaigns.xml").read_text() == "<testsuite/>"
    assert not (cwd / "reports").exists(), "a dry run wrote into ./reports"


# ------------------------------------------------------------------------------- not under the runner


def test_behave_from_another_directory_stops_with_exit_3_and_says_how_to_run(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    started = time.monotonic()
    done = plain_run(elsewhere, str(FEATURES_DIR), *TINY)
    assert done.returncode == 3, done.stdout + done.stderr
    lines = lines_with(done.stdout + done.stderr, "cannot test:")
    assert len(lines) == 1, done.stdout + done.stderr
    assert "python -m campaign_acceptance" in lines[0]
    assert "Traceback" not in done.stdout + done.stderr
    assert "Scenario" not in done.stdout, "a scenario ran without the suite's runner"
    assert time.monotonic() - started < 60


def test_python_m_campaign_acceptance_works_from_any_directory(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    reports = tmp_path / "reports"
    args = [*TINY, "-D", f"reports_dir={reports}"]
    args += [arg for name, value in TINY_COUNTS.items() for arg in ("-D", f"{name}={value}")]
    done = plain_run(elsewhere, *args, module="campaign_acceptance")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("verdict: PASSED (exit 0)")
    status = json.loads((reports / "status.json").read_text())
    assert status["verdict"] == "PASSED" and status["counts"]["passed"] == 1
    assert junit_cases(reports / "junit"), "JUnit under reports_dir"
    # An unreachable target under this command is exit 3, as with plain behave (not behave's own 1).
    args = [*TINY, "-D", f"reports_dir={reports}", "-D", f"api_url=http://127.0.0.1:{closed_port()}"]
    done = plain_run(elsewhere, *args, module="campaign_acceptance")
    assert done.returncode == 3, done.stdout + done.stderr


# ------------------------------------------------------------------------- what ran, JUnit, console


def test_reports_say_what_ran_junit_goes_under_reports_dir_and_the_console_is_one_stream(
    tmp_path: Path,
) -> None:
    """One run serves three points: -D scale, JUnit placement and stale files, the default console."""
    cwd = isolated_cwd(tmp_path / "cwd")
    reports = tmp_path / "reports"
    (reports / "junit").mkdir(parents=True)
    stale = reports / "junit" / "TESTS-stale_feature_of_an_earlier_run.xml"
    stale.write_text("<testsuite/>")
    done = plain_run(cwd, str(FEATURES_DIR), *TINY, "-D", f"reports_dir={reports}", "-D", "scale=0.5")
    assert done.returncode == 0, done.stdout + done.stderr

    # 3 x 5 at scale 0.5 ran as 2 x 3; every report says so.
    status = json.loads((reports / "status.json").read_text())
    ran = "(ran as 2 campaigns with 3 leads each: scale=0.5)"
    (scenario,) = [s for s in status["scenarios"] if s["status"] == "passed"]
    assert scenario["name"].endswith(ran), scenario["name"]
    assert status["campaigns"]["total"] == 2
    assert {c["total_records"] for c in status["campaigns"]["items"]} == {3}
    assert ran in (reports / "report.html").read_text()
    cases = junit_cases(reports / "junit")
    assert [c.get("name") for c in cases if c.get("status") == "passed"] == [scenario["name"]]

    # JUnit under reports_dir, the earlier run's file gone, nothing in ./reports.
    assert not stale.exists()
    assert not (cwd / "reports").exists()
    # Scenarios that were not selected are skipped with a type a viewer tells from an abort.
    not_selected = [c.find("skipped") for c in cases if c.get("status") == "skipped"]
    assert not_selected and all(s is not None and s.get("type") == "not-selected" for s in not_selected)

    # One console stream: each step and each feature header once.
    out = done.stdout
    assert len(lines_with(out, "Feature: Many campaigns run at once")) == 1, out
    assert len(lines_with(out, "every lead fetch finishes with at least one lead")) == 1, out
    # Nothing said that says nothing: no runner banner, no empty Background line, no header of a scenario
    # that was not selected; a feature none of whose scenarios is selected is one line.
    everything = out + done.stderr
    assert "USING RUNNER" not in everything and "Background:" not in everything, everything
    assert "Scenario Outline: 10 campaigns" not in everything and "SKIP " not in everything, everything
    assert lines_with(
        out, "Feature: Circuit breakers protect campaigns from third-party outages: not selected"
    ) == [
        "Feature: Circuit breakers protect campaigns from third-party outages: not selected: 4 scenarios (by "
        "--tags=@happy_path --name=quick)"
    ], out
    assert re.search(r"^10 scenarios in [0-9.]+ s: 1 passed, 9 not selected$", out, re.M), out
    assert not any(line.endswith(" 1 users") or " 1 users " in line for line in everything.splitlines())


def test_a_formatter_on_the_command_line_replaces_the_default_console(tmp_path: Path) -> None:
    cwd = isolated_cwd(tmp_path / "cwd")
    reports = tmp_path / "reports"
    args = [str(FEATURES_DIR), *TINY, "-f", "progress", "-D", f"reports_dir={reports}"]
    args += [arg for name, value in TINY_COUNTS.items() for arg in ("-D", f"{name}={value}")]
    done = plain_run(cwd, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "every lead fetch finishes" not in done.stdout, done.stdout
    assert "Feature:" not in done.stdout, done.stdout


def test_junit_of_a_run_that_could_not_test_shows_errors(tmp_path: Path) -> None:
    defines = {"api_url": f"http://127.0.0.1:{closed_port()}", "run_id": new_run_id("junit-3")}
    result = run_behave(tmp_path / "down", defines=defines, json_output=False)
    assert result.exit_code == 3, result.describe()
    # Every scenario the run would have run is an error (deselected ones stay skipped, "not selected").
    not_run = [c for c in result.junit_testcases() if c.get("status") == "untested"]
    assert not_run
    for case in not_run:
        error = case.find("error")
        assert error is not None and error.get("type") == "cannot-test", ET.tostring(case)
        assert "cannot be reached" in (error.get("message") or "")
        assert case.find("skipped") is None
    for path in result.junit_files():
        suite = ET.parse(path).getroot()
        errors = sum(1 for c in suite.iter("testcase") if c.find("error") is not None)
        assert int(suite.get("errors") or 0) == errors and suite.get("failures") == "0"
