"""The report's picture of one scenario, from what its monitor saw (`Monitor.chart()`).

Enriched leads over time, one line per campaign; below them one band per breaker that left closed (red while
open, amber while half-open), and the moments the suite marked (breaker opened, pause noticed, resumed, the
deadline) as numbered vertical lines. This module computes the geometry only (numbers and short words); the
HTML template draws it as inline SVG, so the report stays one small self-contained file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = [
    "BOTTOM",
    "LEFT",
    "MARKER_WORDS",
    "MAX_POINTS",
    "RIGHT",
    "TOP",
    "Band",
    "BandSegment",
    "Marker",
    "Picture",
    "Series",
    "build_picture",
]

WIDTH = 760
LEFT, RIGHT = 46, 744  # plot area, x
TOP, BOTTOM = 16, 196  # plot area, y
BAND_HEIGHT, BAND_GAP = 14, 4
AXIS_SPACE = 26  # below the last band: tick labels and the axis title
MAX_POINTS = 400  # per series; longer runs are thinned (first and last sample always kept)
MIN_SEGMENT = 5.0  # a breaker state seen in the last cycle only still shows (ending at that cycle)
BADGE_GAP = 14.0  # markers closer than this share one numbered badge ("1-2")
# Tableau 10: distinct for the 10 campaigns of the standard example, readable on white.
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
MARKER_WORDS = {
    "breaker-opened": "breaker opened",
    "pause-noticed": "pause noticed",
    "resumed": "resumed",
    "deadline": "deadline",
}
STATE_WORDS = {"open": "open", "half_open": "half-open"}


@dataclass(frozen=True)
class Series:
    campaign_id: str
    label: str
    color: str
    points: str  # "x,y x,y ..." for <polyline points>
    enriched: int  # at the last sample
    expected: int


@dataclass(frozen=True)
class BandSegment:
    x: float
    width: float
    state: str  # open | half_open
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Band:
    label: str
    y: float
    segments: tuple[BandSegment, ...]


@dataclass(frozen=True)
class Marker:
    number: int
    kind: str
    label: str
    at_s: float
    x: float
    badge: str | None  # the numbers on its badge; None when it shares the previous marker's badge


@dataclass(frozen=True)
class Picture:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    band_bottom: float
    y_max: int
    duration_s: float
    series: tuple[Series, ...]
    bands: tuple[Band, ...]
    markers: tuple[Marker, ...]
    x_ticks: tuple[tuple[float, str], ...]
    y_ticks: tuple[tuple[float, str], ...]
    description: str  # the text alternative
    breaker_text: list[str] = field(default_factory=list)


def _nice_step(span: float, count: int) -> float:
    raw = max(span / max(count, 1), 1e-9)
    for step in (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600):
        if step >= raw:
            return float(step)
    return float(3600 * (int(raw // 3600) + 1))


def _thin(samples: Sequence[Any]) -> list[Any]:
    if len(samples) <= MAX_POINTS:
        return list(samples)
    stride = len(samples) / (MAX_POINTS - 1)
    picked = [samples[int(i * stride)] for i in range(MAX_POINTS - 1)]
    return [*picked, samples[-1]]


def _short(name: str, run_id: str | None) -> str:
    if run_id and name.startswith(run_id):
        name = name[len(run_id) :].strip() or name
    return name


def _seconds(value: float) -> str:
    return f"{value:.1f} s"


def _badged(markers: list[Marker]) -> tuple[Marker, ...]:
    """Markers close together share the first one's badge, e.g. "1-2", so the numbers stay readable."""
    out: list[Marker] = []
    group: list[Marker] = []
    for marker in [*markers, None]:
        if marker is not None and group and marker.x - group[0].x < BADGE_GAP:
            group.append(marker)
            continue
        if group:
            badge = str(group[0].number) if len(group) == 1 else f"{group[0].number}-{group[-1].number}"
            out.append(replace(group[0], badge=badge))
            out.extend(group[1:])
        group = [marker] if marker is not None else []
    return tuple(out)


@dataclass(frozen=True)
class _Scale:
    """Seconds and lead counts to plot coordinates."""

    end_s: float
    y_max: int

    def x(self, at: float) -> float:
        return round(LEFT + (RIGHT - LEFT) * max(0.0, float(at)) / self.end_s, 1)

    def y(self, value: float) -> float:
        return round(BOTTOM - (BOTTOM - TOP) * float(value) / self.y_max, 1)


def _series(
    samples: Sequence[Any], campaigns: Sequence[Mapping[str, Any]], scale: _Scale, run_id: str | None
) -> tuple[Series, ...]:
    thinned = _thin(samples)
    series = []
    for index, campaign in enumerate(campaigns):
        cid = campaign["id"]
        points = [(scale.x(s[0]), scale.y(s[1][cid][0])) for s in thinned if cid in s[1]]
        last = next(s[1][cid] for s in reversed(samples) if cid in s[1])
        series.append(
            Series(
                campaign_id=cid,
                label=_short(str(campaign.get("name") or cid), run_id),
                color=PALETTE[index % len(PALETTE)],
                points=" ".join(f"{x},{y}" for x, y in points),
                enriched=int(last[0]),
                expected=int(last[1]),
            )
        )
    return tuple(series)


