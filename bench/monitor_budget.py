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
from campaign_acceptance.monitor import ApiDbSource, Monitor
from campaign_common.waiting import RealClock
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


def measure_once(count: int, with_db: bool) -> tuple[float, float]:
    """A fresh sandbox, `count` RUNNING campaigns, a pause later: (seconds to notice, requests per cycle)."""
    # A fresh sandbox each time: hung work of an earlier round must not time out and trip a breaker here.
    settings = SandboxSettings(fault_control=True, workers=8, hang_timeout_s=3600)
    with SandboxServer(settings) as server:
        client = PlatformClient(server.url, 10.0)
        email = f"bench-{uuid.uuid4().hex[:10]}@hellacooltestingdomain.pizza"
        client.signup(email, "Bench1!pass")
        client.login(email, "Bench1!pass")
        # Enrichment hangs at the first provider, so every campaign stays RUNNING until the pause.
        FaultControl(server.url, 10.0).set("millionverifier", "hang")
        org_id = str(client.create_organization(f"bench {count}", "monitor budget")["id"])
        ids = _campaigns(client, org_id, count)
        probe = DatabaseProbe(server.database_url) if with_db else None
        monitor = Monitor(ApiDbSource(client, probe, org_id), RealClock(), 0.2, 2.0)
        before_requests = client.request_count
        paused_at: list[float] = []

        def pause_later() -> None:
            threading.Event().wait(PAUSE_AFTER_S)
            paused_at.append(time.monotonic())
            client.pause_service("perplexity", "benchmark")

        pauser = threading.Thread(target=pause_later)
        pauser.start()
        try:
            monitor.wait_for_enrichment(ids, 120)
            raise RuntimeError("enrichment finished although it was held")
        except ServiceFailure as failure:
            noticed = time.monotonic()
            if failure.report.services != ("perplexity",):
                raise RuntimeError(f"an unexpected service failure: {failure.report.reason}") from None
        finally:
            pauser.join()
        # The pause request itself is counted too; take it out.
        per_cycle = (client.request_count - before_requests - 1) / max(monitor.cycles, 1)
        FaultControl(server.url, 10.0).heal_all()
        client.close()
        if probe is not None:
            probe.close()
        return noticed - paused_at[0], per_cycle


def measure(count: int, repeats: int, with_db: bool) -> dict[str, Any]:
    figures = [measure_once(count, with_db) for _ in range(repeats)]
    notices = [n for n, _ in figures]
    per_cycle = [c for _, c in figures]
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
    results = []
    for with_db in (True, False):
        for count in args.campaigns:
            result = measure(count, args.repeats, with_db)
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
