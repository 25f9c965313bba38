"""Known platform defects: a tracked file lists them, and a scenario failing exactly as listed does not
fail the verdict (like pytest's strict xfail).

The file (TOML, named by the setting ``known_issues``; none by default) holds one ``[[issue]]`` table per
defect::

    [[issue]]
    id = "resume-redispatches-nothing"            # letters, digits, dots, dashes, underscores
    description = "Resume re-dispatches nothing: resumed jobs stay PENDING"
    link = "https://..."                            # where the defect is described or tracked
    scenarios = ["An operator pauses a service and resumes it"]   # names, shell-style wildcards allowed
    step = "every lead of every campaign is enriched"             # regular expression (any case)
    message = 'for \\d+ s after resume'                            # regular expression, searched

A failed scenario matches an issue when its name matches one of ``scenarios``, the text of the step that
failed matches ``step`` (ignoring case) and the failure text matches ``message``. A listed scenario that
fails otherwise still fails; one that passes is "fixed? remove known issue <id>" (a failure unless
``known_issues_strict`` is off).
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from campaign_acceptance.errors import ConfigurationError

__all__ = ["KnownIssue", "listing_issue", "load_known_issues", "matching_issue"]

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_FIELDS = ("id", "description", "link", "scenarios", "step", "message")


@dataclass(frozen=True)
class KnownIssue:
    id: str
    description: str
    link: str
    scenarios: tuple[str, ...]
    step: str  # a regular expression, searched in "<keyword> <step text>" ignoring case
    message: str  # a regular expression, searched in the failure text

    def lists(self, scenario_name: str) -> bool:
        return any(fnmatch.fnmatchcase(scenario_name, pattern) for pattern in self.scenarios)

    def matches(self, scenario_name: str, failed_step: str, failure: str) -> bool:
        return (
            self.lists(scenario_name)
            and re.search(self.step, failed_step, re.IGNORECASE) is not None
            and re.search(self.message, failure) is not None
        )

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "description": self.description, "link": self.link}


def load_known_issues(path: Path) -> tuple[KnownIssue, ...]:
    """Read and check the file; any problem is a ConfigurationError with one line naming it."""
    where = f"known_issues file {path}"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigurationError(f"{where} cannot be read: {error.strerror or error}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"{where} is not valid TOML: {error}") from None
    unknown = sorted(set(data) - {"issue"})
    if unknown:
        raise ConfigurationError(f"{where}: unknown key(s) {', '.join(unknown)} (expected [[issue]] tables)")
    entries = data.get("issue", [])
    if not isinstance(entries, list):
        raise ConfigurationError(f"{where}: 'issue' must be a list of [[issue]] tables")
    issues = tuple(_issue(entry, f"{where}, issue {number}") for number, entry in enumerate(entries, 1))
    ids = [i.id for i in issues]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ConfigurationError(f"{where}: duplicate id(s) {', '.join(duplicates)}")
    return issues


def _issue(entry: Any, where: str) -> KnownIssue:
    if not isinstance(entry, dict):
        raise ConfigurationError(f"{where}: must be a table")
    missing = [f for f in _FIELDS if f not in entry]
    unknown = sorted(set(entry) - set(_FIELDS))
    if missing or unknown:
        problems = [f"missing {', '.join(missing)}"] if missing else []
        problems += [f"unknown {', '.join(unknown)}"] if unknown else []
        raise ConfigurationError(f"{where}: {'; '.join(problems)}")
    texts = {f: entry[f] for f in _FIELDS if f != "scenarios"}
    bad = [f for f, v in texts.items() if not isinstance(v, str) or not v.strip()]
    scenarios = entry["scenarios"]
    if (
        not isinstance(scenarios, list)
        or not scenarios
        or not all(isinstance(s, str) and s for s in scenarios)
    ):
        bad.append("scenarios")
    if bad:
        raise ConfigurationError(
            f"{where}: {', '.join(bad)} must be non-empty text (scenarios: a list of names)"
        )
    if not _ID.fullmatch(texts["id"]):
        raise ConfigurationError(f"{where}: id {texts['id']!r} must be letters, digits, '.', '-' or '_'")
    for name in ("step", "message"):
        try:
            re.compile(texts[name])
        except re.error as error:
            raise ConfigurationError(f"{where}: {name} is not a regular expression: {error}") from None
    return KnownIssue(
        id=texts["id"],
        description=" ".join(texts["description"].split()),
        link=texts["link"].strip(),
        scenarios=tuple(scenarios),
        step=texts["step"].strip(),
        message=texts["message"],
    )


def matching_issue(
    issues: Sequence[KnownIssue], scenario_name: str, failed_step: str, failure: str
) -> KnownIssue | None:
    return next((i for i in issues if i.matches(scenario_name, failed_step, failure)), None)


def listing_issue(issues: Sequence[KnownIssue], scenario_name: str) -> KnownIssue | None:
    return next((i for i in issues if i.lists(scenario_name)), None)
