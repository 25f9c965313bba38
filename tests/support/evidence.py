"""Breaker evidence the unit tests share: an open openai breaker and the report it makes."""

from __future__ import annotations

from campaign_acceptance.model import BreakerReport, BreakerState

OPENAI_OPEN = BreakerState("openai", "open", 5, 5, True, "2025-01-01T00:00:00", "circuit_breaker_open")
REPORT = BreakerReport("breaker openai is open (5/5 failures)", (OPENAI_OPEN,), (), 1.2, (OPENAI_OPEN,))
