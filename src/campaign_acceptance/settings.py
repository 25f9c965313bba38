"""The suite's settings: one immutable pydantic-settings model, built once per run from four layers.

Precedence, highest first (``Settings.settings_customise_sources``):
  1. ``-D name=value`` on the behave command line;
  2. environment variable ``CAMPAIGN_SUITE_<NAME>`` (upper-case field name);
  3. ``[behave.userdata]`` in ``behave.ini``;
  4. the built-in default.

Every problem raises ``ConfigurationError`` with one line naming the setting, the bad value (passwords
hidden) and where it came from. For the optional settings in ``EMPTY_MEANS_UNSET`` an empty string means
"not set" and overrides lower layers (so ``-D database_url=`` turns off a database configured in behave.ini);
for the other settings an empty string is ignored and the next layer applies (CI templates often export
empty variables).
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BeforeValidator, ValidationError, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from campaign_acceptance.errors import ConfigurationError
from campaign_acceptance.sharding import Shard, parse_shard
from campaign_common.api_path import strip_api_prefix
from campaign_common.redaction import redact_mapping, redact_url
from campaign_sandbox.defects import CATALOGUE, parse_defects
from campaign_sandbox.profile import RATE_LIMITS_SYNTAX, ProfileName, parse_rate_limits

__all__ = [
    "Settings",
    "generate_run_id",
    "load_settings",
    "reports_dir_from_behave",
    "setting_names",
    "settings_from_behave",
]

ENV_PREFIX = "CAMPAIGN_SUITE_"
DATABASE_DRIVERS = ("postgresql", "postgresql+psycopg", "sqlite", "sqlite+pysqlite")
_SAFE_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_MAX_PREFIX = 20
_MAX_RUN_ID = 48  # leaves room for a suffix and still fits the 64-character email local part
EMPTY_MEANS_UNSET = frozenset(
    {
        "api_url",
        "database_url",
        "fault_control_url",
        "sandbox_database_url",
        "sandbox_defects",
        "campaigns",
        "leads",
        "metrics_textfile",
        "pushgateway_url",
        "known_issues",
        "shard",
    }
)
# The layers by their origin text, highest first; their raw values are set by load_settings for one build.
_ORIGINS = ("-D", "environment", "behave.ini [behave.userdata]")
_LAYERS: ContextVar[dict[str, dict[str, str]] | None] = ContextVar("settings_layers", default=None)


# ---------------------------------------------------------------------------------------------- parsing


class _Invalid(ValueError):
    """A raw value does not parse; the text says what was expected."""


def _raw(parse: Callable[[str], Any]) -> BeforeValidator:
    """Parse text from a layer; a typed value (``Settings(x=...)`` in code) goes to pydantic's check as is."""
    return BeforeValidator(lambda value: parse(value) if isinstance(value, str) else value)


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
    return strip_api_prefix(value)


def _database_url(raw: str) -> str:
    # Imported here: the runner reads the settings first, and a run refused at once (exit 3) need not
    # load SQLAlchemy (a third of its start on a busy machine).
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

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


def _defects(raw: str) -> str:
    """Planted sandbox defects, ``a,b``: known names only (the message lists them), kept sorted."""
    try:
        return ",".join(sorted(parse_defects(raw)))
    except ValueError:
        raise _Invalid(f"defect names, comma-separated, of: {', '.join(CATALOGUE)}") from None


def _path(raw: str) -> Path:
    return Path(raw.strip())


def _shard(raw: str) -> Shard:
    try:
        return parse_shard(raw)
    except ValueError as bad:
        raise _Invalid(str(bad)) from None


PositiveNumber = Annotated[float, _raw(_positive_number)]
PositiveInt = Annotated[int, _raw(_positive_int)]
Flag = Annotated[bool, _raw(_boolean)]
HttpUrl = Annotated[str, _raw(_http_url)]
DatabaseUrl = Annotated[str, _raw(_database_url)]
FilePath = Annotated[Path, _raw(_path)]


def _one_of(*allowed: str) -> BeforeValidator:
    return _raw(_choice(*allowed))


# ---------------------------------------------------------------------------------------------- the model


class _Layer(PydanticBaseSettingsSource):
    """One layer's raw values (set by load_settings); empty text handled as the module doc says."""

    def __init__(self, settings_cls: type[BaseSettings], origin: str) -> None:
        super().__init__(settings_cls)
        self.origin = origin

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self().get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return supplied((_LAYERS.get() or {}).get(self.origin, {}))


