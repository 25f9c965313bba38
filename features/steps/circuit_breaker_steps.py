"""Circuit-breaker steps: parse the words, call the support package, nothing else."""

from behave import given, then, when
from behave.runner import Context

from campaign_acceptance import scenarios
from campaign_acceptance.world import world_of


@given("every circuit breaker is closed")
def step_all_closed(context: Context) -> None:
    scenarios.ensure_every_breaker_closed(world_of(context))


@given('an operator has paused the "{service}" service')
@when('an operator pauses the "{service}" service')
def step_operator_pauses(context: Context, service: str) -> None:
    scenarios.operator_pauses_service(world_of(context), service)


@when('the operator resumes the "{service}" service')
def step_operator_resumes(context: Context, service: str) -> None:
    scenarios.operator_resumes_service(world_of(context), service)


@when('the "{service}" service starts failing')
def step_service_fails(context: Context, service: str) -> None:
    scenarios.make_service_fail(world_of(context), service)


@given('the "{service}" service has failed and its breaker has paused the campaigns')
def step_service_failed_and_paused(context: Context, service: str) -> None:
    scenarios.service_has_failed_and_paused_campaigns(world_of(context), service)


@when('the "{service}" service heals and the campaigns are resumed')
def step_service_heals(context: Context, service: str) -> None:
    scenarios.heal_service_and_resume_campaigns(world_of(context), service)


@then('the "{service}" circuit breaker is open')
@then('the "{service}" circuit breaker opens by itself')
def step_breaker_open(context: Context, service: str) -> None:
    scenarios.wait_until_breaker_open(world_of(context), service)


@then('every running campaign of the run is paused with a message naming "{service}"')
def step_campaigns_paused(context: Context, service: str) -> None:
    scenarios.wait_until_campaigns_paused(world_of(context), service)


@then("monitoring noticed the pause well before its deadline")
def step_noticed_early(context: Context) -> None:
    scenarios.check_pause_noticed_early(world_of(context))


@then('the breaker report names "{service}" with its state, failures against threshold and reason')
def step_report_names_service(context: Context, service: str) -> None:
    scenarios.check_report_names_service(world_of(context), service)


@then("the breaker report lists each paused campaign with its message")
def step_report_lists_campaigns(context: Context) -> None:
    scenarios.check_report_lists_paused_campaigns(world_of(context))


@then('once the "{service}" service is resumed every circuit breaker is closed again')
def step_resume_then_closed(context: Context, service: str) -> None:
    scenarios.resume_service_and_check_every_breaker_closed(world_of(context), service)


@then("every circuit breaker is closed again")
def step_closed_again(context: Context) -> None:
    scenarios.check_every_breaker_closed(world_of(context))


@then("no lead of the run is being enriched while the service is paused")
def step_enrichment_stopped(context: Context) -> None:
    scenarios.wait_until_enrichment_stopped(world_of(context))


@then("no campaign of the run is paused any more")
def step_none_paused(context: Context) -> None:
    scenarios.check_no_campaign_paused(world_of(context))


@when("the health gate checks the circuit breakers before a scenario")
def step_gate_checks(context: Context) -> None:
    scenarios.run_health_gate(world_of(context))


@then("the health gate would abort that scenario before its first step, or warn under the warn policy")
def step_gate_would_abort(context: Context) -> None:
    scenarios.check_gate_would_abort(world_of(context))
