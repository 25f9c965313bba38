"""The run's reports for machines (JSON status file) and for people (one self-contained HTML page).

JSON status file keys (schema "campaign-acceptance/status/1"; keys are only ever added):
- `schema`, `verdict` (PASSED | FAILED | SERVICE_FAILURE | CANNOT_TEST | INTERRUPTED), `exit_code` (0-3;
  130/143/141 for a run stopped by SIGINT/SIGTERM/closed stdout), `reason`;
- `started_at`, `finished_at` (ISO 8601 UTC or null), `duration_s`;
- `settings`: name -> value, secrets redacted;
- `counts`: scenarios by outcome (`passed`, `failed`, `aborted`, `skipped`, `untested`, `known_issue`,
  `fixed`, `total`);
- `scenarios`: list of {`key`, `feature`, `name`, `status`, `reason`, `tags`, `duration_s`, `phase`,
  `evidence`, `known_issue`}; `evidence` is a breaker report ({`reason`, `services`, `breakers`,
  `all_breakers`, `paused_campaigns`, `detected_at`, `job_errors`, `rate_limited`}) for aborted scenarios,
  else null; `known_issue` is {`id`, `description`, `link`} for a failure the known-issues file lists
  (status `known_issue`) or a listed scenario that passed (status `fixed`, or `passed` when not strict);
- `aborts`: the aborted scenarios only: {`key`, `feature`, `name`, `phase`, `reason`, `evidence`};
- `campaigns`: {`total`, `counts` (status -> n), `items`: [{`id`, `name`, `status`, `status_message`,
  `total_records`}]};
- `warnings`: list of strings;
- `left_behind`: table -> ids of this run's rows cleanup could not delete (empty when it deleted all).
- `enrichment`: one entry per scenario that waited for every lead to be enriched: {`key`, `scenario`,
  `campaigns`, `leads`, `fetch_phase_s`, `time_to_enrichment_s`, `leads_per_second`} (suite clock);
- `capacity`: the capacity scenario's figures (capacity.CapacityFigures.to_dict): {`key`, `scenario`,
  `campaigns`, `leads_per_campaign`, `leads`, `leads_enriched`, `fetch_phase_s`, `time_to_enrichment_s`,
  `enrichment_span_s`, `leads_per_second`, `leads_per_second_per_minute`, `latency_s` {`p50`, `p95`, `p99`,
  `max`}, `requests_per_cycle`, `poll_cycles`, `peak_rss_mb`, `source`};
- `breakers`: {`at_start`, `at_end`}: every breaker as read before the first and after the last scenario
  (lists of breaker states, empty when they could not be read);
- `run`: {`interrupted`, `cannot_test`, `run_errors`}: what besides the scenarios went into the verdict;
- `shard`: null, or for a shard of a sharded run (setting shard): {`index`, `total`, `selected` (every
  scenario key of the selection), `owned` (the keys this shard ran)};
- `shards`: for a merged run, one entry per shard: {`index`, `run_id`, `verdict`, `exit_code`, `duration_s`,
  `scenarios`, `reports_dir`}; else empty;
- `target`: what was tested, in words (`description`, `api_url`, `database`, `fault_control`, `platform`
  when the target's OpenAPI document tells it), secrets hidden; as the settings name it when the run never
  reached it; in a merged run the shards' (each distinct value once); `suite_version`;
- each scenario also has `steps` (list of {`keyword`, `name`, `status`, `duration_s`, `message`, `output`,
  `background`, `details`}; `details` holds a failed wait's progress and timeline tables) and `timeline`
  (what its monitor saw of the scenario's own campaigns, see `Monitor.chart()`, plus `began_at`: the
  scenario's start, epoch seconds; or null). Every time of a scenario (timeline, markers, `detected_at`)
  is seconds since the scenario began.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from campaign_acceptance.capacity import CapacityFigures, EnrichmentTiming
from campaign_acceptance.model import CAMPAIGN_STATUSES, BreakerReport, BreakerState, CampaignSnapshot
from campaign_acceptance.monitor import scenario_seconds
from campaign_acceptance.outcome import (
    ABORTED,
    OUTCOME_STATUSES,
    SKIPPED,
    UNTESTED,
    ScenarioOutcome,
    StepOutcome,
    Verdict,
)
from campaign_acceptance.picture import MARKER_WORDS, build_picture
from campaign_acceptance.sharding import OTHER_SHARD_PREFIX, ShardReport
from campaign_common.api_path import strip_api_prefix
from campaign_common.redaction import redact_mapping

__all__ = [
    "NOT_SELECTED",
    "SCHEMA",
    "STATUS_FILE",
    "RunSummary",
    "render_html",
    "report_context",
    "suite_version",
    "summary_campaigns",
    "write_html",
    "write_reports",
    "write_status_json",
]

SCHEMA = "campaign-acceptance/status/1"
STATUS_FILE = "status.json"
HTML_FILE = "report.html"
TEMPLATE = "report.html.j2"


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


@dataclass
class RunSummary:
    verdict: Verdict
    reason: str
    scenarios: list[ScenarioOutcome] = field(default_factory=list)
    started_at: float | None = None  # epoch seconds
    finished_at: float | None = None
    settings: dict[str, str] = field(default_factory=dict)
    campaigns: list[CampaignSnapshot] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    exit_code: int | None = None  # None: the verdict's own value (an interrupt's depends on the signal)
    left_behind: dict[str, list[str]] = field(default_factory=dict)
    target: dict[str, str] = field(default_factory=dict)  # RunRecord.target
    run_id: str | None = None
    enrichment: list[EnrichmentTiming] = field(default_factory=list)
    capacity: list[CapacityFigures] = field(default_factory=list)
    breakers_at_start: list[BreakerState] = field(default_factory=list)
    breakers_at_end: list[BreakerState] = field(default_factory=list)
    interrupted: bool = False
    cannot_test: str | None = None
    run_errors: int = 0
    shard: ShardReport | None = None
    shards: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.settings = redact_mapping(self.settings)
        self.target = redact_mapping(self.target)
        if self.exit_code is None:
            self.exit_code = int(self.verdict)

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return round(self.finished_at - self.started_at, 3)

    @property
    def aborts(self) -> list[ScenarioOutcome]:
        return [o for o in self.scenarios if o.status == ABORTED]

    def counts(self) -> dict[str, int]:
        c = Counter(o.status for o in self.scenarios)
        counts = {s: c.get(s, 0) for s in OUTCOME_STATUSES}
        counts["total"] = len(self.scenarios)
        return counts

    def campaign_counts(self) -> dict[str, int]:
        c = Counter(s.status for s in self.campaigns)
        ordered = [s for s in CAMPAIGN_STATUSES if c.get(s)] + sorted(
            s for s in c if s not in CAMPAIGN_STATUSES
        )
        return {s: c[s] for s in ordered}

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "verdict": self.verdict.name,
            "exit_code": self.exit_code,
            "reason": self.reason,
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "duration_s": self.duration_s,
            "settings": dict(self.settings),
            "counts": self.counts(),
            "scenarios": [o.to_dict() for o in self.scenarios],
            "aborts": [
                {
                    "key": o.key,
                    "feature": o.feature,
                    "name": o.name,
                    "phase": o.phase,
                    "reason": o.reason,
                    "evidence": o.evidence.to_dict() if o.evidence else None,
                }
                for o in self.aborts
            ],
            "campaigns": {
                "total": len(self.campaigns),
                "counts": self.campaign_counts(),
                "items": [c.to_dict() for c in self.campaigns],
            },
            "warnings": list(self.warnings),
            "left_behind": {table: list(ids) for table, ids in self.left_behind.items()},
            "target": dict(self.target),
            "suite_version": suite_version(),
            "enrichment": [t.to_dict() for t in self.enrichment],
            "capacity": [c.to_dict() for c in self.capacity],
            "breakers": {
                "at_start": [b.to_dict() for b in self.breakers_at_start],
                "at_end": [b.to_dict() for b in self.breakers_at_end],
            },
            "run": {
                "interrupted": self.interrupted,
                "cannot_test": self.cannot_test,
                "run_errors": self.run_errors,
            },
            "shard": self.shard.to_dict() if self.shard else None,
            "shards": list(self.shards),
        }


def write_status_json(path: Path, summary: RunSummary) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary.to_dict(), indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------------
# HTML: a Jinja2 template (autoescape on) fed with plain words and numbers computed here
# ---------------------------------------------------------------------------------------------------
# (headline, css class): said once, in the banner.
BANNER = {
    Verdict.PASSED: ("Passed", "ok"),
    Verdict.FAILED: ("Failed: product defect", "bad"),
    Verdict.SERVICE_FAILURE: ("Stopped: service failure", "warn"),
    Verdict.CANNOT_TEST: ("Could not test", "grey"),
    Verdict.INTERRUPTED: ("Interrupted: stopped before the end", "grey"),
}
# Outcome words a product person knows, by ScenarioOutcome.status; an unknown status shows as itself.
OUTCOME_WORDS = {
    "passed": ("passed", "ok"),
    "failed": ("failed: product defect", "bad"),
    "aborted": ("stopped: service failure", "warn"),
    "skipped": ("could not test", "grey"),
    "untested": ("not run", "grey"),
    "known_issue": ("known issue (does not fail the verdict)", "known"),
    "fixed": ("fixed? remove the known issue", "bad"),
    "interrupted": ("interrupted", "bad"),
}
STEP_WORDS = {
    "passed": "passed",
    "failed": "failed",
    "error": "failed (error)",
    "hook_error": "failed (hook error)",
    "undefined": "undefined",
    "aborted": "stopped: service failure",
    "skipped": "not run",
    "untested": "not run",
}
# The verdict reason often starts with the banner's own words: they are not repeated under it.
_REASON_PREFIXES = (
    "Stopped by a third-party service failure: ",
    "Stopped by the platform's own rate limiter: ",
    "Nothing could be tested: ",
)
NOT_SELECTED = "not selected"

_environment = Environment(
    loader=PackageLoader("campaign_acceptance", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_URL = re.compile(r"https?://[^\s<>\"'`]+")


def linked(text: object) -> Markup:
    """The text, escaped, with every http(s) address in it a link (a link loads nothing until followed)."""
    words = str(text)
    out: list[str] = []
    position = 0
    for match in _URL.finditer(words):
        url = match.group(0).rstrip(".,;:!?)]")
        out += [escape(words[position : match.start()]), Markup('<a href="{0}">{0}</a>').format(url)]
        position = match.start() + len(url)
    out.append(escape(words[position:]))
    return Markup("").join(out)


_environment.filters["linked"] = linked


def suite_version() -> str:
    try:
        return version("campaign-acceptance")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "unknown"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)} min {rest:.1f} s" if minutes else f"{rest:.1f} s"


def _headline(message: str | None) -> str:
    return (message or "").strip().splitlines()[0] if (message or "").strip() else ""


def _abort_line(message: str) -> str:
    lines = [line for line in message.splitlines() if line.strip()]
    return next((line for line in lines if line.startswith("Service failure:")), lines[0] if lines else "")


def _step_view(step: StepOutcome, marked: bool) -> dict[str, Any]:
    message = step.message or ""
    tables = step.details
    return {
        "keyword": step.keyword,
        "name": step.name,
        "status": step.status,
        "word": STEP_WORDS.get(step.status, step.status.replace("_", " ")),
        "duration": f"{step.duration_s:.2f} s" if step.duration_s else "",
        "background": step.background,
        "marked": marked,
        # With tables as data, the message's first line says what happened and the tables show the rest;
        # an abort's breaker report is shown as tables below the steps, so its one-line reason is enough here.
        "headline": _headline(message) if tables else "",
        "abort_line": _abort_line(message) if step.status == ABORTED else "",
        "message": message,
        "tables": tables,
        "output": step.output or "",
    }


def _on_clock(stamp: str | None, began_at: float | None) -> str:
    """A platform timestamp as seconds since the scenario began when its start is known, else as written."""
    since = scenario_seconds(stamp, began_at)
    if since is None:
        return stamp or ""
    return f"{since:.1f} s" if since >= 0 else f"{-since:.1f} s before the scenario began"


def _breaker_view(report: BreakerReport | None, began_at: float | None = None) -> dict[str, Any] | None:
    if report is None:
        return None
    return {
        "reason": report.reason,
        "detected_at": None if report.detected_at is None else f"{report.detected_at:.1f} s",
        "breakers": [
            {
                "service": b.service,
                "state": b.state,
                "failures": f"{b.failure_count}/{b.failure_threshold}",
                "queue_paused": "yes" if b.queue_paused else "no",
                "pause_reason": b.pause_reason or "",
                "paused_at": _on_clock(b.paused_at, began_at),
                "paused_stamp": b.paused_at or "",
            }
            for b in (report.breakers or report.all_breakers)
        ],
        "paused_campaigns": [
            {"name": c.name, "id": c.id, "status": c.status, "message": c.status_message or ""}
            for c in report.paused_campaigns
        ],
        "job_errors": list(report.job_errors),
    }


def _scenario_view(o: ScenarioOutcome, run_id: str | None) -> dict[str, Any]:
    word, css = OUTCOME_WORDS.get(o.status, (o.status.replace("_", " "), "grey"))
    failing = next((s for s in o.steps if s.message), None)
    if o.evidence is None:
        evidence_title = ""
    elif o.status == ABORTED:
        when = "before it started (health gate)" if o.phase == "gate" else "while it was running"
        # A breaker the platform's own rate limiter opened is not a third-party outage: say which it was.
        cause = (
            "the platform's own rate limiter" if o.evidence.rate_limited else "a third-party service failure"
        )
        evidence_title = f"Stopped {when} by {cause}"
    else:
        evidence_title = "Paused on purpose by the scenario, as expected"
    return {
        "key": o.key,
        "feature": o.feature,
        "name": o.name,
        "status": o.status,
        "word": word,
        "css": css,
        "tags": " ".join("@" + t for t in o.tags),
        "duration": _duration(o.duration_s),
        "reason": o.reason or "",
        "note": _note(o),
        "steps": [_step_view(s, s is failing) for s in o.steps],
        "picture": build_picture(o.timeline, run_id),
        "known_issue": (
            None
            if o.known_issue is None
            else {
                "id": o.known_issue.id,
                "description": o.known_issue.description,
                "link": o.known_issue.link,
            }
        ),
        "evidence_title": evidence_title,
        # A pause the scenario provoked and expected is a note, not a warning.
        "evidence_css": "evidence" if o.status == ABORTED else "evidence expected",
        "evidence": _breaker_view(o.evidence, (o.timeline or {}).get("began_at")),
        # The card's times (picture, tables, messages) are on the scenario's clock: said once, at its top.
        "clock": bool(o.timeline or (o.evidence and o.evidence.detected_at is not None))
        or any(s.details for s in o.steps),
    }


def _note(o: ScenarioOutcome) -> str:
    """The line under a scenario's outcome: its reason's first line, but the known issue's description only
    once (the known-issue line says it), and nothing for a plain pass."""
    if o.status == "passed" and o.known_issue is None:
        return ""
    lines = [line for line in (o.reason or "").splitlines() if line.strip()]
    if o.known_issue is not None:
        lines = [line for line in lines if o.known_issue.description not in line]
    return lines[0] if lines else ""


def _is_executed(o: ScenarioOutcome) -> bool:
    """Deselected and never-run scenarios are listed on one collapsed line, not as cards."""
    if o.status == UNTESTED:
        return False
    # The suite's own selection rules say "not selected: <why>" (selection.py).
    return not (
        o.status == SKIPPED and (o.reason or NOT_SELECTED).startswith((NOT_SELECTED, OTHER_SHARD_PREFIX))
    )


def _display_counts(outcomes: Sequence[ScenarioOutcome]) -> list[dict[str, Any]]:
    """Scenarios by the words the page uses: deselected ones count as 'not selected', not 'could not test'."""
    groups: Counter[tuple[str, str]] = Counter()
    for o in outcomes:
        if _is_executed(o):
            groups[OUTCOME_WORDS.get(o.status, (o.status.replace("_", " "), "grey"))] += 1
        else:
            groups[(o.reason or NOT_SELECTED if o.status == SKIPPED else "not run", "grey")] += 1
    return [{"word": word, "css": css, "n": n} for (word, css), n in groups.items()]


def _capacity_view(f: CapacityFigures) -> dict[str, Any]:
    lat = f.latency_s
    return {
        "scenario": f.timing.scenario,
        "size": f"{f.timing.campaigns} x {f.leads_per_campaign}",
        "leads": f.leads_enriched,
        "rate": f"{f.leads_per_second:.1f}",
        "per_minute": " ".join(f"{v:.1f}" for v in f.per_minute) or "-",
        "latency": f"{lat['p50']:.2f} / {lat['p95']:.2f} / {lat['p99']:.2f}",
        "fetch": f"{f.timing.fetch_phase_s:.1f}",
        "requests": f"{f.requests_per_cycle:.1f}",
        "memory": f"{f.peak_rss_mb:.0f}",
    }


def _campaign_groups(summary: RunSummary) -> list[dict[str, Any]]:
    """The run's campaigns by the scenario that made them (its picture's campaigns), each group's final
    statuses counted, and why campaigns of a passed scenario are still RUNNING."""
    waited = {t.key for t in summary.enrichment}
    latest = {c.id: c for c in summary.campaigns}
    groups: list[dict[str, Any]] = []
    placed: set[str] = set()
    for o in summary.scenarios:
        ids = [c["id"] for c in (o.timeline or {}).get("campaigns", []) if c["id"] in latest]
        if not ids:
            continue
        placed.update(ids)
        groups.append(_campaign_group(o.name, [latest[i] for i in ids], _why_running(o, waited)))
    rest = [c for c in summary.campaigns if c.id not in placed]
    if rest:
        groups.append(_campaign_group("campaigns no scenario watched", rest, ""))
    return groups


def _campaign_group(name: str, campaigns: Sequence[CampaignSnapshot], why: str) -> dict[str, Any]:
    counts = Counter(c.status for c in campaigns)
    order = [s for s in CAMPAIGN_STATUSES if counts.get(s)] + sorted(
        s for s in counts if s not in CAMPAIGN_STATUSES
    )
    return {
        "scenario": name,
        "counts": ", ".join(f"{counts[s]} {s}" for s in order),
        "why": why if counts.get("RUNNING") else "",
        "campaigns": [
            {"name": c.name, "id": c.id, "status": c.status, "message": c.status_message or ""}
            for c in campaigns
        ],
    }


_ENDED_EARLY = {
    "known_issue": "the scenario failed as its known issue says before they finished",
    "failed": "the scenario failed before they finished",
    "aborted": "a service failure stopped the scenario before they finished",
    "interrupted": "the run was interrupted before they finished",
}


def _why_running(o: ScenarioOutcome, waited: set[str]) -> str:
    """Why a scenario's campaigns may end RUNNING, in its own terms."""
    if o.key in waited:
        # The suite's completion signal is every lead enriched; the platform as built never says COMPLETED.
        return (
            "every lead was enriched; the platform did not mark them COMPLETED (the platform as built "
            "never does)"
        )
    if o.status in _ENDED_EARLY:
        return _ENDED_EARLY[o.status]
    markers = {m[1] for m in (o.timeline or {}).get("markers", [])}
    if o.evidence is not None or "pause-noticed" in markers:
        return (
            "paused on purpose by the scenario and resumed at its end; it checks the pause, not the "
            "enrichment after it"
        )
    return "the scenario did not wait for them to finish"


