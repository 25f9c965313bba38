"""The matchers' verdicts and, above all, the failure text a reader of a failed scenario gets."""

from __future__ import annotations

from typing import Any

import pytest
from hamcrest import assert_that, is_not

from campaign_acceptance.database import CampaignRow
from campaign_acceptance.matchers import (
    campaign_with_status,
    every_lead_enriched,
    every_lead_enriched_once,
    has_campaign_status,
    no_disagreement,
    no_shared_emails,
    progress_complete,
)
from campaign_acceptance.model import CampaignSnapshot, Progress


def failure_text(actual: Any, matcher: Any) -> str:
    with pytest.raises(AssertionError) as caught:
        assert_that(actual, matcher)
    return str(caught.value)


# ------------------------------------------------------------------------------------------- enrichment


def test_every_lead_enriched_once_passes_when_each_lead_has_one_job() -> None:
    assert_that({"l1": 1, "l2": 1}, every_lead_enriched_once())


def test_every_lead_enriched_once_lists_missing_and_repeated_leads() -> None:
    text = failure_text({"l1": 1, "l2": 0, "l3": 2, "l4": 0}, every_lead_enriched_once())
    assert text == (
        "\nExpected: every lead enriched by exactly one ENRICH_LEAD job\n"
        "     but: 3 of 4 leads were not: 2 with no job: l2, l4; 1 with more than one: l3 (2 jobs)\n"
    )


def test_every_lead_enriched_once_refuses_an_empty_run() -> None:
    assert failure_text({}, every_lead_enriched_once()).endswith("but: there were no leads at all\n")


def test_every_lead_enriched_once_shortens_long_lists() -> None:
    text = failure_text({f"l{i:02}": 0 for i in range(15)}, every_lead_enriched_once())
    assert "15 with no job: l00, l01, l02, l03, l04, l05, l06, l07, l08, l09 ... and 5 more" in text


def test_every_lead_enriched_once_names_a_wrong_type() -> None:
    assert "was not a lead -> job count mapping: <[1, 2]>" in failure_text([1, 2], every_lead_enriched_once())


# ------------------------------------------------------------------------------------------- campaigns


def test_campaign_with_status_matches_api_dicts_snapshots_and_rows() -> None:
    api = {"id": "c1", "name": "Camp", "status": "PAUSED", "status_message": "Campaign paused: openai down"}
    assert_that(api, campaign_with_status("PAUSED"))
    assert_that(api, campaign_with_status("PAUSED", message_containing="PAUSED: OPENAI"))
    assert_that(CampaignSnapshot("c1", "Camp", "RUNNING"), has_campaign_status("RUNNING"))
    row = CampaignRow("c1", "Camp", "FAILED", None, "boom", "o1", "f.csv", 3)
    assert_that(row, campaign_with_status("FAILED"))
    assert_that(row, is_not(campaign_with_status("FAILED", message_containing="boom")))


def test_campaign_with_status_shows_the_campaign_status_and_message() -> None:
    snapshot = CampaignSnapshot("c1", "Camp 1", "RUNNING", "Fetched 3 leads")
    assert failure_text(snapshot, campaign_with_status("PAUSED", message_containing="paused")) == (
        "\nExpected: a campaign with status 'PAUSED' and a status message containing 'paused' (any case)\n"
        "     but: campaign 'Camp 1' (c1) had status 'RUNNING' and status message 'Fetched 3 leads'\n"
    )


def test_campaign_with_status_wrong_message_only() -> None:
    text = failure_text(
        {"id": "c2", "status": "PAUSED", "status_message": None}, campaign_with_status("PAUSED", "x")
    )
    assert text.endswith("but: campaign c2 had status 'PAUSED' and status message None\n")


def test_campaign_with_status_names_a_non_campaign() -> None:
    assert "but: was not a campaign: <42>" in failure_text(42, campaign_with_status("PAUSED"))


# ------------------------------------------------------------------------------------------- emails


def test_no_shared_emails_passes_on_an_empty_list() -> None:
    assert_that([], no_shared_emails())


def test_no_shared_emails_shows_the_shared_addresses() -> None:
    assert failure_text(["a@x.test", "b@x.test"], no_shared_emails()) == (
        "\nExpected: no email address shared by leads of different campaigns\n"
        "     but: 2 addresses are in more than one campaign: a@x.test, b@x.test\n"
    )
    one = failure_text(["a@x.test"], no_shared_emails())
    assert "1 address is in more than one campaign: a@x.test" in one


def test_no_shared_emails_refuses_a_string() -> None:
    assert "was not a list of emails: 'a@x'" in failure_text("a@x", no_shared_emails())


# ------------------------------------------------------------------------------------------- progress


def test_progress_complete_passes_for_done_campaigns() -> None:
    done = Progress("c1", leads=2, fetch_status="COMPLETED", enrich_total=2, enrich_completed=2)
    assert_that(done, progress_complete())
    assert_that({"c1": done}, progress_complete())


def test_progress_complete_shows_done_and_expected() -> None:
    waiting = Progress(
        "c1",
        leads=3,
        fetch_status="COMPLETED",
        enrich_total=3,
        enrich_completed=1,
        enrich_failed=1,
        enrich_paused=1,
    )
    done = Progress("c2", leads=1, fetch_status="COMPLETED", enrich_total=1, enrich_completed=1)
    assert failure_text({"c1": waiting, "c2": done}, progress_complete()) == (
        "\nExpected: fetch COMPLETED and one COMPLETED ENRICH_LEAD job per lead\n"
        "     but: 1 of 2 not done: campaign c1: 1/3 leads enriched (fetch COMPLETED, 1 failed, 1 paused)\n"
    )


def test_progress_complete_before_the_fetch() -> None:
    text = failure_text(Progress("c1"), progress_complete())
    assert text.endswith("campaign c1: 0/0 leads enriched (fetch not started, 0 failed, 0 paused)\n")
    assert failure_text({}, progress_complete()).endswith("but: there were no campaigns at all\n")
    assert "was not job progress: <3>" in failure_text(3, progress_complete())


# ------------------------------------------------------------------------------- enriched, API vs database


def test_every_lead_enriched_names_each_lead_and_what_is_wrong_with_it() -> None:
    assert_that({"lead a@x (1) of C": [], "lead b@x (2) of C": []}, every_lead_enriched())
    text = failure_text(
        {
            "lead a@x (1) of C": [],
            "lead b@x (2) of C": [
                "missing enrichment_results in the API",
                "missing enrichment_results in the database",
            ],
            "lead c@x (3) of C": ["no enrichment job"],
        },
        every_lead_enriched(),
    )
    assert text == (
        "\nExpected: every lead enriched by exactly one COMPLETED ENRICH_LEAD job and holding "
        "email_verification, enrichment_results, instantly_lead_record\n"
        "     but: 2 of 3 leads were not: lead b@x (2) of C: missing enrichment_results in the API; missing "
        "enrichment_results in the database, lead c@x (3) of C: no enrichment job\n"
    )
    assert "there were no leads at all" in failure_text({}, every_lead_enriched())


def test_no_disagreement_lists_each_thing_the_api_and_the_database_say_differently() -> None:
    assert_that([], no_disagreement("the jobs"))
    text = failure_text(
        ["job 7 of C: status PROCESSING in the API, COMPLETED in the database"], no_disagreement("the jobs")
    )
    assert text == (
        "\nExpected: the API and the database agree about the jobs\n"
        "     but: the API and the database disagree about 1 thing: "
        "job 7 of C: status PROCESSING in the API, COMPLETED in the database\n"
    )
