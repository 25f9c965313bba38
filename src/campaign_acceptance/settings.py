"""The suite's settings: one immutable object built once per run from four layers.

Precedence, highest first:
  1. ``-D name=value`` on the behave command line;
  2. environment variable ``CAMPAIGN_SUITE_<NAME>`` (upper-case field name);
  3. ``[behave.userdata]`` in ``behave.ini``;
  4. the built-in default.

Every problem raises ``ConfigurationError`` with one line naming the setting, the bad value (passwords
hidden) and where it came from. For the optional URL settings an empty string means "not set" and overrides
lower layers (so ``-D database_url=`` turns off a database configured in behave.ini); for the other settings
an empty string is ignored and the next layer applies (CI templates often export empty variables).
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from campaign_acceptance.errors import ConfigurationError
from campaign_acceptance.sharding import Shard, parse_shard
from campaign_sandbox.profile import RATE_LIMITS_SYNTAX, ProfileName, parse_rate_limits

__all__ = [
    "Settings",
    "generate_run_id",
    "load_settings",
    "redact_url",
    "reports_dir_from_behave",
    "setting_names",
    "settings_from_behave",
]

ENV_PREFIX = "CAMPAIGN_SUITE_"
DATABASE_DRIVERS = ("postgresql", "postgresql+psycopg", "sqlite", "sqlite+pysqlite")
_SAFE_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_URL_PASSWORD = re.compile(r"(?P<head>://[^:/@?#\s]*):(?P<password>[^@/?#\s]*)@")
_MAX_PREFIX = 20
_MAX_RUN_ID = 48  # leaves room for a suffix and still fits the 64-character email local part


def redact_url(text: str) -> str:
    """Replace the password of every ``scheme://user:password@`` in ``text`` by ``***``."""
    return _URL_PASSWORD.sub(r"\g<head>:***@", text)


@dataclass(frozen=True, repr=False)
class Settings:
    """Everything a run can be configured with; see docs/architecture.md for the meaning of each field."""

    api_url: str | None = None  # None: start the embedded sandbox
    database_url: str | None = None
    fault_control_url: str | None = None
    tenant_prefix: str = "acceptance"
    run_id: str = ""  # load_settings always fills it in
    scale: float = 1.0
    # When set, these replace the campaign count / leads per campaign of every scenario and example
    # (scale then applies to the other one only).
    campaigns: int | None = None
    leads: int | None = None
    allow_no_scenarios: bool = False  # a run that executes no scenario passes instead of exit 3
    start_mode: str = "sequential"
    fetch_deadline_s: float = 180.0
    enrichment_deadline_s: float = 600.0
    pause_deadline_s: float = 60.0
    stall_s: float = 30.0
    poll_interval_s: float = 0.2
    poll_max_interval_s: float = 2.0
    health_gate: str = "abort"
    rate_limit_trips: str = "service_failure"
    request_timeout_s: float = 10.0
    reports_dir: Path = Path("reports")
    sandbox_database_url: str | None = None
    sandbox_workers: int = 8
    # None: the sandbox's own default (intended, published limits) or its SANDBOX_PROFILE/_RATE_LIMITS.
    sandbox_profile: str | None = None
    sandbox_rate_limits: str | None = None
    progress: bool = True
    # Health monitoring (metrics.py): scheduled runs select no @trips_breaker scenario by default and export
    # Prometheus metrics to metrics_textfile (default <reports_dir>/campaign_acceptance.prom) and the gateway.
    health_monitoring: bool = False
    metrics_textfile: Path | None = None
    pushgateway_url: str | None = None
    shard: Shard | None = None  # i/N: run the i-th of N deterministic parts of the selection (sharding.py)
    known_issues: Path | None = None  # the known-issues file to apply (none by default)
    known_issues_strict: bool = True  # a listed scenario that passes fails the verdict ("fixed?")

    def redacted(self) -> dict[str, str]:
        """Every field as text, safe to print or write to a report (URL passwords become ``***``)."""
        return {f.name: redact_url(_text(getattr(self, f.name))) for f in fields(self)}

    def __repr__(self) -> str:
        shown = self.redacted()
        inner = ", ".join(
            f"{f.name}={shown[f.name] if isinstance(getattr(self, f.name), str) else getattr(self, f.name)!r}"
            for f in fields(self)
        )
        return f"Settings({inner})"

    __str__ = __repr__


def setting_names() -> tuple[str, ...]:
    return tuple(f.name for f in fields(Settings))


