"""The step library (scenarios.py) on fakes: the health-gate scenario takes the decision the hooks' gate
takes, with the run's policy; a breaker check that finds one open raises the service failure."""

from __future__ import annotations

from typing import Any

import pytest

from campaign_acceptance import scenarios
from campaign_acceptance.errors import ServiceFailure
from campaign_acceptance.model import BreakerState
from campaign_acceptance.outcome import RunRecord
from campaign_acceptance.settings import Settings
from campaign_acceptance.target import Target
from campaign_acceptance.world import ScenarioState, Session, TenantUser, World

APOLLO_PAUSED = BreakerState("apollo", "open", 0, 5, False, None, "paused by operator")


class BreakerBoard:
    """Stands in for PlatformClient: only the breakers endpoint, as the platform answers it."""

    def __init__(self, **states: BreakerState) -> None:
        self.states = {"apollo": BreakerState("apollo", "closed"), "openai": BreakerState("openai", "closed")}
        self.states.update(states)
        self.reads = 0
        self.drop: list[str] = []

    def breakers(self) -> dict[str, BreakerState]:
        self.reads += 1
        return dict(self.states)

    def queue_status(self) -> dict[str, Any]:
        """The raw entries, as the platform sends them (`drop`: keys a misreporting platform leaves out)."""
        entries = {
            s: {
                "circuit_state": b.state,
                "queue_paused": not b.closed,
                "pause_info": {"reason": b.pause_reason} if b.pause_reason else None,
                "failure_count": b.failure_count,
                "failure_threshold": b.failure_threshold,
            }
            for s, b in self.states.items()
        }
        for entry in entries.values():
            for key in self.drop:
                entry.pop(key, None)
        return {"circuit_breakers": entries}


def world_on(client: BreakerBoard, policy: str = "abort") -> World:
    session = Session(
        Settings(run_id="unit", health_gate=policy),
        client,  # type: ignore[arg-type]
        None,
        None,
        TenantUser("u@example.org", "1", "secret"),
        Target("fake", has_database=False, faults=None),
    )
    return World(record=RunRecord(), session_=session, scenario=ScenarioState(name="gate"))


def test_the_gate_scenario_aborts_under_the_abort_policy() -> None:
    world = world_on(BreakerBoard(apollo=APOLLO_PAUSED))
    scenarios.run_health_gate(world)
    gate = world.scenario.gate
    assert gate is not None and gate.abort and gate.report.services == ("apollo",)
    scenarios.check_gate_would_abort(world)
    scenarios.check_report_names_service(world, "apollo")


def test_the_gate_scenario_follows_the_warn_policy_as_the_hooks_do() -> None:
    # The copy of the gate this replaces ignored the policy and said "abort" here.
    world = world_on(BreakerBoard(apollo=APOLLO_PAUSED), policy="warn")
    scenarios.run_health_gate(world)
    gate = world.scenario.gate
    assert gate is not None and not gate.abort and "apollo" in gate.report.reason
    scenarios.check_gate_would_abort(world)  # the step's words: "or warn under the warn policy"


def test_the_gate_scenario_fails_when_every_breaker_is_closed() -> None:
    world = world_on(BreakerBoard())
    scenarios.run_health_gate(world)
    assert world.scenario.gate is None
    with pytest.raises(AssertionError, match="every breaker closed"):
        scenarios.check_gate_would_abort(world)


def test_a_scenario_that_needs_closed_breakers_is_a_service_failure_when_one_is_open() -> None:
    board = BreakerBoard()
    scenarios.ensure_every_breaker_closed(world_on(board))
    board.states["openai"] = BreakerState("openai", "half_open", 5, 5, True)
    with pytest.raises(ServiceFailure) as raised:
        scenarios.ensure_every_breaker_closed(world_on(board, policy="warn"))
    assert raised.value.report.services == ("openai",)


def test_the_breaker_report_check_fails_when_the_status_lacks_the_threshold_or_the_reason() -> None:
    board = BreakerBoard(apollo=APOLLO_PAUSED)
    world = world_on(board)
    scenarios.run_health_gate(world)
    board.drop = ["failure_threshold", "pause_info"]
    with pytest.raises(AssertionError) as caught:
        scenarios.check_report_names_service(world, "apollo")
    text = str(caught.value)
    assert "the breaker status of apollo" in text
    assert "lacks failure_threshold (an integer)" in text
    assert "lacks the reason it is paused (pause_info.reason)" in text
