"""The plain records every report is made of (model.py): what a breaker report blames, how it reads, and
whether the platform's own rate limiter was the cause."""

from __future__ import annotations

from campaign_acceptance.model import BreakerReport, BreakerState, CampaignSnapshot, Observation
from support.evidence import OPENAI_OPEN, REPORT

PAUSED = CampaignSnapshot("c1", "Campaign 1", "PAUSED", "Campaign paused: Service openai unavailable", 10)


def test_a_report_names_its_services_and_reads_as_one_block() -> None:
    report = BreakerReport(REPORT.reason, (OPENAI_OPEN,), (PAUSED,), 1.5, job_errors=("boom (3 jobs)",))
    assert report.services == ("openai",) and report.summary() == REPORT.reason
    assert report.render_text().splitlines() == [
        "Service failure: breaker openai is open (5/5 failures)",
        "  breaker openai: open, failures 5/5, paused since 2025-01-01T00:00:00 (circuit_breaker_open)",
        "  campaign Campaign 1 (c1): PAUSED - Campaign paused: Service openai unavailable",
        "  errors of the run's paused or failed jobs:",
        "    boom (3 jobs)",
    ]
    shown = report.to_dict()
    assert (shown["services"], shown["detected_at"], shown["rate_limited"]) == (["openai"], 1.5, False)
    assert shown["paused_campaigns"][0]["status_message"] == PAUSED.status_message


def test_the_platforms_own_rate_limiter_is_recognised_in_job_errors_and_pause_messages() -> None:
    limited = "Rate limit exceeded for OpenAI API. Remaining requests: 0. (5 jobs)"
    assert BreakerReport("r", (OPENAI_OPEN,), (), job_errors=(limited,)).rate_limited
    paused = CampaignSnapshot("c", "C", "PAUSED", "Rate limit exceeded for OpenAI API. Remaining: 0.")
    assert BreakerReport("r", (), (paused,)).rate_limited
    assert not REPORT.rate_limited


def test_an_observation_lists_what_is_not_closed_and_what_is_paused() -> None:
    seen = Observation(
        at=0.0,
        breakers={"openai": OPENAI_OPEN, "apollo": BreakerState("apollo", "closed")},
        campaigns={"c1": PAUSED, "c2": CampaignSnapshot("c2", "C2", "RUNNING")},
        progress={},
    )
    assert seen.open_breakers() == [OPENAI_OPEN] and seen.paused_campaigns() == [PAUSED]
    assert BreakerState("x", "half_open").closed is False and BreakerState("x", "closed").closed
