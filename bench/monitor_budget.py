"""Measure the monitor's budgets against the sandbox and print the figures (nothing is asserted).

- pause notice: seconds from an operator pausing a service to the monitor raising ServiceFailure (p50, p95);
- requests per poll cycle, with and without the database configured, for several campaign counts, and the
  requests the service failure's report made once the pause was seen (its job errors).

One sandbox per campaign count and database setting: its campaigns are made once, then paused and resumed
`--pauses` times, each pause at a random moment once the monitor has backed off to its widest interval.

Run: .venv/bin/python bench/monitor_budget.py [--campaigns 10 150 1000] [--pauses 20] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any

from campaign_acceptance.client import FaultControl, PlatformClient
from campaign_acceptance.database import DatabaseProbe
from campaign_acceptance.errors import ServiceFailure
from campaign_acceptance.monitor import ApiDbSource, Monitor
from campaign_common.waiting import Deadline, RealClock, wait_until
from campaign_sandbox.core.config import SandboxSettings
from campaign_sandbox.server import SandboxServer

# Long enough for the monitor to back off to its widest interval; the jitter spreads the pause over a cycle.
PAUSE_AFTER_S = 3.0
PAUSE_JITTER_S = 2.0
SERVICE = "perplexity"


def _campaigns(client: PlatformClient, org_id: str, count: int) -> list[str]:
    ids = []
    for number in range(count):
        created = client.create_campaign(org_id, f"bench {number}", 2)
        client.start_campaign(str(created["id"]))
        ids.append(str(created["id"]))
    return ids


def _percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile: the smallest value with at least q of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _running_again(client: PlatformClient, org_id: str, count: int) -> None:
    """After a resume: every breaker closed and every campaign RUNNING, before the next pause."""

    def ready() -> bool:
        breakers_closed = all(b.closed for b in client.breakers().values())
        statuses = [str(c.get("status")) for c in client.list_campaigns(org_id)]
        return breakers_closed and statuses.count("RUNNING") == count

    def timed_out(_: bool | None) -> RuntimeError:
        return RuntimeError("the campaigns did not run again after the resume within 60 s")

    wait_until(ready, Deadline.after(60.0), timed_out, interval_s=0.1, max_interval_s=0.5)


def _pause_later(client: PlatformClient, paused_at: list[float]) -> None:
    threading.Event().wait(PAUSE_AFTER_S + random.uniform(0.0, PAUSE_JITTER_S))
    paused_at.append(time.monotonic())
    client.pause_service(SERVICE, "benchmark")


def measure(count: int, pauses: int, with_db: bool) -> dict[str, Any]:
    """A fresh sandbox with `count` RUNNING campaigns, paused and resumed `pauses` times."""
    # Hung work must not time out and trip a breaker during the measurement.
    settings = SandboxSettings(fault_control=True, workers=8, hang_timeout_s=3600)
    notices: list[float] = []
    per_cycle: list[float] = []
    report_reads: list[int] = []
    with SandboxServer(settings) as server:
        client = PlatformClient(server.url, 30.0)
        email = f"bench-{uuid.uuid4().hex[:10]}@hellacooltestingdomain.pizza"
        client.signup(email, "Bench1!pass")
        client.login(email, "Bench1!pass")
        # The operator's own client: its pause request must not be counted as one of the monitor's.
        operator = PlatformClient(server.url, 30.0)
        operator.login(email, "Bench1!pass")
        # Enrichment hangs at the first provider, so every campaign stays RUNNING until the pause.
        faults = FaultControl(server.url, 10.0)
        faults.set("millionverifier", "hang")
        org_id = str(client.create_organization(f"bench {count}", "monitor budget")["id"])
        ids = _campaigns(client, org_id, count)
        probe = DatabaseProbe(server.database_url) if with_db else None
        source = ApiDbSource(client, probe, org_id)
        for _ in range(pauses):
            monitor = Monitor(source, RealClock(), 0.2, 2.0)
            before_requests = client.request_count
            paused_at: list[float] = []

            pauser = threading.Thread(target=_pause_later, args=(operator, paused_at))
            pauser.start()
            try:
                monitor.wait_for_enrichment(ids, 600)
                raise RuntimeError("enrichment finished although it was held")
            except ServiceFailure as failure:
                noticed = time.monotonic()
                if failure.report.services != (SERVICE,):
                    raise RuntimeError(f"an unexpected service failure: {failure.report.reason}") from None
            finally:
                pauser.join()
            per_cycle.append(monitor.requests / max(monitor.cycles, 1))
            report_reads.append(client.request_count - before_requests - monitor.requests)
            notices.append(noticed - paused_at[0])
            client.resume_service(SERVICE)
            _running_again(client, org_id, count)
        faults.heal_all()
        client.close()
        operator.close()
        if probe is not None:
            probe.close()
    return {
        "campaigns": count,
        "database": with_db,
        "pause_notice_s": {
            "p50": _percentile(notices, 0.5),
            "p95": _percentile(notices, 0.95),
            "max": max(notices),
            "n": len(notices),
        },
        "requests_per_cycle": {"p50": _percentile(per_cycle, 0.5), "max": max(per_cycle)},
        "report_requests": {"p50": _percentile(report_reads, 0.5), "max": max(report_reads)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, nargs="+", default=[10, 150, 1000])
    parser.add_argument("--pauses", type=int, default=20, help="pauses measured per campaign count")
    parser.add_argument("--database", choices=("both", "yes", "no"), default="both")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    settings = {"both": (True, False), "yes": (True,), "no": (False,)}[args.database]
    results = []
    for with_db in settings:
        for count in args.campaigns:
            result = measure(count, args.pauses, with_db)
            results.append(result)
            notice, cycle = result["pause_notice_s"], result["requests_per_cycle"]
            print(
                f"campaigns {count:4d}  database {'yes' if with_db else 'no ':3s}  "
                f"pause noticed p50 {notice['p50']:.2f}s p95 {notice['p95']:.2f}s max {notice['max']:.2f}s "
                f"(n={notice['n']})  requests/cycle p50 {cycle['p50']:.1f} max {cycle['max']:.1f}  "
                f"report requests max {result['report_requests']['max']}",
                flush=True,
            )
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)


if __name__ == "__main__":
    main()
