"""Report content: the JSON status file's keys and the HTML page (words, evidence, escaping, no secrets)."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from campaign_acceptance.capacity import EnrichmentTiming, JobTiming, capacity_figures
from campaign_acceptance.model import BreakerReport, BreakerState, CampaignSnapshot
from campaign_acceptance.outcome import ScenarioOutcome, StepOutcome, Verdict
from campaign_acceptance.report import (
    SCHEMA,
    RunSummary,
    render_html,
    suite_version,
    summary_campaigns,
    write_reports,
)
from campaign_common.redaction import redact_mapping

T0 = datetime(2026, 1, 1, tzinfo=UTC)
OPENAI = BreakerState("openai", "open", 5, 5, True, "2025-01-01T10:00:00", "circuit_breaker_open")
APOLLO = BreakerState("apollo", "closed")
PAUSED = CampaignSnapshot(
    "c-1",
    "Campaign <b>#1</b>",
    "PAUSED",
    "Campaign paused: Service openai unavailable: Circuit breaker opened for openai (failures: 5)",
    20,
)
REPORT = BreakerReport("breaker openai is open (5/5 failures); 1 campaign paused", (OPENAI,), (PAUSED,), 0.8,
                       (OPENAI, APOLLO))  # fmt: skip


def summary() -> RunSummary:
    return RunSummary(
        verdict=Verdict.SERVICE_FAILURE,
        reason="Stopped by a third-party service failure: openai breaker open (1 scenario aborted)",
        scenarios=[
            ScenarioOutcome("features/a.feature:3", "Concurrent", "happy <path>", "passed", duration_s=12.5),
            ScenarioOutcome(
                "features/a.feature:9",
                "Concurrent",
                "paused by breaker",
                "aborted",
                reason="aborted in flight (service failure): breaker openai is open (5/5 failures)",
                tags=("aborted", "service.openai"),
                duration_s=3.0,
                evidence=REPORT,
                phase="in-flight",
            ),
        ],
        started_at=1_700_000_000.0,
        finished_at=1_700_000_042.5,
        settings={
            "database_url": "postgresql://suite:s3cr3t-pw@db.example:5432/platform",
            "admin_password": "hunter2",
            "api_url": "http://127.0.0.1:8000",
        },
        campaigns=[PAUSED, CampaignSnapshot("c-2", "Campaign 2", "RUNNING", "Starting campaign process", 20)],
        warnings=["database checks not run: no database URL configured"],
    )


def test_status_json_has_the_documented_keys(tmp_path: Path) -> None:
    status, page = write_reports(tmp_path / "reports", summary())
    data = json.loads(status.read_text())
    assert list(data) == [
        "schema",
        "verdict",
        "exit_code",
        "reason",
        "started_at",
        "finished_at",
        "duration_s",
        "settings",
        "counts",
        "scenarios",
        "aborts",
        "campaigns",
        "warnings",
        "left_behind",
        "target",
        "suite_version",
        "enrichment",
        "capacity",
        "breakers",
        "run",
        "shard",
        "shards",
    ]
    assert data["schema"] == SCHEMA
    assert (data["verdict"], data["exit_code"], data["duration_s"]) == ("SERVICE_FAILURE", 2, 42.5)
    assert data["counts"] == {
        "passed": 1,
        "failed": 0,
        "aborted": 1,
        "skipped": 0,
        "untested": 0,
        "known_issue": 0,
        "fixed": 0,
        "total": 2,
    }
    aborted = data["scenarios"][1]
    assert set(aborted) == {
        "key",
        "feature",
        "name",
        "status",
        "reason",
        "tags",
        "duration_s",
        "phase",
        "evidence",
        "steps",
        "timeline",
        "known_issue",
    }
    assert aborted["evidence"]["services"] == ["openai"]
    assert aborted["evidence"]["breakers"][0]["failure_count"] == 5
    assert data["aborts"][0]["evidence"]["paused_campaigns"][0]["status_message"].startswith(
        "Campaign paused"
    )
    assert data["campaigns"]["counts"] == {"RUNNING": 1, "PAUSED": 1}
    assert data["campaigns"]["items"][0]["status_message"] == PAUSED.status_message
    assert data["started_at"] == "2023-11-14T22:13:20+00:00"
    assert page.name == "report.html"


def test_html_says_the_verdict_once_in_words_and_shows_the_evidence() -> None:
    page = render_html(summary())
    body = page.split("<body>", 1)[1]
    assert body.count("Stopped: service failure") == 1  # the banner, once
    assert "Stopped by a third-party service failure" not in body  # the reason without the banner's words
    assert "<p>openai breaker open (1 scenario aborted)</p>" in body
    assert "1 passed" in body and "1 stopped: service failure" in body
    assert "Stopped while it was running by a third-party service failure" in body
    assert "5/5" in page and "circuit_breaker_open" in page
    assert "Circuit breaker opened for openai (failures: 5)" in page  # the paused campaign's message
    assert "1 RUNNING" in page and "1 PAUSED" in page
    assert "<dd>42.5 s</dd>" in page and "2023-11-14 22:13:20 UTC" in page


def test_html_is_self_contained_and_escaped() -> None:
    page = render_html(summary())
    assert "<script" not in page and "http://" not in page.split("<h2>Settings</h2>")[0]
    assert "<link" not in page and "src=" not in page
    assert "happy &lt;path&gt;" in page and "happy <path>" not in page
    assert "Campaign &lt;b&gt;#1&lt;/b&gt;" in page and "<b>#1</b>" not in page


def test_no_password_or_token_is_ever_written(tmp_path: Path) -> None:
    status, page = write_reports(tmp_path, summary())
    for text in (status.read_text(), page.read_text()):
        assert "s3cr3t-pw" not in text and "hunter2" not in text
        assert "postgresql://suite:***@db.example:5432/platform" in text


def test_redaction_rules() -> None:
    assert redact_mapping({"token": "abc", "api_token": "", "url": "https://u:p@h/x", "scale": "1.0"}) == {
        "token": "***",
        "api_token": "",
        "url": "https://u:***@h/x",
        "scale": "1.0",
    }


def test_cannot_test_page_and_last_snapshot_per_campaign() -> None:
    page = render_html(RunSummary(Verdict.CANNOT_TEST, "Nothing could be tested: database unreachable"))
    assert "<h1>Could not test</h1>" in page and "<p>database unreachable</p>" in page
    assert "No scenario ran." in page
    old = CampaignSnapshot("c", "C", "RUNNING")
    new = CampaignSnapshot("c", "C", "PAUSED", "paused")
    assert summary_campaigns([old, CampaignSnapshot("d", "D", "RUNNING"), new])[0] is new


def test_html_shows_the_breaker_report_of_a_pause_provoked_on_purpose() -> None:
    # The paused-by-breaker scenarios pass; their evidence must still be in the report for people.
    provoked = ScenarioOutcome(
        "features/b.feature:5", "Breakers", "pause openai", "passed", duration_s=2.0, evidence=REPORT
    )
    page = render_html(RunSummary(verdict=Verdict.PASSED, reason="all passed", scenarios=[provoked]))
    assert "Paused on purpose by the scenario, as expected" in page
    assert "Campaign paused: Service openai unavailable" in page
    assert "Stopped while it was running" not in page


def test_html_has_no_evidence_box_without_evidence() -> None:
    plain = ScenarioOutcome("features/b.feature:5", "Breakers", "happy", "passed", duration_s=2.0)
    page = render_html(RunSummary(verdict=Verdict.PASSED, reason="all passed", scenarios=[plain]))
    assert 'class="evidence"' not in page


STEPS = (
    StepOutcome("Given", "a fresh tenant", "passed", 0.05, background=True),
    StepOutcome("When", "3 campaigns with 5 leads each are started", "passed", 2.5),
    StepOutcome(
        "Then",
        "every lead of every campaign is enriched",
        "failed",
        0.6,
        message="enrichment not finished within 0.5s\n  campaign  status ...",
        output="captured <stdout> line",
        details={
            "phase": "enrichment",
            "columns": ["campaign", "status", "done/expected", "fetch", "enrich ok/failed/paused"],
            "rows": [
                ["c 1 (id1)", "RUNNING", "3/5", "COMPLETED", "3/0/0"],
                ["c 2 (id2)", "RUNNING", "0/5", "COMPLETED", "0/0/0"],
            ],
            "breakers": "breakers all closed",
            "timeline": [{"campaign": "c 1 (id1)", "changes": [[0.2, "RUNNING", "Starting"]]}],
        },
    ),
    StepOutcome("And", "no campaign is paused or failed", "skipped"),
)  # fmt: skip


def failed_run() -> RunSummary:
    return RunSummary(
        verdict=Verdict.FAILED,
        reason="1 scenario failed: quick: ...",
        scenarios=[
            ScenarioOutcome("f:3", "Concurrent", "quick", "failed", reason="Then ...", steps=STEPS),
            ScenarioOutcome("f:9", "Concurrent", "standard", "skipped", reason="not selected"),
            ScenarioOutcome("f:12", "Breakers", "operator pause", "skipped", reason="not selected"),
            ScenarioOutcome(
                "f:15", "Breakers", "resume path", "skipped", reason="needs fault control: set it"
            ),
        ],
        target={
            "description": "http://u:***@platform.example:8000, PostgreSQL",
            "platform": "FastAPI K8s 0.1.0",
        },
        run_id="acceptance-20261201-abc",
    )


def test_steps_show_status_and_time_and_the_failing_step_is_marked_with_its_tables() -> None:
    page = render_html(failed_run())
    assert page.count('<tr class="step ') == 4
    ((marked, took),) = re.findall(
        r'<tr class="step step-failed marked[^>]*>(.*?)<td class="time">(.*?)</td>', page, re.S
    )
    assert "every lead of every campaign is enriched" in marked and took == "0.60 s"
    assert "<strong>enrichment not finished within 0.5s</strong>" in marked
    assert '<table class="progress"' in marked and marked.count("<td>RUNNING</td>") == 2
    assert '<table class="timeline"' in marked and "0.2 s RUNNING" in marked
    # Captured output is there, folded, and escaped; in a card on the scenario's clock it says that the
    # console's progress lines count each wait's own seconds.
    assert re.search(
        r'<details class="output"><summary>captured output \(as the console printed it: its progress lines '
        r"count each wait's own seconds\)</summary><pre>captured &lt;stdout&gt; line",
        page,
    )
    assert "(background)" in page or 'class="step step-passed bg"' in page
    assert re.search(r'<tr class="step step-skipped"[^>]*>\s*<td class="kw">And</td>', page)


def test_deselected_scenarios_are_one_collapsed_line_and_capability_skips_say_could_not_test() -> None:
    page = render_html(failed_run())
    assert page.count('<section class="scenario"') == 2  # the failed one and the one that could not test
    assert re.search(
        r'<details id="not-run">\s*<summary>2 scenarios not run here: 2 not selected</summary>', page
    )
    assert "could not test" in page and "needs fault control: set it" in page
    assert "2 not selected" in page.split("</header>", 1)[0]  # counted in the banner by the page's words


def test_top_names_the_target_platform_run_and_suite_version() -> None:
    page = render_html(failed_run())
    assert '<dd id="target">http://u:***@platform.example:8000, PostgreSQL</dd>' in page
    assert '<dd id="platform">FastAPI K8s 0.1.0</dd>' in page
    assert "<code>acceptance-20261201-abc</code>" in page
    assert f"campaign-acceptance {suite_version()}" in page


def test_a_secret_in_the_target_is_hidden_by_the_one_secret_hider() -> None:
    run = RunSummary(
        Verdict.PASSED,
        "ok",
        target={"description": "http://u:pw123@h:1, SQLite", "api_url": "http://u:pw123@h:1"},
    )
    assert "pw123" not in render_html(run) and "pw123" not in json.dumps(run.to_dict())


def test_template_escapes_markup_in_step_names() -> None:
    evil = StepOutcome("When", "<script>alert(1)</script>", "failed", message="<img src=x>")
    run = RunSummary(
        Verdict.FAILED, "x", scenarios=[ScenarioOutcome("f:1", "F", "s", "failed", steps=(evil,))]
    )
    page = render_html(run)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img" not in page


def test_the_aborting_step_is_marked_with_the_service_failure_and_the_report_below() -> None:
    message = "ABORTED - a third-party service failed, not the product\n" + REPORT.render_text()
    stopped = StepOutcome("And", "every lead of every campaign is enriched", "aborted", 0.1, message=message)
    outcome = ScenarioOutcome(
        "f:9", "Concurrent", "standard", "aborted", reason="aborted in flight (service failure): x",
        steps=(stopped,), evidence=REPORT, phase="in-flight",
    )  # fmt: skip
    page = render_html(RunSummary(Verdict.SERVICE_FAILURE, "x", scenarios=[outcome]))
    ((marked, took),) = re.findall(
        r'<tr class="step step-aborted marked[^>]*>(.*?)<td class="time">(.*?)</td>', page, re.S
    )
    assert (
        "<strong>Service failure: breaker openai is open (5/5 failures); 1 campaign paused</strong>" in marked
    )
    assert "stopped: service failure" in marked and took == "0.10 s"
    assert "<summary>the breaker report as text</summary>" in marked
    assert '<div class="evidence">' in page


def test_a_known_issue_reads_as_such_with_its_id_and_link() -> None:
    from campaign_acceptance.known_issues import KnownIssue

    issue = KnownIssue("resume-15", "resume re-dispatches nothing", "https://tracker/15", ("*",), ".*", ".*")
    outcome = ScenarioOutcome(
        "f:1", "Breakers", "resume path", "known_issue", reason="known issue resume-15: x\nfailed: y",
        known_issue=issue,
    )  # fmt: skip
    page = render_html(RunSummary(Verdict.PASSED, "ok", scenarios=[outcome]))
    assert "known issue (does not fail the verdict)" in page
    assert (
        "listed <strong>known issue resume-15</strong>: resume re-dispatches nothing · "
        '<a href="https://tracker/15">https://tracker/15</a>' in page
    )

    assert "provoked on purpose" not in page


def test_capacity_figures_reach_the_status_file_and_the_page(tmp_path: Path) -> None:
    timing = EnrichmentTiming("features/capacity.feature:23", "cap", 100, 2000, 12.5, 50.0)
    jobs = [
        JobTiming("FETCH_LEADS", "COMPLETED", T0, T0 + timedelta(seconds=1)),
        JobTiming("ENRICH_LEAD", "COMPLETED", T0, T0 + timedelta(seconds=2)),
    ]
    figures = capacity_figures(timing, 20, jobs, requests=20, cycles=10, source="database", peak_mb=96.0)
    s = RunSummary(verdict=Verdict.PASSED, reason="ok", enrichment=[timing], capacity=[figures])
    status, page = write_reports(tmp_path / "reports", s)
    data = json.loads(status.read_text())
    assert data["capacity"] == [figures.to_dict()]
    assert data["capacity"][0]["latency_s"] == {"p50": 2.0, "p95": 2.0, "p99": 2.0, "max": 2.0}
    assert data["enrichment"] == [timing.to_dict()]
    html_text = page.read_text()
    assert "<h2>Capacity</h2>" in html_text and "100 x 20" in html_text and "2.00 / 2.00 / 2.00" in html_text
    assert data["breakers"] == {"at_start": [], "at_end": []}
    no_figures = render_html(RunSummary(verdict=Verdict.PASSED, reason="ok"))
    assert "<h2>Capacity</h2>" not in no_figures


def test_html_lists_the_job_errors_that_say_why_the_breaker_opened() -> None:
    report = dataclasses.replace(REPORT, job_errors=("PAUSED Job paused: <openai> unavailable (3 jobs)",))
    base = summary()
    base.scenarios[1] = dataclasses.replace(base.scenarios[1], evidence=report)
    page = render_html(base)
    assert "Errors of the run's paused or failed jobs" in page
    assert "PAUSED Job paused: &lt;openai&gt; unavailable (3 jobs)" in page
    assert "Errors of the run's paused or failed jobs" not in render_html(summary())


def test_html_banner_names_the_platforms_own_rate_limiter_instead_of_a_third_party() -> None:
    limited = dataclasses.replace(
        REPORT, job_errors=("COMPLETED email_copy: Rate limit exceeded for OpenAI API.",)
    )
    base = summary()
    base.scenarios[1] = dataclasses.replace(base.scenarios[1], evidence=limited)
    page = render_html(base)
    assert (
        "Stopped: the platform&#39;s own rate limiter" in page
        or "Stopped: the platform&#x27;s own rate limiter" in page
    )
    assert "by the platform" in page and "own rate limiter" in page
    assert "by a third-party service failure" not in page
    plain = render_html(summary())
    assert "Stopped: service failure" in plain and "by a third-party service failure" in plain


def test_a_known_issues_description_appears_once_and_the_note_says_how_it_failed() -> None:
    from campaign_acceptance.known_issues import KnownIssue

    issue = KnownIssue("resume-15", "resume re-dispatches nothing", "", ("*",), ".*", ".*")
    outcome = ScenarioOutcome(
        "f:1", "Breakers", "resume path", "known_issue",
        reason="known issue resume-15: resume re-dispatches nothing\nfailed as expected: 4 jobs PENDING",
        known_issue=issue,
    )  # fmt: skip
    page = render_html(RunSummary(Verdict.PASSED, "ok", scenarios=[outcome]))
    assert page.count("resume re-dispatches nothing") == 1
    assert '<p class="muted note">failed as expected: 4 jobs PENDING</p>' in page


def test_addresses_in_the_report_are_links_and_the_targets_api_docs_are_linked() -> None:
    base = summary()
    base.warnings = ["metrics not pushed to http://push.example:9091/metrics: refused."]
    base.target = {
        "description": "http://platform.example:8000, PostgreSQL",
        "api_url": "http://platform.example:8000/api/v1",
        "platform": "fastapi-k8-proto 0.1.0",  # it answered: its documentation is served
    }
    page = render_html(base)
    assert '<a href="http://push.example:9091/metrics">http://push.example:9091/metrics</a>: refused.' in page
    assert '<a href="http://platform.example:8000/docs">' in page
    # The embedded sandbox is gone once the run ends: no link to its address.
    sandbox = summary()
    sandbox.target = {
        "description": "embedded sandbox, profile intended, SQLite",
        "api_url": "http://127.0.0.1:5",
    }
    assert "127.0.0.1:5/docs" not in render_html(sandbox)
    # Nor for a target that never answered (a run that could not test it).
    unreached = summary()
    unreached.target = {
        "description": "http://down.example:8000, no database",
        "api_url": "http://down.example:8000",
    }
    assert "down.example:8000/docs" not in render_html(unreached)


def test_a_pause_provoked_on_purpose_is_a_neutral_note_an_abort_a_warning() -> None:
    provoked = ScenarioOutcome("f:5", "Breakers", "pause openai", "passed", duration_s=2.0, evidence=REPORT)
    page = render_html(RunSummary(verdict=Verdict.PASSED, reason="all passed", scenarios=[provoked]))
    assert '<div class="evidence expected">' in page and '<div class="evidence">' not in page
    assert '<div class="evidence">' in render_html(summary())  # the aborted scenario's box


def test_the_campaign_summary_says_whose_campaigns_they_are_and_why_some_are_running() -> None:
    def chart(*ids: str) -> dict[str, object]:
        return {"campaigns": [{"id": i, "name": i} for i in ids], "samples": [], "markers": []}

    scenarios = [
        ScenarioOutcome("f:1", "F", "happy path", "passed", timeline=chart("h1", "h2")),
        ScenarioOutcome("f:9", "F", "operator pause", "passed", evidence=REPORT, timeline=chart("p1")),
    ]
    campaigns = [
        CampaignSnapshot("h1", "h1", "COMPLETED"),
        CampaignSnapshot("h2", "h2", "RUNNING"),
        CampaignSnapshot("p1", "p1", "RUNNING", "Campaign resumed - services are available"),
    ]
    timing = EnrichmentTiming("f:1", "happy path", 2, 10, 1.0, 2.0)
    page = render_html(
        RunSummary(Verdict.PASSED, "ok", scenarios=scenarios, campaigns=campaigns, enrichment=[timing])
    )
    groups = page.split('id="campaign-groups"', 1)[1].split("</ul>", 1)[0]
    assert "<strong>happy path</strong>: 1 RUNNING, 1 COMPLETED" in groups
    assert "every lead was enriched; the platform did not mark them COMPLETED" in groups
    assert "<strong>operator pause</strong>: 1 RUNNING" in groups
    assert "paused on purpose by the scenario and resumed at its end" in groups
    # A scenario that failed left its campaigns RUNNING for that reason, whatever it paused.
    scenarios[1] = dataclasses.replace(scenarios[1], status="known_issue")
    page = render_html(RunSummary(Verdict.PASSED, "ok", scenarios=scenarios, campaigns=campaigns))
    assert "the scenario failed as its known issue says before they finished" in page


def test_a_run_whose_settings_could_not_be_read_says_why_its_target_is_unknown() -> None:
    page = render_html(
        RunSummary(Verdict.CANNOT_TEST, "Nothing could be tested: setting scale: ...", cannot_test="x")
    )
    assert '<dd id="target">unknown: the settings could not be read</dd>' in page


def test_a_scenario_card_says_once_that_its_times_are_seconds_since_the_scenario_began() -> None:
    chart = {
        "campaigns": [{"id": "a", "name": "a"}],
        "samples": [[0.5, {"a": [1, 5]}, {}], [2.0, {"a": [5, 5]}, {}]],
    }
    noticed = dataclasses.replace(REPORT, detected_at=6.9)
    outcome = ScenarioOutcome("f:5", "B", "pause", "passed", evidence=noticed, timeline=chart, steps=STEPS)
    page = render_html(RunSummary(Verdict.PASSED, "ok", scenarios=[outcome]))
    card = page.split('<section class="scenario"', 1)[1].split("</section>", 1)[0]
    assert card.count("seconds since the scenario began") == 1
    assert "Noticed at 6.9 s." in card and "into the wait" not in card
    assert "since the monitor started" not in card


def test_the_platforms_paused_at_is_put_on_the_scenarios_clock() -> None:
    began = T0.timestamp()
    opened = dataclasses.replace(
        OPENAI, paused_at="2026-01-01T00:00:06.900000"
    )  # UTC, as the platform writes
    evidence = dataclasses.replace(REPORT, breakers=(opened,))
    chart = {"campaigns": [], "samples": [], "markers": [], "began_at": began}
    outcome = ScenarioOutcome("f:5", "B", "pause", "passed", evidence=evidence, timeline=chart)
    page = render_html(RunSummary(Verdict.PASSED, "ok", scenarios=[outcome]))
    assert '<td title="2026-01-01T00:00:06.900000 (the platform\'s clock)">6.9 s</td>' in page
