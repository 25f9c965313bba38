"""behave hooks: each calls one function of the support package (campaign_acceptance.lifecycle)."""

from behave.model import Scenario, Step
from behave.runner import Context

from campaign_acceptance import lifecycle


def before_all(context: Context) -> None:
    lifecycle.start_run(context)


def before_scenario(context: Context, scenario: Scenario) -> None:
    lifecycle.begin_scenario(context, scenario)


def after_step(context: Context, step: Step) -> None:
    lifecycle.step_done(context, step)


def after_scenario(context: Context, scenario: Scenario) -> None:
    lifecycle.end_scenario(context, scenario)


def after_all(context: Context) -> None:
    lifecycle.finish_run(context)
