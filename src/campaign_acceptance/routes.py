"""What the suite uses of the platform's API, declared once: every route the client calls, the query
parameters and body fields it sends, and the answer fields the suite reads, with their types and enums.

``client.PlatformClient`` builds every request from this table (a path, parameter or body field it does not
declare is refused before anything is sent), and ``contract_check`` compares the table with a target's
OpenAPI document and with its real answers. A field the suite starts reading is declared here, or
``tests/suite/test_routes.py`` fails. The platform's contract in words: docs/contract.md.

Field paths are read in the answer as the client returns it (the ``{"status": "success", "data": X}``
envelope removed): ``token.access_token`` is a key of a key, ``campaigns[].status`` a key of every item of a
list (``[].id``: of every item of an answer that is a bare array),
``circuit_breakers.*.circuit_state`` a key of every value of a map (whose keys are an enum's values).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from campaign_acceptance.model import CAMPAIGN_STATUSES, SERVICES

__all__ = [
    "BREAKER_STATES",
    "ENUMS",
    "JOB_STATUSES",
    "JOB_TYPES",
    "ROUTES",
    "Field",
    "Route",
]

JOB_STATUSES: tuple[str, ...] = ("PENDING", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED", "PAUSED")
JOB_TYPES: tuple[str, ...] = ("FETCH_LEADS", "ENRICH_LEAD", "CLEANUP_CAMPAIGN")
BREAKER_STATES: tuple[str, ...] = ("closed", "open", "half_open")
# The enums whose values the suite's logic depends on (docs/contract.md §3), by the platform's names.
ENUMS: Mapping[str, tuple[str, ...]] = {
    "CampaignStatus": CAMPAIGN_STATUSES,
    "JobStatus": JOB_STATUSES,
    "JobType": JOB_TYPES,
    "CircuitState": BREAKER_STATES,
    "ThirdPartyService": SERVICES,
}


@dataclass(frozen=True)
class Field:
    """One answer field the suite reads: its path, JSON type, whether it may be null, its enum."""

    path: str
    type: str  # a JSON Schema type: string, integer, number, boolean, array, object
    nullable: bool = False
    enum: str | None = None  # a name of ENUMS: the values the field may hold
    keys: str | None = None  # for a map (a path ending in ``.*`` below it): the enum of its keys


@dataclass(frozen=True)
class Route:
    """One operation of the platform the client calls."""

    method: str
    path: str  # under the API prefix, as sent; ``{id}`` is a path parameter
    status: int  # the success status the platform answers (docs/contract.md §1)
    envelope: bool  # the answer is ``{"status": "success", "data": ...}``
    query: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    reads: tuple[Field, ...] = ()

    @property
    def label(self) -> str:
        """How drift lines name it: ``GET /campaigns/{id}``."""
        return f"{self.method} /{self.path}"

    def at(self, **segments: str | int) -> str:
        """The path with its parameters filled in (each one URL-quoted as one segment)."""
        return self.path.format(**{name: quote(str(value), safe="") for name, value in segments.items()})


def _each(prefix: str, fields: tuple[Field, ...]) -> tuple[Field, ...]:
    return tuple(
        Field(f"{prefix}.{f.path}", f.type, nullable=f.nullable, enum=f.enum, keys=f.keys) for f in fields
    )


# The campaign object as the monitor and the steps read it (monitor.snapshot_from_api, scenarios).
CAMPAIGN = (
    Field("id", "string"),
    Field("name", "string"),
    Field("status", "string", enum="CampaignStatus"),
    Field("status_message", "string", nullable=True),
    Field("totalRecords", "integer"),
)
# A job as monitor.progress_from_jobs, capacity.timings_from_api and the database comparison read it.
JOB = (
    Field("id", "integer"),
    Field("job_type", "string", enum="JobType"),
    Field("status", "string", enum="JobStatus"),
    Field("error", "string", nullable=True),
    Field("result", "string", nullable=True),  # a fetch's "Successfully fetched N leads": the lead count
    Field("created_at", "string", nullable=True),  # capacity.parse_timestamp reads a null as unknown
    Field("completed_at", "string", nullable=True),
)
LEAD = (
    Field("id", "string"),
    Field("campaign_id", "string"),
    Field("email", "string", nullable=True),
    Field("enrichment_job_id", "string", nullable=True),
    # What a COMPLETED enrichment stores on the lead (model.ENRICHED_LEAD_FIELDS, docs/judging.md).
    Field("email_verification", "object", nullable=True),
    Field("enrichment_results", "object", nullable=True),
    Field("instantly_lead_record", "object", nullable=True),
)
# One breaker entry as client.parse_breaker reads it.
BREAKER = (
    Field("circuit_state", "string", enum="CircuitState"),
    Field("failure_count", "integer"),
    Field("failure_threshold", "integer"),
    Field("queue_paused", "boolean"),
    Field("pause_info", "object", nullable=True),
    Field("pause_info.paused_at", "string", nullable=True),
    Field("pause_info.reason", "string"),
)
PAGES = Field("pages", "integer")
PAGED = ("page", "per_page")

ROUTES: Mapping[str, Route] = {
    "health": Route("GET", "health/", 200, envelope=False),
    "signup": Route(
        "POST",
        "auth/signup",
        201,
        envelope=False,
        body=("email", "password", "confirm_password"),
        reads=(Field("user", "object"), Field("user.id", "string")),
    ),
    "login": Route(
        "POST",
        "auth/login",
        200,
        envelope=False,
        body=("email", "password"),
        reads=(Field("token", "object"), Field("token.access_token", "string"), Field("user", "object")),
    ),
    "create_organization": Route(
        "POST",
        "organizations/",
        201,
        envelope=False,
        body=("name", "description"),
        reads=(Field("id", "string"),),
    ),
    "create_campaign": Route(
        "POST",
        "campaigns/",
        201,
        envelope=True,
        body=("name", "description", "organization_id", "fileName", "totalRecords", "url"),
        reads=(Field("id", "string"),),
    ),
    "start_campaign": Route("POST", "campaigns/{id}/start", 200, envelope=True),
    "get_campaign": Route("GET", "campaigns/{id}", 200, envelope=True, reads=CAMPAIGN),
    "pause_campaign": Route("POST", "campaigns/{id}/pause", 200, envelope=True, body=("reason",)),
    "resume_campaign": Route("POST", "campaigns/{id}/resume", 200, envelope=True),
    "list_campaigns": Route(
        "GET",
        "campaigns/",
        200,
        envelope=True,
        query=("organization_id", *PAGED),
        reads=(Field("campaigns", "array"), *_each("campaigns[]", CAMPAIGN), PAGES),
    ),
    # Up to 1,000 campaigns a request (the list above pages by 100): the monitor's status read every cycle.
    "organization_campaigns": Route(
        "GET",
        "organizations/{id}/campaigns",
        200,
        envelope=False,
        query=("skip", "limit"),
        reads=_each("[]", CAMPAIGN),
    ),
    "list_jobs": Route(
        "GET",
        "jobs/",
        200,
        envelope=True,
        query=("campaign_id", *PAGED),
        # total: a page read apart from the others may miss a job (no ORDER BY), which the total shows
        reads=(Field("jobs", "array"), *_each("jobs[]", JOB), PAGES, Field("total", "integer")),
    ),
    "list_leads": Route(
        "GET",
        "leads/",
        200,
        envelope=True,
        query=("campaign_id", *PAGED),
        reads=(Field("leads", "array"), *_each("leads[]", LEAD), PAGES),
    ),
    "queue_status": Route(
        "GET",
        "queue-management/status",
        200,
        envelope=True,
        reads=(
            Field("circuit_breakers", "object", keys="ThirdPartyService"),
            *_each("circuit_breakers.*", BREAKER),
        ),
    ),
    "pause_service": Route(
        "POST", "queue-management/pause-service", 200, envelope=True, body=("service", "reason")
    ),
    "resume_service": Route("POST", "queue-management/resume-service", 200, envelope=True, body=("service",)),
}
