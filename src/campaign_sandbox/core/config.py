"""Sandbox settings: every number the sandbox uses, overridable by SANDBOX_* environment variables.

The model is the one declaration: ``python -m campaign_sandbox`` generates its ``--<field-name>`` flags from
these fields (their types, choices and descriptions), so a new setting is a new field here and nothing else.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from campaign_sandbox.defects import CATALOGUE, parse_defects
from campaign_sandbox.profile import Profile, ProfileName, build_profile


class SandboxSettings(BaseSettings):
    """Settings of one sandbox instance (env prefix ``SANDBOX_``; keyword arguments and flags win)."""

    model_config = SettingsConfigDict(env_prefix="SANDBOX_", extra="ignore", frozen=True)

    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite in a fresh temporary directory"
    )
    # The platform's default secret; tokens are only meaningful to this instance anyway.
    secret_key: str = Field(default="your-secret-key-here", description="HS256 secret of the tokens")
    workers: int = Field(default=8, ge=1, le=64, description="worker threads")
    provider_latency_ms: int = Field(
        default=15, ge=0, le=60_000, description="latency of each fake provider call"
    )
    fetch_latency_ms: int = Field(default=50, ge=0, le=60_000, description="latency of the fake lead fetch")
    lead_cap: int | None = Field(
        default=None, ge=0, description="most leads a fetch returns (default: the campaign's totalRecords)"
    )
    breaker_failure_threshold: int = Field(default=5, ge=1, description="failures that open a breaker")
    breaker_failure_window_s: float = Field(default=300.0, gt=0, description="the failure window")
    breaker_recovery_timeout_s: float = Field(
        default=60.0, ge=0, description="open -> half_open after this long"
    )
    breaker_success_threshold: int = Field(
        default=3, ge=1, description="half_open successes that close a breaker"
    )
    # Off unless asked for: the fault endpoint lets anyone break the providers.
    fault_control: bool = Field(default=False, description="serve /sandbox/faults")
    hang_timeout_s: float = Field(
        default=30.0, gt=0, description='how long a provider in mode "hang" blocks before it fails'
    )
    slow_delay_ms: int = Field(
        default=500, ge=0, description='extra delay of mode "slow" when the fault names no delay_ms'
    )
    profile: ProfileName = Field(
        default=ProfileName.INTENDED,
        description="intended: the platform as meant; as-built: as it is at 9baca9e (docs/sandbox.md)",
    )
    rate_limits: str = Field(
        default="default",
        description="as-built local rate limits: default, off, x<factor>, <service>=<max>/<seconds>, "
        "<service>=off",
    )
    # As built, queue_paused/pause_info outlive the breaker state for this long (Redis TTL, quirk 22).
    breaker_pause_info_ttl_s: float = Field(
        default=3600.0, gt=0, description="as built: how long queue_paused/pause_info outlive an opening"
    )

    # Planted product defects (defects.py), off unless named; NoDecode: the variable is "a,b", not JSON.
    defects: Annotated[frozenset[str], NoDecode] = Field(
        default=frozenset(),
        description=f"planted product defects, comma-separated (docs/sandbox.md): {', '.join(CATALOGUE)}",
    )

    @field_validator("defects", mode="before")
    @classmethod
    def _defects_known(cls, value: Any) -> frozenset[str]:
        if isinstance(value, str | list | tuple | set | frozenset):
            return parse_defects(value)  # raises ValueError naming the unknown ones
        return value  # type: ignore[no-any-return]  # anything else: pydantic's own type error

    @field_validator("rate_limits")
    @classmethod
    def _rate_limits_parse(cls, value: str) -> str:
        build_profile(ProfileName.AS_BUILT, value)  # raises ValueError naming the bad item
        return value

    @model_validator(mode="after")
    def _profile_consistent(self) -> SandboxSettings:
        build_profile(self.profile, self.rate_limits)
        return self

    def behaviour(self) -> Profile:
        """The profile's behaviour object, consulted wherever the two profiles differ."""
        return build_profile(self.profile, self.rate_limits)
