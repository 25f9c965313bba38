"""Starting and stopping the sandbox: in-process server, CLI, and errors within a deadline."""

from __future__ import annotations

import socket
import statistics
import time
from pathlib import Path

import httpx
import pytest
from sandbox_helpers import fast_settings
from sqlalchemy import create_engine, inspect

from campaign_acceptance.client import PlatformClient
from campaign_common.api_path import api_url
from campaign_sandbox.core.config import SandboxSettings
from campaign_sandbox.server import SandboxServer, SandboxStartError
from support.polling import wait_until
from support.sandboxes import run_cli, serving_cli


def test_server_starts_on_a_free_port_and_stops_cleanly() -> None:
    server = SandboxServer(fast_settings())
    url = server.start()
    assert url == server.url
    assert url.startswith("http://127.0.0.1:")
    assert httpx.get(api_url(url, "health/")).json() == {"status": "healthy", "service": "fastapi-k8-proto"}
    engine = create_engine(server.database_url)
    assert {"organizations", "campaigns", "leads", "jobs", "users"} <= set(inspect(engine).get_table_names())
    engine.dispose()
    began = time.monotonic()
    server.stop()
    assert time.monotonic() - began < 10
    with pytest.raises(httpx.TransportError):
        httpx.get(api_url(url, "health/"), timeout=1)
    server.stop()  # a second stop is harmless


def test_context_manager_and_worker_threads_are_joined() -> None:
    with SandboxServer(fast_settings(workers=3)) as server:
        assert httpx.get(api_url(server.url, "health/live")).json() == {"status": "alive"}
        runtime = server.runtime
    assert runtime.pool.stop(0.0) is True  # already stopped: every thread joined


def test_a_request_on_a_kept_alive_connection_is_answered_without_a_delayed_ack_wait() -> None:
    """Nagle's wait for the client's delayed ACK cost 40 ms per kept-alive request (about 45 ms a request
    before TCP_NODELAY, 2 ms after); 15 ms leaves room for a loaded machine. bench/request_latency.py
    prints the figures."""
    with SandboxServer(fast_settings()) as server, PlatformClient(server.url, 10.0) as client:
        client.health()  # opens the connection
        times = []
        for _ in range(40):
            began = time.perf_counter()
            client.health()
            times.append(time.perf_counter() - began)
    assert statistics.median(times) < 0.015, f"median {statistics.median(times) * 1000:.1f} ms"


def test_port_in_use_is_an_immediate_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        began = time.monotonic()
        with pytest.raises(SandboxStartError, match="cannot listen"):
            SandboxServer(fast_settings(), port=port).start(timeout=5)
        assert time.monotonic() - began < 5


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "mysql://user@localhost/db",
        "postgresql://nobody@127.0.0.1:1/none",
        "sqlite:////no/such/dir/x.db",
    ],
)
def test_unusable_database_is_an_error_within_the_deadline(url: str) -> None:
    began = time.monotonic()
    with pytest.raises(SandboxStartError):
        SandboxServer(SandboxSettings(database_url=url)).start(timeout=10)
    assert time.monotonic() - began < 10


@pytest.mark.parametrize("args", [["--port", "abc"], ["--bogus"], ["--port", "70000"], ["--workers", "0"]])
def test_cli_bad_arguments_give_one_line_and_exit_2(args: list[str]) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("campaign_sandbox: error:")


def test_cli_unusable_database_gives_one_line_and_exit_1() -> None:
    result = run_cli("--port", "0", "--database-url", "sqlite:////no/such/dir/x.db")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "cannot open database" in result.stderr


def test_cli_serves_until_terminated(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    with serving_cli("--port", "0", "--database-url", f"sqlite:///{db}", "--fault-control") as line:
        assert line.startswith("campaign sandbox on http://127.0.0.1:"), line
        url = line.split()[3]

        def answer() -> httpx.Response | None:
            try:
                return httpx.get(f"{url}/sandbox/faults", timeout=1)
            except httpx.TransportError:
                return None

        response = wait_until(answer, 15, "the CLI sandbox to answer")
        assert response.status_code == 200
    assert db.is_file()
