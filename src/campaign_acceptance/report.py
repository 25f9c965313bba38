"""The run's reports for machines (JSON status file) and for people (one self-contained HTML page).

JSON status file keys (schema "campaign-acceptance/status/1"; keys are only ever added):
- `schema`, `verdict` (PASSED | FAILED | SERVICE_FAILURE | CANNOT_TEST), `exit_code` (0-3), `reason`;
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
- `enrichment`: one entry per scenario that waited for every lead to be enriched: {`key`, `scenario`,
  `campaigns`, `leads`, `fetch_phase_s`, `time_to_enrichment_s`, `leads_per_second`} (suite clock);
- `capacity`: the capacity scenario's figures (capacity.CapacityFigures.to_dict): {`key`, `scenario`,
  `campaigns`, `leads_per_campaign`, `leads`, `leads_enriched`, `fetch_phase_s`, `time_to_enrichment_s`,
  `enrichment_span_s`, `leads_per_second`, `leads_per_second_per_minute`, `latency_s` {`p50`, `p95`, `p99`,
  `max`}, `requests_per_cycle`, `poll_cycles`, `peak_rss_mb`, `source`};
- `breakers`: {`at_start`, `at_end`}: every breaker as read before the first and after the last scenario
  (lists of breaker states, empty when they could not be read).
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from campaign_acceptance.capacity import CapacityFigures, EnrichmentTiming
from campaign_acceptance.model import CAMPAIGN_STATUSES, BreakerReport, BreakerState, CampaignSnapshot
from campaign_acceptance.outcome import (
    ABORTED,
    OUTCOME_STATUSES,
    ScenarioOutcome,
    Verdict,
)

SCHEMA = "campaign-acceptance/status/1"
STATUS_FILE = "status.json"
HTML_FILE = "report.html"

_SECRET_NAME = re.compile(r"pass(word)?|secret|token|api[_-]?key|credential", re.IGNORECASE)
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.\-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@/\s]+)@", re.I)


def redact_value(value: str) -> str:
    """Hide the password of any URL in the text (defence in depth: settings arrive redacted already)."""
    return _URL_CREDENTIALS.sub(lambda m: f"{m['scheme']}{m['user']}:***@", value)


def redact_settings(settings: Mapping[str, str]) -> dict[str, str]:
    return {
        str(k): "***" if _SECRET_NAME.search(str(k)) and v else redact_value(str(v))
        for k, v in settings.items()
    }


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
    enrichment: list[EnrichmentTiming] = field(default_factory=list)
    capacity: list[CapacityFigures] = field(default_factory=list)
    breakers_at_start: list[BreakerState] = field(default_factory=list)
    breakers_at_end: list[BreakerState] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.settings = redact_settings(self.settings)

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
            "exit_code": int(self.verdict),
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
            "enrichment": [t.to_dict() for t in self.enrichment],
            "capacity": [c.to_dict() for c in self.capacity],
            "breakers": {
                "at_start": [b.to_dict() for b in self.breakers_at_start],
                "at_end": [b.to_dict() for b in self.breakers_at_end],
            },
        }


def write_status_json(path: Path, summary: RunSummary) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary.to_dict(), indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------------
_BANNER = {
    Verdict.PASSED: ("Passed", "ok"),
    Verdict.FAILED: ("Failed: the product (or the suite) did not do what the scenarios say", "bad"),
    Verdict.SERVICE_FAILURE: ("Stopped by a third-party service failure", "warn"),
    Verdict.CANNOT_TEST: ("Nothing could be tested", "grey"),
}
_OUTCOME_WORDS = {
    "passed": "passed",
    "failed": "FAILED",
    "aborted": "aborted (service failure)",
    "skipped": "skipped",
    "untested": "not run",
    "known_issue": "known issue (does not fail the verdict)",
    "fixed": "FIXED? remove the known issue",
}

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1d1d1f;max-width:72rem}
h1{font-size:1.4rem;margin:0 0 .3rem} h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #ddd}
.banner{padding:1rem 1.2rem;border-radius:.5rem;margin-bottom:1rem}
.ok{background:#e3f6e8;border-left:.5rem solid #1f883d}
.bad{background:#fde7e9;border-left:.5rem solid #cf222e}
.warn{background:#fff4d6;border-left:.5rem solid #bf8700} .grey{background:#eee;border-left:.5rem solid #666}
table{border-collapse:collapse;width:100%;margin:.5rem 0} th,td{border:1px solid #ddd;padding:.35rem .5rem;
text-align:left;vertical-align:top;font-size:.92rem} th{background:#f6f8fa}
.s-passed{color:#1f883d;font-weight:600} .s-failed{color:#cf222e;font-weight:600}
.s-aborted{color:#9a6700;font-weight:600} .s-skipped,.s-untested{color:#666}
.s-known_issue{color:#6e40c9;font-weight:600} .s-fixed{color:#cf222e;font-weight:600}
pre{white-space:pre-wrap;margin:0;font-size:.85rem} .muted{color:#666;font-size:.9rem}
.evidence{border:1px solid #e5c07b;border-radius:.4rem;padding:.6rem 1rem;margin:.8rem 0;background:#fffaf0}
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _breaker_table(report: BreakerReport) -> str:
    rows = "".join(
        "<tr>"
        f"<td>{_e(b.service)}</td><td>{_e(b.state)}</td><td>{b.failure_count}/{b.failure_threshold}</td>"
        f"<td>{'yes' if b.queue_paused else 'no'}</td><td>{_e(b.pause_reason or '')}</td>"
        f"<td>{_e(b.paused_at or '')}</td></tr>"
        for b in (report.breakers or report.all_breakers)
    )
    if not rows:
        return "<p class='muted'>No breaker information.</p>"
    return (
        "<table><tr><th>service</th><th>breaker state</th><th>failures / threshold</th>"
        f"<th>queue paused</th><th>pause reason</th><th>paused at</th></tr>{rows}</table>"
    )


def _evidence(o: ScenarioOutcome) -> str:
    report = o.evidence
    if o.status == "passed":
        what = "Paused on purpose by the scenario, as expected"
    else:
        when = "before it started (health gate)" if o.phase == "gate" else "while it was running"
        what = f"Aborted {when}"
    parts = [
        "<div class='evidence'>",
        f"<h3>{_e(o.name)}</h3>",
        f"<p>{what}: {_e(report.reason if report else o.reason)}</p>",
    ]
    if report is not None:
        if report.detected_at is not None:
            parts.append(f"<p class='muted'>Noticed {report.detected_at:.1f} s into the wait.</p>")
        parts.append(_breaker_table(report))
        if report.paused_campaigns:
            items = "".join(
                f"<tr><td>{_e(c.name)}</td><td><code>{_e(c.id)}</code></td><td>{_e(c.status)}</td>"
                f"<td>{_e(c.status_message or '')}</td></tr>"
                for c in report.paused_campaigns
            )
            parts.append(
                "<p>Paused campaigns:</p><table><tr><th>campaign</th><th>id</th><th>status</th>"
                f"<th>message</th></tr>{items}</table>"
            )
        if report.job_errors:
            errors = "".join(f"<li><code>{_e(text)}</code></li>" for text in report.job_errors)
            parts.append(f"<p>Errors of the run's paused or failed jobs:</p><ul>{errors}</ul>")
    parts.append("</div>")
    return "".join(parts)


def _capacity_table(figures: Sequence[CapacityFigures]) -> str:
    rows = "".join(
        f"<tr><td>{_e(f.timing.scenario)}</td><td>{f.timing.campaigns} x {f.leads_per_campaign}</td>"
        f"<td>{f.leads_enriched}</td><td>{f.leads_per_second:.1f}</td>"
        f"<td>{_e(' '.join(f'{v:.1f}' for v in f.per_minute))}</td>"
        f"<td>{f.latency_s['p50']:.2f} / {f.latency_s['p95']:.2f} / {f.latency_s['p99']:.2f}</td>"
        f"<td>{f.timing.fetch_phase_s:.1f}</td><td>{f.requests_per_cycle:.1f}</td><td>{f.peak_rss_mb:.0f}</td>"
        "</tr>"
        for f in figures
    )
    return (
        "<table><tr><th>scenario</th><th>campaigns x leads</th><th>leads enriched</th><th>leads/s</th>"
        "<th>leads/s per minute</th><th>lead latency p50 / p95 / p99 (s)</th><th>fetch phase (s)</th>"
        f"<th>requests per poll cycle</th><th>suite peak memory (MB)</th></tr>{rows}</table>"
    )


def render_html(summary: RunSummary) -> str:
    title, css_class = _BANNER[summary.verdict]
    counts = summary.counts()
    count_text = ", ".join(f"{counts[s]} {_OUTCOME_WORDS[s]}" for s in OUTCOME_STATUSES if counts[s])
    scenario_rows = "".join(
        f"<tr><td>{_e(o.feature)}</td><td>{_e(o.name)}"
        f"<div class='muted'>{_e(' '.join('@' + t for t in o.tags))}</div></td>"
        f"<td class='s-{_e(o.status)}'>{_e(_OUTCOME_WORDS.get(o.status, o.status))}</td>"
        f"<td><pre>{_e(o.reason or '')}</pre></td><td>{o.duration_s:.1f} s</td></tr>"
        for o in summary.scenarios
    )
    campaign_counts = ", ".join(f"{n} {_e(s)}" for s, n in summary.campaign_counts().items()) or "none"
    campaign_rows = "".join(
        f"<tr><td>{_e(c.name)}</td><td><code>{_e(c.id)}</code></td><td>{_e(c.status)}</td>"
        f"<td>{_e(c.status_message or '')}</td></tr>"
        for c in summary.campaigns
    )
    aborts = "".join(_evidence(o) for o in summary.aborts)
    warnings = "".join(f"<li>{_e(w)}</li>" for w in summary.warnings)
    settings = "".join(
        f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in sorted(summary.settings.items())
    )
    duration = "unknown" if summary.duration_s is None else f"{summary.duration_s:.1f} s"
    sections = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        f"<title>Acceptance run: {_e(summary.verdict.name)}</title><style>{_CSS}</style></head><body>",
        f"<div class='banner {css_class}'><h1>{_e(title)}</h1><p>{_e(summary.reason)}</p>",
        f"<p class='muted'>Exit code {int(summary.verdict)} ({_e(summary.verdict.name)}) · {_e(count_text)}"
        "</p></div>",
        "<h2>Scenarios</h2>",
        "<table><tr><th>feature</th><th>scenario</th><th>outcome</th><th>why</th><th>time</th></tr>",
        scenario_rows or "<tr><td colspan='5'>No scenario ran.</td></tr>",
        "</table>",
    ]
    if aborts:
        sections += ["<h2>Why scenarios were aborted</h2>", aborts]
    provoked = "".join(_evidence(o) for o in summary.scenarios if o.status == "passed" and o.evidence)
    if provoked:
        sections += ["<h2>Service failures the scenarios provoked on purpose</h2>", provoked]
    sections += [
        "<h2>Campaigns</h2>",
        f"<p>{len(summary.campaigns)} campaigns: {campaign_counts}</p>",
    ]
    if campaign_rows:
        sections.append(
            "<table><tr><th>campaign</th><th>id</th><th>status</th><th>status message</th></tr>"
            f"{campaign_rows}</table>"
        )
    if summary.capacity:
        sections += ["<h2>Capacity</h2>", _capacity_table(summary.capacity)]
    if warnings:
        sections += ["<h2>Warnings</h2>", f"<ul>{warnings}</ul>"]
    sections += [
        "<h2>Timings</h2>",
        f"<p>Started {_e(_iso(summary.started_at) or 'unknown')}, finished "
        f"{_e(_iso(summary.finished_at) or 'unknown')}, took {duration}.</p>",
        "<h2>Settings</h2>",
        f"<table><tr><th>name</th><th>value</th></tr>{settings}</table>",
        "</body></html>",
    ]
    return "\n".join(sections) + "\n"


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
