"""The runner and the abort mechanics, proven by running behave 1.3.3 for real on tiny generated projects.

Each test writes a features directory (environment.py calling the outcome functions as the glue does, steps
that log what ran), runs `python -m behave` in a subprocess, and checks the exit code, the JSON status
file, behave's JUnit and JSON output, and which steps ran.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from support.behave_child import behave_argv

BEHAVE_INI = """\
[behave]
runner = campaign_acceptance.runner:VerdictRunner
junit = true

[behave.userdata]
# JUnit goes to <reports_dir>/junit
reports_dir = out
"""

ENVIRONMENT = """\
import os
from campaign_acceptance.errors import DatabaseUnavailableError
from campaign_acceptance.model import BreakerReport, BreakerState, CampaignSnapshot
from campaign_acceptance.outcome import RunRecord
from campaign_acceptance.runner import abort_before_start, cannot_test, on_step_done


class World:
    def __init__(self):
        self.record = RunRecord(
            reports_dir="out", settings={"database_url": "postgresql://suite:***@db/platform"}
        )


def openai_report():
    b = BreakerState("openai", "open", 5, 5, True, "2025-01-01T10:00:00", "circuit_breaker_open")
    c = CampaignSnapshot("c-1", "Campaign 1", "PAUSED", "Campaign paused: Service openai unavailable")
    return BreakerReport("breaker openai is open (5/5 failures)", (b,), (c,), 0.4, (b,))


def before_all(context):
    context.world = World()
    if os.environ.get("KNOWN_ISSUES"):  # as lifecycle.start_run does with the setting known_issues
        from pathlib import Path
        from campaign_acceptance.known_issues import load_known_issues

        context.world.record.known_issues = load_known_issues(Path(os.environ["KNOWN_ISSUES"]))
        context.world.record.known_issues_strict = os.environ.get("KNOWN_ISSUES_STRICT") != "false"
    mode = os.environ.get("SUITE_MODE", "")
    error = DatabaseUnavailableError("database postgresql://suite:***@db/platform cannot be queried")
    if mode == "cannot-test":
        cannot_test(context, error, context.world.record)
    elif mode == "raise":
        raise error


def before_scenario(context, scenario):
    if "breaker_open" in scenario.tags:  # stands in for the health gate finding a breaker open
        abort_before_start(scenario, openai_report(), context.world.record)
    if "needs_faults" in scenario.tags:  # stands in for a capability the target lacks
        scenario.skip(reason="needs fault control: set fault_control_url")


def after_step(context, step):
    on_step_done(context.scenario, step, context.world.record)


def after_scenario(context, scenario):
    context.world.record.campaigns.append(openai_report().paused_campaigns[0])


def after_all(context):
    if os.environ.get("SUITE_MODE") == "left-rows":  # stands in for a cleanup that could not delete
        context.world.record.left_behind = {"campaigns": ["c-9"], "users": ["u-9"]}
    with open("after_all.ran", "w") as f:
        f.write("yes")
"""

STEPS = """\
import threading
from behave import step
from campaign_acceptance.errors import ServiceFailure
from environment import openai_report


def log(context, text):
    with open("steps.log", "a") as f:
        f.write(f"{context.scenario.name}: {text}\\n")


@step("step {name} passes")
def passes(context, name):
    log(context, name)


@step("the third-party service fails")
def service_fails(context):
    log(context, "service fails")
    raise ServiceFailure(openai_report())


@step("the product is wrong")
def product_wrong(context):
    log(context, "product wrong")
    assert 2 + 2 == 5, "expected 5 leads enriched, found 4"


@step("the run waits for Ctrl-C")
def wait_for_interrupt(context):
    log(context, "waiting")
    with open("waiting", "w") as f:
        f.write("yes")
    threading.Event().wait(20)  # bounded: the test sends SIGINT long before
