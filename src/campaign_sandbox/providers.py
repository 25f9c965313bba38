"""Fake third-party providers and the fault registry that makes them fail, hang, slow down or heal.

Every provider call goes through ``Providers.call``: it applies the service's current fault, sleeps the
configured latency and feeds the service's circuit breaker (success, or failure of type "exception").
"""

from __future__ import annotations

import enum
import hashlib
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from campaign_sandbox.breaker import SERVICES, BreakerRegistry, Service

T = TypeVar("T")

LEAD_DOMAIN = "leads.invalid"


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
    ) -> None:
        self.faults = faults
        self.breakers = breakers
        self.latency_s = latency_s
        self.fetch_latency_s = fetch_latency_s
        self.hang_timeout_s = hang_timeout_s
        self.slow_delay_s = slow_delay_s
        self._stop = stop

    def _sleep(self, seconds: float) -> None:
        if seconds > 0 and self._stop.wait(seconds):
            raise ProvidersStopped()

    def _apply_fault(self, service: Service) -> None:
        fault = self.faults.get(service)
        if fault.mode is FaultMode.ERROR:
            if fault.delay_ms:
                self._sleep(fault.delay_ms / 1000)
            raise ProviderError(f"[fake-{service.value}] service unavailable (fault injected, mode=error)")
        if fault.mode is FaultMode.SLOW:
            self._sleep(fault.delay_ms / 1000 if fault.delay_ms is not None else self.slow_delay_s)
        elif fault.mode is FaultMode.HANG:
            deadline = time.monotonic() + self.hang_timeout_s
            # Poll so that healing the fault (or stopping the sandbox) releases the call promptly.
            while self.faults.get(service).mode is FaultMode.HANG:
                if time.monotonic() >= deadline:
                    raise ProviderError(
                        f"[fake-{service.value}] request timed out after {self.hang_timeout_s:g} s "
                        "(fault injected, mode=hang)"
                    )
                self._sleep(0.02)

    def call(self, service: Service, action: Callable[[], T], latency_s: float | None = None) -> T:
        """Run one provider call: fault, latency, then the breaker learns how it went."""
        try:
            self._apply_fault(service)
            self._sleep(self.latency_s if latency_s is None else latency_s)
            result = action()
        except ProviderError as exc:
            self.breakers[service].record_failure(str(exc), "exception")
            raise
        self.breakers[service].record_success()
        return result

    # -- the providers -----------------------------------------------------------------------------
    def fetch_leads(self, campaign_id: str, count: int) -> list[dict[str, Any]]:
        """Apollo (through Apify): ``count`` synthetic records, emails unique across campaigns and runs."""
        return self.call(Service.APOLLO, lambda: _synthetic_records(campaign_id, count), self.fetch_latency_s)

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
        return _uuid5("instantly-campaign", name, uuid.uuid4().hex)


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
