"""The report's picture of one scenario, from what its monitor saw (`Monitor.chart()`).

Enriched leads over time, one line per campaign of the scenario (campaigns whose lines are identical
share one line, so the legend lists what is visible; the others differ in colour and dash); below them one
band per breaker that left closed (red while open, amber while half-open), and the moments the suite marked
(breaker opened, pause noticed, resumed, the deadline) as numbered vertical lines. This module computes the
geometry only (numbers and short words); the HTML template draws it as inline SVG, so the report stays one
small self-contained file.
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
MIN_TICK_GAP = 12.0  # y-axis labels closer than this overlap
BADGE_GAP = 14.0  # markers closer than this share one numbered badge ("1-2")
# Dash patterns, cycled with the colours, so that partly overlapping lines stay apart.
DASHES = ("", "6 3", "2 2", "8 3 2 3", "4 4")
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
    dash: str = ""  # stroke-dasharray ("" solid)
    campaigns: int = 1  # how many campaigns this line stands for (identical lines are drawn once)


@dataclass(frozen=True)
class BandSegment:
    x: float
    width: float
    state: str  # open | half_open
    start_s: float  # the first poll that saw this state
    end_s: float  # the next poll, which saw another state; the last poll when none did
    polls: int = 1  # how many polls saw it
    then: str | None = None  # the state the next poll saw; None: the monitor stopped watching

    @property
    def words(self) -> str:
        return _stretch(self)


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
    campaigns: int  # the scenario's campaigns drawn (lines may stand for several)
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
    """The name without the run id the page names once (a merged run's "id1, id2": whichever it starts
    with)."""
    for prefix in (run_id or "").split(", "):
        if prefix and name.startswith(prefix):
            return name[len(prefix) :].strip() or name
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
    """One line per campaign; campaigns whose lines would be drawn on top of each other share one line,
    labelled with all their names, so that every line in the legend can be seen."""
    thinned = _thin(samples)
    lines: dict[tuple[str, tuple[int, int]], list[tuple[str, str]]] = {}
    for campaign in campaigns:
        cid = campaign["id"]
        points = " ".join(f"{scale.x(s[0])},{scale.y(s[1][cid][0])}" for s in thinned if cid in s[1])
        last = next(s[1][cid] for s in reversed(samples) if cid in s[1])
        label = _short(str(campaign.get("name") or cid), run_id)
        lines.setdefault((points, (int(last[0]), int(last[1]))), []).append((cid, label))
    series = []
    for index, ((points, (enriched, expected)), members) in enumerate(lines.items()):
        series.append(
            Series(
                campaign_id=" ".join(cid for cid, _ in members),
                label=_joined([label for _, label in members]),
                color=PALETTE[index % len(PALETTE)],
                points=points,
                enriched=enriched,
                expected=expected,
                dash=DASHES[index % len(DASHES)],
                campaigns=len(members),
            )
        )
    return tuple(series)


def _joined(labels: Sequence[str]) -> str:
    """'campaign 2 of 3' or, for one line standing for several, 'campaign 2 of 3 and campaign 3 of 3 (one
    line: identical)'."""
    if len(labels) == 1:
        return labels[0]
    return f"{', '.join(labels[:-1])} and {labels[-1]} (one line: identical)"


def _segments(samples: Sequence[Any], service: str, scale: _Scale) -> tuple[BandSegment, ...]:
    """The stretches one breaker spent in each state other than closed; adjacent polls in one state merge.

    A stretch is known from poll to poll only: it starts at the first poll that saw the state and ends at the
    next poll, which saw another one (or at the last poll, when the monitor stopped watching)."""
    segments: list[BandSegment] = []
    for i, sample in enumerate(samples):
        state = sample[2].get(service)
        if state is None:
            continue
        start = float(sample[0])
        following = samples[i + 1] if i + 1 < len(samples) else None
        stop = float(following[0]) if following is not None else start
        then = None if following is None else following[2].get(service, "closed")
        polls = 1
        if segments and segments[-1].state == state and segments[-1].then == state:
            previous = segments.pop()
            start, polls = previous.start_s, previous.polls + 1
        x, width = scale.x(start), scale.x(stop) - scale.x(start)
        if width < MIN_SEGMENT:
            x, width = min(x, RIGHT - MIN_SEGMENT), MIN_SEGMENT
        segments.append(BandSegment(x, width, state, start, stop, polls, then))
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
    return [f"{band.label} breaker {seg.words}" for band in bands for seg in band.segments]


def _stretch(seg: BandSegment) -> str:
    """What the polls saw of one stretch, in words: nothing is claimed between two polls."""
    state = STATE_WORDS.get(seg.state, seg.state)
    then = None if seg.then is None else STATE_WORDS.get(seg.then, seg.then.replace("_", "-"))
    if seg.polls == 1 and then is None:
        return f"{state} at the last poll only ({_seconds(seg.start_s)}), when the monitor stopped watching"
    if seg.polls == 1:
        seen = f"{state} at one poll only ({_seconds(seg.start_s)})"
    else:
        seen = f"{state} from {_seconds(seg.start_s)} ({seg.polls} polls)"
    if then is None:
        return f"{seen}, still {state} at the last poll ({_seconds(seg.end_s)}), when the monitor stopped"
    return f"{seen}, {then} by the next poll ({_seconds(seg.end_s)})"


def _ticks(scale: _Scale) -> tuple[tuple[tuple[float, str], ...], tuple[tuple[float, str], ...]]:
    step = _nice_step(scale.end_s, 6)
    x_ticks = tuple(
        (scale.x(i * step), f"{i * step:g}")
        for i in range(int(scale.end_s // step) + 1)
        if i * step <= scale.end_s + 1e-9
    )
    y_step = max(1, int(_nice_step(scale.y_max, 4)))
    # The axis's top is labelled too (the campaigns' lead count), dropping a step tick too close below it.
    values = [v for v in range(0, scale.y_max, y_step) if scale.y(v) - scale.y(scale.y_max) >= MIN_TICK_GAP]
    return x_ticks, tuple((scale.y(v), str(v)) for v in [*values, scale.y_max])


def _description(
    series: Sequence[Series], breaker_text: Sequence[str], markers: Sequence[Marker], end_s: float
) -> str:
    """The picture's text alternative: what each campaign reached, the breakers' stretches, the moments."""
    reached = "; ".join(
        f"{s.label} {'each ' if s.campaigns > 1 else ''}reached {s.enriched} of {s.expected}" for s in series
    )
    moments = "; ".join(f"{MARKER_WORDS[m.kind]} ({m.label}) at {_seconds(m.at_s)}" for m in markers)
    count = sum(s.campaigns for s in series)
    return (
        f"Enriched leads of {count} campaign{'s' if count != 1 else ''} over "
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
    shown = {c["id"] for c in campaigns}
    scale = _Scale(
        end_s=max([float(s[0]) for s in samples] + [float(m[0]) for m in markers_in] + [0.1]),
        # The scenario's own campaigns set the axis (a sample may hold others the monitor also watched).
        y_max=max([int(v[1]) for s in samples for cid, v in s[1].items() if cid in shown] + [1]),
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
        campaigns=len(campaigns),
        series=series,
        bands=bands,
        markers=markers,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        description=_description(series, breaker_text, markers, scale.end_s),
        breaker_text=breaker_text,
    )
