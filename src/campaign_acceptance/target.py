"""What differs between targets, in one small object: capabilities and how to hold campaigns RUNNING.

Steps never ask which target they are on; they ask this object what it can do. The suite meets the sandbox
(profile intended or as-built) and deployed stacks whose fault control, if any, is another stack's provider
fakes speaking the sandbox's protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

__all__ = ["HOLD_ENRICHMENT_MS", "HOLD_SERVICE", "SETTLE_QUIET_S", "Target"]

if TYPE_CHECKING:
    from campaign_acceptance.client import FaultControl

# Holding enrichment back must go through a service the target really calls: on the platform MillionVerifier
# is an in-process stub (contract §4.4 step 4), so slowing it through fault control holds nothing there.
# Perplexity is the first service of the chain every target calls for every lead.
HOLD_SERVICE = "perplexity"
# Each held call waits this long: no lead reaches a later service (or finishes) before the scenario acts,
# which takes well under a second after the campaigns are started.
HOLD_ENRICHMENT_MS = 3000
# Before a hold: a stretch this long with none of the run's earlier jobs processing and nothing changing
# means the rest of its work waits for nobody (e.g. jobs a resume left PENDING), so holding starves nothing.
SETTLE_QUIET_S = 1.0


@dataclass(frozen=True)
class Target:
    """The target's capabilities (database, fault control) and its way of holding campaigns RUNNING."""

    description: str
    has_database: bool
    faults: FaultControl | None
    hold_service: str = HOLD_SERVICE
    hold_ms: int = HOLD_ENRICHMENT_MS
    settle_quiet_s: float = SETTLE_QUIET_S

    @property
    def has_fault_control(self) -> bool:
        return self.faults is not None

    @property
    def can_hold(self) -> bool:
        """Without fault control a real stack is slow enough on its own (the scenario checks it was)."""
        return self.faults is not None

    def hold(self) -> None:
        if self.faults is not None:
            self.faults.set(self.hold_service, "slow", delay_ms=self.hold_ms)

    def release(self) -> None:
        if self.faults is not None:
            self.faults.set(self.hold_service, "ok")