def _segments(samples: Sequence[Any], service: str, scale: _Scale) -> tuple[BandSegment, ...]:
    """The stretches one breaker spent in each state other than closed; adjacent cycles in one state merge."""
    segments: list[BandSegment] = []
    for i, sample in enumerate(samples):
        state = sample[2].get(service)
        if state is None:
            continue
        start = float(sample[0])
        stop = float(samples[i + 1][0]) if i + 1 < len(samples) else scale.end_s
        if segments and segments[-1].state == state and abs(segments[-1].end_s - start) < 1e-9:
            start = segments.pop().start_s
        x, width = scale.x(start), scale.x(stop) - scale.x(start)
        if width < MIN_SEGMENT:
            x, width = min(x, RIGHT - MIN_SEGMENT), MIN_SEGMENT
        segments.append(BandSegment(x, width, state, start, stop))
    return tuple(segments)


def _bands(samples: Sequence[Any], scale: _Scale) -> tuple[tuple[Band, ...], float]:
    """One band per service that ever left closed, in order of first appearance; and where the bands end."""
    services = list(dict.fromkeys(svc for s in samples for svc in s[2]))
    y = BOTTOM + AXIS_SPACE
    bands = []
    for service in services or [None]:
        segments = _segments(samples, service, scale) if service is not None else ()
        bands.append(Band(label=service or "all breakers closed", y=y, segments=segments))
        y += BAND_HEIGHT + BAND_GAP
    return tuple(bands), y - BAND_GAP


def _breaker_text(bands: Sequence[Band]) -> list[str]:
    return [
        f"{band.label} breaker {STATE_WORDS.get(seg.state, seg.state)} from {_seconds(seg.start_s)} "
        f"to {_seconds(seg.end_s)}"
        for band in bands
        for seg in band.segments
    ]


def _ticks(scale: _Scale) -> tuple[tuple[tuple[float, str], ...], tuple[tuple[float, str], ...]]:
    step = _nice_step(scale.end_s, 6)
    x_ticks = tuple(
        (scale.x(i * step), f"{i * step:g}")
        for i in range(int(scale.end_s // step) + 1)
        if i * step <= scale.end_s + 1e-9
    )
    y_step = max(1, int(_nice_step(scale.y_max, 4)))
    return x_ticks, tuple((scale.y(v), str(v)) for v in range(0, scale.y_max + 1, y_step))


def _description(
    series: Sequence[Series], breaker_text: Sequence[str], markers: Sequence[Marker], end_s: float
) -> str:
    """The picture's text alternative: what each campaign reached, the breakers' stretches, the moments."""
    reached = "; ".join(f"{s.label} reached {s.enriched} of {s.expected}" for s in series)
    moments = "; ".join(f"{MARKER_WORDS[m.kind]} ({m.label}) at {_seconds(m.at_s)}" for m in markers)
    return (
        f"Enriched leads of {len(series)} campaign{'s' if len(series) != 1 else ''} over "
        f"{_seconds(end_s)}: {reached}. "
        + ("; ".join(breaker_text) + ". " if breaker_text else "Every breaker stayed closed. ")
        + (f"Marked moments: {moments}." if moments else "")
    ).strip()


def build_picture(chart: Mapping[str, Any] | None, run_id: str | None = None) -> Picture | None:
    """The picture's geometry, or None when the scenario never observed a campaign."""
    if not chart or not chart.get("samples"):
        return None
    samples = list(chart["samples"])
    markers_in = [m for m in chart.get("markers", []) if m[1] in MARKER_WORDS]
    campaigns = [c for c in chart.get("campaigns", []) if any(c["id"] in s[1] for s in samples)]
    if not campaigns:
        return None
    scale = _Scale(
        end_s=max([float(s[0]) for s in samples] + [float(m[0]) for m in markers_in] + [0.1]),
        y_max=max([int(v[1]) for s in samples for v in s[1].values()] + [1]),
    )
    series = _series(samples, campaigns, scale, run_id)
    bands, band_bottom = _bands(samples, scale)
    breaker_text = _breaker_text(bands)
    markers = _badged(
        [
            Marker(number=i + 1, kind=str(kind), label=str(label), at_s=float(at), x=scale.x(at), badge=None)
            for i, (at, kind, label) in enumerate(sorted(markers_in, key=lambda m: float(m[0])))
        ]
    )
    x_ticks, y_ticks = _ticks(scale)
    return Picture(
        width=WIDTH,
        height=int(band_bottom + AXIS_SPACE + 6),
        left=LEFT,
        right=RIGHT,
        top=TOP,
        bottom=BOTTOM,
        band_bottom=band_bottom,
        y_max=scale.y_max,
        duration_s=scale.end_s,
        series=series,
        bands=bands,
        markers=markers,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        description=_description(series, breaker_text, markers, scale.end_s),
        breaker_text=breaker_text,
    )
