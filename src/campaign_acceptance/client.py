"""HTTP access to the platform (``PlatformClient``) and to the sandbox's fault control (``FaultControl``).

One ``requests.Session`` per client, a default timeout on every call, retries (urllib3 ``Retry``) only for
GET/HEAD on connection errors and 502/503/504 with a short bounded backoff, the ``/api/v1`` prefix and the
collection routes' trailing slash added here (no 307 round trip), the ``{"status":"success","data":X}``
envelope unwrapped.

Every failure is an ``ApiError(method, url, status, body)``: status None when no answer came (refused, timed
out), otherwise the answer's status and a short excerpt of its body. Secrets the client knows (the bearer
token, passwords it sent) never appear in errors or in ``repr``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import ConnectionPool
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from campaign_acceptance.errors import ApiError
from campaign_acceptance.model import SERVICES, BreakerState
from campaign_acceptance.routes import ROUTES, Route
from campaign_common.api_path import api_path, strip_api_prefix
from campaign_common.redaction import redact, redact_url

__all__ = ["Answer", "FaultControl", "PlatformClient", "parse_breaker", "unwrap"]
PER_PAGE = 100  # the platform's maximum page size for campaigns, jobs and leads
ORG_CAMPAIGNS_LIMIT = 1000  # the maximum `limit` of GET /organizations/{id}/campaigns (contract 1.3)
EXCERPT_CHARS = 300
DEFAULT_SEARCH_URL = (
    "https://app.apollo.io/#/people?contactEmailStatusV2%5B%5D=verified"
    "&personTitles%5B%5D=CEO&personTitles%5B%5D=Founder&page=1"
)
_MAX_PAGES = 10_000  # a platform that keeps reporting more pages must not loop the suite forever


class _ReadOnlyRetry(Retry):
    """urllib3 retries connect errors for every method; the suite never repeats anything but a read."""

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        if method is not None and not self._is_method_retryable(method):
            # total=0: the next increment is exhausted, so urllib3 raises MaxRetryError as for a last attempt.
            return Retry.increment(self.new(total=0), method, url, response, error, _pool, _stacktrace)
        return super().increment(method, url, response, error, _pool, _stacktrace)


def _session(retries: int, backoff_s: float) -> requests.Session:
    retry = _ReadOnlyRetry(
        total=retries,
        connect=retries,
        read=False,  # a read timeout or dropped answer is not retried: "timed out after 10s" must mean 10 s
        status=retries,
        other=0,
        allowed_methods=frozenset({"GET", "HEAD"}),
        status_forcelist=(502, 503, 504),
        backoff_factor=backoff_s,
        backoff_max=2.0,
        respect_retry_after_header=False,  # a long Retry-After would break the bounded backoff
        raise_on_status=False,  # the last 5xx answer becomes an ApiError with its body
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@dataclass(frozen=True)
class Answer:
    """A route's last successful answer as sent (envelope included): what the contract check reads."""

    status: int
    body: Any


