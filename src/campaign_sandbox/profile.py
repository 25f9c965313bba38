"""The two ways the sandbox can behave: the platform as its authors intended it, and as built at 9baca9e.

Every difference between them is one field of ``Profile``. The worker, breakers, providers and runtime
consult these fields and never the profile's name, so a behaviour is switched in exactly one place
(``build_profile``). docs/sandbox.md lists each as-built behaviour with its contract reference.
"""

from __future__ import annotations

import enum
import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from campaign_sandbox.breaker import Service


class ProfileName(enum.StrEnum):
    INTENDED = "intended"
    AS_BUILT = "as-built"


@dataclass(frozen=True)
class RateLimit:
    max_requests: int
    period_s: float

    def text(self) -> str:
        return f"{self.max_requests}/{self.period_s:g}"


# Contract §7, the platform's Settings defaults. MillionVerifier's limiter is commented out in its stub.
PUBLISHED_RATE_LIMITS: dict[Service, RateLimit] = {
    Service.APOLLO: RateLimit(30, 60.0),
    Service.PERPLEXITY: RateLimit(50, 60.0),
    Service.OPENAI: RateLimit(15, 60.0),
    Service.INSTANTLY: RateLimit(100, 60.0),
}
# The limiter's Redis key names (quirk 5: CamelCase), which are also the API names in its messages.
API_NAMES: dict[Service, str] = {
    Service.APOLLO: "Apollo",
    Service.PERPLEXITY: "Perplexity",
    Service.OPENAI: "OpenAI",
    Service.INSTANTLY: "Instantly",
    Service.MILLIONVERIFIER: "MillionVerifier",
}
RATE_LIMITS_SYNTAX = (
    "default, off, x<factor>, <service>=<max>/<seconds> or <service>=off, comma-separated "
    f"(services: {', '.join(s.value for s in PUBLISHED_RATE_LIMITS)})"
)


def parse_rate_limits(text: str) -> dict[Service, RateLimit]:
    """The as-built limits from e.g. ``default``, ``off``, ``x10``, ``openai=30/60,apollo=off``.

    Items apply left to right, starting from the published limits: ``default`` restores them, ``off`` drops
    every limit, ``x<factor>`` multiplies every remaining ``max`` (at least 1), ``<svc>=<max>/<seconds>`` sets
    one and ``<svc>=off`` drops one. Raises ValueError with one line naming the bad item.
    """
    limits = dict(PUBLISHED_RATE_LIMITS)
    items = [item.strip() for item in text.split(",")]
    if not any(items):
        raise ValueError(f"rate limits {text!r}: expected {RATE_LIMITS_SYNTAX}")
    for item in items:
        lowered = item.lower()
        if lowered == "default":
            limits = dict(PUBLISHED_RATE_LIMITS)
        elif lowered == "off":
            limits = {}
        elif lowered.startswith("x"):
            factor = _positive(lowered[1:])
            if factor is None:
                raise ValueError(f"rate limits item {item!r}: a factor must be a positive number, e.g. x10")
            limits = {
                s: RateLimit(max(1, round(r.max_requests * factor)), r.period_s) for s, r in limits.items()
            }
        elif "=" in lowered:
            name, _, value = (part.strip() for part in lowered.partition("="))
            service = next((s for s in PUBLISHED_RATE_LIMITS if s.value == name), None)
            if service is None:
                raise ValueError(f"rate limits item {item!r}: expected {RATE_LIMITS_SYNTAX}")
            if value == "off":
                limits.pop(service, None)
                continue
            count, _, period = value.partition("/")
            maximum, seconds = _positive(count), _positive(period)
            if maximum is None or seconds is None or maximum != int(maximum):
                raise ValueError(
                    f"rate limits item {item!r}: expected <max requests>/<period seconds>, e.g. openai=15/60"
                )
            limits[service] = RateLimit(int(maximum), seconds)
        else:
            raise ValueError(f"rate limits item {item!r}: expected {RATE_LIMITS_SYNTAX}")
    return limits


