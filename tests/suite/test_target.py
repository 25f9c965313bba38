"""The per-target object: what only a target with fault control does (hold enrichment back, and let the run's
earlier work settle first), so that steps never ask which target they are on."""

from __future__ import annotations

from typing import Any

from campaign_acceptance.target import HOLD_ENRICHMENT_MS, HOLD_SERVICE, SETTLE_QUIET_S, Target


class FaultSwitch:
    """Stands in for FaultControl: records what it was told."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def set(self, service: str, mode: str, **options: Any) -> None:
        self.calls.append((service, mode, options))


def test_a_target_with_fault_control_holds_enrichment_through_a_service_every_target_calls() -> None:
    switch = FaultSwitch()
    target = Target("sandbox", has_database=True, faults=switch)  # type: ignore[arg-type]
    assert target.has_fault_control and target.can_hold
    target.hold()
    target.release()
    assert switch.calls == [
        (HOLD_SERVICE, "slow", {"delay_ms": HOLD_ENRICHMENT_MS}),
        (HOLD_SERVICE, "ok", {}),
    ]
    assert HOLD_SERVICE == "perplexity" and target.settle_quiet_s == SETTLE_QUIET_S > 0


def test_a_stack_without_fault_control_holds_nothing_and_says_so() -> None:
    target = Target("https://stack.example", has_database=False, faults=None)
    assert not target.has_fault_control and not target.can_hold
    target.hold()  # nothing to call: a real stack is slow enough on its own (the scenario checks it)
    target.release()
