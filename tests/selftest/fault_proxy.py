"""A fault-injecting HTTP proxy between the suite and a sandbox (http.server + requests, nothing else).

Every request is matched against the rules in order; the first rule that matches and is due applies, else
the request is forwarded unchanged. A rule matches a method (or any) and a regular expression searched in
the path; it is due once it has let `after` matching calls through, for `times` calls (None: for ever).

Faults (`Rule.fault`):
- "status":   answer `status` with a small JSON body, without forwarding;
- "delay":    wait `delay_s`, then forward;
- "drop":     close the connection without forwarding or answering (the platform never saw the request);
- "lose":     forward, let the platform commit, then close the connection without answering (a lost answer);
- "garbage":  answer 200 with a body that is not JSON, without forwarding.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

FAULTS = ("status", "delay", "drop", "lose", "garbage")
GARBAGE = b"<html><body>502 Bad Gateway (not JSON)</body></html>"
# Hop-by-hop headers a proxy must not pass on (RFC 9110 7.6.1), plus the ones requests recomputes.
_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "content-length", "host"}


@dataclass
class Rule:
    fault: str
    path: str  # a regular expression, searched in the request path (query string left out)
    method: str | None = None  # None: every method
    status: int = 500
    body: str = '{"detail": "injected by the fault proxy"}'
    delay_s: float = 0.0
    after: int = 0  # matching calls let through before the rule applies
    times: int | None = None  # how many calls it applies to; None: every one after `after`
    matched: int = 0
    applied: int = 0

    def __post_init__(self) -> None:
        if self.fault not in FAULTS:
            raise ValueError(f"unknown fault {self.fault!r} (known: {', '.join(FAULTS)})")
        self._pattern = re.compile(self.path)

    def take(self, method: str, path: str) -> bool:
        """Count a call; True if the rule applies to it."""
        if (self.method is not None and method != self.method) or not self._pattern.search(path):
            return False
        self.matched += 1
        if self.matched <= self.after or (self.times is not None and self.applied >= self.times):
            return False
        self.applied += 1
        return True


@dataclass
class Seen:
    method: str
    path: str
    fault: str | None  # the fault applied, or None when forwarded unchanged
    status: int | None  # what the suite was answered (None: no answer)


@dataclass
class FaultProxy:
    """``with FaultProxy(upstream) as proxy: proxy.url``; ``proxy.add(Rule(...))`` at any time."""

    upstream: str
    rules: list[Rule] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    upstream_timeout_s: float = 30.0

    def __post_init__(self) -> None:
        self.upstream = self.upstream.rstrip("/")
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def add(self, rule: Rule) -> Rule:
        with self._lock:
            self.rules.append(rule)
        return rule

    def calls(self, method: str, path_pattern: str) -> list[Seen]:
        pattern = re.compile(path_pattern)
        with self._lock:
            return [s for s in self.seen if s.method == method and pattern.search(s.path)]

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- used by the handler ------------------------------------------------------------------------------
    def _rule_for(self, method: str, path: str) -> Rule | None:
        with self._lock:
            for rule in self.rules:
                if rule.take(method, path):
                    return rule
        return None

    def _record(self, method: str, path: str, fault: str | None, status: int | None) -> None:
        with self._lock:
            self.seen.append(Seen(method, path, fault, status))

    def _forward(self, method: str, target: str, headers: dict[str, str], body: bytes) -> requests.Response:
        return requests.request(
            method,
            self.upstream + target,
            headers=headers,
            data=body or None,
            timeout=self.upstream_timeout_s,
            allow_redirects=False,
        )


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def _handle(self) -> None:
            path = self.path.split("?", 1)[0]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
            rule = proxy._rule_for(self.command, path)
            fault = rule.fault if rule else None
            if rule is not None and rule.fault == "drop":
                proxy._record(self.command, path, fault, None)
                return self._hang_up()
            if rule is not None and rule.fault == "status":
                proxy._record(self.command, path, fault, rule.status)
                return self._answer(rule.status, rule.body.encode(), "application/json")
            if rule is not None and rule.fault == "garbage":
                proxy._record(self.command, path, fault, 200)
                return self._answer(200, GARBAGE, "application/json")
            if rule is not None and rule.fault == "delay":
                time.sleep(rule.delay_s)
            try:
                upstream = proxy._forward(self.command, self.path, headers, body)
            except requests.RequestException:
                proxy._record(self.command, path, "upstream down", None)
                return self._hang_up()
            if rule is not None and rule.fault == "lose":
                proxy._record(self.command, path, fault, None)
                return self._hang_up()
            proxy._record(self.command, path, fault, upstream.status_code)
            kind = upstream.headers.get("Content-Type", "application/json")
            extra = {k: v for k, v in upstream.headers.items() if k.lower() == "location"}
            return self._answer(upstream.status_code, upstream.content, kind, extra)

        def _answer(
            self, status: int, payload: bytes, kind: str, extra: dict[str, str] | None = None
        ) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in (extra or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except OSError:  # the suite gave up (its timeout) and closed the socket
                self.close_connection = True

        def _hang_up(self) -> None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

    return Handler