"""


def project(tmp_path: Path, **features: str) -> Path:
    (tmp_path / "features" / "steps").mkdir(parents=True)
    (tmp_path / "behave.ini").write_text(BEHAVE_INI)
    (tmp_path / "features" / "environment.py").write_text(ENVIRONMENT)
    # behave puts the features directory on sys.path, so the steps can import environment's helpers
    (tmp_path / "features" / "steps" / "steps.py").write_text(STEPS)
    for name, text in features.items():
        (tmp_path / "features" / f"{name}.feature").write_text(textwrap.dedent(text))
    return tmp_path


def behave_cmd() -> list[str]:
    return behave_argv("features", "-f", "json", "-o", "out/behave.json", "-f", "plain")


def env(mode: str = "", **extra: str) -> dict[str, str]:
    return {**os.environ, "SUITE_MODE": mode, "PYTHONDONTWRITEBYTECODE": "1", **extra}


def run(root: Path, mode: str = "", *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        behave_cmd() + list(args),
        cwd=root,
        env=env(mode, **extra),
        capture_output=True,
        text=True,
        timeout=60,
    )


def status(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / "out" / "status.json").read_text())
    return data


def steps_run(root: Path) -> list[str]:
    log = root / "steps.log"
    return log.read_text().splitlines() if log.exists() else []


HAPPY = """\
    Feature: Happy
      Scenario: all good
        Given step one passes
        Then step two passes

      Scenario Outline: good for <n>
        Given step <n> passes
        Examples:
          | n     |
          | three |
          | four  |
"""

ABORTS = """\
    Feature: Breakers
      Scenario: paused while running
        Given step one passes
        When the third-party service fails
        Then step after-the-failure passes

      @breaker_open
      Scenario: gate finds a breaker open
        Given step gated passes

      Scenario: unaffected
        Given step fine passes
"""

FAILS = """\
    Feature: Product
      Scenario: enrichment incomplete
        Given step one passes
        Then the product is wrong
