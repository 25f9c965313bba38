"""The embedded sandbox gets the profile, rate limits and planted defects the suite's settings name
(_start_sandbox)."""

from __future__ import annotations

import pytest

from campaign_acceptance.errors import ConfigurationError
from campaign_acceptance.lifecycle import _start_sandbox
from campaign_acceptance.settings import load_settings
from campaign_sandbox.breaker import Service
from campaign_sandbox.defects import Defect
from campaign_sandbox.profile import ProfileName, RateLimit


def test_profile_and_rate_limits_reach_the_embedded_sandbox() -> None:
    settings = load_settings({}, {"sandbox_profile": "as-built", "sandbox_rate_limits": "openai=30/60"}, {})
    server = _start_sandbox(settings)
    try:
        profile = server.runtime.profile
        assert profile.name is ProfileName.AS_BUILT
        assert profile.rate_limits[Service.OPENAI] == RateLimit(30, 60.0)
        assert profile.rate_limits[Service.APOLLO] == RateLimit(30, 60.0)
    finally:
        server.stop()


def test_unset_profile_is_the_sandbox_default_or_its_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDBOX_PROFILE", "as-built")
    server = _start_sandbox(load_settings({}, {}, {}))
    try:
        assert server.runtime.profile.name is ProfileName.AS_BUILT
    finally:
        server.stop()


def test_rate_limits_on_the_intended_profile_are_one_configuration_line() -> None:
    settings = load_settings({}, {"sandbox_profile": "intended", "sandbox_rate_limits": "x10"}, {})
    with pytest.raises(ConfigurationError) as caught:
        _start_sandbox(settings)
    text = str(caught.value)
    assert text.startswith("embedded sandbox: rate limits apply to the as-built profile only"), text
    assert "\n" not in text


def test_planted_defects_reach_the_embedded_sandbox_in_either_profile() -> None:
    for profile in ("intended", "as-built"):
        defines = {"sandbox_profile": profile, "sandbox_defects": "results-missing, enriched-twice"}
        settings = load_settings({}, defines, {})
        assert settings.sandbox_defects == "enriched-twice,results-missing"
        server = _start_sandbox(settings)
        try:
            assert server.runtime.defects.active(Defect.RESULTS_MISSING)
            assert server.runtime.defects.active(Defect.ENRICHED_TWICE)
            assert not server.runtime.defects.active(Defect.FETCH_NEVER_STARTS)
        finally:
            server.stop()
    unset = _start_sandbox(load_settings({}, {"sandbox_defects": ""}, {}))
    try:
        assert not unset.runtime.defects
    finally:
        unset.stop()


def test_contract_drifts_reach_the_embedded_sandbox_like_the_other_defects() -> None:
    server = _start_sandbox(
        load_settings({}, {"sandbox_defects": "drift-enum-added, drift-path-removed"}, {})
    )
    try:
        assert server.settings.defects == {"drift-enum-added", "drift-path-removed"}
    finally:
        server.stop()
