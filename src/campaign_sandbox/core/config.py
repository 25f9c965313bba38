"""Sandbox settings: every number the sandbox uses, overridable by SANDBOX_* environment variables."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from campaign_sandbox.profile import Profile, ProfileName, build_profile


class SandboxSettings(BaseSettings):
    """Settings of one sandbox instance (env prefix ``SANDBOX_``)."""

    model_config = SettingsConfigDict(env_prefix="SANDBOX_", extra="ignore", frozen=True)

    # None → a SQLite file in a fresh temporary directory.
    database_url: str | None = None
    # The platform's default secret; tokens are only meaningful to this instance anyway.
    secret_key: str = "your-secret-key-here"
    workers: int = Field(default=8, ge=1, le=64)
    provider_latency_ms: int = Field(default=15, ge=0, le=60_000)
    fetch_latency_ms: int = Field(default=50, ge=0, le=60_000)
    # Max leads a fetch returns; None = the campaign's totalRecords.
    lead_cap: int | None = Field(default=None, ge=0)
    breaker_failure_threshold: int = Field(default=5, ge=1)
    breaker_failure_window_s: float = Field(default=300.0, gt=0)
    breaker_recovery_timeout_s: float = Field(default=60.0, ge=0)
    breaker_success_threshold: int = Field(default=3, ge=1)
    # Off unless asked for: the fault endpoint lets anyone break the providers.
    fault_control: bool = False
    # How long a provider in mode "hang" blocks before it fails.
    hang_timeout_s: float = Field(default=30.0, gt=0)
    # Extra delay of mode "slow" when the fault names no delay_ms.
    slow_delay_ms: int = Field(default=500, ge=0)
    # intended: the platform as its authors meant it; as-built: as it is at 9baca9e (docs/sandbox.md).
    profile: ProfileName = ProfileName.INTENDED
    # The as-built profile's local rate limits (profile.parse_rate_limits): default = the published ones.
    rate_limits: str = "default"
    # As built, queue_paused/pause_info outlive the breaker state for this long (Redis TTL, quirk 22).
    breaker_pause_info_ttl_s: float = Field(default=3600.0, gt=0)

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