class Settings(BaseSettings):
    """Everything a run can be configured with; see docs/architecture.md for the meaning of each field."""

    # The defaults are right by construction; only what a layer or the code gives is checked.
    model_config = SettingsConfigDict(frozen=True, extra="forbid", validate_default=False)

    api_url: HttpUrl | None = None  # None: start the embedded sandbox
    database_url: DatabaseUrl | None = None
    fault_control_url: HttpUrl | None = None
    tenant_prefix: Annotated[str, _raw(_safe_name(_MAX_PREFIX))] = "acceptance"
    run_id: Annotated[str, _raw(_safe_name(_MAX_RUN_ID))] = ""  # load_settings always fills it in
    scale: PositiveNumber = 1.0
    # When set, these replace the campaign count / leads per campaign of every scenario and example
    # (scale then applies to the other one only).
    campaigns: PositiveInt | None = None
    leads: PositiveInt | None = None
    allow_no_scenarios: Flag = False  # a run that executes no scenario passes instead of exit 3
    start_mode: Annotated[str, _one_of("sequential", "concurrent")] = "sequential"
    fetch_deadline_s: PositiveNumber = 180.0
    enrichment_deadline_s: PositiveNumber = 600.0
    pause_deadline_s: PositiveNumber = 60.0
    stall_s: PositiveNumber = 30.0
    poll_interval_s: PositiveNumber = 0.2
    poll_max_interval_s: PositiveNumber = 2.0
    health_gate: Annotated[str, _one_of("abort", "warn")] = "abort"
    rate_limit_trips: Annotated[str, _one_of("service_failure", "product_failure")] = "service_failure"
    request_timeout_s: PositiveNumber = 10.0
    reports_dir: FilePath = Path("reports")
    sandbox_database_url: DatabaseUrl | None = None
    sandbox_workers: PositiveInt = 8
    # None: the sandbox's own default (intended, published limits) or its SANDBOX_PROFILE/_RATE_LIMITS.
    sandbox_profile: Annotated[str, _one_of(*(p.value for p in ProfileName))] | None = None
    sandbox_rate_limits: Annotated[str, _raw(_rate_limits)] | None = None
    # Planted product defects of the embedded sandbox (docs/sandbox.md), for the kill matrix; none by default.
    sandbox_defects: Annotated[str, _raw(_defects)] | None = None
    progress: Flag = True
    # Health monitoring (metrics.py): scheduled runs select no @trips_breaker scenario by default and export
    # Prometheus metrics to metrics_textfile (default <reports_dir>/campaign_acceptance.prom) and the gateway.
    health_monitoring: Flag = False
    metrics_textfile: FilePath | None = None
    pushgateway_url: HttpUrl | None = None
    shard: Annotated[Shard, _raw(_shard)] | None = None  # i/N: the i-th of N parts (sharding.py)
    known_issues: FilePath | None = None  # the known-issues file to apply (none by default)
    known_issues_strict: Flag = True  # a listed scenario that passes fails the verdict ("fixed?")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Values given in code first, then -D, the environment and behave.ini; never a .env or secrets dir.
        return (init_settings, *(_Layer(settings_cls, origin) for origin in _ORIGINS))

    @model_validator(mode="after")
    def _poll_interval_within_its_maximum(self) -> Settings:
        if self.poll_interval_s > self.poll_max_interval_s:
            limit, got = self.poll_max_interval_s, self.poll_interval_s
            raise _Invalid(f"must not exceed poll_max_interval_s ({limit:g}), got {got:g}")
        return self

    def redacted(self) -> dict[str, str]:
        """Every field as text, safe to print or write to a report (URL passwords become ``***``)."""
        return redact_mapping({name: _text(getattr(self, name)) for name in type(self).model_fields})

    def __repr__(self) -> str:
        shown = self.redacted()
        inner = ", ".join(
            f"{name}={shown[name] if isinstance(value, str) else value!r}"
            for name, value in ((name, getattr(self, name)) for name in type(self).model_fields)
        )
        return f"Settings({inner})"

    __str__ = __repr__


def setting_names() -> tuple[str, ...]:
    return tuple(Settings.model_fields)


def supplied(layer: Mapping[str, str]) -> dict[str, str | None]:
    """What a layer sets: empty text is "not set" (None) for EMPTY_MEANS_UNSET and left out otherwise."""
    values: dict[str, str | None] = {}
    for name, raw in layer.items():
        if raw.strip() == "":
            if name in EMPTY_MEANS_UNSET:
                values[name] = None
            continue
        values[name] = raw
    return values


def _text(value: object) -> str:
    if isinstance(value, frozenset):
        return ",".join(sorted(map(str, value)))
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
    layers = dict(zip(_ORIGINS, (dict(defines), _environment_layer(environ, known), dict(ini)), strict=True))
    with _layers(layers):
        try:
            settings = Settings()
        except ValidationError as invalid:
            raise _configuration_error(invalid, layers) from None
    if not settings.run_id:
        settings = settings.model_copy(update={"run_id": generate_run_id(settings.tenant_prefix, now)})
    return settings


@contextmanager
def _layers(layers: dict[str, dict[str, str]]) -> Iterator[None]:
    token = _LAYERS.set(layers)
    try:
        yield
    finally:
        _LAYERS.reset(token)


def _configuration_error(invalid: ValidationError, layers: dict[str, dict[str, str]]) -> ConfigurationError:
    """The first problem as one line: setting, what was expected, the value (passwords hidden), its origin."""
    problem = invalid.errors()[0]
    cause = problem.get("ctx", {}).get("error")
    # A field's own error has the field in loc; the cross-field rule is about poll_interval_s.
    name = str(problem["loc"][0]) if problem["loc"] else "poll_interval_s"
    origin = _origin_of(name, layers)
    if not problem["loc"]:
        return ConfigurationError(f"setting {name}: {cause} (from {origin})")
    expected = cause if isinstance(cause, _Invalid) else problem["msg"]
    return ConfigurationError(
        f"setting {name}: expected {expected}, got {redact_url(str(problem['input']))!r} (from {origin})"
    )


def _origin_of(name: str, layers: dict[str, dict[str, str]]) -> str:
    for origin, layer in layers.items():
        if name in supplied(layer):
            return ENV_PREFIX + name.upper() if origin == "environment" else origin
    return "default"


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
    default: Path = Settings.model_fields["reports_dir"].default
    return default


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
