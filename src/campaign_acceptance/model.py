"""Plain data the support modules pass around: what was observed, and the evidence of a service failure.

Everything here is immutable and JSON-friendly (to_dict) so reports can carry it unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = [
    "CAMPAIGN_STATUSES",
    "CLOSED",
    "ENRICHED_LEAD_FIELDS",
    "RATE_LIMIT_TEXT",
    "SERVICES",
    "BreakerReport",
    "BreakerState",
    "CampaignSnapshot",
    "Observation",
    "Progress",
    "missing_results",
]

SERVICES: tuple[str, ...] = ("perplexity", "openai", "apollo", "instantly", "millionverifier")
CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
CAMPAIGN_STATUSES: tuple[str, ...] = ("CREATED", "RUNNING", "PAUSED", "COMPLETED", "FAILED")
# The platform's local limiter (contract §7): "Rate limit exceeded for OpenAI API. Remaining requests: 0 ...";
# a breaker it opens carries "(type: rate_limit)" in the campaigns' pause message.
# What a COMPLETED ENRICH_LEAD job guarantees its lead holds, on the platform as intended and as built
# alike (docs/judging.md): the verification, the enrichment result (as built possibly {"error": ...}) and
# the outreach record (or its {"error": ...}). Not the email copy: as built it stays null when enrichment
# or OpenAI failed, and the job still COMPLETES.
ENRICHED_LEAD_FIELDS: tuple[str, ...] = ("email_verification", "enrichment_results", "instantly_lead_record")
RATE_LIMIT_TEXT = re.compile(r"Rate limit exceeded for \w+ API|\(type: rate_limit\)", re.IGNORECASE)


def missing_results(lead: dict[str, Any]) -> list[str]:
    """The ENRICHED_LEAD_FIELDS a lead (an API lead object) does not hold: absent, null or an empty object."""
    return [name for name in ENRICHED_LEAD_FIELDS if lead.get(name) in (None, {}, "", "null")]


@dataclass(frozen=True)
class BreakerState:
    """One service's entry of GET /queue-management/status -> data.circuit_breakers."""

    service: str
    state: str  # closed | open | half_open, or "unknown" when the platform reported an error for it
    failure_count: int = 0
    failure_threshold: int = 5
    queue_paused: bool = False
    paused_at: str | None = None
    pause_reason: str | None = None  # pause_info.reason, e.g. "circuit_breaker_open"

    @property
    def closed(self) -> bool:
        return self.state == CLOSED

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BreakerState:
        return cls(**data)


@dataclass(frozen=True)
class CampaignSnapshot:
    """A campaign's status as the API reported it in one observation."""

    id: str
    name: str
    status: str
    status_message: str | None = None
    total_records: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CampaignSnapshot:
        return cls(**data)


@dataclass(frozen=True)
class Progress:
    """Job progress of one campaign (from one SQL query, or from the jobs endpoint without a database)."""

    campaign_id: str
    leads: int = 0
    fetch_status: str | None = None  # status of the FETCH_LEADS job, None before it exists
    enrich_total: int = 0
    enrich_completed: int = 0
    enrich_failed: int = 0
    enrich_paused: int = 0
    # Jobs of any type waiting for a worker / being worked on (a stuck resume shows PENDING, none PROCESSING).
    jobs_pending: int = 0
    jobs_processing: int = 0

    @property
    def enrichment_done(self) -> bool:
        """Done as the platform means it: every lead has a COMPLETED ENRICH_LEAD job."""
        return self.fetch_status == "COMPLETED" and self.leads > 0 and self.enrich_completed >= self.leads

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Observation:
    """Everything one monitor cycle saw."""

    at: float  # seconds since the wait began
    breakers: dict[str, BreakerState]
    campaigns: dict[str, CampaignSnapshot]
    progress: dict[str, Progress]
    requests: int = 0  # HTTP requests this cycle cost (budget: <= 3, with or without a database)
    # Without a database job progress is read in turns: campaigns whose progress was read in an earlier
    # cycle and could still change (set by the source), and when each campaign's progress was read, in
    # seconds since the wait began (set by the monitor; negative: before the wait).
    carried: frozenset[str] = field(default_factory=frozenset)
    progress_read_at: dict[str, float] = field(default_factory=dict)

    def progress_age(self, campaign_ids: Iterable[str]) -> float:
        """Seconds between this cycle and the oldest read of these campaigns' carried progress (0 when all
        of it was read in this cycle): what saw "no change" for a while can only vouch for up to then."""
        reads = [self.progress_read_at.get(c, self.at) for c in campaign_ids if c in self.carried]
        return max(0.0, self.at - min(reads)) if reads else 0.0

    def open_breakers(self) -> list[BreakerState]:
        return [b for b in self.breakers.values() if not b.closed]

    def paused_campaigns(self) -> list[CampaignSnapshot]:
        return [c for c in self.campaigns.values() if c.status == "PAUSED"]


@dataclass(frozen=True)
class BreakerReport:
    """Why a scenario was stopped by a service failure: the evidence every report shows."""

    reason: str  # one line, e.g. "breaker openai is open (5/5 failures); 3 campaigns paused"
    breakers: tuple[BreakerState, ...]  # the services whose breaker is not closed
    paused_campaigns: tuple[CampaignSnapshot, ...]
    detected_at: float | None = None  # seconds since the scenario began when it was noticed
    all_breakers: tuple[BreakerState, ...] = field(default=())
    # Why the breaker opened, where the target shows it: distinct error texts of the run's paused or
    # failed jobs (and the step errors of completed ones), most frequent first, each "text (n jobs)".
    job_errors: tuple[str, ...] = field(default=())

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(b.service for b in self.breakers)

    @property
    def rate_limited(self) -> bool:
        """The platform's own rate limiter caused it (contract §7): its text in a job error or a pause."""
        texts = [*self.job_errors, *(c.status_message or "" for c in self.paused_campaigns)]
        return any(RATE_LIMIT_TEXT.search(t) for t in texts)

    def summary(self) -> str:
        return self.reason

    def render_text(self) -> str:
        lines = [f"Service failure: {self.reason}"]
        for b in self.breakers:
            pause = f", paused since {b.paused_at} ({b.pause_reason})" if b.queue_paused else ""
            lines.append(
                f"  breaker {b.service}: {b.state}, failures {b.failure_count}/{b.failure_threshold}{pause}"
            )
        for c in self.paused_campaigns:
            lines.append(f"  campaign {c.name} ({c.id}): {c.status} - {c.status_message or ''}")
        if self.job_errors:
            lines.append("  errors of the run's paused or failed jobs:")
            lines += [f"    {text}" for text in self.job_errors]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "services": list(self.services),
            "breakers": [b.to_dict() for b in self.breakers],
            "all_breakers": [b.to_dict() for b in self.all_breakers],
            "paused_campaigns": [c.to_dict() for c in self.paused_campaigns],
            "detected_at": self.detected_at,
            "job_errors": list(self.job_errors),
            "rate_limited": self.rate_limited,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BreakerReport:
        """The inverse of to_dict (a merge of sharded runs reads reports back from status.json)."""
        return cls(
            reason=str(data["reason"]),
            breakers=tuple(BreakerState.from_dict(b) for b in data.get("breakers", [])),
            paused_campaigns=tuple(CampaignSnapshot.from_dict(c) for c in data.get("paused_campaigns", [])),
            detected_at=data.get("detected_at"),
            all_breakers=tuple(BreakerState.from_dict(b) for b in data.get("all_breakers", [])),
            job_errors=tuple(str(e) for e in data.get("job_errors", [])),
        )
