"""The one typed object the suite keeps on behave's context (``context.world``).

Run-level parts (settings, client, probe, tenant user) are set once in before_all; ``scenario`` is replaced
before each scenario. The run record exists from the first moment, so the runner can report even a run
whose set-up failed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from campaign_acceptance.outcome import GateDecision, RunRecord

__all__ = ["CampaignUnderTest", "ScenarioState", "Session", "TenantUser", "World", "world_of"]

if TYPE_CHECKING:
    from campaign_acceptance.capacity import EnrichmentTiming
    from campaign_acceptance.client import FaultControl, PlatformClient
    from campaign_acceptance.contract_check import ContractCheck
    from campaign_acceptance.database import DatabaseProbe
    from campaign_acceptance.model import BreakerReport, Observation
    from campaign_acceptance.monitor import Monitor, ReadErrors
    from campaign_acceptance.settings import Settings
    from campaign_acceptance.target import Target
    from campaign_sandbox.server import SandboxServer


@dataclass
class TenantUser:
    """The user this run signed up; the password lives only in memory and never in a repr."""

    email: str
    user_id: str
    password: str = field(repr=False)


@dataclass
class CampaignUnderTest:
    id: str
    name: str
    requested_leads: int
    leads: int = 0
    emails: frozenset[str] = frozenset()


@dataclass
class ScenarioState:
    """Everything one scenario has made or seen; replaced before the next scenario."""

    name: str = ""
    key: str = ""  # runner.scenario_key: file:line, unique per Examples row
    # When the scenario began (RealClock, monotonic): zero of every time its reports show.
    began: float = field(default_factory=time.monotonic)
    began_at: float = field(default_factory=time.time)  # the same moment, epoch seconds
    organization_id: str | None = None
    campaigns: list[CampaignUnderTest] = field(default_factory=list)
    monitor: Monitor | None = None
    report: BreakerReport | None = None  # evidence of an expected pause
    pause_wait_s: float | None = None  # how long the expected pause took to notice
    gate: GateDecision | None = None  # the gate's decision when a scenario checks it (None: all closed)
    # The first observation once an operator's pause was in place, and of which service: only the jobs in
    # flight then may still complete while the service is paused.
    paused_seen: Observation | None = None
    paused_service: str | None = None
    resumed_services: list[str] = field(default_factory=list)  # services this scenario resumed
    # What ran when settings (campaigns, leads, scale) changed the counts the scenario names.
    ran_as: str | None = None
    # Suite-clock moments of the campaign phases (monotonic), for the throughput figures.
    started_at: float | None = None
    fetch_phase_s: float | None = None
    enrichment: EnrichmentTiming | None = None
    # What the contract check found (contract_check), and in what: the document or the tenant's answers.
    contract: ContractCheck | None = None
    contract_source: str = ""
    # Undo actions (resume a paused service, heal a fault), run after the scenario even when it fails.
    cleanups: list[tuple[str, Callable[[], Any]]] = field(default_factory=list)

    @property
    def campaign_ids(self) -> list[str]:
        return [c.id for c in self.campaigns]


@dataclass
class Session:
    """What exists once the run is set up: target, tools and the run's own user."""

    settings: Settings
    client: PlatformClient
    probe: DatabaseProbe | None
    faults: FaultControl | None
    user: TenantUser
    target: Target
    sandbox: SandboxServer | None = None
    read_errors: ReadErrors | None = None  # bad answers to poll reads, shared by every wait of the run
    organization_ids: list[str] = field(default_factory=list)  # every organization the run created
    campaign_ids: list[str] = field(default_factory=list)  # every campaign the run created
    # Services this run resumed (the platform answered success) whose breaker still was not closed a poll
    # later: service -> what was seen. Such a breaker open at a later gate is the resume's failure.
    stuck_resumes: dict[str, str] = field(default_factory=dict)


@dataclass
class World:
    record: RunRecord
    session_: Session | None = None
    scenario: ScenarioState = field(default_factory=ScenarioState)

    @property
    def session(self) -> Session:
        if self.session_ is None:  # only reachable if a step runs after a failed set-up
            raise RuntimeError("the run was not set up")
        return self.session_


def world_of(context: Any) -> World:
    """The world on a behave context (typed access for steps and hooks)."""
    world = getattr(context, "world", None)
    if not isinstance(world, World):
        raise RuntimeError("context.world is missing: features/environment.py did not run before_all")
    return world
