"""PlatformClient and FaultControl against a real local HTTP server that answers from a script."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from campaign_acceptance.client import FaultControl, PlatformClient, parse_breaker, unwrap
from campaign_acceptance.errors import ApiError
from campaign_acceptance.model import SERVICES, BreakerState

TOKEN = "eyJhbGciOiJIUzI1NiJ9.secret-token-value.sig"
PASSWORD = "Sup3r$ecretPw!"


@dataclass
class Answer:
    status: int = 200
    body: Any = None  # dict/list -> JSON, str -> text
    block: threading.Event | None = None  # the handler waits for it (a hung server)


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class Script:
    """Answers per (method, path); the last answer of a list repeats. Records every request."""

    answers: dict[tuple[str, str], list[Answer]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on(self, method: str, path: str, *answers: Answer) -> None:
        self.answers[(method, path)] = list(answers)

    def next(self, method: str, path: str) -> Answer:
        with self.lock:
            queue = self.answers.get((method, path))
            if not queue:
                return Answer(404, {"detail": "Not Found"})
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def requests(self, method: str, path: str) -> list[Seen]:
        return [s for s in self.seen if s.method == method and s.path == path]


def make_handler(script: Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
            pass

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            with script.lock:
                script.seen.append(
                    Seen(
                        self.command,
                        parts.path,
                        parse_qs(parts.query),
                        dict(self.headers.items()),
                        json.loads(raw) if raw else None,
                    )
                )
            answer = script.next(self.command, parts.path)
            if answer.block is not None:
                answer.block.wait(10)
            data = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
            payload = data.encode()
            try:
                self.send_response(answer.status)
                self.send_header(
                    "Content-Type", "text/plain" if isinstance(answer.body, str) else "application/json"
                )
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:  # the client gave up (timeout) and closed the socket
                pass

        do_GET = do_POST = do_DELETE = do_HEAD = _handle

    return Handler


@pytest.fixture
def script() -> Script:
    return Script()


@pytest.fixture
def server(script: Script) -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(script))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def client(server: str) -> Iterator[PlatformClient]:
    with PlatformClient(server + "/api/v1/", timeout=2.0, backoff_s=0.0) as c:
        yield c


def api_error(call: Any, *args: Any) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call(*args)
    return caught.value


def logged_in(client: PlatformClient, script: Script) -> None:
    script.on(
        "POST",
        "/api/v1/auth/login",
        Answer(200, {"message": "Login successful", "token": {"access_token": TOKEN}, "user": {"id": "u1"}}),
    )
    assert client.login("a@hellacooltestingdomain.pizza", PASSWORD) == {"id": "u1"}


# ------------------------------------------------------------------------------------------- bodies


def test_envelope_is_unwrapped(client: PlatformClient, script: Script) -> None:
    script.on("GET", "/api/v1/campaigns/c1", Answer(200, {"status": "success", "data": {"id": "c1"}}))
    assert client.get_campaign("c1") == {"id": "c1"}


def test_bare_body_is_returned_as_is(client: PlatformClient, script: Script) -> None:
    script.on("GET", "/api/v1/health/", Answer(200, {"status": "healthy", "service": "fastapi-k8-proto"}))
    assert client.health() == {"status": "healthy", "service": "fastapi-k8-proto"}


def test_unwrap_leaves_other_shapes_alone() -> None:
    assert unwrap({"data": [1], "meta": {}}) == {"data": [1], "meta": {}}
    assert unwrap([1, 2]) == [1, 2]
    assert unwrap({"status": "error", "data": 1}) == {"status": "error", "data": 1}


def test_collection_routes_are_called_with_the_trailing_slash(client: PlatformClient, script: Script) -> None:
    script.on("POST", "/api/v1/organizations/", Answer(201, {"id": "o1", "name": "n"}))
    script.on("POST", "/api/v1/campaigns/", Answer(201, {"status": "success", "data": {"id": "c1"}}))
    assert client.create_organization("n", "d") == {"id": "o1", "name": "n"}
    assert client.create_campaign("o1", "camp", 7) == {"id": "c1"}
    sent = script.requests("POST", "/api/v1/campaigns/")[0].body
    assert sent["organization_id"] == "o1"
    assert sent["totalRecords"] == 7
    assert sent["fileName"]
    assert sent["url"].startswith("https://app.apollo.io/")


def test_signup_returns_the_user_and_sends_the_confirmation(client: PlatformClient, script: Script) -> None:
    script.on("POST", "/api/v1/auth/signup", Answer(201, {"message": "ok", "user": {"id": "u1"}}))
    assert client.signup("a@hellacooltestingdomain.pizza", PASSWORD) == {"id": "u1"}
    body = script.requests("POST", "/api/v1/auth/signup")[0].body
    assert body["confirm_password"] == PASSWORD


def test_login_keeps_the_token_for_later_calls(client: PlatformClient, script: Script) -> None:
    logged_in(client, script)
    script.on("GET", "/api/v1/organizations/o1", Answer(200, {"status": "success", "data": {"id": "o1"}}))
    assert client.request("GET", "organizations/o1").json()["data"] == {"id": "o1"}
    assert script.requests("GET", "/api/v1/organizations/o1")[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_campaign_actions_use_their_routes(client: PlatformClient, script: Script) -> None:
    ok = Answer(200, {"status": "success", "data": {"id": "c1", "status": "X"}})
    for path in ("start", "pause", "resume"):
        script.on("POST", f"/api/v1/campaigns/c1/{path}", ok)
    client.start_campaign("c1")
    client.pause_campaign("c1", "because")
    client.resume_campaign("c1")
    assert script.requests("POST", "/api/v1/campaigns/c1/pause")[0].body == {"reason": "because"}
    assert script.requests("POST", "/api/v1/campaigns/c1/start")[0].body == {}


def test_list_campaigns_walks_every_page(client: PlatformClient, script: Script) -> None:
    def page(n: int, items: list[dict[str, str]]) -> Answer:
        data = {"campaigns": items, "total": 3, "page": n, "per_page": 100, "pages": 2}
        return Answer(200, {"status": "success", "data": data})

    script.on("GET", "/api/v1/campaigns/", page(1, [{"id": "a"}, {"id": "b"}]), page(2, [{"id": "c"}]))
    assert [c["id"] for c in client.list_campaigns("org-1")] == ["a", "b", "c"]
    queries = [s.query for s in script.requests("GET", "/api/v1/campaigns/")]
    assert queries == [
        {"organization_id": ["org-1"], "page": ["1"], "per_page": ["100"]},
        {"organization_id": ["org-1"], "page": ["2"], "per_page": ["100"]},
    ]


def test_organization_campaigns_asks_for_up_to_1000_in_one_request(
    client: PlatformClient, script: Script
) -> None:
    script.on("GET", "/api/v1/organizations/org-1/campaigns", Answer(200, [{"id": "b"}, {"id": "a"}]))
    assert [c["id"] for c in client.organization_campaigns("org-1")] == ["b", "a"]
    assert client.organization_campaigns("org-1", skip=1000)  # the next slice
    queries = [s.query for s in script.requests("GET", "/api/v1/organizations/org-1/campaigns")]
    assert queries == [{"skip": ["0"], "limit": ["1000"]}, {"skip": ["1000"], "limit": ["1000"]}]


def test_organization_campaigns_that_are_not_an_array_are_an_unexpected_answer(
    client: PlatformClient, script: Script
) -> None:
    script.on("GET", "/api/v1/organizations/org-1/campaigns", Answer(200, {"status": "success", "data": {}}))
    with pytest.raises(ApiError, match="expected a JSON array of campaigns"):
        client.organization_campaigns("org-1")


def test_jobs_page_reads_one_page_of_a_campaigns_jobs(client: PlatformClient, script: Script) -> None:
    data = {"jobs": [{"id": 7}], "total": 101, "page": 2, "per_page": 100, "pages": 2}
    script.on("GET", "/api/v1/jobs/", Answer(200, {"status": "success", "data": data}))
    assert client.jobs_page("c1", 2) == data
    assert script.requests("GET", "/api/v1/jobs/")[0].query == {
        "campaign_id": ["c1"],
        "page": ["2"],
        "per_page": ["100"],
    }
    script.on("GET", "/api/v1/jobs/", Answer(200, {"status": "success", "data": {"total": 0}}))
    with pytest.raises(ApiError, match="answer has no 'jobs' list"):
        client.jobs_page("c1")


def test_request_count_counts_answers(client: PlatformClient, script: Script) -> None:
    script.on("GET", "/api/v1/campaigns/c1", Answer(200, {"status": "success", "data": {"id": "c1"}}))
    before = client.request_count
    client.get_campaign("c1")
    client.get_campaign("c1")
    assert client.request_count == before + 2


def test_list_jobs_and_leads_filter_by_campaign(client: PlatformClient, script: Script) -> None:
    one_page = {"total": 1, "page": 1, "per_page": 100, "pages": 1}
    script.on(
        "GET", "/api/v1/jobs/", Answer(200, {"status": "success", "data": {"jobs": [{"id": 1}], **one_page}})
    )
    script.on(
        "GET",
        "/api/v1/leads/",
        Answer(200, {"status": "success", "data": {"leads": [{"id": "l"}], **one_page}}),
    )
    assert client.list_jobs("c1") == [{"id": 1}]
    assert client.list_leads("c1") == [{"id": "l"}]
    assert script.requests("GET", "/api/v1/jobs/")[0].query["campaign_id"] == ["c1"]
    assert script.requests("GET", "/api/v1/leads/")[0].query["campaign_id"] == ["c1"]


def test_list_without_the_expected_key_is_an_api_error(client: PlatformClient, script: Script) -> None:
    script.on("GET", "/api/v1/jobs/", Answer(200, {"status": "success", "data": {"items": []}}))
    error = api_error(client.list_jobs, "c1")
    assert "answer has no 'jobs' list" in error.body


# ------------------------------------------------------------------------------------------- breakers


def breaker_entry(state: str, **extra: Any) -> dict[str, Any]:
    entry = {"circuit_state": state, "queue_paused": False, "pause_info": None, "failure_count": 0}
    return {**entry, "failure_threshold": 5, **extra}


def test_breakers_are_parsed_in_platform_order(client: PlatformClient, script: Script) -> None:
    entries = {s: breaker_entry("closed") for s in reversed(SERVICES)}
    entries["openai"] = breaker_entry(
        "open",
        queue_paused=True,
        failure_count=5,
        pause_info={
            "paused_at": "2026-11-28T19:03:08",
            "service": "openai",
            "reason": "circuit_breaker_open",
        },
    )
    entries["apollo"] = {"error": "redis down"}
    data = {"circuit_breakers": entries, "job_counts": {}}
    script.on("GET", "/api/v1/queue-management/status", Answer(200, {"status": "success", "data": data}))
    breakers = client.breakers()
    assert list(breakers) == list(SERVICES)
    assert breakers["openai"] == BreakerState(
        "openai", "open", 5, 5, True, "2026-11-28T19:03:08", "circuit_breaker_open"
    )
    assert breakers["perplexity"].closed
    assert breakers["apollo"].state == "unknown"
    assert breakers["apollo"].pause_reason == "redis down"


def test_queue_status_error_data_is_a_clear_api_error(client: PlatformClient, script: Script) -> None:
    data = {"error": "Error getting queue status: boom"}
    script.on("GET", "/api/v1/queue-management/status", Answer(200, {"status": "success", "data": data}))
    assert client.queue_status() == data
    error = api_error(client.breakers)
    assert error.status == 200
    assert error.body == "no breaker states: Error getting queue status: boom"


def test_parse_breaker_tolerates_junk() -> None:
    assert parse_breaker("x", "nonsense").state == "unknown"
    assert parse_breaker("x", {"circuit_state": "half_open"}) == BreakerState("x", "half_open")


def test_pause_and_resume_service(client: PlatformClient, script: Script) -> None:
    script.on(
        "POST", "/api/v1/queue-management/pause-service", Answer(200, {"status": "success", "data": {"a": 1}})
    )
    script.on(
        "POST",
        "/api/v1/queue-management/resume-service",
        Answer(200, {"status": "success", "data": {"b": 2}}),
    )
    assert client.pause_service("openai", "test") == {"a": 1}
    assert client.resume_service("openai") == {"b": 2}
    assert script.requests("POST", "/api/v1/queue-management/pause-service")[0].body == {
        "service": "openai",
        "reason": "test",
    }


# ------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, {"detail": "Cannot pause campaign in CREATED status."}, '{"detail": "Cannot pause campaign'),
        (404, {"detail": "Campaign c1 not found"}, '{"detail": "Campaign c1 not found"}'),
        (500, "Internal Server Error", "Internal Server Error"),
    ],
)
def test_error_status_carries_method_url_status_and_body(
    client: PlatformClient, script: Script, server: str, status: int, body: Any, expected: str
) -> None:
    script.on("POST", "/api/v1/campaigns/c1/pause", Answer(status, body))
    error = api_error(client.pause_campaign, "c1", "r")
    assert (error.method, error.url, error.status) == ("POST", f"{server}/api/v1/campaigns/c1/pause", status)
    assert error.body.startswith(expected)
    assert str(error).startswith(f"POST {server}/api/v1/campaigns/c1/pause -> {status}: ")


def test_error_body_is_short_and_collapsed(client: PlatformClient, script: Script) -> None:
    script.on("GET", "/api/v1/campaigns/c1", Answer(500, "line one\n\n   line    two " + "x" * 1000))
    error = api_error(client.get_campaign, "c1")
    assert error.body.startswith("line one line two xxx")
    assert len(error.body) == 300


def test_server_error_on_get_is_retried_then_succeeds(client: PlatformClient, script: Script) -> None:
    script.on(
        "GET",
        "/api/v1/campaigns/c1",
        Answer(503, "busy"),
        Answer(200, {"status": "success", "data": {"id": "c1"}}),
    )
    assert client.get_campaign("c1") == {"id": "c1"}
    assert len(script.requests("GET", "/api/v1/campaigns/c1")) == 2


def test_get_retries_are_bounded(client: PlatformClient, script: Script) -> None:
    script.on("GET", "/api/v1/campaigns/c1", Answer(502, "bad gateway"))
    error = api_error(client.get_campaign, "c1")
    assert (error.status, error.body) == (502, "bad gateway")
    assert len(script.requests("GET", "/api/v1/campaigns/c1")) == 4  # one try + three retries


def test_post_is_never_retried(client: PlatformClient, script: Script) -> None:
    script.on(
        "POST", "/api/v1/campaigns/c1/start", Answer(503, {"detail": {"message": "unavailable"}}), Answer(200)
    )
    error = api_error(client.start_campaign, "c1")
    assert error.status == 503
    assert len(script.requests("POST", "/api/v1/campaigns/c1/start")) == 1


def test_slow_answer_times_out_with_a_clear_message(server: str, script: Script) -> None:
    release = threading.Event()
    script.on("GET", "/api/v1/health/", Answer(200, {"status": "healthy"}, block=release))
    try:
        with PlatformClient(server, timeout=0.3) as slow:
            error = api_error(slow.health)
    finally:
        release.set()
    assert error.status is None
    assert error.body == "timed out after 0.3s"
    assert "no response" in str(error)
    assert len(script.requests("GET", "/api/v1/health/")) == 1  # a timeout is not retried


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_is_a_clear_api_error() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    with PlatformClient(url, timeout=1.0, backoff_s=0.0) as c:
        get_error = api_error(c.health)
        post_error = api_error(c.create_organization, "n", "d")
    assert (get_error.method, get_error.url, get_error.status) == ("GET", f"{url}/api/v1/health/", None)
    assert get_error.body == "connection refused"
    assert post_error.body == "connection refused"
    assert str(get_error) == f"GET {url}/api/v1/health/ -> no response: connection refused"


# ------------------------------------------------------------------------------------------- secrets


def test_token_and_password_never_appear_in_errors_or_repr(client: PlatformClient, script: Script) -> None:
    logged_in(client, script)
    echo = {"detail": [{"input": PASSWORD}, {"seen": f"Bearer {TOKEN}"}, {"token": TOKEN}]}
    script.on("GET", "/api/v1/queue-management/status", Answer(401, echo))
    error = api_error(client.queue_status)
    for text in (str(error), error.body, repr(error), repr(client)):
        assert TOKEN not in text
        assert PASSWORD not in text
    assert "***" in error.body
    assert "authenticated=True" in repr(client)


def test_unknown_secrets_in_bodies_are_masked_by_shape(client: PlatformClient, script: Script) -> None:
    body = {"token": {"access_token": "abc.def.ghi"}, "password": "pw123456", "h": "Bearer zzz.yyy"}
    script.on("GET", "/api/v1/queue-management/status", Answer(500, body))
    error = api_error(client.queue_status)
    assert "abc.def.ghi" not in error.body
    assert "pw123456" not in error.body
    assert "zzz.yyy" not in error.body


def test_login_failure_hides_the_password(client: PlatformClient, script: Script) -> None:
    script.on("POST", "/api/v1/auth/login", Answer(422, {"detail": [{"msg": "bad", "input": PASSWORD}]}))
    error = api_error(client.login, "a@b.c", PASSWORD)
    assert PASSWORD not in str(error)
    assert error.status == 422


def test_request_returns_any_status_and_can_leave_out_the_token(
    client: PlatformClient, script: Script
) -> None:
    logged_in(client, script)
    script.on("GET", "/api/v1/campaigns", Answer(401, {"status": "error"}))
    response = client.request("GET", "campaigns", auth=False)
    assert response.status_code == 401
    assert "Authorization" not in script.requests("GET", "/api/v1/campaigns")[0].headers
    script.on("GET", "/docs", Answer(200, "docs"))
    assert client.request("GET", "/docs").text == "docs"
    assert script.requests("GET", "/docs")[0].headers["Authorization"] == f"Bearer {TOKEN}"


# ------------------------------------------------------------------------------------------- fault control


def test_fault_control_protocol(server: str, script: Script) -> None:
    faults = {s: {"mode": "ok", "delay_ms": None} for s in SERVICES}
    script.on("GET", "/sandbox/faults", Answer(200, {"faults": faults}))
    script.on("POST", "/sandbox/faults", Answer(200, {"service": "openai", "mode": "slow", "delay_ms": 50}))
    script.on(
        "DELETE", "/sandbox/faults", Answer(200, [{"service": "openai", "mode": "ok", "delay_ms": None}])
    )
    with FaultControl(server + "/", timeout=2.0) as control:
        assert control.faults() == faults
        assert control.set("openai", "slow", delay_ms=50)["mode"] == "slow"
        control.set("apollo", "error")
        assert control.heal_all() == [{"service": "openai", "mode": "ok", "delay_ms": None}]
        assert repr(control) == f"FaultControl({server!r}, timeout=2)"
    posts = [s.body for s in script.requests("POST", "/sandbox/faults")]
    assert posts == [
        {"service": "openai", "mode": "slow", "delay_ms": 50},
        {"service": "apollo", "mode": "error"},
    ]


def test_fault_control_disabled_is_an_api_error(server: str, script: Script) -> None:
    with FaultControl(server, timeout=2.0) as control:
        error = api_error(control.set, "openai", "nope")
    assert error.status == 404
    assert error.url == f"{server}/sandbox/faults"


# ------------------------------------------------------------------------------------------- expired token


def test_an_expired_token_logs_in_again_once_and_repeats_the_request(
    client: PlatformClient, script: Script
) -> None:
    logged_in(client, script)
    expired = Answer(401, {"detail": "Invalid token"})
    script.on("POST", "/api/v1/organizations/", expired, Answer(201, {"id": "o1", "name": "n"}))
    assert client.create_organization("n", "d") == {"id": "o1", "name": "n"}
    assert len(script.requests("POST", "/api/v1/auth/login")) == 2  # the first login and the second one
    assert len(script.requests("POST", "/api/v1/organizations/")) == 2
    assert client.relogins == 1


def test_a_second_401_after_logging_in_again_is_a_clear_failure(
    client: PlatformClient, script: Script
) -> None:
    logged_in(client, script)
    script.on("GET", "/api/v1/queue-management/status", Answer(401, {"detail": "Invalid token"}))
    error = api_error(client.queue_status)
    assert error.status == 401
    assert "still rejected after logging in again" in error.body
    assert (
        len(script.requests("GET", "/api/v1/queue-management/status")) == 2
    )  # once, and once more after the new login
    assert len(script.requests("POST", "/api/v1/auth/login")) == 2
