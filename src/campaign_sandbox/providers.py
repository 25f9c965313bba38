"""Fake third-party providers and the fault registry that makes them fail, hang, slow down or heal.

Every provider call goes through ``Providers.call``: it asks the service's local rate limiter (as-built
profile), applies the service's current fault, sleeps the configured latency and feeds the service's circuit
breaker (success, or failure of type "exception" / "rate_limit"), each step as the profile says.
"""

from __future__ import annotations

import enum
import hashlib
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from campaign_common.waiting import Deadline, wait_until
from campaign_sandbox.breaker import SERVICES, BreakerRegistry, Service
from campaign_sandbox.defects import NONE, Defect, Defects
from campaign_sandbox.profile import Profile, RateLimiter

T = TypeVar("T")

LEAD_DOMAIN = "leads.invalid"
HANG_POLL_S = 0.02  # how soon a hanging call notices that its fault was healed


class FaultMode(enum.StrEnum):
    OK = "ok"
    ERROR = "error"
    HANG = "hang"
    SLOW = "slow"


@dataclass(frozen=True)
class Fault:
    mode: FaultMode = FaultMode.OK
    delay_ms: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"mode": self.mode.value, "delay_ms": self.delay_ms}


class FaultRegistry:
    """Current fault per service; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[Service, Fault] = {s: Fault() for s in SERVICES}

    def get(self, service: Service) -> Fault:
        with self._lock:
            return self._faults[service]

    def set(self, service: Service, mode: FaultMode, delay_ms: int | None = None) -> Fault:
        fault = Fault(mode, delay_ms)
        with self._lock:
            self._faults[service] = fault
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults = {s: Fault() for s in SERVICES}

    def snapshot(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {s.value: self._faults[s].as_dict() for s in SERVICES}


class ProviderError(Exception):
    """A provider call failed (an injected fault)."""


class RateLimited(ProviderError):
    """The local rate limiter refused the call (as-built profile); the text is the platform's."""


class ProvidersStopped(Exception):
    """The sandbox is shutting down; the work in hand is abandoned."""


def _ref(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:8]


def _uuid5(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "|".join(parts)))