def _positive(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


class RateLimiter:
    """The platform's limiter (contract §7, quirk 28): INCR then EXPIRE(period) on every attempt.

    An attempt is allowed while the count is at most ``max_requests``. Because rejected attempts refresh the
    expiry too, once over the limit every call fails until there has been no call at all for ``period_s``.
    """

    def __init__(self, service: Service, limit: RateLimit, clock: Callable[[], float]) -> None:
        self.service = service
        self.limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._count = 0
        self._expires_at = 0.0

    def acquire(self) -> bool:
        with self._lock:
            now = self._clock()
            if now >= self._expires_at:
                self._count = 0
            self._count += 1
            self._expires_at = now + self.limit.period_s
            return self._count <= self.limit.max_requests

    def remaining(self) -> int:
        with self._lock:
            current = 0 if self._clock() >= self._expires_at else self._count
            return max(0, self.limit.max_requests - current)

    def rejection(self) -> str:
        """The text of the platform's ``{status: 'rate_limited', error: ...}`` answer."""
        return (
            f"Rate limit exceeded for {API_NAMES[self.service]} API. Remaining requests: {self.remaining()}. "
            f"Try again in {self.limit.period_s:g} seconds."
        )


@dataclass(frozen=True)
class Profile:
    """What a sandbox does where the platform's intent and its build differ (comments: contract refs)."""

    name: ProfileName
    # A campaign whose leads are all enriched becomes COMPLETED (as built: never, §4.5, quirk 11).
    completes_campaigns: bool
    # An automatic trip pauses every RUNNING campaign (as built: the worker's handler fails, §5.2, quirk 27).
    trip_pauses_campaigns: bool
    # Resume and a breaker closing re-enqueue paused work (as built: nothing is re-dispatched, quirk 15).
    resume_redispatches: bool
    # Work of a PAUSED campaign waits (as built: it runs on and the fetch un-pauses, quirk 14; the fetch
    # checks neither its job's nor its campaign's status, and one that saved no lead queues nothing, §4.3).
    paused_campaign_work_waits: bool
    # A provider failure pauses the job (as built: the job ends COMPLETED with step errors, §4.4).
    step_failure_pauses_job: bool
    # Services whose calls feed their breaker (as built: Apollo and MillionVerifier never do, quirk 26).
    breaker_services: frozenset[Service]
    # Services a fault reaches (as built: MillionVerifier is an in-process stub, §4.4 step 4).
    faulted_services: frozenset[Service]
    # Services whose failures come back as HTTP error dicts and count as successes (quirk 25).
    http_error_services: frozenset[Service]
    # The lead source hands out 10 records per fetch from one shared pool, whatever totalRecords says (§4.3).
    shared_lead_pool: bool
    # The local limiters (as built: on, contract §7); empty = none.
    rate_limits: Mapping[Service, RateLimit] = field(default_factory=dict)
    # Half-open re-opens on any failure (as built: old failures still in the window do it, quirk 24).
    half_open_reopens_on_any_failure: bool = True
    # Breaker keys expire as in Redis: state after 2 x window, failures after the window, pause info (§5.1).
    breaker_keys_expire: bool = False
    # /paused-leads/{svc} lists the leads (as built: always empty, varchar = integer join, quirk 32 + sample).
    lists_paused_leads: bool = True


ALL = frozenset(Service)


def build_profile(name: ProfileName, rate_limits: str = "default") -> Profile:
    if name is ProfileName.INTENDED:
        if rate_limits.strip().lower() not in ("default", "off"):
            raise ValueError("rate limits apply to the as-built profile only")
        return Profile(
            name=name,
            completes_campaigns=True,
            trip_pauses_campaigns=True,
            resume_redispatches=True,
            paused_campaign_work_waits=True,
            step_failure_pauses_job=True,
            breaker_services=ALL,
            faulted_services=ALL,
            http_error_services=frozenset(),
            shared_lead_pool=False,
        )
    return Profile(
        name=name,
        completes_campaigns=False,
        trip_pauses_campaigns=False,
        resume_redispatches=False,
        paused_campaign_work_waits=False,
        step_failure_pauses_job=False,
        breaker_services=frozenset({Service.PERPLEXITY, Service.OPENAI, Service.INSTANTLY}),
        faulted_services=ALL - {Service.MILLIONVERIFIER},
        http_error_services=frozenset({Service.PERPLEXITY, Service.INSTANTLY}),
        shared_lead_pool=True,
        rate_limits=parse_rate_limits(rate_limits),
        half_open_reopens_on_any_failure=False,
        breaker_keys_expire=True,
        lists_paused_leads=False,
    )
