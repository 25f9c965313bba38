"""The known-issues file: what it accepts, what it refuses (one line each), and how a failure is matched."""

from __future__ import annotations

from pathlib import Path

import pytest

from campaign_acceptance.errors import ConfigurationError
from campaign_acceptance.known_issues import load_known_issues, matching_issue
from campaign_acceptance.settings import load_settings

REPO_ROOT = Path(__file__).resolve().parents[2]

ENTRY = """\
[[issue]]
id = "resume-1"
description = "Resume re-dispatches nothing"
link = "https://example.test/1"
scenarios = ["An operator pauses*"]
step = "every lead of every campaign is enriched"
message = 'for \\d+ s after resume'
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "known.toml"
    path.write_text(text)
    return path


def test_a_failure_matches_on_scenario_step_and_message(tmp_path: Path) -> None:
    (issue,) = load_known_issues(write(tmp_path, ENTRY))
    name = "An operator pauses a service and resumes it"
    step = "And every lead of every campaign is enriched"
    failure = "25 jobs PENDING for 5 s after resume, none processing"
    assert matching_issue([issue], name, step, failure) is issue
    assert matching_issue([issue], "Another scenario", step, failure) is None
    assert matching_issue([issue], name, "Then the breaker opens", failure) is None
    assert matching_issue([issue], name, step, "enrichment not finished within 600.0s") is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("not toml [", "is not valid TOML"),
        ('[issue]\nid = "x"', "'issue' must be a list"),
        ('[[issue]]\nid = "x"', "missing description, link, scenarios, step, message"),
        (ENTRY + 'colour = "red"\n', "unknown colour"),
        (ENTRY.replace('["An operator pauses*"]', "[]"), "scenarios must be non-empty"),
        (ENTRY.replace('"resume-1"', '"a b"'), "id 'a b' must be"),
        (ENTRY.replace("for \\d+ s", "for ("), "message is not a regular expression"),
        (ENTRY + ENTRY, "duplicate id(s) resume-1"),
        ("[other]\nx = 1", "unknown key(s) other"),
    ],
)
def test_a_bad_file_is_one_configuration_line(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_known_issues(write(tmp_path, text))
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot be read"):
        load_known_issues(tmp_path / "nope.toml")


def test_none_by_default_strict_by_default_and_settable() -> None:
    default = load_settings({}, {}, {})
    assert (default.known_issues, default.known_issues_strict) == (None, True)
    chosen = load_settings({}, {"known_issues": "known-issues/x.toml", "known_issues_strict": "false"}, {})
    assert (chosen.known_issues, chosen.known_issues_strict) == (Path("known-issues/x.toml"), False)
    assert load_settings({"known_issues": "a.toml"}, {"known_issues": ""}, {}).known_issues is None


def test_the_shipped_file_for_the_platform_at_9baca9e_loads() -> None:
    issues = load_known_issues(REPO_ROOT / "known-issues" / "platform-9baca9e.toml")
    ids = {i.id for i in issues}
    assert {"resume-redispatches-nothing", "automatic-trip-leaves-campaigns-running"} <= ids
    assert all(i.link.startswith("https://") for i in issues)
