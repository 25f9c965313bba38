"""Run the sandbox in-process: uvicorn in a background thread on a loopback port, stopped cleanly."""

from __future__ import annotations

import socket
import threading
import urllib.error
import urllib.request
from types import TracebackType

import uvicorn

from campaign_common.api_path import api_url
from campaign_common.waiting import Deadline, wait_until
from campaign_sandbox.core.config import SandboxSettings
from campaign_sandbox.main import create_app
from campaign_sandbox.runtime import SandboxRuntime


class SandboxStartError(Exception):
    """The sandbox could not start (port in use, unusable database, not healthy in time)."""


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind now, so that "port in use" is an immediate error rather than a log line in a thread."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, not 0: asyncio sets TCP_NODELAY only on connections whose socket says so. Without
    # it Nagle holds uvicorn's body behind its headers until the client's delayed ACK: 40 ms a kept-alive
    # request.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


class SandboxServer:
    """``with SandboxServer(settings) as server: ...`` or ``start()`` / ``stop()``."""

    def __init__(
        self, settings: SandboxSettings | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.settings = settings or SandboxSettings()
        self.host = host
        self.port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._runtime: SandboxRuntime | None = None
        self._url: str | None = None
        self._database_url: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the sandbox is not running")
        return self._url

    @property
    def database_url(self) -> str:
        """A SQLAlchemy URL (password included) another thread or process can open to read the tables."""
        if self._database_url is None:
            raise RuntimeError("the sandbox is not running")
        return self._database_url

    @property
    def runtime(self) -> SandboxRuntime:
        if self._runtime is None:
            raise RuntimeError("the sandbox is not running")
        return self._runtime

    def start(self, timeout: float = 20.0) -> str:
        """Start and wait until ``/api/v1/health/`` answers; returns the base URL (no ``/api/v1``)."""
        if self._thread is not None:
            raise SandboxStartError("the sandbox is already running")
        deadline = Deadline.after(timeout)
        try:
            sock = bind_socket(self.host, self.port)
        except OSError as exc:
            raise SandboxStartError(
                f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}"
            ) from exc
        try:
            app = create_app(self.settings)
        except Exception as exc:
            sock.close()
            raise SandboxStartError(f"cannot start the sandbox: {exc}") from exc
        self._runtime = app.state.runtime
        port = sock.getsockname()[1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        url = f"http://{host}:{port}"
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=3
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="sandbox-uvicorn", daemon=True
        )
        self._server, self._thread = server, thread
        thread.start()
        try:
            self._wait_healthy(url, deadline, thread)
        except SandboxStartError:
            self.stop()  # uvicorn owns the socket now and closes it
            raise
        self._url = url
        self._database_url = self._runtime.store.plain_url
        return url

    @staticmethod
    def _wait_healthy(url: str, deadline: Deadline, thread: threading.Thread) -> None:
        def healthy() -> bool:
            if not thread.is_alive():
                raise SandboxStartError("the sandbox's server thread exited during start-up")
            try:
                with urllib.request.urlopen(api_url(url, "health/"), timeout=1.0) as response:
                    return bool(response.status == 200)
            except (urllib.error.URLError, OSError):
                return False

        wait_until(
            healthy,
            deadline,
            lambda _: SandboxStartError(f"the sandbox did not become healthy at {url} in time"),
            interval_s=0.05,
            max_interval_s=0.05,
        )

    def stop(self, timeout: float = 15.0) -> None:
        """Stop uvicorn and the workers; bounded by ``timeout``. Safe to call twice."""
        server, thread, runtime = self._server, self._thread, self._runtime
        self._server = self._thread = None
        self._url = None
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout)
        if runtime is not None:
            runtime.close(timeout=5.0)  # normally done by the app's shutdown already
        self._runtime = None

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
