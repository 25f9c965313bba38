"""Run the capacity scenario at several sizes against the sandbox and print how each figure grows with N.

Figures, not pass/fail. Each size gets a fresh sandbox started with its CLI in a process of its own
(`python -m campaign_sandbox`), so the suite's peak memory is the suite's alone, and one behave run of
`--tags=@capacity -D campaigns=N -D leads=M`; the figures are read from that run's status.json.

Run: .venv/bin/python bench/capacity.py [--campaigns N ...] [--leads 20] [--workers 16] [--json out.json]
(--campaigns takes any number of sizes, default 25 50 100.)
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
STARTED = re.compile(r"campaign sandbox on (http://\S+)")
# (column title, status.json path in the capacity entry, format)
COLUMNS: list[tuple[str, tuple[str, ...], str]] = [
    ("leads/s", ("leads_per_second",), "{:.1f}"),
    ("p50 s", ("latency_s", "p50"), "{:.2f}"),
    ("p95 s", ("latency_s", "p95"), "{:.2f}"),
    ("p99 s", ("latency_s", "p99"), "{:.2f}"),
    ("fetch s", ("fetch_phase_s",), "{:.1f}"),
    ("enriched s", ("time_to_enrichment_s",), "{:.1f}"),
    ("req/cycle", ("requests_per_cycle",), "{:.1f}"),
    ("peak MB", ("peak_rss_mb",), "{:.0f}"),
]


def start_sandbox(workers: int, directory: Path) -> tuple[subprocess.Popen[str], str]:
    database = f"sqlite:///{directory / 'sandbox.db'}"
    command = [sys.executable, "-m", "campaign_sandbox", "--port", "0", "--fault-control"]
    command += ["--workers", str(workers), "--database-url", database, "--log-level", "warning"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        found = STARTED.search(line)
        if found:
            return proc, found.group(1)
    proc.kill()
    raise SystemExit("the sandbox did not start within 60 s")


def run_size(campaigns: int, leads: int, workers: int, deadline_s: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="capacity-") as tmp:
        directory = Path(tmp)
        sandbox, url = start_sandbox(workers, directory)
        try:
            reports = directory / "reports"
            command = [sys.executable, "-m", "behave", "features/", "--tags=@capacity", "-f", "null"]
            command += ["--junit-directory", str(reports / "junit")]
            for name, value in {
                "campaigns": campaigns,
                "leads": leads,
                "api_url": url,
                "fault_control_url": url,
                "database_url": f"sqlite:///{directory / 'sandbox.db'}",
                "reports_dir": reports,
                "enrichment_deadline_s": deadline_s,
                "progress": "false",
            }.items():
                command += ["-D", f"{name}={value}"]
            started = time.monotonic()
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=deadline_s + 300)
            wall = time.monotonic() - started
            status = json.loads((reports / "status.json").read_text(encoding="utf-8"))
        finally:
            sandbox.terminate()
            sandbox.wait(timeout=30)
    if done.returncode != 0 or not status.get("capacity"):
        tail = "\n".join(done.stdout.splitlines()[-5:])
        raise SystemExit(f"{campaigns} x {leads}: exit {done.returncode}, no figures\n{tail}")
    figures: dict[str, Any] = status["capacity"][0]
    figures["wall_s"] = round(wall, 1)
    return figures


def value(figures: dict[str, Any], path: tuple[str, ...]) -> float:
    current: Any = figures
    for part in path:
        current = current[part]
    return float(current)


def table(results: list[dict[str, Any]]) -> str:
    """One row per size, then each figure's growth relative to the smallest size (x N ratio)."""
    head = ["N x M", "wall s"] + [title for title, _, _ in COLUMNS]
    rows = [
        [f"{r['campaigns']} x {r['leads_per_campaign']}", f"{r['wall_s']:.0f}"]
        + [fmt.format(value(r, path)) for _, path, fmt in COLUMNS]
        for r in results
    ]
    base = results[0]
    for r in results[1:]:
        ratio = r["campaigns"] / base["campaigns"]
        growth = [
            f"x{value(r, path) / value(base, path):.2f}" if value(base, path) else "-"
            for _, path, _ in COLUMNS
        ]
        rows.append([f"growth N x{ratio:g}", f"x{r['wall_s'] / base['wall_s']:.2f}", *growth])
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in [head, *rows]]
    return "\n".join(lines)


def positive(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"a size is a number of campaigns, at least 1: {text}")
    return number


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    # Any number of sizes: one for a single figure, more for the growth rows (each relative to the smallest).
    parser.add_argument("--campaigns", type=positive, nargs="+", default=[25, 50, 100], metavar="N")
    parser.add_argument("--leads", type=int, default=20, help="leads per campaign (M)")
    parser.add_argument("--workers", type=int, default=16, help="sandbox worker threads")
    parser.add_argument("--deadline", type=float, default=900.0, help="enrichment deadline per size (s)")
    parser.add_argument("--json", help="also write the figures to this file")
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    results = []
    for campaigns in sorted(args.campaigns):
        print(f"running {campaigns} x {args.leads} ...", file=sys.stderr, flush=True)
        results.append(run_size(campaigns, args.leads, args.workers, args.deadline))
    print(table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
