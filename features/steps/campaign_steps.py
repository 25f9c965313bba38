"""Campaign steps: parse the words, call the support package, nothing else."""

from behave import given, then, when
from behave.runner import Context

from campaign_acceptance import scenarios
from campaign_acceptance.world import world_of


@given("a fresh tenant with its own user and organization")
def step_fresh_tenant(context: Context) -> None:
    scenarios.fresh_tenant(world_of(context))


@when("{campaigns:d} campaigns with {leads:d} leads each are started")
def step_start_campaigns(context: Context, campaigns: int, leads: int) -> None:
    scenarios.start_campaigns(world_of(context), campaigns, leads)


@given("{campaigns:d} campaigns with {leads:d} leads each are running")
def step_campaigns_running(context: Context, campaigns: int, leads: int) -> None:
    scenarios.start_running_campaigns(world_of(context), campaigns, leads)


@then("every lead fetch finishes with at least one lead")
def step_fetch_finished(context: Context) -> None:
    scenarios.check_every_fetch_found_leads(world_of(context))


@then("every lead of every campaign is enriched")
def step_every_lead_enriched(context: Context) -> None:
    scenarios.wait_until_every_lead_enriched(world_of(context))


@then("no email appears in more than one campaign")
def step_no_shared_emails(context: Context) -> None:
    scenarios.check_no_shared_emails(world_of(context))


@then("no campaign is paused or failed")
def step_none_paused_or_failed(context: Context) -> None:
    scenarios.check_no_campaign_paused_or_failed(world_of(context))


@then("the database agrees with the API about the campaigns, their leads and their jobs")
def step_database_agrees(context: Context) -> None:
    scenarios.check_database_agrees_with_api(world_of(context))


@then("the database shows every lead enriched exactly once, none lost and none twice")
def step_enriched_exactly_once(context: Context) -> None:
    scenarios.check_every_lead_enriched_exactly_once(world_of(context))


@then("the run's throughput and lead latency are reported")
def step_capacity_figures(context: Context) -> None:
    scenarios.report_capacity_figures(world_of(context))