"""


def test_all_passed_exits_0_with_outline_examples_counted(tmp_path: Path) -> None:
    root = project(tmp_path, happy=HAPPY)
    result = run(root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        result.stdout.rstrip().splitlines()[-1] == "verdict: PASSED (exit 0): All 3 executed scenarios passed"
    )
    data = status(root)
    assert data["verdict"] == "PASSED" and data["counts"]["passed"] == 3
    assert (root / "out" / "report.html").exists()
    assert (root / "after_all.ran").exists()


def test_aborts_only_exit_2_with_tags_reasons_and_remaining_steps_not_run(tmp_path: Path) -> None:
    root = project(tmp_path, breakers=ABORTS)
    result = run(root)
    assert result.returncode == 2, result.stdout + result.stderr
    last = result.stdout.rstrip().splitlines()[-1]
    assert last.startswith(
        "verdict: SERVICE_FAILURE (exit 2): Stopped by a third-party service failure: openai"
    )
    assert "Traceback" not in result.stdout + result.stderr

    # the remaining step of the in-flight abort and every step of the gate abort did not run
    assert steps_run(root) == [
        "paused while running: one",
        "paused while running: service fails",
        "unaffected: fine",
    ]

    data = status(root)
    by_name = {s["name"]: s for s in data["scenarios"]}
    inflight, gated = by_name["paused while running"], by_name["gate finds a breaker open"]
    assert (inflight["status"], inflight["phase"]) == ("aborted", "in-flight")
    assert (gated["status"], gated["phase"]) == ("aborted", "gate")
    assert by_name["unaffected"]["status"] == "passed"
    assert inflight["evidence"]["services"] == ["openai"]
    assert inflight["evidence"]["paused_campaigns"][0]["status_message"] == (
        "Campaign paused: Service openai unavailable"
    )
    assert {"aborted", "service.openai"} <= set(gated["tags"])
    assert [a["phase"] for a in data["aborts"]] == ["in-flight", "gate"]
    assert data["campaigns"]["counts"] == {"PAUSED": 1}

    # JUnit keeps the reason on <skipped message=...>
    suite = ET.parse(next((root / "out" / "junit").glob("TESTS-*.xml"))).getroot()
    skipped = {
        case.get("name"): case.find("skipped")
        for case in suite.iter("testcase")
        if case.find("skipped") is not None
    }
    assert set(skipped) == {"paused while running", "gate finds a breaker open"}
    for element in skipped.values():
        assert element is not None and element.get("type") == "aborted"
        assert "breaker openai is open (5/5 failures)" in (element.get("message") or "")
    assert suite.get("failures") == "0" and suite.get("errors") == "0"

    # behave's own JSON formatter shows the tags (so does tag selection: scenario.tags is behave's list)
    elements = json.loads((root / "out" / "behave.json").read_text())[0]["elements"]
    tags = {e["name"]: e["tags"] for e in elements}
    assert tags["paused while running"] == ["aborted", "service.openai"]
    assert tags["gate finds a breaker open"] == ["breaker_open", "aborted", "service.openai"]
    assert tags["unaffected"] == []

    # console: the abort is announced on the real stderr while the run goes on
    assert "ABORTED paused while running: aborted in flight" in result.stderr
    html = (root / "out" / "report.html").read_text()
    assert "Stopped while it was running by a third-party service failure" in html and "suite:***@db" in html


def test_a_real_failure_wins_over_an_abort_exit_1(tmp_path: Path) -> None:
    root = project(tmp_path, breakers=ABORTS, product=FAILS)
    result = run(root)
    assert result.returncode == 1, result.stdout + result.stderr
    data = status(root)
    assert data["verdict"] == "FAILED"
    assert data["counts"]["failed"] == 1 and data["counts"]["aborted"] == 2
    failed = next(s for s in data["scenarios"] if s["status"] == "failed")
    assert failed["reason"] == "Then the product is wrong: expected 5 leads enriched, found 4"
    assert "1 scenario failed: enrichment incomplete" in result.stdout.rstrip().splitlines()[-1]


@pytest.mark.parametrize("mode", ["cannot-test", "raise"])
def test_cannot_test_exits_3_with_one_line_and_no_scenario(tmp_path: Path, mode: str) -> None:
    root = project(tmp_path, happy=HAPPY)
    result = run(root, mode)
    output = result.stdout + result.stderr
    assert result.returncode == 3, output
    assert "Traceback" not in output and "HOOK-ERROR" not in output
    assert output.count("cannot test: ") == 1
    assert "ABORTED: By user" not in output
    assert steps_run(root) == []
    assert (root / "after_all.ran").exists()  # cleanup still happens
    data = status(root)
    assert data["verdict"] == "CANNOT_TEST" and data["exit_code"] == 3
    assert "cannot be queried" in data["reason"]
    assert {s["status"] for s in data["scenarios"]} == {"untested"}
    # Exactly two lines, the cause and then the verdict: no runner banner, no behave summary, no copy.
    assert console_lines(result) == [
        "cannot test: database postgresql://suite:***@db/platform cannot be queried",
        "verdict: CANNOT_TEST (exit 3): Nothing could be tested",
    ]


def console_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    """Every non-empty line a person sees (stdout, then stderr: the tests' runs print to one of them)."""
    return [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("args", "cause"),
    [
        (
            ["--tags=@hapy"],
            "cannot test: no scenario selected by features --tags=@hapy (set allow_no_scenarios",
        ),
        (["-D", "scale=abc"], "cannot test: setting scale: expected a positive number, got 'abc' (from -D)"),
    ],
    ids=["tag-typo", "bad-setting"],
)
def test_a_run_that_cannot_test_is_refused_before_any_hook_in_two_lines(
    tmp_path: Path, args: list[str], cause: str
) -> None:
    root = project(tmp_path, happy=HAPPY, breakers=ABORTS)
    result = run(root, "", *args)
    assert result.returncode == 3, result.stdout + result.stderr
    lines = console_lines(result)
    assert len(lines) == 2 and lines[0].startswith(cause), lines
    assert lines[1] == "verdict: CANNOT_TEST (exit 3): Nothing could be tested"
    # No hook ran (before_all would have made after_all run too): nothing started, nothing to clean up.
    assert not (root / "after_all.ran").exists()
    data = status(root)
    assert (data["verdict"], data["exit_code"]) == ("CANNOT_TEST", 3)
    assert data["duration_s"] < 0.5, data["duration_s"]  # the runner's part; Python's start is the rest
    # JUnit shows the run red: every scenario an <error type="cannot-test">, none merely skipped.
    cases = junit_cases(root)
    assert len(cases) == 6
    for case in cases.values():
        error = case.find("error")
        assert error is not None and error.get("type") == "cannot-test", ET.tostring(case)
        assert case.find("skipped") is None


def test_the_summary_counts_in_the_verdicts_words_and_a_dry_run_counts_nothing_as_failed(
    tmp_path: Path,
) -> None:
    root = project(tmp_path, happy=HAPPY, product=FAILS)
    result = run(root, "", "--tags=not @nothing", "--name=good")
    lines = console_lines(result)
    assert result.returncode == 0, lines
    summary = next(line for line in lines if " scenarios in " in line)
    assert re.fullmatch(r"4 scenarios in [0-9.]+ s: 3 passed, 1 not selected", summary), summary
    assert not any("features passed" in line or "failed" in line for line in lines), lines
    assert not any(line.startswith("USING RUNNER") for line in lines), lines

    dry = run(root, "", "--dry-run")
    lines = console_lines(dry)
    assert dry.returncode == 0, lines
    assert lines[-1].startswith("dry run: 4 scenarios (4 selected, 0 not selected), every step defined;"), (
        lines
    )
    assert not any("failed" in line for line in lines), lines


def test_ctrl_c_runs_after_all_and_exits_130_interrupted(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        wait="""\
        Feature: Long
          Scenario: waiting
            Given the run waits for Ctrl-C
          Scenario: never reached
            Given step later passes
        """,
    )
    proc = subprocess.Popen(
        behave_cmd(), cwd=root, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        marker = root / "waiting"
        for _ in range(200):  # up to ~10 s for behave to reach the step
            if marker.exists() or proc.poll() is not None:
                break
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.05)
        assert marker.exists(), "behave never reached the waiting step"
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, stdout + stderr
    assert (root / "after_all.ran").exists()
    assert steps_run(root) == ["waiting: waiting"]
    data = status(root)
    assert (data["verdict"], data["exit_code"]) == ("INTERRUPTED", 130)
    assert data["reason"].startswith("Interrupted by Ctrl-C"), data["reason"]
    assert "KeyboardInterrupt" not in data["reason"]
    assert {s["name"]: s["status"] for s in data["scenarios"]}["never reached"] == "untested"


def test_rows_left_behind_by_cleanup_fail_a_passing_run_and_are_listed(tmp_path: Path) -> None:
    root = project(tmp_path, happy=HAPPY)
    result = run(root, mode="left-rows")
    assert result.returncode == 1, result.stdout + result.stderr
    data = status(root)
    assert data["verdict"] == "FAILED"
    assert data["reason"] == (
        "All 3 executed scenarios passed; cleanup left rows of this run: campaigns c-9; users u-9"
    )
    assert data["left_behind"] == {"campaigns": ["c-9"], "users": ["u-9"]}
    assert "c-9" in (root / "out" / "report.html").read_text()


# --- known issues ---------------------------------------------------------------------------------

KNOWN = """\
    Feature: Known
      @bug
      Scenario: enrichment stalls
        Given step one passes
        Then the product is wrong

      @fixed
      Scenario: defect already fixed
        Given step one passes

      @bug
      Scenario: all good
        Given step one passes
"""

KNOWN_FILE = """\
[[issue]]
id = "stall-1"
description = "Enrichment stops at four leads"
link = "https://example.test/issues/1"
scenarios = ["enrichment stall*"]
step = "the product is wrong"
message = 'expected \\d+ leads enriched, found 4'

[[issue]]
id = "gone-2"
description = "Was broken once"
link = "https://example.test/issues/2"
scenarios = ["defect already fixed"]
step = "step one passes"
message = "."
"""


def junit_cases(root: Path) -> dict[str, ET.Element]:
    cases: dict[str, ET.Element] = {}
    for path in (root / "out" / "junit").glob("*.xml"):
        for case in ET.parse(path).getroot().iter("testcase"):
            cases[str(case.get("name"))] = case
    return cases


def test_a_known_issue_alone_exits_0_and_says_so_in_every_report(tmp_path: Path) -> None:
    root = project(tmp_path, known=KNOWN)
    (root / "known.toml").write_text(KNOWN_FILE)
    result = run(root, "", "--tags=@bug", KNOWN_ISSUES=str(root / "known.toml"))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.rstrip().splitlines()
    assert lines[-1] == "verdict: PASSED (exit 0): 1 executed scenario passed; 1 known issue (stall-1)"
    assert "known issue stall-1: enrichment stalls: Enrichment stops at four leads" in lines
    # behave's summary said "Failing scenarios:" and "1 failed" right above this PASSED verdict.
    summary = next(line for line in lines if " scenarios in " in line)
    assert re.fullmatch(r"3 scenarios in [0-9.]+ s: 1 passed, 1 known issue, 1 not selected", summary), (
        summary
    )
    assert not any("Failing" in line or "failed scenarios" in line for line in lines), lines
    data = status(root)
    stalls = next(s for s in data["scenarios"] if s["name"] == "enrichment stalls")
    assert stalls["status"] == "known_issue"
    assert stalls["reason"].startswith("known issue stall-1: Enrichment stops at four leads")
    assert "expected 5 leads enriched, found 4" in stalls["reason"]
    assert stalls["known_issue"] == {
        "id": "stall-1",
        "description": "Enrichment stops at four leads",
        "link": "https://example.test/issues/1",
    }
    assert data["counts"]["known_issue"] == 1 and data["counts"]["failed"] == 0
    assert "known issue stall-1" in (root / "out" / "report.html").read_text()
    case = junit_cases(root)["enrichment stalls"]
    assert case.find("failure") is None and case.find("error") is None
    skipped = case.find("skipped")
    assert skipped is not None and skipped.get("type") == "known_issue"
    assert str(skipped.get("message")).startswith("known issue stall-1")
    suite = ET.parse(next((root / "out" / "junit").glob("*.xml"))).getroot()
    # skipped: the known issue and the scenario not selected by --tags
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("0", "0", "2")


def test_a_listed_scenario_failing_differently_still_fails(tmp_path: Path) -> None:
    root = project(tmp_path, known=KNOWN)
    (root / "known.toml").write_text(KNOWN_FILE.replace("found 4", "found 3"))
    result = run(root, "", "--tags=@bug", KNOWN_ISSUES=str(root / "known.toml"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 scenario failed: enrichment stalls" in result.stdout.rstrip().splitlines()[-1]
    assert status(root)["counts"]["known_issue"] == 0
    assert junit_cases(root)["enrichment stalls"].find("failure") is not None


def test_a_listed_scenario_that_passes_is_fixed_and_fails_unless_not_strict(tmp_path: Path) -> None:
    root = project(tmp_path, known=KNOWN)
    (root / "known.toml").write_text(KNOWN_FILE)
    result = run(root, "", "--tags=@fixed", KNOWN_ISSUES=str(root / "known.toml"))
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.rstrip().splitlines()
    assert "fixed? remove known issue gone-2: defect already fixed passed" in lines
    assert "fixed? remove known issue gone-2" in lines[-1]
    fixed = status(root)["scenarios"][1]
    assert (fixed["status"], fixed["known_issue"]["id"]) == ("fixed", "gone-2")
    failure = junit_cases(root)["defect already fixed"].find("failure")
    assert failure is not None and failure.get("type") == "fixed"

    lax = run(root, "", "--tags=@fixed", KNOWN_ISSUES=str(root / "known.toml"), KNOWN_ISSUES_STRICT="false")
    assert lax.returncode == 0, lax.stdout + lax.stderr
    assert "fixed? remove known issue gone-2: defect already fixed passed" in lax.stdout
    assert status(root)["scenarios"][1]["status"] == "passed"
    assert status(root)["scenarios"][1]["reason"].startswith("fixed? remove known issue gone-2")


# --- JUnit types: exactly what the README says -----------------------------------------------------

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_junit_types() -> dict[tuple[str, str], str]:
    """(element, type) -> meaning, from the README's JUnit types table; a class-name row is ('failure',
    '<class>')."""
    text = README.read_text(encoding="utf-8").split("JUnit types, ", 1)[1]
    rows: dict[tuple[str, str], str] = {}
    for line in text.splitlines()[4:]:
        if not line.startswith("|"):
            break
        element, kind, meaning = (cell.strip() for cell in line.strip("|").split("|"))
        key = kind.strip("`") if kind.startswith("`") else "<class>"
        rows[(element.strip("`<>"), key)] = meaning
    return rows


def junit_types(root: Path) -> dict[str, tuple[str, str]]:
    """Testcase name -> (element, type) of its failure, error or skipped element ('passed', '' if none)."""
    found = {}
    for name, case in junit_cases(root).items():
        problem = next((e for e in case if e.tag in ("failure", "error", "skipped")), None)
        found[name] = ("passed", "") if problem is None else (problem.tag, str(problem.get("type")))
    return found


def test_every_junit_type_is_one_the_readme_table_names_with_that_meaning(tmp_path: Path) -> None:
    table = readme_junit_types()
    capability = """\
        Feature: Capability
          @needs_faults
          Scenario: needs fault control
            Given step one passes
        """
    # "a_product" sorts first: with --stop, the features after its failure do not run.
    root = project(tmp_path, a_product=FAILS, breakers=ABORTS, known=KNOWN, capability=capability)
    (root / "known.toml").write_text(KNOWN_FILE)
    seen: dict[str, tuple[str, str]] = {}
    # One run with every kind a run goes on with; a shard leaves half out; --stop leaves the rest not run.
    run(root, "", "--tags=not @fixed", KNOWN_ISSUES=str(root / "known.toml"))
    seen |= {f"all: {k}": v for k, v in junit_types(root).items()}
    run(root, "", "--tags=@fixed", KNOWN_ISSUES=str(root / "known.toml"))
    seen |= {f"fixed: {k}": v for k, v in junit_types(root).items()}
    run(root, "", "-D", "shard=1/2")
    seen |= {f"shard: {k}": v for k, v in junit_types(root).items()}
    elsewhere = [
        s["name"] for s in status(root)["scenarios"] if (s["reason"] or "").startswith("not in this shard")
    ]
    run(root, "", "--stop", "--tags=not @bug")
    seen |= {f"stop: {k}": v for k, v in junit_types(root).items()}
    run(root, "cannot-test")
    seen |= {f"cannot: {k}": v for k, v in junit_types(root).items()}

    for name, (element, kind) in seen.items():
        if element == "passed":
            continue
        key = (element, kind) if (element, kind) in table else (element, "<class>")
        assert key in table and (kind[:1].isupper() or key[1] != "<class>"), f"{name}: {element} {kind}"
    expected = {
        "all: enrichment incomplete": ("failure", "AssertionError"),
        "all: enrichment stalls": ("skipped", "known_issue"),
        "all: paused while running": ("skipped", "aborted"),
        "all: gate finds a breaker open": ("skipped", "aborted"),
        "all: defect already fixed": ("skipped", "not-selected"),
        "all: needs fault control": ("skipped", "skipped"),
        "fixed: defect already fixed": ("failure", "fixed"),
        "fixed: all good": ("skipped", "not-selected"),
        "cannot: unaffected": ("error", "cannot-test"),
    }
    assert {k: seen[k] for k in expected} == expected
    # A scenario another shard runs was not selected here (it was `type="skipped"`, unlike the README).
    assert elsewhere and {seen[f"shard: {name}"] for name in elsewhere} == {("skipped", "not-selected")}
    assert ("skipped", "not-run") in {v for k, v in seen.items() if k.startswith("stop: ")}
