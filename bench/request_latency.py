"""Measure how long one request to the embedded sandbox takes and print the figures (nothing is asserted).

- kept-alive: the suite's own client (one ``requests.Session``), GET of the health route and a POST with a
  body (a login the validation refuses with 422, so bcrypt's cost is not in the figure);
- a new connection per request, for comparison.

Run: .venv/bin/python bench/request_latency.py [--requests 200] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import requests

from campaign_acceptance.client import PlatformClient
from campaign_common.api_path import api_url
from campaign_sandbox.core.config import SandboxSettings
from campaign_sandbox.server import SandboxServer


def median_ms(call: Callable[[], object], count: int) -> float:
    call()  # the first request opens the connection
    times = []
    for _ in range(count):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def measure(count: int) -> dict[str, float]:
    with SandboxServer(SandboxSettings()) as server, PlatformClient(server.url, 10.0) as client:
        health = api_url(server.url, "health/")
        refused = {"email": "bench@hellacooltestingdomain.pizza"}  # no password: a 422
        return {
            "kept_alive_get_ms": median_ms(client.health, count),
            "kept_alive_post_ms": median_ms(
                lambda: client.request("POST", "auth/login", json=refused), count
            ),
            "new_connection_get_ms": median_ms(lambda: requests.get(health, timeout=10), count),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    figures: dict[str, Any] = {"requests": args.requests, **measure(args.requests)}
    for name, value in figures.items():
        print(f"{name:24} {value:.1f}" if isinstance(value, float) else f"{name:24} {value}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(figures, out, indent=2)


if __name__ == "__main__":
    main()
