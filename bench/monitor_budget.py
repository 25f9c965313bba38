"""Measure the monitor's budgets against the sandbox and print the figures (nothing is asserted).

- pause notice: seconds from an operator pausing a service to the monitor raising ServiceFailure;
- requests per poll cycle, with and without the database configured, for several campaign counts.

Run: .venv/bin/python bench/monitor_budget.py [--campaigns 10 50 150] [--repeats 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
import uuid
from typing import Any

from campaign_acceptance.client import FaultControl, PlatformClient
from campaign_acceptance.database import DatabaseProbe
from campaign_acceptance.errors import ServiceFailure
from campaign_acceptance.monitor import ApiDbSource, Monitor, RealClock
from campaign_sandbox.core.config import SandboxSettings
from campaign_sandbox.server import SandboxServer

PAUSE_AFTER_S = 3.0  # long enough for the monitor to back off to its widest interval


def _campaigns(client: PlatformClient, org_id: str, count: int) -> list[str]:
    ids = []
    for number in range(count):
        created = client.create_campaign(org_id, f"bench {number}", 2)
        client.start_campaign(str(created["id"]))
        ids.append(str(created["id"]))
    return ids


def measure(server: SandboxServer, count: int, repeats: int, with_db: bool) -> dict[str, Any]:
    client = PlatformClient(server.url, 10.0)
    email = f"bench-{uuid.uuid4().hex[:10]}@hellacooltestingdomain.pizza"
    client.signup(email, "Bench1!pass")
    client.login(email, "Bench1!pass")
    faults = FaultControl(server.url, 10.0)
    probe = DatabaseProbe(server.database_url) if with_db else None
    notices: list[float] = []
    per_cycle: list[float] = []
    for _ in range(repeats):
        # Enrichment hangs at the first provider, so every campaign stays RUNNING until the pause.
        faults.set("millionverifier", "hang")
        org_id = str(client.create_organization(f"bench {count}", "monitor budget")["id"])
        ids = _campaigns(client, org_id, count)
        monitor = Monitor(ApiDbSource(client, probe, org_id), RealClock(), 0.2, 2.0)
        before_requests, before_cycles = client.request_count, monitor.cycles
        paused_at: list[float] = []

        def pause_later(paused_at: list[float] = paused_at) -> None:
            threading.Event().wait(PAUSE_AFTER_S)
            paused_at.append(time.monotonic())
            client.pause_service("perplexity", "benchmark")

        pauser = threading.Thread(target=pause_later)
        pauser.start()
        try:
            monitor.wait_for_enrichment(ids, 60)
        except ServiceFailure:
            notices.append(time.monotonic() - paused_at[0])
        pauser.join()
        cycles = monitor.cycles - before_cycles
        # The pause call itself is one of the counted requests.
        per_cycle.append((client.request_count - before_requests - 1) / max(cycles, 1))
        client.resume_service("perplexity")
        faults.set("millionverifier", "ok")
    client.close()
    if probe is not None:
        probe.close()
    return {
        "campaigns": count,
        "database": with_db,
        "pause_notice_s": {"median": statistics.median(notices), "max": max(notices), "n": len(notices)},
        "requests_per_cycle": {"median": statistics.median(per_cycle), "max": max(per_cycle)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, nargs="+", default=[10, 50, 150])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    settings = SandboxSettings(fault_control=True, workers=8)
    results = []
    with SandboxServer(settings) as server:
        for with_db in (True, False):
            for count in args.campaigns:
                result = measure(server, count, args.repeats, with_db)
                results.append(result)
                notice, cycle = result["pause_notice_s"], result["requests_per_cycle"]
                print(
                    f"campaigns {count:4d}  database {'yes' if with_db else 'no ':3s}  "
                    f"pause noticed median {notice['median']:.2f}s max {notice['max']:.2f}s  "
                    f"requests/cycle median {cycle['median']:.1f} max {cycle['max']:.1f}",
                    flush=True,
                )
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)


if __name__ == "__main__":
    main()