def _platform_docs(target: dict[str, str]) -> str:
    """The target's own API documentation (FastAPI serves it at /docs) when it answered with its OpenAPI
    document; not for the embedded sandbox, which is gone once the run ends."""
    api_url = target.get("api_url") or ""
    embedded = target.get("description", "").startswith("embedded sandbox")
    if not api_url.startswith(("http://", "https://")) or embedded or not target.get("platform"):
        return ""
    return strip_api_prefix(api_url.split(",")[0]) + "/docs"


def report_context(summary: RunSummary) -> dict[str, Any]:
    """Everything the template shows, as plain words and numbers."""
    # A verdict added later (e.g. an interrupted run) still gets a banner in its own words.
    title, css = BANNER.get(summary.verdict, (summary.verdict.name.replace("_", " ").capitalize(), "bad"))
    evidence = [o.evidence for o in summary.aborts]
    if (
        summary.verdict is Verdict.SERVICE_FAILURE
        and evidence
        and all(e and e.rate_limited for e in evidence)
    ):
        title = "Stopped: the platform's own rate limiter"
    detail = summary.reason
    for prefix in _REASON_PREFIXES:
        if detail.startswith(prefix):
            detail = detail[len(prefix) :]
    run_id = summary.run_id or summary.settings.get("run_id") or None
    shown = [o for o in summary.scenarios if _is_executed(o)]
    hidden = [o for o in summary.scenarios if not _is_executed(o)]
    target = dict(summary.target)
    return {
        "verdict": summary.verdict.name,
        "exit_code": summary.exit_code,
        "title": title,
        "css": css,
        "detail": detail,
        "counts": _display_counts(summary.scenarios),
        "total": len(summary.scenarios),
        "target": target.get("description")
        or (
            "unknown: the settings could not be read"
            if summary.cannot_test and not summary.settings
            else "unknown"
        ),
        "platform": target.get("platform") or "",
        "platform_docs": _platform_docs(target),
        "run_id": run_id or "unknown",
        "started": _when(summary.started_at),
        "finished": _when(summary.finished_at),
        "duration": _duration(summary.duration_s),
        "suite_version": suite_version(),
        "scenarios": [_scenario_view(o, run_id) for o in shown],
        "hidden": [{"name": o.name, "feature": o.feature, "why": o.reason or NOT_SELECTED} for o in hidden],
        "hidden_words": ", ".join(
            f"{n} {why}" for why, n in Counter(o.reason or NOT_SELECTED for o in hidden).items()
        ),
        "campaigns": [
            {"name": c.name, "id": c.id, "status": c.status, "message": c.status_message or ""}
            for c in summary.campaigns
        ],
        "campaign_groups": _campaign_groups(summary),
        "warnings": list(summary.warnings),
        "capacity": [_capacity_view(f) for f in summary.capacity],
        "shard": (
            f"shard {summary.shard.shard}: ran {len(summary.shard.owned)} of the "
            f"{len(summary.shard.selected)} selected scenarios"
            if summary.shard
            else ""
        ),
        "shards": [
            {
                k: "" if s.get(k) is None else str(s[k])
                for k in ("index", "run_id", "verdict", "scenarios", "duration_s")
            }
            for s in summary.shards
        ],
        "settings": sorted(summary.settings.items()),
        "markers": MARKER_WORDS,
    }


def render_html(summary: RunSummary) -> str:
    return _environment.get_template(TEMPLATE).render(report_context(summary))


def write_html(path: Path, summary: RunSummary) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(summary), encoding="utf-8")
    return path


def write_reports(directory: Path, summary: RunSummary) -> tuple[Path, Path]:
    return write_status_json(directory / STATUS_FILE, summary), write_html(directory / HTML_FILE, summary)


def summary_campaigns(snapshots: Sequence[CampaignSnapshot]) -> list[CampaignSnapshot]:
    """Last snapshot per campaign id, in first-seen order (the glue may record a campaign more than once)."""
    latest: dict[str, CampaignSnapshot] = {}
    for s in snapshots:
        latest[s.id] = s
    return list(latest.values())
