"""The profile switch (command line, environment, settings) and the as-built rate limiter."""

from __future__ import annotations

import pytest

from campaign_sandbox.__main__ import main
from campaign_sandbox.breaker import Service
from campaign_sandbox.core.config import SandboxSettings
from campaign_sandbox.profile import (
    PUBLISHED_RATE_LIMITS,
    ProfileName,
    RateLimit,
    RateLimiter,
    build_profile,
    parse_rate_limits,
)
from support.clocks import FakeClock
from support.sandboxes import serving_cli


def test_default_profile_is_intended_with_no_rate_limits() -> None:
    settings = SandboxSettings()
    assert settings.profile is ProfileName.INTENDED
    behaviour = settings.behaviour()
    assert behaviour.completes_campaigns and behaviour.resume_redispatches
    assert behaviour.rate_limits == {}


def test_profile_and_rate_limits_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDBOX_PROFILE", "as-built")
    monkeypatch.setenv("SANDBOX_RATE_LIMITS", "openai=30/60")
    behaviour = SandboxSettings().behaviour()
    assert behaviour.name is ProfileName.AS_BUILT
    assert behaviour.rate_limits[Service.OPENAI] == RateLimit(30, 60.0)
    assert behaviour.rate_limits[Service.PERPLEXITY] == RateLimit(50, 60.0)


def test_as_built_has_the_published_limits_by_default() -> None:
    limits = build_profile(ProfileName.AS_BUILT).rate_limits
    assert {s: r.text() for s, r in limits.items()} == {
        Service.APOLLO: "30/60",
        Service.PERPLEXITY: "50/60",
        Service.OPENAI: "15/60",
        Service.INSTANTLY: "100/60",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("default", {"apollo": "30/60", "perplexity": "50/60", "openai": "15/60", "instantly": "100/60"}),
        ("off", {}),
        ("x10", {"apollo": "300/60", "perplexity": "500/60", "openai": "150/60", "instantly": "1000/60"}),
        ("x0.01", {"apollo": "1/60", "perplexity": "1/60", "openai": "1/60", "instantly": "1/60"}),
        ("off, openai=3/0.5", {"openai": "3/0.5"}),
        ("OpenAI=off,apollo=off", {"perplexity": "50/60", "instantly": "100/60"}),
        ("x2,default,instantly=off", {"apollo": "30/60", "perplexity": "50/60", "openai": "15/60"}),
    ],
)
def test_rate_limit_syntax(text: str, expected: dict[str, str]) -> None:
    assert {s.value: r.text() for s, r in parse_rate_limits(text).items()} == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "expected default, off, x<factor>"),
        ("sometimes", "item 'sometimes'"),
        ("x0", "a factor must be a positive number"),
        ("xfast", "a factor must be a positive number"),
        ("openai=15", "expected <max requests>/<period seconds>"),
        ("openai=1.5/60", "expected <max requests>/<period seconds>"),
        ("openai=15/-1", "expected <max requests>/<period seconds>"),
        ("millionverifier=1/3", "item 'millionverifier=1/3'"),
    ],
)
def test_bad_rate_limits_name_the_item(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match="rate limits") as caught:
        parse_rate_limits(text)
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


def test_rate_limits_are_refused_on_the_intended_profile() -> None:
    with pytest.raises(ValueError, match="as-built profile only"):
        SandboxSettings(rate_limits="x10")
    assert SandboxSettings(rate_limits="off").behaviour().rate_limits == {}


def test_limiter_allows_max_then_rejects_with_the_platforms_text() -> None:
    clock = FakeClock()
    limiter = RateLimiter(Service.OPENAI, PUBLISHED_RATE_LIMITS[Service.OPENAI], clock.now)
    assert all(limiter.acquire() for _ in range(15))
    assert limiter.acquire() is False
    assert limiter.rejection() == (
        "Rate limit exceeded for OpenAI API. Remaining requests: 0. Try again in 60 seconds."
    )


def test_limiter_rejections_refresh_the_lockout_until_a_quiet_period() -> None:
    # Quirk 28: INCR + EXPIRE on every attempt, so calls every 30 s stay locked out for ever.
    clock = FakeClock()
    limiter = RateLimiter(Service.OPENAI, RateLimit(15, 60.0), clock.now)
    for _ in range(15):
        assert limiter.acquire()
    for _ in range(5):
        clock.t += 30.0
        assert limiter.acquire() is False
    clock.t += 59.9
    assert limiter.acquire() is False  # still within 60 s of the last (rejected) attempt
    clock.t += 60.0
    assert limiter.acquire() is True
    assert limiter.remaining() == 14


def test_limiter_window_resets_after_a_quiet_period_under_the_limit() -> None:
    clock = FakeClock()
    limiter = RateLimiter(Service.PERPLEXITY, RateLimit(2, 1.0), clock.now)
    assert limiter.acquire() and limiter.acquire()
    clock.t += 1.0
    assert limiter.acquire() and limiter.acquire()
    assert not limiter.acquire()
    expected = "Rate limit exceeded for Perplexity API. Remaining requests: 0. Try again in 1 seconds."
    assert limiter.rejection() == expected


def _exit_code(argv: list[str]) -> object:
    try:
        return main(argv)
    except SystemExit as exc:  # argparse's own errors
        return exc.code


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--profile", "as_built"], "argument --profile: invalid choice: 'as_built'"),
        (["--profile", "as-built", "--rate-limits", "openai=lots"], "rate limits item 'openai=lots'"),
        (["--rate-limits", "x3"], "rate limits apply to the as-built profile only"),
    ],
)
def test_bad_profile_arguments_give_one_line_and_exit_2(
    argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _exit_code(["--port", "0", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("campaign_sandbox: error: ") and fragment in err, err
    assert err.count("\n") == 1, err


def test_bad_profile_in_the_environment_gives_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SANDBOX_PROFILE", "as_built")
    assert _exit_code(["--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err == "campaign_sandbox: error: profile: Input should be 'intended' or 'as-built'\n"


def test_cli_serves_the_chosen_profile() -> None:
    with serving_cli("--port", "0", "--profile", "as-built") as line:
        assert line.startswith("campaign sandbox on http://127.0.0.1:"), line
        assert line.rstrip().endswith("profile as-built)"), line