class Providers:
    """The fake Apollo, MillionVerifier, Perplexity, OpenAI and Instantly."""

    def __init__(
        self,
        faults: FaultRegistry,
        breakers: BreakerRegistry,
        *,
        latency_s: float,
        fetch_latency_s: float,
        hang_timeout_s: float,
        slow_delay_s: float,
        stop: threading.Event,
        profile: Profile,
        clock: Callable[[], float] = time.monotonic,
        defects: Defects = NONE,
    ) -> None:
        self.faults = faults
        self.defects = defects
        self._last_fetched: dict[str, Any] | None = None  # duplicate-leads hands it out again
        self._fetch_lock = threading.Lock()
        self.breakers = breakers
        self.profile = profile
        self.limiters = {s: RateLimiter(s, limit, clock) for s, limit in profile.rate_limits.items()}
        self.lead_pool = LeadPool()
        self.latency_s = latency_s
        self.fetch_latency_s = fetch_latency_s
        self.hang_timeout_s = hang_timeout_s
        self.slow_delay_s = slow_delay_s
        self._stop = stop

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Sleep (the providers are a `Clock` for their own waits), ended early when the sandbox stops."""
        if seconds > 0 and self._stop.wait(seconds):
            raise ProvidersStopped()

    def _apply_fault(self, service: Service) -> None:
        fault = self.faults.get(service)
        if fault.mode is FaultMode.ERROR:
            if fault.delay_ms:
                self.sleep(fault.delay_ms / 1000)
            raise ProviderError(f"[fake-{service.value}] service unavailable (fault injected, mode=error)")
        if fault.mode is FaultMode.SLOW:
            self.sleep(fault.delay_ms / 1000 if fault.delay_ms is not None else self.slow_delay_s)
        elif fault.mode is FaultMode.HANG:
            # Poll so that healing the fault (or stopping the sandbox) releases the call promptly.
            wait_until(
                lambda: self.faults.get(service).mode is not FaultMode.HANG,
                Deadline.after(self.hang_timeout_s, self),
                lambda _: ProviderError(
                    f"[fake-{service.value}] request timed out after {self.hang_timeout_s:g} s "
                    "(fault injected, mode=hang)"
                ),
                interval_s=HANG_POLL_S,
                max_interval_s=HANG_POLL_S,
            )

    def call(self, service: Service, action: Callable[[], T], latency_s: float | None = None) -> T:
        """Run one provider call: rate limit, fault, latency, then the breaker learns how it went.

        Raises ``RateLimited`` or ``ProviderError``. Whether the breaker hears of it, and as what, is the
        profile's: as built, Apollo and MillionVerifier feed nothing and Perplexity/Instantly failures come
        back as HTTP errors that count as successes (quirks 25, 26).
        """
        feeds = service in self.profile.breaker_services
        limiter = self.limiters.get(service)
        if limiter is not None and not limiter.acquire():
            message = limiter.rejection()
            if feeds:
                self.breakers[service].record_failure(message, "rate_limit")
            raise RateLimited(message)
        try:
            if service in self.profile.faulted_services:
                self._apply_fault(service)
            self.sleep(self.latency_s if latency_s is None else latency_s)
            result = action()
        except ProviderError as exc:
            if feeds and service in self.profile.http_error_services:
                self.breakers[service].record_success()
            elif feeds:
                self.breakers[service].record_failure(str(exc), "exception")
            raise
        if feeds:
            self.breakers[service].record_success()
        return result

    # -- the providers -----------------------------------------------------------------------------
    def fetch_leads(self, campaign_id: str, count: int) -> list[dict[str, Any]]:
        """Apollo (through Apify): ``count`` synthetic records, emails unique across campaigns and runs; or,
        with the shared pool (as built), the next 10 records of the pool whatever ``count`` says."""
        if self.profile.shared_lead_pool:
            records = self.call(Service.APOLLO, self.lead_pool.take, self.fetch_latency_s)
        else:
            records = self.call(
                Service.APOLLO, lambda: _synthetic_records(campaign_id, count), self.fetch_latency_s
            )
        if self.defects.active(Defect.DUPLICATE_LEADS):
            records = self._repeat_a_lead(records)
        return records

    def _repeat_a_lead(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """duplicate-leads: the last record with an email becomes the previous fetch's first one again, its
        email in capitals (another string to the case-sensitive save and unique index, the same person)."""
        with self._fetch_lock:
            with_email = [i for i, r in enumerate(records) if str(r.get("email") or "").strip()]
            previous = self._last_fetched
            self._last_fetched = records[with_email[0]] if with_email else None
            if previous is None or not with_email:
                return records
            out = list(records)
            out[with_email[-1]] = {**previous, "email": str(previous["email"]).upper()}
            return out

    def verify_email(self, email: str) -> dict[str, Any]:
        return self.call(Service.MILLIONVERIFIER, lambda: _verification(email))

    def enrich(self, lead: dict[str, Any]) -> dict[str, Any]:
        return self.call(Service.PERPLEXITY, lambda: _perplexity(lead))

    def email_copy(self, lead: dict[str, Any]) -> dict[str, Any]:
        return self.call(Service.OPENAI, lambda: _openai(lead))

    def create_lead(self, lead: dict[str, Any], campaign: str | None, copy: str) -> dict[str, Any]:
        return self.call(Service.INSTANTLY, lambda: _instantly_lead(lead, campaign, copy))

    def create_instantly_campaign(self, name: str) -> str | None:
        """Campaign creation's synchronous Instantly call; it never feeds the breaker (as on the platform)."""
        if self.faults.get(Service.INSTANTLY).mode is not FaultMode.OK:
            return None
        limiter = self.limiters.get(Service.INSTANTLY)
        if limiter is not None and not limiter.acquire():
            return None  # as built, a rejection just skips the id (contract §7)
        return _uuid5("instantly-campaign", name, uuid.uuid4().hex)


# How many of each 10 records of the shared pool have an email (5-10, mean 7.7, like the platform's seed
# file: 393 of 500). Any three consecutive fetches get at least 21 leads, so 3 campaigns started together
# always pass OpenAI's 15 requests per minute by at least 5: enough to open its breaker by themselves.
_EMAILS_PER_FETCH = (8, 7, 9, 6, 8, 10, 7, 5, 9, 8)
POOL_RECORDS = 500
RECORDS_PER_FETCH = 10


