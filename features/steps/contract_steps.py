"""Contract steps: each calls one function of campaign_acceptance.scenarios (over contract_check)."""

from behave import then, when
from behave.runner import Context

from campaign_acceptance import scenarios
from campaign_acceptance.world import world_of


@when("the platform's API description is compared with the routes and fields the suite uses")
def step_compare_document(context: Context) -> None:
    scenarios.compare_document(world_of(context), context.scenario)


@when("the tenant creates a campaign and reads it back with its jobs and the circuit breakers")
def step_compare_answers(context: Context) -> None:
    scenarios.compare_tenant_answers(world_of(context))


@then("nothing the suite relies on is missing or different")
def step_no_drift(context: Context) -> None:
    scenarios.check_no_drift(world_of(context))
