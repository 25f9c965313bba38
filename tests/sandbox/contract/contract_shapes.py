"""Structural comparison of live responses with the platform's recorded samples.

The samples in ``contract/samples`` (provenance: ``contract/README.md``) were recorded from the real
platform (``_index.json`` holds the request of each). A sandbox response "has the sample's shape" when,
recursively:

- dicts have the same key set (except at *map* paths, whose keys are data, e.g. ``paused_by_service``);
- every value has the same JSON type (bool, int, float, str, list, dict, null); an int is accepted
  where the sample has a float, never the other way round;
- ``null`` is accepted where the sample has ``null`` (then the value's type is checked against
  ``NULL_SAMPLE_TYPES`` when the key is known) or where the contract makes the field nullable
  (``DEFAULT_NULLABLE``);
- lists compare their first elements when both are non-empty;
- *opaque* fields (the leads' free-form JSON columns, which the contract only types as "object or
  null") are only checked to be a dict or null;
- strings the contract fixes (envelope ``status``, ``token_type``, ``timestamp: "unknown"``...) must
  be equal, enum fields must hold a value of the enum, and ISO timestamps must use the sample's style
  (``Z`` suffix, ``+00:00`` or naive), which the contract fixes per representation (§1.0).

The first difference is reported with its path, e.g.
``data.circuit_breakers.openai.pause_info: sample has dict, got None``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path
from typing import Any

# --- where the samples live -----------------------------------------------------------------------

REPO_ROOT = Path(__file__).resolve().parents[3]
# The platform's recorded answers and its OpenAPI document, in the checkout (contract/README.md).
CONTRACT_DIR = REPO_ROOT / "contract"
SAMPLES_DIR = CONTRACT_DIR / "samples"

# --- contract vocabulary (contract §3) ------------------------------------------------------------

CAMPAIGN_STATUSES = frozenset({"CREATED", "RUNNING", "PAUSED", "COMPLETED", "FAILED"})
JOB_STATUSES = frozenset({"PENDING", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED", "PAUSED"})
JOB_TYPES = frozenset({"FETCH_LEADS", "ENRICH_LEAD", "CLEANUP_CAMPAIGN"})
SERVICES = ("perplexity", "openai", "apollo", "instantly", "millionverifier")
CIRCUIT_STATES = frozenset({"closed", "open", "half_open"})

# Fields the contract / OpenAPI document declare nullable (by key name, wherever they occur).
DEFAULT_NULLABLE = frozenset(
    {
        # campaigns (CampaignResponse) and to_dict()
        "description",
        "status_message",
        "status_error",
        "completed_at",
        "failed_at",
        "instantly_campaign_id",
        # jobs
        "task_id",
        "result",
        "error",
        "campaign_id",
        "updated_at",
        # leads
        "first_name",
        "last_name",
        "email",
        "phone",
        "company",
        "title",
        "linkedin_url",
        "source_url",
        "enrichment_job_id",
        "raw_data",
        "email_verification",
        "enrichment_results",
        "email_copy_gen_results",
        "instantly_lead_record",
        # queue management
        "pause_info",
        "timestamp",
        # lead stats / instantly analytics ("int or null", "string or null")
        "error_message",
        "leads_count",
        "contacted_count",
        "emails_sent_count",
        "open_count",
        "link_click_count",
        "reply_count",
        "bounced_count",
        "unsubscribed_count",
        "completed_count",
        "new_leads_contacted_count",
        "total_opportunities",
        "campaign_status",
    }
)

# When the sample holds null, the live value may be null or of this type (keys the contract types).
NULL_SAMPLE_TYPES: Mapping[str, tuple[str, ...]] = {
    "completed_at": ("str",),
    "failed_at": ("str",),
    "updated_at": ("str",),
    "status_error": ("str",),
    "status_message": ("str",),
    "instantly_campaign_id": ("str",),
    "task_id": ("str",),
    "result": ("str",),
    "error": ("str",),
    "phone": ("str",),
    "source_url": ("str",),
    "enrichment_job_id": ("str",),
    "pause_info": ("dict",),
    "error_message": ("str",),
    "timestamp": ("str",),
}

# Free-form JSON columns of a lead: "JSON objects or null" (contract §1.5); the sample's raw_data is redacted.
DEFAULT_OPAQUE = frozenset(
    {
        "raw_data",
        "email_verification",
        "enrichment_results",
        "email_copy_gen_results",
        "instantly_lead_record",
    }
)

# Dict paths whose keys are data rather than field names: each value is compared with the
# sample's first value.
DEFAULT_MAPS = ("data.paused_by_service", "data.results")

# key -> sample values that the live response must repeat exactly (fixed strings of the contract).
FIXED_VALUES: Mapping[str, frozenset[Any]] = {
    "status": frozenset({"success", "error", "healthy", "ready", "alive"}),
    "token_type": frozenset({"bearer"}),
    "expires_in": frozenset({1800}),
    "timestamp": frozenset({"unknown"}),
    "reason": frozenset({"circuit_breaker_open"}),
    "message": frozenset(
        {
            "Login successful",
            "User registered successfully",
            "Cannot start campaign due to validation failures",
        }
    ),
    "failure_threshold": frozenset({5}),
    "code": frozenset({401}),
}

# key -> enum the live value must belong to, when the sample's value belongs to it.
ENUM_KEYS: Mapping[str, tuple[frozenset[str], ...]] = {
    "status": (CAMPAIGN_STATUSES, JOB_STATUSES),
    "current_status": (CAMPAIGN_STATUSES,),
    "campaign_status": (CAMPAIGN_STATUSES,),
    "job_type": (JOB_TYPES,),
    "circuit_state": (CIRCUIT_STATES,),
    "service": (frozenset(SERVICES),),
    "valid_transitions": (CAMPAIGN_STATUSES,),
}

_TS_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
_TS_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+00:00$")
_TS_NAIVE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$")


def timestamp_style(value: str) -> str | None:
    """'Z', '+00:00', 'naive' for an ISO-8601 timestamp string, None for anything else."""
    if _TS_Z.match(value):
        return "Z"
    if _TS_OFFSET.match(value):
        return "+00:00"
    if _TS_NAIVE.match(value):
        return "naive"
    return None


def json_type(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "dict"
    return type(value).__name__


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _matches(path: str, patterns: Iterable[str]) -> bool:
    generic = re.sub(r"\[\d+\]", "[]", path)
    return any(fnmatchcase(generic, pattern) or fnmatchcase(path, pattern) for pattern in patterns)


class ShapeMismatch(AssertionError):
    """Raised by :func:`assert_same_shape`; ``path`` is where the first difference is."""

    def __init__(self, path: str, detail: str, context: str = "") -> None:
        self.path = path or "<root>"
        self.detail = detail
        super().__init__(f"{self.path}: {detail}{context}")


def first_difference(
    actual: Any,
    sample: Any,
    *,
    nullable: Iterable[str] = DEFAULT_NULLABLE,
    opaque: Iterable[str] = DEFAULT_OPAQUE,
    maps: Iterable[str] = DEFAULT_MAPS,
    check_fixed: bool = True,
    check_timestamps: bool = True,
) -> tuple[str, str] | None:
    """Return ``(path, detail)`` of the first structural difference, or None when the shapes agree."""
    nullable = frozenset(nullable)
    opaque = frozenset(opaque)
    maps = tuple(maps)

    def walk(act: Any, smp: Any, path: str, key: str | None) -> tuple[str, str] | None:
        if key is not None and key in opaque:
            if act is None or isinstance(act, dict):
                return None
            return path, f"sample has an object or null, got {json_type(act)}"
        if smp is None:
            if act is None:
                return None
            allowed = NULL_SAMPLE_TYPES.get(key or "")
            if allowed is not None and json_type(act) not in allowed:
                return path, f"sample has None ({key} is {'/'.join(allowed)} or null), got {json_type(act)}"
            return None
        if act is None:
            if key is not None and key in nullable:
                return None
            return path, f"sample has {json_type(smp)}, got None"
        s_type, a_type = json_type(smp), json_type(act)
        if s_type != a_type and not (s_type == "float" and a_type == "int"):
            return path, f"sample has {s_type}, got {a_type} ({_short(act)})"
        if isinstance(smp, dict):
            if _matches(path, maps):
                if not smp:
                    return None
                first_sample_value = next(iter(smp.values()))
                for k, v in act.items():
                    found = walk(v, first_sample_value, _join(path, str(k)), None)
                    if found:
                        return found
                return None
            missing = [k for k in smp if k not in act]
            if missing:
                return path, f"missing key {missing[0]!r} (sample has it; live keys: {sorted(act)})"
            extra = [k for k in act if k not in smp]
            if extra:
                return path, f"unexpected key {extra[0]!r} (not in the sample; sample keys: {sorted(smp)})"
            for k in smp:
                found = walk(act[k], smp[k], _join(path, k), k)
                if found:
                    return found
            return None
        if isinstance(smp, list):
            if key is not None and key in ENUM_KEYS and all(isinstance(x, str) for x in act):
                for enum in ENUM_KEYS[key]:
                    if smp and all(x in enum for x in smp):
                        bad = [x for x in act if x not in enum]
                        if bad:
                            return path, f"{bad[0]!r} is not one of {sorted(enum)}"
            if smp and act:
                return walk(act[0], smp[0], f"{path}[0]", None)
            return None
        if check_fixed and key is not None:
            fixed = FIXED_VALUES.get(key)
            if fixed is not None and smp in fixed and act != smp:
                return path, f"sample has the fixed value {smp!r}, got {act!r}"
            for enum in ENUM_KEYS.get(key, ()):
                if smp in enum:
                    allowed_values = set().union(*(e for e in ENUM_KEYS[key] if smp in e))
                    if act not in allowed_values:
                        return path, f"{act!r} is not one of {sorted(allowed_values)}"
                    break
        if check_timestamps and isinstance(smp, str):
            style = timestamp_style(smp)
            if style is not None and timestamp_style(act) != style:
                return path, f"sample has a timestamp in {style} style ({smp!r}), got {act!r}"
        return None

    return walk(actual, sample, "", None)


def _short(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def assert_same_shape(actual: Any, sample: Any, *, label: str = "", **options: Any) -> None:
    """Raise :class:`ShapeMismatch` naming the path of the first difference from ``sample``."""
    found = first_difference(actual, sample, **options)
    if found is not None:
        path, detail = found
        context = f"  [compared with sample {label}]" if label else ""
        raise ShapeMismatch(path, detail, context)


# --- loading samples ------------------------------------------------------------------------------


def _require_samples_dir() -> Path:
    if not (SAMPLES_DIR / "_index.json").is_file():
        raise AssertionError(
            f"platform samples not found: expected {SAMPLES_DIR}/_index.json "
            "(contract/samples of the checkout)"
        )
    return SAMPLES_DIR


@cache
def sample_index() -> dict[str, dict[str, Any]]:
    """The recorded requests, by sample name (method, path, params, request_body, auth, status_code)."""
    data: dict[str, dict[str, Any]] = json.loads((_require_samples_dir() / "_index.json").read_text("utf-8"))
    return data


def load_sample(name: str) -> Any:
    path = _require_samples_dir() / f"{name}.json"
    if not path.is_file():
        raise AssertionError(f"sample {name!r} missing: {path}")
    return json.loads(path.read_text("utf-8"))


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def path_template(path: str) -> str:
    """Replace ids in a request path with ``{id}`` so a live request can be matched with the recorded one."""
    path = path.split("?", 1)[0]
    path = _UUID.sub("{id}", path)
    return re.sub(r"/\d+(?=/|$)", "/{id}", path)