# ---------------------------------------------------------------------------------------------- parsing


class _Invalid(ValueError):
    """A raw value does not parse; the text says what was expected."""


def _positive_number(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise _Invalid("a positive number") from None
    if not math.isfinite(value) or value <= 0:
        raise _Invalid("a positive number")
    return value


def _positive_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise _Invalid("a positive integer") from None
    if value <= 0:
        raise _Invalid("a positive integer")
    return value


def _boolean(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise _Invalid("true or false")


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in allowed:
            raise _Invalid(" or ".join(allowed))
        return value

    return parse


def _safe_name(max_length: int) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip()
        if len(value) > max_length or not _SAFE_NAME.fullmatch(value):
            raise _Invalid(f"lowercase letters, digits and single dashes (at most {max_length} characters)")
        return value

    return parse


def _http_url(raw: str) -> str:
    """An http(s) base URL without trailing slash or /api/v1 (the client adds the prefix)."""
    value = raw.strip()
    expected = "an http:// or https:// URL"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise _Invalid(expected) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise _Invalid(expected)
    value = value.rstrip("/")
    if value.endswith("/api/v1"):
        value = value[: -len("/api/v1")].rstrip("/")
    return value


def _database_url(raw: str) -> str:
    value = raw.strip()
    expected = "a SQLAlchemy URL for " + ", ".join(DATABASE_DRIVERS[:3])
    try:
        url = make_url(value)
    except (ArgumentError, ValueError):
        raise _Invalid(expected) from None
    if url.drivername not in DATABASE_DRIVERS:
        raise _Invalid(expected)
    return value


def _rate_limits(raw: str) -> str:
    value = raw.strip()
    try:
        parse_rate_limits(value)
    except ValueError:
        raise _Invalid(RATE_LIMITS_SYNTAX) from None
    return value


def _path(raw: str) -> Path:
    return Path(raw.strip())


def _shard(raw: str) -> Shard:
    try:
        return parse_shard(raw)
    except ValueError as bad:
        raise _Invalid(str(bad)) from None


_OPTIONAL = frozenset(
    {
        "api_url",
        "database_url",
        "fault_control_url",
        "sandbox_database_url",
        "campaigns",
        "leads",
        "metrics_textfile",
        "pushgateway_url",
        "known_issues",
        "shard",
    }
)
_PARSERS: dict[str, Callable[[str], Any]] = {
    "api_url": _http_url,
    "database_url": _database_url,
    "fault_control_url": _http_url,
    "tenant_prefix": _safe_name(_MAX_PREFIX),
    "run_id": _safe_name(_MAX_RUN_ID),
    "scale": _positive_number,
    "campaigns": _positive_int,
    "leads": _positive_int,
    "allow_no_scenarios": _boolean,
    "start_mode": _choice("sequential", "concurrent"),
    "fetch_deadline_s": _positive_number,
    "enrichment_deadline_s": _positive_number,
    "pause_deadline_s": _positive_number,
    "stall_s": _positive_number,
    "poll_interval_s": _positive_number,
    "poll_max_interval_s": _positive_number,
    "health_gate": _choice("abort", "warn"),
    "rate_limit_trips": _choice("service_failure", "product_failure"),
    "request_timeout_s": _positive_number,
    "reports_dir": _path,
    "sandbox_database_url": _database_url,
    "sandbox_workers": _positive_int,
    "sandbox_profile": _choice(*(p.value for p in ProfileName)),
    "sandbox_rate_limits": _rate_limits,
    "progress": _boolean,
    "health_monitoring": _boolean,
    "metrics_textfile": _path,
    "pushgateway_url": _http_url,
    "known_issues": _path,
    "known_issues_strict": _boolean,
    "shard": _shard,
}


def _text(value: object) -> str:
    return "" if value is None else str(value)


# ---------------------------------------------------------------------------------------------- loading


def load_settings(
    ini: Mapping[str, str],
    defines: Mapping[str, str],
    environ: Mapping[str, str],
    *,
    now: datetime | None = None,
) -> Settings:
    """Build the settings from the three layers (see the module doc); ``now`` pins the generated run id."""
    known = setting_names()
    _reject_unknown(ini, "behave.ini [behave.userdata]", known)
    _reject_unknown(defines, "-D", known)
    env_layer = _environment_layer(environ, known)
    layers: list[tuple[str, Mapping[str, str]]] = [
        ("-D", defines),
        ("environment", env_layer),
        ("behave.ini", ini),
    ]

    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for name in known:
        for origin, layer in layers:
            raw = layer.get(name)
            if raw is None or (raw.strip() == "" and name not in _OPTIONAL):
                continue
            origins[name] = _origin_text(origin, name)
            values[name] = None if raw.strip() == "" else _parse(name, raw, origins[name])
            break

    poll, poll_max = (values.get(n, getattr(Settings, n)) for n in ("poll_interval_s", "poll_max_interval_s"))
    if poll > poll_max:
        raise ConfigurationError(
            f"setting poll_interval_s: must not exceed poll_max_interval_s ({poll_max:g}), got {poll:g} "
            f"(from {origins.get('poll_interval_s', 'default')})"
        )
    if not values.get("run_id"):
        prefix = values.get("tenant_prefix", Settings.tenant_prefix)
        values["run_id"] = generate_run_id(prefix, now)
    return Settings(**values)


def generate_run_id(tenant_prefix: str, now: datetime | None = None) -> str:
    """``<tenant_prefix>-<UTC yyyymmddHHMMSS>-<6 hex>``: unique per run, safe in an email local part."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%d%H%M%S")
    return f"{tenant_prefix}-{stamp}-{secrets.token_hex(3)}"


def settings_from_behave(config: Any, environ: Mapping[str, str]) -> Settings:
    """Settings from behave's ``Configuration`` object (``context.config``) and the environment.

    What behave 1.3.3 does (behave/configuration.py): ``-D`` pairs are kept, in order, in
    ``config.userdata_defines`` (a list of ``(name, value)`` tuples, or None); the ``[behave.userdata]``
    section is read into ``config.defaults["userdata"]``; ``setup_userdata()`` then builds ``config.userdata``
    as that section updated with the defines. So the ini layer is ``config.userdata`` without the defined
    names (a name given both ways only matters through its define, which wins anyway), and the -D layer is
    ``dict(userdata_defines)`` (the last -D of a name wins, as in behave). Names with a dot belong to other
    tools (e.g. ``behave.formatter.missing_steps.template``) and are left alone.
    """
    defines = {str(k): str(v) for k, v in (getattr(config, "userdata_defines", None) or ())}
    userdata = getattr(config, "userdata", None) or {}
    ini = {str(k): str(v) for k, v in userdata.items() if k not in defines}
    return load_settings(_own(ini), _own(defines), environ)


def reports_dir_from_behave(config: Any, environ: Mapping[str, str]) -> Path:
    """Where the reports go, even when another setting is invalid (the run must still say why, there).

    Same layers and precedence as settings_from_behave, for this one setting; an unusable value falls back
    to the default.
    """
    defines = {str(k): str(v) for k, v in (getattr(config, "userdata_defines", None) or ())}
    userdata = getattr(config, "userdata", None) or {}
    for layer in (defines, {"reports_dir": environ.get(ENV_PREFIX + "REPORTS_DIR", "")}, userdata):
        raw = str(layer.get("reports_dir") or "").strip()
        if raw:
            return _path(raw)
    return Settings.reports_dir


def _own(layer: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in layer.items() if "." not in k}


def _environment_layer(environ: Mapping[str, str], known: tuple[str, ...]) -> dict[str, str]:
    layer: dict[str, str] = {}
    for key, value in environ.items():
        if not key.startswith(ENV_PREFIX):
            continue
        name = key[len(ENV_PREFIX) :].lower()
        if name not in known:
            names = ", ".join(ENV_PREFIX + n.upper() for n in known)
            raise ConfigurationError(f"unknown environment variable {key}; known: {names}")
        layer[name] = value
    return layer


def _reject_unknown(layer: Mapping[str, str], origin: str, known: tuple[str, ...]) -> None:
    unknown = sorted(set(layer) - set(known))
    if unknown:
        names = ", ".join(map(repr, unknown))
        known_text = ", ".join(known)
        raise ConfigurationError(f"unknown setting {names} (from {origin}); known settings: {known_text}")


def _origin_text(origin: str, name: str) -> str:
    if origin == "environment":
        return ENV_PREFIX + name.upper()
    if origin == "behave.ini":
        return "behave.ini [behave.userdata]"
    return origin


def _parse(name: str, raw: str, origin: str) -> Any:
    try:
        return _PARSERS[name](raw)
    except _Invalid as bad:
        raise ConfigurationError(
            f"setting {name}: expected {bad}, got {redact_url(raw)!r} (from {origin})"
        ) from None
