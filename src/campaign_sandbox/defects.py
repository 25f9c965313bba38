"""Planted product defects: each a small, realistic bug that breaks exactly one rule the platform promises.

``python -m campaign_sandbox --defects NAME[,NAME...]`` (setting ``defects``, env ``SANDBOX_DEFECTS``) and the
suite's ``sandbox_defects`` switch them on, in either profile. They exist to prove what the acceptance suite
catches (tests/selftest/test_kill_matrix.py): a green run is worth what the suite would have caught.

The catalogue is a registry keyed by name (``CATALOGUE``); the behaviour of each lives at the one place in the
domain layer, worker, providers or breaker where such a bug would really be, behind
``defects.active(Defect.X)``, so no code compares names as strings. A new entry is one ``Defect`` member, one
``register(...)`` line below, and that one check where the bug lives. docs/sandbox.md lists them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType


class Defect(enum.StrEnum):
    """The names of the planted defects (the value is the name on the command line)."""

    FETCH_NEVER_STARTS = "fetch-never-starts"
    FETCH_FINDS_NOTHING = "fetch-finds-nothing"
    JOBS_NEVER_FINISH = "jobs-never-finish"
    LEADS_NOT_QUEUED = "leads-not-queued"
    ENRICHED_TWICE = "enriched-twice"
    RESULTS_MISSING = "results-missing"
    ENRICHMENT_FAILS = "enrichment-fails"
    DUPLICATE_LEADS = "duplicate-leads"
    CAMPAIGN_FAILS = "campaign-fails"
    CAMPAIGN_PAUSES_ITSELF = "campaign-pauses-itself"
    API_WRONG_CAMPAIGN = "api-wrong-campaign"
    API_JOB_STATUS_STALE = "api-job-status-stale"
    BREAKER_STATUS_MISREPORTS = "breaker-status-misreports"
    BREAKER_REPORT_INCOMPLETE = "breaker-report-incomplete"
    BREAKER_NEVER_OPENS = "breaker-never-opens"
    PAUSE_PAUSES_NOTHING = "pause-pauses-nothing"
    TRIP_PAUSES_NOTHING = "trip-pauses-nothing"
    PAUSE_MESSAGE_MISSING = "pause-message-missing"
    ENRICH_WHILE_PAUSED = "enrich-while-paused"
    RESUME_LEAVES_BREAKER_OPEN = "resume-leaves-breaker-open"
    RESUME_LEAVES_CAMPAIGNS_PAUSED = "resume-leaves-campaigns-paused"
    RESUME_LOSES_WORK = "resume-loses-work"
    # Contract drifts (drift.py): a release that changes what the suite relies on; the @contract feature's.
    DRIFT_FIELD_RENAMED = "drift-field-renamed"
    DRIFT_ENUM_ADDED = "drift-enum-added"
    DRIFT_PATH_REMOVED = "drift-path-removed"


@dataclass(frozen=True)
class Entry:
    """One catalogue entry: the rule it breaks (product words) and what the planted bug does."""

    defect: Defect
    rule: str
    description: str
    where: str  # the module whose code holds the check

    @property
    def name(self) -> str:
        return self.defect.value


_REGISTRY: dict[str, Entry] = {}
# Read-only view of the registry, in registration order (the order of the docs and the kill matrix).
CATALOGUE: Mapping[str, Entry] = MappingProxyType(_REGISTRY)


def register(defect: Defect, rule: str, description: str, where: str) -> Entry:
    """Add an entry (once per name): how another kind of planted defect (e.g. contract drift) joins."""
    if defect.value in _REGISTRY:
        raise ValueError(f"defect {defect.value!r} is registered twice")
    entry = Entry(defect, rule, description, where)
    _REGISTRY[defect.value] = entry
    return entry


register(
    Defect.FETCH_NEVER_STARTS,
    "a started campaign's lead fetch runs",
    "start answers RUNNING and creates the FETCH_LEADS job but never hands it to a worker: it stays PENDING",
    "domain.py (start_campaign)",
)
register(
    Defect.FETCH_FINDS_NOTHING,
    "a fetch that completes has created leads",
    "the save takes every fetched record for a duplicate: the fetch is COMPLETED with zero leads",
    "domain.py (finish_fetch)",
)
register(
    Defect.JOBS_NEVER_FINISH,
    "enrichment jobs finish",
    "the worker calls the providers but never records the outcome: every ENRICH_LEAD job stays PROCESSING",
    "worker.py (Lifecycle.enrich)",
)
register(
    Defect.LEADS_NOT_QUEUED,
    "every fetched lead gets an ENRICH_LEAD job",
    "the fetch saves its leads and completes but queues no enrichment: no lead ever gets a job",
    "domain.py (finish_fetch)",
)
register(
    Defect.ENRICHED_TWICE,
    "each lead is enriched exactly once",
    "the enrichment's completion is committed twice (a retried commit inserts the job again): every lead "
    "has two COMPLETED ENRICH_LEAD jobs",
    "domain.py (finish_enrichment)",
)
register(
    Defect.RESULTS_MISSING,
    "a COMPLETED enrichment stored the lead's results",
    "the enrichment marks the job COMPLETED but never stores the results: the lead's email_verification, "
    "enrichment_results, email_copy_gen_results and instantly_lead_record stay null",
    "domain.py (finish_enrichment)",
)
register(
    Defect.ENRICHMENT_FAILS,
    "enrichment jobs do not fail while every service is up",
    "the email-copy step crashes for leads titled CTO (no prompt for that title): their jobs end FAILED",
    "worker.py (Lifecycle.enrich)",
)
register(
    Defect.DUPLICATE_LEADS,
    "no email appears in more than one campaign",
    "the lead source hands every search the first lead of the previous one again, its email in capitals; "
    "the case-sensitive save keeps it",
    "providers.py (fetch_leads)",
)
register(
    Defect.CAMPAIGN_FAILS,
    "a campaign whose every lead was enriched is not FAILED",
    "the completion check marks a campaign FAILED once its last lead is enriched",
    "domain.py (finish_enrichment)",
)
register(
    Defect.CAMPAIGN_PAUSES_ITSELF,
    "a campaign pauses only when a service is paused or its breaker opens",
    "the fetch's completion sets the campaign PAUSED ('Campaign paused: enrichment queue busy') instead "
    "of RUNNING, with every breaker closed",
    "domain.py (finish_fetch)",
)
register(
    Defect.API_WRONG_CAMPAIGN,
    "the API lists each lead under its own campaign",
    "lead answers (GET /leads/, GET /leads/{id}) give every lead the campaign_id of its organization's "
    "first campaign (a join on the organization instead of the campaign); the rows are right",
    "domain.py (list_leads, get_lead)",
)
register(
    Defect.API_JOB_STATUS_STALE,
    "the API reports job statuses as stored",
    "GET /jobs/ lists COMPLETED ENRICH_LEAD jobs as PROCESSING (the status cached at the claim); the rows"
    " and GET /jobs/{id} are right",
    "domain.py (list_jobs)",
)
register(
    Defect.BREAKER_STATUS_MISREPORTS,
    "the breaker status reports an open breaker as open",
    "the status endpoints report an OPEN breaker as closed (queue_paused and pause_info still say paused)",
    "domain.py (_breaker_status)",
)
register(
    Defect.BREAKER_REPORT_INCOMPLETE,
    "the breaker status carries its failures, threshold and reason",
    "the status endpoints report failure_threshold 0 (read from a setting that is never set)",
    "domain.py (_breaker_status)",
)
register(
    Defect.BREAKER_NEVER_OPENS,
    "failures past the threshold open the breaker",
    "the breaker compares its failure count with the window's length in seconds instead of the threshold:"
    " it stays closed, failure_count past the threshold",
    "breaker.py (CircuitBreaker.record_failure)",
)
register(
    Defect.PAUSE_PAUSES_NOTHING,
    "pausing a service pauses the running campaigns",
    "pause-service opens the breaker and parks the PENDING jobs but pauses no campaign (it answers 0)",
    "domain.py (pause_service)",
)
register(
    Defect.TRIP_PAUSES_NOTHING,
    "a breaker that opens by itself pauses the running campaigns",
    "the handler of an automatic trip pauses nothing: the campaigns stay RUNNING (as-built profile: no "
    "change, its trips already pause nothing, A3)",
    "runtime.py (_on_transition)",
)
register(
    Defect.PAUSE_MESSAGE_MISSING,
    "a paused campaign's message names the service",
    "campaigns are paused with the bare message 'Campaign paused' (status_error too), naming no service",
    "domain.py (pause_running_campaigns)",
)
register(
    Defect.ENRICH_WHILE_PAUSED,
    "no enrichment runs while its service is paused",
    "the enrichment task checks neither the breakers nor its campaign's pause: work goes on while paused",
    "domain.py (claim_enrichment)",
)
register(
    Defect.RESUME_LEAVES_BREAKER_OPEN,
    "resume-service closes the breaker",
    "resume-service un-pauses the jobs and answers success but leaves the breaker open (so the campaigns "
    "stay paused too)",
    "domain.py (resume_service)",
)
register(
    Defect.RESUME_LEAVES_CAMPAIGNS_PAUSED,
    "resume-service resumes the paused campaigns",
    "resume-service closes the breaker and un-pauses the jobs but resumes no campaign",
    "domain.py (resume_service)",
)
register(
    Defect.RESUME_LOSES_WORK,
    "a resumed campaign finishes its paused work",
    "resuming re-enqueues nothing: the un-paused jobs stay PENDING for ever (as-built profile: no change,"
    " A6)",
    "domain.py (requeue_campaign_work)",
)

register(
    Defect.DRIFT_FIELD_RENAMED,
    "the platform keeps the answer fields the suite reads",
    "campaign answers and the OpenAPI document call status_message status_text",
    "drift",
)
register(
    Defect.DRIFT_ENUM_ADDED,
    "the platform keeps the enum values the suite knows",
    "the OpenAPI document's JobStatus gains RETRYING (no job has it)",
    "drift",
)
register(
    Defect.DRIFT_PATH_REMOVED,
    "the platform keeps the routes the suite calls",
    "GET and PATCH /campaigns/{id} are gone from the routes and the OpenAPI document",
    "drift",
)

assert set(_REGISTRY) == {d.value for d in Defect}, "every Defect has exactly one catalogue entry"


def parse_defects(value: str | Iterable[str]) -> frozenset[str]:
    """``"a,b"`` (or names) -> the names; ValueError (one line naming the unknown ones) for any other name."""
    items = value.split(",") if isinstance(value, str) else list(value)
    names = frozenset(item.strip().lower() for item in items if item.strip())
    unknown = sorted(names - set(_REGISTRY))
    if unknown:
        raise ValueError(
            f"unknown defect {', '.join(repr(n) for n in unknown)} (known: {', '.join(_REGISTRY)})"
        )
    return names


class Defects:
    """The defects active in one sandbox: code asks ``active(Defect.X)``."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.names = parse_defects(names)

    def active(self, defect: Defect) -> bool:
        return defect.value in self.names

    def __bool__(self) -> bool:
        return bool(self.names)

    def __repr__(self) -> str:
        return f"Defects({sorted(self.names)!r})"


NONE = Defects()
