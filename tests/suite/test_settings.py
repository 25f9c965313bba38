"""Settings: the four layers and their precedence, every validation message, redaction, behave's config."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from behave.configuration import Configuration
from pydantic import ValidationError

from campaign_acceptance.errors import ConfigurationError
from campaign_acceptance.settings import (
    Settings,
    load_settings,
    reports_dir_from_behave,
    settings_from_behave,
)
from campaign_common.redaction import redact_url


def load(
    ini: dict[str, str] | None = None,
    defines: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
) -> Settings:
    return load_settings(ini or {}, defines or {}, env or {})


def error_of(
    ini: dict[str, str] | None = None,
    defines: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
) -> str:
    with pytest.raises(ConfigurationError) as caught:
        load(ini, defines, env)
    text = str(caught.value)
    assert "\n" not in text
    return text


# ------------------------------------------------------------------------------------------- precedence


def test_defaults_when_nothing_is_configured() -> None:
    s = load()
    assert s.api_url is None
    assert (s.database_url, s.fault_control_url, s.sandbox_database_url) == (None, None, None)
    assert s.tenant_prefix == "acceptance"
    assert s.scale == 1.0
    assert s.start_mode == "sequential"
    assert (s.fetch_deadline_s, s.enrichment_deadline_s, s.pause_deadline_s) == (180.0, 600.0, 60.0)
    assert (s.poll_interval_s, s.poll_max_interval_s) == (0.2, 2.0)
    assert s.health_gate == "abort"
    assert s.request_timeout_s == 10.0
    assert s.reports_dir == Path("reports")
    assert s.sandbox_workers == 8
    assert s.progress is True


def test_ini_beats_default() -> None:
    assert load(ini={"scale": "2"}).scale == 2.0


def test_environment_beats_ini_and_default() -> None:
    assert load(ini={"scale": "2"}, env={"CAMPAIGN_SUITE_SCALE": "3"}).scale == 3.0
    assert load(env={"CAMPAIGN_SUITE_SCALE": "3"}).scale == 3.0


def test_define_beats_environment_ini_and_default() -> None:
    assert load(ini={"scale": "2"}, env={"CAMPAIGN_SUITE_SCALE": "3"}, defines={"scale": "4"}).scale == 4.0
    assert load(ini={"scale": "2"}, defines={"scale": "4"}).scale == 4.0
    assert load(env={"CAMPAIGN_SUITE_SCALE": "3"}, defines={"scale": "4"}).scale == 4.0
    assert load(defines={"scale": "4"}).scale == 4.0


def test_layers_combine_per_setting() -> None:
    s = load(
        ini={"scale": "2", "health_gate": "warn"},
        env={"CAMPAIGN_SUITE_START_MODE": "concurrent"},
        defines={"sandbox_workers": "3"},
    )
    assert (s.scale, s.health_gate, s.start_mode, s.sandbox_workers) == (2.0, "warn", "concurrent", 3)


def test_unrelated_environment_variables_are_ignored() -> None:
    assert load(env={"PATH": "/bin", "CAMPAIGN_SUITEX": "1"}).scale == 1.0


def test_empty_url_means_not_set_and_overrides_lower_layers() -> None:
    s = load(ini={"database_url": "sqlite:///x.db"}, defines={"database_url": ""})
    assert s.database_url is None


def test_empty_plain_value_falls_through_to_the_next_layer() -> None:
    assert load(ini={"scale": "2"}, env={"CAMPAIGN_SUITE_SCALE": ""}).scale == 2.0


# ------------------------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://host:8000", "http://host:8000"),
        ("http://host:8000/", "http://host:8000"),
        ("https://host/api/v1", "https://host"),
        ("https://host/api/v1/", "https://host"),
        ("https://host/prefix/api/v1", "https://host/prefix"),
    ],
)
def test_api_url_is_normalised(raw: str, expected: str) -> None:
    assert load(defines={"api_url": raw}).api_url == expected
    assert load(defines={"fault_control_url": raw}).fault_control_url == expected


def test_values_are_parsed() -> None:
    s = load(
        defines={
            "progress": "no",
            "reports_dir": "out/r",
            "sandbox_workers": "2",
            "scale": "0.5",
            "health_gate": "WARN",
            "database_url": "postgresql://u:p@h:5432/db",
            "sandbox_database_url": "sqlite:///tmp/x.db",
        }
    )
    assert s.progress is False
    assert s.reports_dir == Path("out/r")
    assert (s.sandbox_workers, s.scale, s.health_gate) == (2, 0.5, "warn")
    assert s.database_url == "postgresql://u:p@h:5432/db"
    assert s.sandbox_database_url == "sqlite:///tmp/x.db"


def test_generated_run_id_has_prefix_utc_stamp_and_random_suffix() -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    s = load_settings({"tenant_prefix": "ci-nightly"}, {}, {}, now=now)
    assert re.fullmatch(r"ci-nightly-20260102030405-[0-9a-f]{6}", s.run_id)
    other = load_settings({"tenant_prefix": "ci-nightly"}, {}, {}, now=now)
    assert other.run_id != s.run_id


def test_given_run_id_is_kept() -> None:
    assert load(defines={"run_id": "my-run-1"}).run_id == "my-run-1"


# ------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("scale", "abc", "expected a positive number, got 'abc'"),
        ("scale", "0", "expected a positive number, got '0'"),
        ("scale", "nan", "expected a positive number, got 'nan'"),
        ("fetch_deadline_s", "-1", "expected a positive number, got '-1'"),
        ("enrichment_deadline_s", "x", "expected a positive number, got 'x'"),
        ("pause_deadline_s", "0", "expected a positive number, got '0'"),
        ("poll_interval_s", "inf", "expected a positive number, got 'inf'"),
        ("poll_max_interval_s", "0", "expected a positive number, got '0'"),
        ("request_timeout_s", "ten", "expected a positive number, got 'ten'"),
        ("sandbox_workers", "1.5", "expected a positive integer, got '1.5'"),
        ("sandbox_workers", "0", "expected a positive integer, got '0'"),
        ("sandbox_profile", "as_built", "expected intended or as-built, got 'as_built'"),
        ("sandbox_rate_limits", "openai=fast", "expected default, off, x<factor>, <service>=<max>/<seconds>"),
        ("sandbox_rate_limits", "x0", "got 'x0'"),
        (
            "sandbox_defects",
            "results-missing,typo",
            "expected defect names, comma-separated, of: fetch-never",
        ),
        ("progress", "maybe", "expected true or false, got 'maybe'"),
        ("start_mode", "parallel", "expected sequential or concurrent, got 'parallel'"),
        ("health_gate", "ignore", "expected abort or warn, got 'ignore'"),
        ("api_url", "ftp://host", "expected an http:// or https:// URL, got 'ftp://host'"),
        ("api_url", "localhost:8000", "expected an http:// or https:// URL, got 'localhost:8000'"),
        ("fault_control_url", "http://", "expected an http:// or https:// URL, got 'http://'"),
        ("api_url", "http://h:port", "expected an http:// or https:// URL, got 'http://h:port'"),
        ("database_url", "not a url", "expected a SQLAlchemy URL for postgresql, postgresql+psycopg, sqlite"),
        ("sandbox_database_url", "mysql://h/db", "got 'mysql://h/db'"),
        ("tenant_prefix", "Acceptance", "expected lowercase letters, digits and single dashes"),
        ("tenant_prefix", "a_b", "got 'a_b'"),
        ("tenant_prefix", "x" * 21, "(at most 20 characters)"),
        ("run_id", "run.1", "got 'run.1'"),
        ("run_id", "-run", "got '-run'"),
    ],
)
def test_bad_value_names_setting_value_and_origin(name: str, raw: str, expected: str) -> None:
    text = error_of(defines={name: raw})
    assert text.startswith(f"setting {name}: ")
    assert expected in text
    assert text.endswith("(from -D)")


def test_origin_of_a_bad_value_is_named_for_each_layer() -> None:
    assert error_of(env={"CAMPAIGN_SUITE_SCALE": "x"}).endswith("(from CAMPAIGN_SUITE_SCALE)")
    assert error_of(ini={"scale": "x"}).endswith("(from behave.ini [behave.userdata])")


def test_bad_value_in_a_lower_layer_is_not_read_when_overridden() -> None:
    assert load(ini={"scale": "x"}, defines={"scale": "2"}).scale == 2.0


def test_poll_interval_must_not_exceed_its_maximum() -> None:
    text = error_of(defines={"poll_interval_s": "3"})
    assert text == "setting poll_interval_s: must not exceed poll_max_interval_s (2), got 3 (from -D)"
    assert load(defines={"poll_interval_s": "3", "poll_max_interval_s": "3"}).poll_interval_s == 3.0


def test_unknown_names_are_rejected_with_the_known_ones() -> None:
    text = error_of(ini={"scael": "2"})
    assert text.startswith("unknown setting 'scael' (from behave.ini [behave.userdata]); known settings: ")
    assert "known settings: api_url, database_url," in text
    assert "sandbox_workers" in text
    assert error_of(defines={"nope": "1"}).startswith("unknown setting 'nope' (from -D)")


def test_unknown_environment_variable_is_rejected() -> None:
    text = error_of(env={"CAMPAIGN_SUITE_SCAEL": "2"})
    assert text.startswith("unknown environment variable CAMPAIGN_SUITE_SCAEL; known: ")
    assert "known: CAMPAIGN_SUITE_API_URL, CAMPAIGN_SUITE_DATABASE_URL," in text


def test_bad_database_url_message_hides_the_password() -> None:
    text = error_of(defines={"database_url": "mysql://user:hunter2@db/x"})
    assert "hunter2" not in text
    assert "'mysql://user:***@db/x'" in text


# ------------------------------------------------------------------------------------------- redaction


def test_redacted_hides_url_passwords_and_keeps_the_rest() -> None:
    s = load(
        defines={
            "database_url": "postgresql+psycopg://app:s3cret@db:5432/p",
            "api_url": "https://bot:tok3n@api.example",
        }
    )
    shown = s.redacted()
    assert shown["database_url"] == "postgresql+psycopg://app:***@db:5432/p"
    assert shown["api_url"] == "https://bot:***@api.example"
    assert shown["scale"] == "1.0"
    assert shown["fault_control_url"] == ""
    assert all(isinstance(v, str) for v in shown.values())
    for text in (repr(s), str(s)):
        assert "s3cret" not in text
        assert "tok3n" not in text
        assert "app:***@db" in text


def test_redact_url_leaves_urls_without_password_alone() -> None:
    assert redact_url("sqlite:///tmp/x.db") == "sqlite:///tmp/x.db"
    assert redact_url("postgresql://user@h/db") == "postgresql://user@h/db"
    assert redact_url("postgresql://:pw@h/db") == "postgresql://:***@h/db"


# ------------------------------------------------------------------------------------------- behave


@pytest.fixture
def behave_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "behave.ini").write_text(
        "[behave.userdata]\nscale = 2\nhealth_gate = warn\nbehave.formatter.x.template = t\n"
    )
    monkeypatch.chdir(tmp_path)  # behave reads ./behave.ini
    return tmp_path


def test_settings_from_behave_keeps_ini_below_environment_and_defines(behave_dir: Path) -> None:
    config = Configuration(["-D", "start_mode=concurrent", "-D", "scale=5"])
    s = settings_from_behave(config, {"CAMPAIGN_SUITE_SCALE": "3", "CAMPAIGN_SUITE_HEALTH_GATE": "abort"})
    assert s.scale == 5.0  # -D beats the environment
    assert s.health_gate == "abort"  # the environment beats behave.ini
    assert s.start_mode == "concurrent"


def test_settings_from_behave_reads_ini_alone(behave_dir: Path) -> None:
    s = settings_from_behave(Configuration([]), {})
    assert (s.scale, s.health_gate) == (2.0, "warn")


def test_settings_from_behave_names_the_define_as_origin(behave_dir: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"got 'x' \(from -D\)$"):
        settings_from_behave(Configuration(["-D", "scale=x"]), {})


def test_reports_dir_is_found_even_when_another_setting_is_invalid(behave_dir: Path) -> None:
    # The run must write its CANNOT_TEST status where CI looks, not in ./reports.
    config = Configuration(["-D", "scale=abc", "-D", "reports_dir=/tmp/ci-reports"])
    with pytest.raises(ConfigurationError):
        settings_from_behave(config, {})
    assert reports_dir_from_behave(config, {}) == Path("/tmp/ci-reports")
    env = {"CAMPAIGN_SUITE_REPORTS_DIR": "from-env"}
    assert reports_dir_from_behave(Configuration(["-D", "scale=abc"]), env) == Path("from-env")
    assert reports_dir_from_behave(Configuration([]), {}) == Path("reports")


def test_campaign_and_lead_counts_and_the_empty_run_switch() -> None:
    settings = load_settings({}, {"campaigns": "100", "leads": "20", "allow_no_scenarios": "yes"}, {})
    assert (settings.campaigns, settings.leads, settings.allow_no_scenarios) == (100, 20, True)
    defaults = load_settings({}, {}, {})
    assert (defaults.campaigns, defaults.leads, defaults.allow_no_scenarios) == (None, None, False)
    with pytest.raises(ConfigurationError, match="setting campaigns: expected a positive integer"):
        load_settings({}, {"campaigns": "0"}, {})
    # An empty value means "not set" and overrides a count configured lower down.
    assert load_settings({"leads": "5"}, {"leads": ""}, {}).leads is None


def test_campaigns_and_leads_are_unset_by_default_and_positive_integers_when_set() -> None:
    assert (load().campaigns, load().leads) == (None, None)
    s = load(defines={"campaigns": "200"}, env={"CAMPAIGN_SUITE_LEADS": "50"})
    assert (s.campaigns, s.leads) == (200, 50)
    assert load(ini={"campaigns": "5"}, defines={"campaigns": ""}).campaigns is None
    assert "setting leads: expected a positive integer, got '0'" in error_of(defines={"leads": "0"})
    assert "setting campaigns: expected a positive integer" in error_of(defines={"campaigns": "2.5"})


def test_health_monitoring_settings() -> None:
    s = load()
    assert (s.health_monitoring, s.metrics_textfile, s.pushgateway_url) == (False, None, None)
    s = load(
        defines={"health_monitoring": "true", "metrics_textfile": "/var/lib/node/x.prom"},
        env={"CAMPAIGN_SUITE_PUSHGATEWAY_URL": "http://gw:9091/"},
    )
    assert (s.health_monitoring, s.metrics_textfile, s.pushgateway_url) == (
        True,
        Path("/var/lib/node/x.prom"),
        "http://gw:9091",
    )
    assert "setting pushgateway_url: expected an http:// or https:// URL" in error_of(
        defines={"pushgateway_url": "gw:9091"}
    )


def test_embedded_sandbox_profile_and_rate_limits() -> None:
    s = load()
    assert (s.sandbox_profile, s.sandbox_rate_limits) == (None, None)  # the sandbox's own defaults
    s = load(
        defines={"sandbox_profile": "As-Built"}, env={"CAMPAIGN_SUITE_SANDBOX_RATE_LIMITS": "x10,apollo=off"}
    )
    assert (s.sandbox_profile, s.sandbox_rate_limits) == ("as-built", "x10,apollo=off")


def test_settings_made_in_code_read_no_layer_and_are_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    # Only load_settings reads -D, the environment and behave.ini; Settings(...) in code is what it says.
    monkeypatch.setenv("CAMPAIGN_SUITE_SCALE", "3")
    assert Settings(leads=5).scale == 1.0
    assert load_settings({}, {}, {"CAMPAIGN_SUITE_SCALE": "3"}).scale == 3.0
    with pytest.raises(ValidationError, match="frozen"):
        Settings().scale = 2.0


def test_sandbox_defects_are_a_comma_separated_list() -> None:
    assert load().sandbox_defects is None
    s = load(defines={"sandbox_defects": " drift-path-removed,drift-enum-added ,"})
    assert s.sandbox_defects == "drift-enum-added,drift-path-removed"  # known names, sorted
    assert s.redacted()["sandbox_defects"] == "drift-enum-added,drift-path-removed"