class LeadPool:
    """The platform's mock Apify dataset (contract §4.3): one shared list, 10 records popped per fetch.

    Records without an email are in it (the save skips them). When the list runs dry it is refilled with
    fresh records, as the platform's smoke test resets it, so a long run never starves.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: deque[dict[str, Any]] = deque()
        self.refills = 0

    def take(self) -> list[dict[str, Any]]:
        with self._lock:
            if not self._records:
                self._refill()
            return [self._records.popleft() for _ in range(min(RECORDS_PER_FETCH, len(self._records)))]

    def _refill(self) -> None:
        self.refills += 1
        records = _synthetic_records(f"shared-pool-{self.refills}", POOL_RECORDS)
        for i, record in enumerate(records):
            with_email = _EMAILS_PER_FETCH[(i // RECORDS_PER_FETCH) % len(_EMAILS_PER_FETCH)]
            if i % RECORDS_PER_FETCH >= with_email:
                record["email"] = None if i % 2 else "  "  # both are skipped by the save
                record["email_status"] = "unavailable"
        self._records.extend(records)


_FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "John", "Radia", "Ken")
_LAST = (
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Backus",
    "Perlman",
    "Thompson",
)
_TITLES = ("CEO", "Founder", "CTO", "Head of Sales", "VP Marketing")
_COMPANIES = ("Example Company", "Acme Corp", "Globex", "Initech", "Umbrella Labs")


def _synthetic_records(campaign_id: str, count: int) -> list[dict[str, Any]]:
    run = uuid.uuid4().hex[:12]  # a fresh fragment per fetch: unique across campaigns and runs
    records = []
    for i in range(count):
        first, last = _FIRST[i % len(_FIRST)], _LAST[(i // len(_FIRST)) % len(_LAST)]
        title, company = _TITLES[i % len(_TITLES)], _COMPANIES[i % len(_COMPANIES)]
        email = f"lead-{run}-{i:04d}@{LEAD_DOMAIN}"
        records.append(
            {
                "id": _uuid5("apollo", email),
                "first_name": first,
                "last_name": last,
                "name": f"{first} {last}",
                "email": email,
                "email_status": "verified",
                "title": title,
                "headline": f"{title} at {company}",
                "linkedin_url": "http://www.linkedin.com/in/redacted",
                "organization": {"name": company},
                "organization_name": company,
                "source": "fake-apollo",
                "campaign_ref": campaign_id,
            }
        )
    return records


def _verification(email: str) -> dict[str, Any]:
    return {
        "email": email,
        "result": "deliverable",
        "score": 99,
        "quality_score": "good",
        "is_disposable": False,
        "is_role_account": False,
        "is_free": False,
        "is_mx_found": True,
        "is_smtp_valid": True,
        "is_catch_all": False,
        "is_deliverable": True,
        "is_disabled": False,
        "credits_used": 1,
        "execution_time": 0.1,
    }


def _perplexity(lead: dict[str, Any]) -> dict[str, Any]:
    ref = _ref("perplexity", str(lead.get("email")))
    headline = lead.get("headline") or lead.get("title") or ""
    content = (
        f"{lead.get('first_name')} {lead.get('last_name')} is the {headline} at {lead.get('company')}. "
        f"[fake-perplexity] (deterministic offline enrichment, ref {ref})"
    )
    return {
        "id": _uuid5("perplexity", ref),
        "model": "llama-3.1-sonar-small-128k-online",
        "object": "chat.completion",
        "created": 1717372800,
        "citations": [f"https://example.invalid/fake-citation/{ref[:6]}"],
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content},
                "delta": {"role": "assistant", "content": ""},
            }
        ],
        "usage": {"prompt_tokens": 20, "completion_tokens": 45, "total_tokens": 65},
    }


def _openai(lead: dict[str, Any]) -> dict[str, Any]:
    ref = _ref("openai", str(lead.get("email")))
    content = (
        f"Subject: A quick idea for {lead.get('company')}\n\nHi {lead.get('first_name')},\n\n"
        "Would you be open to a 15-minute call next week?\n\nBest regards,\n"
        f"The Fake OpenAI Copywriter\n[fake-openai ref {ref}]"
    )
    return {
        "id": f"chatcmpl-fake{ref}",
        "choices": [
            {
                "finish_reason": "stop",
                "index": 0,
                "logprobs": None,
                "message": {"content": content, "refusal": None, "role": "assistant"},
            }
        ],
        "created": 1717372800,
        "model": "gpt-4-0613",
        "object": "chat.completion",
        "usage": {"completion_tokens": 65, "prompt_tokens": 109, "total_tokens": 174},
    }


def _instantly_lead(lead: dict[str, Any], campaign: str | None, copy: str) -> dict[str, Any]:
    email = str(lead.get("email"))
    return {
        "id": _uuid5("instantly-lead", email),
        "campaign": campaign,
        "email": email,
        "first_name": lead.get("first_name"),
        "personalization": copy,
        "status": 1,
        "email_open_count": 0,
        "email_reply_count": 0,
        "email_click_count": 0,
        "timestamp_created": "2024-06-03T00:00:00.000Z",
        "timestamp_updated": "2024-06-03T00:00:00.000Z",
    }
