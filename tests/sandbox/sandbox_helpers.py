"""The sandbox's own tests' settings: fast numbers (their client and sandboxes come from tests/support)."""

from __future__ import annotations

from typing import Any

from campaign_sandbox.core.config import SandboxSettings

# Fast numbers: tiny latencies, a breaker that opens after 3 failures and never recovers on its own in a test.
FAST = {
    "workers": 8,
    "provider_latency_ms": 2,
    "fetch_latency_ms": 5,
    "breaker_failure_threshold": 3,
    "breaker_failure_window_s": 300.0,
    "breaker_recovery_timeout_s": 600.0,
    "breaker_success_threshold": 2,
    "fault_control": True,
    "hang_timeout_s": 5.0,
}


def fast_settings(**overrides: Any) -> SandboxSettings:
    return SandboxSettings(**{**FAST, **overrides})