class _HttpBase:
    """What both clients share: the session, the timeout, error mapping and secret hiding."""

    def __init__(self, base_url: str, timeout: float, *, retries: int = 3, backoff_s: float = 0.1) -> None:
        self.base_url = strip_api_prefix(base_url)
        self.timeout = timeout
        self._session = _session(retries, backoff_s)
        self._secrets: set[str] = set()
        self.answers: dict[str, Answer] = {}  # by route name (routes.ROUTES): the last answer of each
        # HTTP answers received, redirects included (urllib3's retries are not seen): the monitor's budget.
        self.request_count = 0
        self._session.hooks["response"].append(self._count)

    def _count(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.request_count += 1

    def _remember_secret(self, secret: str) -> None:
        if len(secret) >= 6:  # shorter strings would blank out ordinary words of an excerpt
            self._secrets.add(secret)

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _send(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str | None] | None = None,
        allow_redirects: bool = True,
    ) -> requests.Response:
        try:
            return self._session.request(
                method,
                url,
                json=json,
                params=params,
                headers=dict(headers) if headers else None,
                timeout=self.timeout,
                allow_redirects=allow_redirects,
            )
        except requests.Timeout:
            raise self._error(method, url, None, f"timed out after {self.timeout:g}s") from None
        except requests.ConnectionError as exc:
            raise self._error(method, url, None, _connection_text(exc)) from None
        except requests.RequestException as exc:
            raise self._error(method, url, None, f"request failed: {type(exc).__name__}: {exc}") from None

    def _call(self, method: str, url: str, *, route: str | None = None, **kwargs: Any) -> Any:
        """Send, raise ApiError unless 2xx, return the body with its envelope removed (and keep it as the
        answer of ``route``)."""
        response = self._send(method, url, **kwargs)
        if not response.ok:
            raise self._error(method, response.url or url, response.status_code, response.text)
        body = _json_or_text(response)
        if route is not None:
            self.answers[route] = Answer(response.status_code, body)
        return unwrap(body)

    def _object(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        """Like _call, for answers that must be a JSON object: anything else is an unexpected answer."""
        body = self._call(method, url, **kwargs)
        if not isinstance(body, dict):
            shown = f"expected a JSON object, got {type(body).__name__}: {body}"
            raise self._error(method, url, 200, shown)
        return body

    def _error(self, method: str, url: str, status: int | None, text: str) -> ApiError:
        return ApiError(method, redact_url(url), status, self.excerpt(text))

    def excerpt(self, text: str) -> str:
        """At most 300 characters of ``text``, whitespace collapsed, known secrets and tokens hidden."""
        text = " ".join(redact(text, self._secrets).split())
        return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def unwrap(body: Any) -> Any:
    """``{"status": "success", "data": X}`` -> X; any other body (bare objects, lists, text) as it is."""
    if isinstance(body, dict) and body.get("status") == "success" and "data" in body:
        return body["data"]
    return body


def _json_or_text(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def _connection_text(exc: requests.ConnectionError) -> str:
    reason = str(exc)
    if "Connection refused" in reason or "ConnectionRefusedError" in reason:
        return "connection refused"
    if "Name or service not known" in reason or "nodename nor servname" in reason:
        return "host name not found"
    return "connection failed: " + reason


class PlatformClient(_HttpBase):
    """The platform's API as the suite uses it; ``base_url`` is the host part (a trailing /api/v1 is dropped).

    ``signup``/``login`` return the user object; every other operation returns the unwrapped ``data``.
    """

    def __init__(
        self, base_url: str, timeout: float = 10.0, *, retries: int = 3, backoff_s: float = 0.1
    ) -> None:
        super().__init__(base_url, timeout, retries=retries, backoff_s=backoff_s)
        self._authenticated = False
        self._credentials: tuple[str, str] | None = None  # for logging in again; never shown
        self.relogins = 0  # times an expired token was replaced by logging in again

    def __repr__(self) -> str:
        return (
            f"PlatformClient({redact_url(self.base_url)!r}, timeout={self.timeout:g}, "
            f"authenticated={self._authenticated})"
        )

    def url(self, path: str) -> str:
        """Absolute URL: ``campaigns/`` -> ``<base>/api/v1/campaigns/``; ``/docs`` -> ``<base>/docs``."""
        return self.base_url + (path if path.startswith("/") else api_path(path))

    # -- raw access, for scenarios about the contract itself -------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        auth: bool = True,
        headers: Mapping[str, str] | None = None,
        allow_redirects: bool = True,
    ) -> requests.Response:
        """Send exactly this request and return the response whatever its status (no unwrapping, no slash
        added). Only a missing answer raises ApiError. ``auth=False`` leaves the bearer token out."""
        sent: dict[str, str | None] = {} if auth else {"Authorization": None}
        sent.update(headers or {})
        return self._send(
            method.upper(),
            self.url(path),
            json=json,
            params=params,
            headers=sent,
            allow_redirects=allow_redirects,
        )

    def _call(self, method: str, url: str, **kwargs: Any) -> Any:
        """As the base, but a 401 (the platform's tokens expire after 30 minutes) logs in again once and
        repeats the request: a 401 means the platform did not act on it, so even a write is safe to repeat.
        A second 401 is a clear failure."""
        try:
            return super()._call(method, url, **kwargs)
        except ApiError as error:
            if error.status != 401 or self._credentials is None:
                raise
        self._login_again(method, url)
        try:
            return super()._call(method, url, **kwargs)
        except ApiError as again:
            if again.status != 401:
                raise
            raise self._error(
                method, url, 401, f"still rejected after logging in again: {again.body}"
            ) from None

    def _login_again(self, method: str, url: str) -> None:
        assert self._credentials is not None
        email, password = self._credentials
        self._credentials = None  # the login itself must not loop on a 401
        try:
            self.login(email, password)
        except ApiError as error:
            raise self._error(
                method, url, 401, f"token rejected and logging in again failed: {error}"
            ) from None
        self.relogins += 1

    def _route(
        self,
        name: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        segments: Mapping[str, str | int] | None = None,
    ) -> dict[str, Any]:
        """Call the route ``name`` of routes.ROUTES: its method and path, only the parameters and body
        fields it declares (so the table the contract check compares cannot miss one)."""
        route = ROUTES[name]
        _declared(route, "query parameter", params or {}, route.query)
        _declared(route, "body field", json if isinstance(json, dict) else {}, route.body)
        url = self.url(route.at(**(segments or {})))
        return self._object(route.method, url, json=json, params=params, route=name)

    def _field(self, body: dict[str, Any], key: str, name: str) -> dict[str, Any]:
        value = body.get(key)
        if not isinstance(value, dict):
            route = ROUTES[name]
            shown = f"answer has no {key!r} object: {body}"
            raise self._error(route.method, self.url(route.path), 200, shown)
        return value

    # -- health and auth ---------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return self._route("health")

    def signup(self, email: str, password: str) -> dict[str, Any]:
        """Register a user; returns the user object (``id``, ``email``, ...)."""
        self._remember_secret(password)
        body = self._route(
            "signup", json={"email": email, "password": password, "confirm_password": password}
        )
        return self._field(body, "user", "signup")

    def login(self, email: str, password: str) -> dict[str, Any]:
        """Log in and keep the bearer token in the session for every later call; returns the user object."""
        self._remember_secret(password)
        body = self._route("login", json={"email": email, "password": password})
        token = self._field(body, "token", "login").get("access_token")
        if not isinstance(token, str) or not token:
            raise self._error("POST", self.url("auth/login"), 200, "login answer has no token.access_token")
        self._remember_secret(token)
        kept = self.answers["login"]
        self.answers["login"] = Answer(kept.status, _token_hidden(kept.body))
        self._session.headers["Authorization"] = f"Bearer {token}"
        self._authenticated = True
        self._credentials = (email, password)
        return self._field(body, "user", "login")

    # -- organizations and campaigns ---------------------------------------------------------------------

    def create_organization(self, name: str, description: str) -> dict[str, Any]:
        return self._route("create_organization", json={"name": name, "description": description})

    def create_campaign(
        self,
        organization_id: str,
        name: str,
        total_records: int,
        *,
        description: str | None = None,
        file_name: str = "acceptance.csv",
        url: str = DEFAULT_SEARCH_URL,
    ) -> dict[str, Any]:
        payload = {
            "name": name,
            "description": description if description is not None else name,
            "organization_id": organization_id,
            "fileName": file_name,
            "totalRecords": total_records,
            "url": url,
        }
        return self._route("create_campaign", json=payload)

    def start_campaign(self, campaign_id: str) -> dict[str, Any]:
        return self._route("start_campaign", json={}, segments={"id": campaign_id})

    def get_campaign(self, campaign_id: str) -> dict[str, Any]:
        return self._route("get_campaign", segments={"id": campaign_id})

    def pause_campaign(self, campaign_id: str, reason: str) -> dict[str, Any]:
        return self._route("pause_campaign", json={"reason": reason}, segments={"id": campaign_id})

    def resume_campaign(self, campaign_id: str) -> dict[str, Any]:
        return self._route("resume_campaign", segments={"id": campaign_id})

    def list_campaigns(self, organization_id: str) -> list[dict[str, Any]]:
        """Every campaign of the organization (all pages, 100 per page)."""
        return self._all_pages("list_campaigns", "campaigns", {"organization_id": organization_id})

    def organization_campaigns(
        self, organization_id: str, skip: int = 0, limit: int = ORG_CAMPAIGNS_LIMIT
    ) -> list[dict[str, Any]]:
        """One slice of the organization's campaigns, newest first (``GET /organizations/{id}/campaigns``,
        a bare array): up to 1,000 campaigns in one request where the campaigns list pages by 100."""
        route = ROUTES["organization_campaigns"]
        url = self.url(route.at(id=organization_id))
        body = self._call(
            route.method, url, params={"skip": skip, "limit": limit}, route="organization_campaigns"
        )
        if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
            raise self._error(route.method, url, 200, f"expected a JSON array of campaigns, got: {body}")
        return body

    def list_jobs(self, campaign_id: str) -> list[dict[str, Any]]:
        return self._all_pages("list_jobs", "jobs", {"campaign_id": campaign_id})

    def jobs_page(self, campaign_id: str, page: int = 1) -> dict[str, Any]:
        """One page (100 jobs) of a campaign's jobs: ``{"jobs": [...], "total", "page", "per_page", "pages"}``
        as the platform sent it (its job query has no ORDER BY: pages read apart may overlap or miss jobs,
        which ``total`` shows)."""
        data = self._route(
            "list_jobs", params={"campaign_id": campaign_id, "page": page, "per_page": PER_PAGE}
        )
        if not isinstance(data.get("jobs"), list):
            raise self._error(
                "GET", self.url(ROUTES["list_jobs"].path), 200, f"answer has no 'jobs' list: {data}"
            )
        return data

    def list_leads(self, campaign_id: str) -> list[dict[str, Any]]:
        return self._all_pages("list_leads", "leads", {"campaign_id": campaign_id})

    def _all_pages(self, name: str, key: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page, pages = 1, 1
        while page <= pages and page <= _MAX_PAGES:
            data = self._route(name, params={**params, "page": page, "per_page": PER_PAGE})
            chunk = data.get(key)
            if not isinstance(chunk, list):
                url = self.url(ROUTES[name].path)
                raise self._error("GET", url, 200, f"answer has no {key!r} list: {data}")
            items.extend(chunk)
            pages = int(data.get("pages") or 1)
            page += 1
        return items

    # -- queue management --------------------------------------------------------------------------------

    def queue_status(self) -> dict[str, Any]:
        """``GET /queue-management/status`` data as the platform sent it."""
        return self._route("queue_status")

    def breakers(self) -> dict[str, BreakerState]:
        """Every service's breaker in the platform's order; an entry it could not read is state "unknown"."""
        data = self.queue_status()
        entries = data.get("circuit_breakers")
        if not isinstance(entries, dict):
            # Quirk 41: on an internal failure the platform answers 200 with data {"error": ...}.
            shown = data.get("error", data)
            url = self.url(ROUTES["queue_status"].path)
            raise self._error("GET", url, 200, f"no breaker states: {shown}")
        order = [s for s in SERVICES if s in entries] + [s for s in entries if s not in SERVICES]
        return {service: parse_breaker(service, entries[service]) for service in order}

    def pause_service(self, service: str, reason: str) -> dict[str, Any]:
        return self._route("pause_service", json={"service": service, "reason": reason})

    def resume_service(self, service: str) -> dict[str, Any]:
        return self._route("resume_service", json={"service": service})


def _token_hidden(body: Any) -> Any:
    """The answer with every ``access_token`` value replaced by ``***``: its place and type, not the token."""
    if isinstance(body, dict):
        return {k: "***" if k == "access_token" else _token_hidden(v) for k, v in body.items()}
    if isinstance(body, list):
        return [_token_hidden(v) for v in body]
    return body


def _declared(route: Route, what: str, given: Mapping[str, Any], declared: tuple[str, ...]) -> None:
    undeclared = sorted(set(given) - set(declared))
    if undeclared:  # a programming error: the contract check would not know the suite relies on it
        raise ValueError(f"{route.label}: {what} {', '.join(undeclared)} not declared in routes.ROUTES")


def parse_breaker(service: str, entry: Any) -> BreakerState:
    """One ``circuit_breakers`` entry -> BreakerState; ``{"error": ...}`` or junk -> state "unknown"."""
    if not isinstance(entry, dict) or "circuit_state" not in entry:
        reason = entry.get("error") if isinstance(entry, dict) else None
        return BreakerState(service=service, state="unknown", pause_reason=str(reason) if reason else None)
    pause_info = entry.get("pause_info")
    pause: dict[str, Any] = pause_info if isinstance(pause_info, dict) else {}
    return BreakerState(
        service=service,
        state=str(entry["circuit_state"]),
        failure_count=int(entry.get("failure_count") or 0),
        failure_threshold=int(entry.get("failure_threshold") or 5),
        queue_paused=bool(entry.get("queue_paused")),
        paused_at=pause.get("paused_at"),
        pause_reason=pause.get("reason"),
    )


class FaultControl(_HttpBase):
    """The sandbox's fault protocol (``/sandbox/faults``, outside /api/v1; 404 when fault control is off)."""

    def __repr__(self) -> str:
        return f"FaultControl({redact_url(self.base_url)!r}, timeout={self.timeout:g})"

    def _faults_url(self) -> str:
        return f"{self.base_url}/sandbox/faults"

    def faults(self) -> dict[str, dict[str, Any]]:
        """``{"<service>": {"mode": ..., "delay_ms": ...}}`` for every service."""
        body = self._object("GET", self._faults_url())
        faults = body.get("faults")
        if not isinstance(faults, dict):
            raise self._error("GET", self._faults_url(), 200, f"answer has no 'faults' object: {body}")
        return faults

    def set(self, service: str, mode: str, delay_ms: int | None = None) -> dict[str, Any]:
        """Make a provider fail (``error``), ``hang``, go ``slow`` or heal (``ok``); returns its entry."""
        payload: dict[str, Any] = {"service": service, "mode": mode}
        if delay_ms is not None:
            payload["delay_ms"] = delay_ms
        return self._object("POST", self._faults_url(), json=payload)

    def heal_all(self) -> Any:
        """Every service back to ``ok``; returns the sandbox's answer (the faults after healing)."""
        return self._call("DELETE", self._faults_url())
