"""Exit 3: nothing could be tested (unreachable target or database, invalid configuration), said in one line,
without a traceback and without leaking the database password."""

from __future__ import annotations

from pathlib import Path

import pytest
from selftest_support import (
    FEATURES_DIR,
    TRACEBACK,
    BehaveResult,
    SandboxFactory,
    assert_no_secrets,
    assert_no_traceback,
    closed_port,
    isolated_cwd,
    lines_with,
    run_behave,
)

pytestmark = pytest.mark.selftest

QUICK_TIMEOUT_S = 60.0


def two_lines(result: BehaveResult) -> list[str]:
    """Every non-empty console line of the run (stdout, then stderr)."""
    return [line for line in result.output.splitlines() if line.strip()]


def assert_cannot_test(result_status: dict[str, object] | None, describe: str) -> None:
    assert result_status is not None, describe
    assert result_status["verdict"] == "CANNOT_TEST", describe
    assert result_status["exit_code"] == 3, describe
    counts = result_status["counts"]
    assert isinstance(counts, dict)
    assert counts["passed"] == counts["failed"] == counts["aborted"] == 0, describe


def test_unreachable_target_gives_exit_3_within_seconds_with_one_line(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    result = run_behave(tmp_path / "run", defines={"api_url": url}, timeout_s=QUICK_TIMEOUT_S)

    assert result.exit_code == 3, result.describe()
    # Behave itself needs a second or two to start; the health check must not wait out long retries.
    assert result.duration_s < 20, result.describe()
    said = lines_with(result.output, "cannot test:")
    assert len(said) == 1, result.describe()
    assert url in said[0], said
    assert_no_traceback(result)
    assert_cannot_test(result.status, result.describe())
    assert url in str(result.status and result.status["reason"])
    assert result.last_line.startswith("verdict: CANNOT_TEST (exit 3)"), result.describe()
    # One line as the README promises: the cause, then the verdict; no banner, no skip lines, no summary.
    assert two_lines(result) == [said[0], "verdict: CANNOT_TEST (exit 3): Nothing could be tested"]
    assert_no_secrets(result)


@pytest.mark.parametrize(
    ("defines", "env", "named"),
    [
        ({"scale": "abc"}, {}, "scale"),
        ({"nonsense": "1"}, {}, "nonsense"),
        ({}, {"CAMPAIGN_SUITE_HEALTH_GATE": "maybe"}, "health_gate"),
        ({"sandbox_profile": "as_built"}, {}, "sandbox_profile"),
        ({"sandbox_profile": "intended", "sandbox_rate_limits": "x10"}, {}, "sandbox_rate_limits"),
    ],
    ids=["bad-scale", "unknown-setting", "bad-env-health-gate", "bad-profile", "limits-on-intended"],
)
def test_invalid_configuration_gives_exit_3_with_one_clear_line(
    tmp_path: Path, defines: dict[str, str], env: dict[str, str], named: str
) -> None:
    # From a directory of its own with the repository's behave.ini: where the reports land when the
    # settings cannot be read must not be the shared checkout's reports/.
    cwd = isolated_cwd(tmp_path / "cwd")
    result = run_behave(
        tmp_path / "run",
        defines=defines,
        env=env,
        paths=[str(FEATURES_DIR)],
        cwd=cwd,
        timeout_s=QUICK_TIMEOUT_S,
    )

    assert result.exit_code == 3, result.describe()
    said = lines_with(result.output, "cannot test:")
    assert len(said) == 1, result.describe()
    assert named in said[0], said
    assert two_lines(result) == [said[0], "verdict: CANNOT_TEST (exit 3): Nothing could be tested"]
    assert TRACEBACK not in result.output
    # Nothing started: no sandbox, no run user, no scenario.
    assert "testing embedded sandbox" not in result.output, result.describe()
    assert result.last_line.startswith("verdict: CANNOT_TEST (exit 3)"), result.describe()
    # The valid -D reports_dir is honoured even though another setting is bad: CI reads its status file
    # there (a stale one from an earlier run would otherwise give the wrong verdict).
    stray = cwd / "reports" / "status.json"
    assert result.status is not None, (
        f"status.json not written to the -D reports_dir {result.run.reports_dir}"
        + (f" but to {stray}" if stray.is_file() else "")
        + "\n"
        + result.describe()
    )
    assert_cannot_test(result.status, result.describe())
    assert_no_secrets(result)


def test_unreachable_database_gives_exit_3_and_never_shows_its_password(
    tmp_path: Path, own_sandbox: SandboxFactory
) -> None:
    server, _ = own_sandbox()
    database_url = f"postgresql://u:secret@127.0.0.1:{closed_port()}/x"
    result = run_behave(
        tmp_path / "run",
        "--tags=@happy_path",
        defines={"api_url": server.url, "database_url": database_url},
        timeout_s=QUICK_TIMEOUT_S,
    )

    assert result.exit_code == 3, result.describe()
    said = lines_with(result.output, "cannot test:")
    assert len(said) == 1, result.describe()
    assert "127.0.0.1" in said[0], said
    assert_no_traceback(result)
    assert_cannot_test(result.status, result.describe())
    # Neither in the console nor in status.json, report.html, JUnit or behave's JSON.
    assert_no_secrets(result, secrets=["secret"])
