"""The health gate: before each scenario, every circuit breaker must be closed.

A breaker that is open or half-open means a third-party service is (or was just) failing; a scenario
started then would fail for reasons that are not the product's, so it is aborted as a service failure.
"""

from __future__ import annotations

from typing import Protocol

from campaign_acceptance.model import BreakerReport, BreakerState
from campaign_acceptance.world import GateDecision


class BreakerReader(Protocol):
    def breakers(self) -> dict[str, BreakerState]: ...


def describe(breakers: list[BreakerState]) -> str:
    """One line naming each breaker that is not closed, e.g. 'openai breaker open (5/5 failures)'."""
    parts = [f"{b.service} breaker {b.state} ({b.failure_count}/{b.failure_threshold} failures)" for b in breakers]
    return "; ".join(parts)


def report_for(states: dict[str, BreakerState]) -> BreakerReport | None:
    """The evidence for the breakers that are not closed, or None when all are closed."""
    not_closed = [b for b in states.values() if not b.closed]
    if not not_closed:
        return None
    return BreakerReport(
        reason=describe(not_closed) + " before the scenario started",
        breakers=tuple(not_closed),
        paused_campaigns=(),
        all_breakers=tuple(states.values()),
    )


def check(client: BreakerReader) -> GateDecision:
    report = report_for(client.breakers())
    return GateDecision(abort=report is not None, report=report)
