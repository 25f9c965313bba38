"""The sandbox's command line is generated from SandboxSettings: every setting has its flag, checked by the
model, with the environment under the flags (in-process: no server is started)."""

from __future__ import annotations

import pytest

from campaign_sandbox.__main__ import CliError, build_parser, main, parse
from campaign_sandbox.core.config import SandboxSettings
from campaign_sandbox.profile import ProfileName

PROCESS_FLAGS = {"--help", "--host", "--port", "--log-level"}


def _flags() -> set[str]:
    return {flag for action in build_parser()._actions for flag in action.option_strings if flag != "-h"}


def test_every_setting_but_the_secret_has_its_flag_and_nothing_else_is_listed() -> None:
    from_model = {"--" + name.replace("_", "-") for name in SandboxSettings.model_fields} - {"--secret-key"}
    assert _flags() == from_model | PROCESS_FLAGS
    # Today's names are kept (docs/sandbox.md, the suite's scripts).
    for flag in (
        "--database-url",
        "--fault-control",
        "--workers",
        "--lead-cap",
        "--profile",
        "--rate-limits",
    ):
        assert flag in _flags()


def test_flags_reach_the_settings_with_their_types() -> None:
    argv = [
        "--port=0",
        "--workers=3",
        "--breaker-failure-window-s=1.5",
        "--slow-delay-ms=7",
        "--breaker-pause-info-ttl-s=9",
        "--fault-control",
        "--profile=as-built",
        "--rate-limits=x10",
        "--database-url=sqlite:///x.db",
    ]
    args, settings = parse(argv)
    assert (args.port, settings.workers, settings.breaker_failure_window_s) == (0, 3, 1.5)
    assert (settings.slow_delay_ms, settings.breaker_pause_info_ttl_s) == (7, 9.0)
    assert settings.fault_control is True
    assert settings.profile is ProfileName.AS_BUILT and settings.rate_limits == "x10"
    assert settings.database_url == "sqlite:///x.db"


def test_unset_flags_leave_the_environment_and_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDBOX_WORKERS", "5")
    monkeypatch.setenv("SANDBOX_FAULT_CONTROL", "true")
    _, settings = parse(["--lead-cap", "4"])
    assert (settings.workers, settings.fault_control, settings.lead_cap) == (5, True, 4)
    assert settings.provider_latency_ms == SandboxSettings.model_fields["provider_latency_ms"].default
    _, settings = parse(["--workers", "2"])
    assert settings.workers == 2  # the flag wins over SANDBOX_WORKERS


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["--slow-delay-ms", "-1"], "slow_delay_ms: Input should be greater than or equal to 0"),
        (["--breaker-pause-info-ttl-s", "0"], "breaker_pause_info_ttl_s: Input should be greater than 0"),
        (["--port", "70000"], "--port must be between 0 and 65535"),
    ],
)
def test_a_bad_value_is_the_models_one_line(argv: list[str], line: str) -> None:
    with pytest.raises(CliError) as caught:
        parse(argv)
    assert str(caught.value) == line


def test_a_bad_value_exits_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--port", "0", "--hang-timeout-s", "0"]) == 2
    assert (
        capsys.readouterr().err == "campaign_sandbox: error: hang_timeout_s: Input should be greater than 0\n"
    )


def test_a_mistyped_value_is_argparses_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        parse(["--fetch-latency-ms", "soon"])
    assert caught.value.code == 2
    assert (
        capsys.readouterr().err
        == "campaign_sandbox: error: argument --fetch-latency-ms: invalid int value: 'soon'\n"
    )
