"""The kill matrix's times: the default suite against each planted sandbox defect (tests/selftest/).

.venv/bin/python bench/kill_times.py [--repeats 3] [--defects a,b] [--json out.json]
    runs the matrix --repeats times (4 runs at a time) and prints, per defect, the median seconds from the
    defect becoming observable to the failing step, the step and the reason (nothing is asserted);
.venv/bin/python bench/kill_times.py --readme [--results reports/kill_matrix.json]
    writes the README's kill-matrix table from the latest results the self-test (or this script) wrote.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / d) for d in ("tests", "tests/selftest")]

from kill_matrix import (  # noqa: E402 - after the path set-up
    CONTROL,
    EXPECTATIONS,
    PARALLEL,
    README_PATH,
    RESULTS_PATH,
    KillResult,
    read_results,
    render_readme,
    run_matrix,
    write_results,
)


def _readme(results_path: Path) -> int:
    results = read_results(results_path)
    README_PATH.write_text(render_readme(README_PATH.read_text(encoding="utf-8"), results), encoding="utf-8")
    print(f"README.md: kill matrix written from {results_path} ({len(results)} runs)")
    return 0


def _measure(defects: list[str], repeats: int, json_path: Path | None, parallel: int) -> int:
    rounds: list[list[KillResult]] = []
    walls = []
    with tempfile.TemporaryDirectory(prefix="kill-times-") as tmp:
        for n in range(repeats):
            started = time.monotonic()
            rounds.append(run_matrix([CONTROL, *defects], Path(tmp) / f"round-{n}", parallel=parallel))
            walls.append(time.monotonic() - started)
            print(f"round {n + 1}/{repeats}: {walls[-1]:.0f} s wall", flush=True)
    print(f"\n{'defect':32} {'median s':>8}  {'runs s':20} caught  step / reason")
    for i, defect in enumerate([CONTROL, *defects]):
        runs = [r[i] for r in rounds]
        seconds = [r.seconds for r in runs if r.seconds is not None]
        median = f"{statistics.median(seconds):8.1f}" if seconds else f"{'-':>8}"
        each = ",".join(f"{s:.1f}" for s in seconds)
        last = runs[-1]
        caught = "yes" if all(r.caught for r in runs) else "NO"
        what = f"{last.step}: {last.headline()}" if last.step else last.verdict_reason
        print(f"{defect or '(control)':32} {median}  {each:20} {caught:6}  {what[:150]}")
        if not last.caught:
            print(f"{'':64}  ({'; '.join(last.problems)})")
    shown = ", ".join(f"{w:.0f} s" for w in walls)
    print(f"\nwall per round: {shown} (median {statistics.median(walls):.0f} s)")
    if json_path is not None:
        write_results(rounds[-1], json_path, wall_s=walls[-1])
        print(f"last round's results: {json_path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readme", action="store_true", help="write README.md's table from --results")
    parser.add_argument("--results", type=Path, default=RESULTS_PATH, help="results JSON for --readme")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--defects", default="", help="comma-separated subset (default: every defect)")
    parser.add_argument("--json", type=Path, default=None, help="also write the last round's results here")
    parser.add_argument("--parallel", type=int, default=PARALLEL, help=f"runs at once (default {PARALLEL})")
    args = parser.parse_args(argv)
    if args.readme:
        return _readme(args.results)
    names = [d.strip() for d in args.defects.split(",") if d.strip()] or [e.defect for e in EXPECTATIONS]
    return _measure(names, max(1, args.repeats), args.json, max(1, args.parallel))


if __name__ == "__main__":
    sys.exit(main())
