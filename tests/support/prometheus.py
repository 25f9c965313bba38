"""The real Prometheus parts from the Debian packages: a throwaway Pushgateway (``prometheus-pushgateway`` on
a free loopback port, its own temporary storage) and ``promtool`` (rules, rule unit tests, the text format).

Without the binaries the tests that need them fail under CI (CI set) and are skipped otherwise, as the
PostgreSQL tests are (scripts/run-tests installs both packages)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from support.polling import wait_until

PUSHGATEWAY = "prometheus-pushgateway"
PROMTOOL = "promtool"
# Series the Pushgateway adds to every group it holds (when it was pushed, whether the push failed).
GATEWAY_OWN_SERIES = ("push_time_seconds", "push_failure_time_seconds")

Series = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def binary(name: str) -> str:
    """The binary's path; a failure under CI, a skip otherwise, when it is not installed."""
    found = shutil.which(name)
    if found is None:
        message = f"{name} not found; install the Debian package that has it (scripts/run-tests does)"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return found


def promtool(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``promtool <args>`` run to its end (bounded), output captured; the caller judges the exit code."""
    return subprocess.run(
        [binary(PROMTOOL), *args], input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


def series(text: str) -> Series:
    """Prometheus text format -> {(name, sorted labels): value}."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Pushgateway:
    """A running Pushgateway: ``url`` to push to, ``metrics()`` what its /metrics shows now."""

    def __init__(self, url: str) -> None:
        self.url = url

    def metrics(self) -> str:
        response = requests.get(f"{self.url}/metrics", timeout=10)
        response.raise_for_status()
        return response.text

    def group(self, job: str) -> Series:
        """The series of the groups pushed with ``job`` (the gateway's own go_*/process_* series and its
        push timestamps left out)."""
        return {
            key: value
            for key, value in series(self.metrics()).items()
            if ("job", job) in key[1] and key[0] not in GATEWAY_OWN_SERIES
        }


@contextmanager
def pushgateway() -> Iterator[Pushgateway]:
    """Start a Pushgateway, wait until it is ready, and stop it (and delete its storage) at the end."""
    path = binary(PUSHGATEWAY)
    root = Path(tempfile.mkdtemp(prefix="campaign-pushgateway-"))
    url = f"http://127.0.0.1:{_free_port()}"
    log = (root / "log").open("w")
    proc = subprocess.Popen(
        [
            path,
            f"--web.listen-address={url.removeprefix('http://')}",
            f"--persistence.file={root / 'pushgateway.data'}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:

        def ready() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"{PUSHGATEWAY} exited: {(root / 'log').read_text()[-2000:]}")
            try:
                return requests.get(f"{url}/-/ready", timeout=1).status_code == 200
            except requests.ConnectionError:
                return False

        wait_until(ready, 30, f"{PUSHGATEWAY} ready at {url}")
        yield Pushgateway(url)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
        shutil.rmtree(root, ignore_errors=True)
