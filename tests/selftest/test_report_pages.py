"""The reports of three real runs (passing, service failure, failed deadline; one behave run each, shared with
the verdict tests): report.html's content, the Allure results, and the page as a reader sees it in Debian's
chromium (headless, through chromium-driver).

Screenshots of the three pages land in this test's temporary folder (pytest's --basetemp keeps them).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selftest_support import (
    BehaveResult,
    FaultRun,
    allure_dir,
    closed_port,
    finish_behave,
    prepare_run,
    run_behave,
    start_behave,
)

from campaign_acceptance.allure_results import CATEGORIES
from campaign_acceptance.merge import main as merge_main

pytestmark = pytest.mark.selftest

MAX_REPORT_BYTES = 5 * 1024 * 1024
# The step that names a scenario's campaigns: "3 campaigns with 10 leads each are running/started".
SCENARIO_SIZE = re.compile(r"(\d+) campaigns with (\d+) leads each")
# Chromium as root in a container: no sandbox, no GPU, nothing fetched in the background, a fresh profile.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def page_of(result: BehaveResult) -> Path:
    return result.run.reports_dir / "report.html"


def pictured(result: BehaveResult) -> list[dict[str, Any]]:
    """status.json's scenarios that carry a picture's data (they waited on campaigns)."""
    assert result.status is not None, result.describe()
    return [s for s in result.status["scenarios"] if s["timeline"]]


# ------------------------------------------------------------------------------------------ report.html


def test_passing_report_names_the_target_shows_every_step_and_stays_small(passing_run: BehaveResult) -> None:
    result = passing_run
    assert result.exit_code == 0, result.describe()
    status = result.status
    assert status is not None
    size = page_of(result).stat().st_size
    assert size < MAX_REPORT_BYTES, f"report.html is {size} bytes"
    html = result.html
    # The verdict once, the target in words, the platform's version from its OpenAPI document.
    assert html.count('class="banner') == 1 and html.count("<h1>") == 1
    assert re.search(r"<h1>Passed</h1>", html)
    assert status["target"]["description"] == "embedded sandbox, profile intended, SQLite"
    assert "embedded sandbox, profile intended, SQLite" in html
    assert (
        status["target"]["platform"].startswith("campaign-sandbox") and status["target"]["platform"] in html
    )
    assert status["settings"]["run_id"] in html and f"campaign-acceptance {status['suite_version']}" in html
    # Every step of every scenario, as written, with its status.
    # (The @capacity scenario, outside the default selection, is folded away with the other not-run ones.)
    steps = [step for s in status["scenarios"] if s["status"] == "passed" for step in s["steps"]]
    assert html.count('<tr class="step ') == len(steps) > 0
    assert all(step["status"] == "passed" for step in steps)
    assert "10 campaigns with 20 leads each are started" in html  # Examples values filled in
    # The standard example's picture has a line for each campaign (identical lines drawn once, naming
    # each of their campaigns); its data is in status.json too.
    standard = next(s for s in status["scenarios"] if "platform team standard" in s["name"])
    assert len(standard["timeline"]["campaigns"]) == 10
    drawn = [int(n) for n in re.findall(r'<polyline class="series" [^>]*data-campaigns="(\d+)"', html)]
    assert sum(drawn) == sum(len(s["timeline"]["campaigns"]) for s in pictured(result))
    # Each scenario's picture holds its own campaigns only.
    for scenario in pictured(result):
        own = {c["id"] for c in scenario["timeline"]["campaigns"]}
        assert {cid for sample in scenario["timeline"]["samples"] for cid in sample[1]} <= own, scenario[
            "name"
        ]


def test_deadline_report_marks_the_failed_step_with_its_tables_and_folds_the_deselected(
    deadline_run: BehaveResult,
) -> None:
    result = deadline_run
    assert result.exit_code == 1, result.describe()
    html = result.html
    assert re.search(r"<h1>Failed: product defect</h1>", html)
    marked = re.findall(r'<tr class="step step-failed marked[^"]*"', html)
    assert len(marked) == 1, marked
    failure = html[html.index('<tr class="step step-failed marked') :].split('<td class="time">', 1)[0]
    assert "every lead of every campaign is enriched" in failure
    assert "enrichment not finished within 0.5s" in failure
    # The progress table is an HTML table, one row per campaign, not console text in a narrow cell.
    progress = failure.split('<table class="progress"', 1)[1].split("</table>", 1)[0]
    assert progress.count("<tr>") == 1 + 3 and "done/expected" in progress
    assert '<table class="timeline"' in failure
    # Deselected scenarios: one collapsed line, not one card each.
    assert html.count('<section class="scenario"') == 1
    assert re.search(
        r'<details id="not-run">\s*<summary>9 scenarios not run here: 9 not selected</summary>', html
    )
    # The deadline is a marked moment of the picture.
    assert 'class="marker marker-deadline"' in html


def test_service_failure_report_draws_the_breaker_band_and_the_moments(fault_run: FaultRun) -> None:
    result = fault_run.result
    assert result.exit_code == 2, result.describe()
    html = result.html
    assert re.search(r"<h1>Stopped: service failure</h1>", html)
    assert "Stopped by a third-party service failure" not in html  # the banner does not repeat itself
    assert re.search(r'<tr class="step step-aborted marked', html)
    assert "stopped: service failure" in html
    (scenario,) = pictured(result)
    markers = {kind for _, kind, _ in scenario["timeline"]["markers"]}
    assert "pause-noticed" in markers, markers
    assert 'class="marker marker-pause-noticed"' in html
    # A band for each breaker the monitor saw not closed (the campaigns may pause before openai's breaker
    # reads open: then the last cycle saw every breaker closed, and the picture says so).
    seen_open = {svc for sample in scenario["timeline"]["samples"] for svc in sample[2]}
    for service in seen_open:
        assert f'<g class="band" data-service="{service}">' in html, service
        assert 'class="marker marker-breaker-opened"' in html
    if not seen_open:
        assert '<g class="band" data-service="all breakers closed">' in html
    # The text alternative says the same in words.
    assert re.search(r"<desc [^>]*>Enriched leads of 10 campaigns over [0-9.]+ s: ", html)


# ------------------------------------------------------------------------------------------ Allure


def _results(directory: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*-result.json"))]


def _category(result: dict[str, Any], categories: list[dict[str, Any]]) -> str | None:
    """Allure's rule: the first category whose statuses contain the result's and whose pattern matches all of
    its message."""
    message = (result.get("statusDetails") or {}).get("message") or ""
    for category in categories:
        if result["status"] not in category.get("matchedStatuses", []):
            continue
        pattern = category.get("messageRegex")
        if pattern is None or re.fullmatch(pattern, message):
            return str(category["name"])
    return None


def test_allure_results_sort_the_runs_like_the_verdict(
    passing_run: BehaveResult, deadline_run: BehaveResult, fault_run: FaultRun
) -> None:
    names = {"Product defects", "Service failures (breaker)", "Could not test", "Known issues"}
    for result in (passing_run, deadline_run, fault_run.result):
        directory = allure_dir(result)
        categories = json.loads((directory / "categories.json").read_text(encoding="utf-8"))
        assert categories == CATEGORIES and {c["name"] for c in categories} == names
        environment = (directory / "environment.properties").read_text(encoding="ascii")
        assert result.status is not None
        lines = environment.splitlines()
        assert f"run_id={result.status['settings']['run_id']}" in lines, lines
        assert f"target={result.status['target']['description']}" in lines, lines
        assert any(line.startswith("platform=campaign-sandbox") for line in lines), lines

    passed = _results(allure_dir(passing_run))
    assert passing_run.status is not None
    assert len(passed) == len(passing_run.status["scenarios"])
    # Every scenario passed but the @capacity one, which is not in the default selection.
    assert {r["status"] for r in passed if "throughput and lead latency" not in r["name"]} == {"passed"}
    assert [r["status"] for r in passed if "throughput and lead latency" in r["name"]] == ["skipped"]

    failed = [r for r in _results(allure_dir(deadline_run)) if r["status"] != "skipped"]
    assert len(failed) == 1 and failed[0]["status"] == "failed", failed
    assert _category(failed[0], CATEGORIES) == "Product defects"

    (aborted,) = [r for r in _results(allure_dir(fault_run.result)) if "platform team standard" in r["name"]]
    assert aborted["status"] == "skipped"
    assert _category(aborted, CATEGORIES) == "Service failures (breaker)"
    (attachment,) = [a for a in aborted["attachments"] if a["name"] == "breaker report"]
    report = (allure_dir(fault_run.result) / attachment["source"]).read_text(encoding="utf-8")
    assert "breaker openai" in report and "PAUSED" in report


# ------------------------------------------------------------------------------------------ the browser


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver_path):
        message = "Debian's chromium and chromium-driver are needed (scripts/run-tests installs them as root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = chromium
    for argument in CHROMIUM_ARGS:
        options.add_argument(argument)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def _read_page(driver: Any, page: Path, width: int) -> dict[str, Any]:
    driver.set_window_size(width, 900)
    driver.get(page.as_uri())
    seen: dict[str, Any] = driver.execute_script(
        """
        const doc = document.documentElement;
        const visible = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
        return {
          width: doc.clientWidth, scrollWidth: doc.scrollWidth, height: doc.scrollHeight,
          banners: [...document.querySelectorAll('header.banner')].map(e => e.innerText),
          headline: document.querySelector('header.banner h1').innerText,
          marked: [...document.querySelectorAll('tr.step.marked')].filter(visible).map(e => ({
            text: e.innerText, status: e.dataset.status,
            tables: [...e.querySelectorAll('table')].filter(visible).length})),
          target: document.getElementById('target').innerText,
          pictures: [...document.querySelectorAll('svg.timeline')].filter(visible).map(svg => {
            // A line is drawn when it has points and is not hidden (a flat line has a zero-height box).
            const lines = [...svg.querySelectorAll('polyline.series')].filter(line =>
              line.points.numberOfItems > 0 && getComputedStyle(line).visibility !== 'hidden'
              && getComputedStyle(line).display !== 'none'
              && line.getAttribute('stroke') !== 'none');
            const card = svg.closest('section.scenario');
            return {
              series: lines.length,
              // How many campaigns the visible lines stand for (identical lines are drawn once).
              campaigns: lines.reduce((n, line) => n + Number(line.dataset.campaigns), 0),
              yTop: Math.max(...[...svg.querySelectorAll('text.y-tick')].map(t => Number(t.textContent))),
              legend: [...svg.closest('figure').querySelectorAll('.legend li')].length,
              steps: [...card.querySelectorAll('tr.step td.text')].map(td => td.innerText),
              clock: [...card.querySelectorAll('.clock')].filter(visible).length,
              label: svg.getAttribute('aria-labelledby'),
              desc: svg.querySelector('desc').textContent};
          }),
        };
        """
    )
    errors = [entry for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]
    seen["errors"] = errors
    return seen


def _screenshot(driver: Any, height: int, path: Path) -> Path:
    driver.set_window_size(1280, max(900, min(height, 6000)))
    driver.save_screenshot(str(path))
    return path


def test_a_reader_in_chromium_sees_the_verdict_the_failing_step_and_the_pictures(
    browser: Any, tmp_path: Path, passing_run: BehaveResult, deadline_run: BehaveResult, fault_run: FaultRun
) -> None:
    kinds = {
        "passing": (passing_run, "Passed", None),
        "service-failure": (fault_run.result, "Stopped: service failure", "aborted"),
        "failed-deadline": (deadline_run, "Failed: product defect", "failed"),
    }
    for kind, (result, headline, marked_status) in kinds.items():
        page = page_of(result)
        seen = _read_page(browser, page, 1280)
        assert seen["errors"] == [], (kind, seen["errors"])
        assert len(seen["banners"]) == 1 and seen["headline"] == headline, (kind, seen["banners"])
        assert seen["scrollWidth"] <= seen["width"], (kind, "horizontal overflow at 1280 px", seen)
        if marked_status is None:
            assert seen["marked"] == [], (kind, seen["marked"])
        else:
            (marked,) = seen["marked"]
            assert marked["status"] == marked_status, (kind, marked)
            assert result.status is not None
            (stopped,) = [st for sc in result.status["scenarios"] for st in sc["steps"] if st["message"]]
            assert stopped["status"] == marked_status, stopped
            assert marked["text"].startswith(f"{stopped['keyword']}\t{stopped['name']}"), (kind, marked)
        if kind == "failed-deadline":
            assert seen["marked"][0]["tables"] >= 2, seen["marked"]  # progress and timeline, as tables
        # One picture per scenario that waited on campaigns, its lines standing for its campaigns.
        expected = [len(s["timeline"]["campaigns"]) for s in pictured(result)]
        assert [p["campaigns"] for p in seen["pictures"]] == expected, (kind, seen["pictures"])
        assert all(p["label"] and p["desc"].startswith("Enriched leads of") for p in seen["pictures"])
        for picture in seen["pictures"]:
            # The scenario's own numbers, as its step says them: its campaigns, its leads at the axis' top.
            started = [m for step in picture["steps"] if (m := SCENARIO_SIZE.search(step))]
            assert started, (kind, picture["steps"])
            campaigns, leads = map(int, started[0].groups())
            assert picture["campaigns"] == campaigns and picture["yTop"] == leads, (kind, picture)
            assert picture["legend"] == picture["series"], (kind, picture)  # the legend lists what is seen
            assert picture["clock"] == 1, (kind, picture)  # the card says its clock once
        shot = _screenshot(browser, int(seen["height"]), tmp_path / f"report-{kind}.png")
        assert shot.stat().st_size > 10_000, shot
        # Still readable on a phone: nothing wider than the screen (wide tables scroll inside their box).
        phone = _read_page(browser, page, 390)
        assert phone["scrollWidth"] <= phone["width"], (kind, "horizontal overflow at phone width", phone)


def test_merged_and_cannot_test_pages_name_the_target_in_chromium(browser: Any, tmp_path: Path) -> None:
    # Two shards, each with its own embedded sandbox, merged; and a run whose target does not answer.
    runs = [
        prepare_run(
            tmp_path / f"shard-{i}",
            "--tags=@happy_path",
            defines={"campaigns": "2", "leads": "3", "shard": f"{i}/2"},
        )
        for i in (1, 2)
    ]
    started = time.monotonic()
    shards = [finish_behave(run, proc, started, 240) for run, proc in [(r, start_behave(r)) for r in runs]]
    for shard in shards:
        assert shard.exit_code == 0 and shard.status is not None, shard.describe()
    described = {shard.status["target"]["description"] for shard in shards if shard.status}
    assert described == {"embedded sandbox, profile intended, SQLite"}, described
    for shard in shards:
        shutil.move(str(shard.run.junit_dir), str(shard.run.reports_dir / "junit"))
    merged = tmp_path / "merged"
    assert merge_main(["--out", str(merged), *(str(s.run.reports_dir) for s in shards)]) == 0
    url = f"http://127.0.0.1:{closed_port()}"
    unreachable = run_behave(tmp_path / "unreachable", defines={"api_url": url}, timeout_s=60)
    assert unreachable.exit_code == 3 and unreachable.status is not None, unreachable.describe()

    seen = _read_page(browser, merged / "report.html", 1280)
    assert seen["target"] == "embedded sandbox, profile intended, SQLite", seen["target"]
    assert [p["campaigns"] for p in seen["pictures"]] == [2, 2], seen["pictures"]
    _screenshot(browser, int(seen["height"]), tmp_path / "report-merged.png")
    seen = _read_page(browser, page_of(unreachable), 1280)
    assert seen["target"].startswith(url) and seen["target"] == unreachable.status["target"]["description"]
    _screenshot(browser, int(seen["height"]), tmp_path / "report-cannot-test.png")
