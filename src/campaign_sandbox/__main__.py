"""``python -m campaign_sandbox --host H --port P [--<setting> VALUE ...]``, a flag per settings field."""

from __future__ import annotations

import argparse
import enum
import logging
import sys
from typing import Any, NoReturn, cast, get_args, get_origin

import uvicorn
from pydantic import ValidationError

from campaign_sandbox.core.config import SandboxSettings
from campaign_sandbox.main import create_app
from campaign_sandbox.server import bind_socket

PROG = "campaign_sandbox"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, no usage block: the caller reads the reason, not a manual.
        self.exit(2, f"{PROG}: error: {message}\n")


# A secret on the command line is visible to every user of the machine (ps): SANDBOX_SECRET_KEY only.
_NO_FLAG = frozenset({"secret_key"})


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_settings_arguments(parser: argparse.ArgumentParser) -> None:
    """One ``--<field-name>`` per ``SandboxSettings`` field, typed from the model (nothing listed twice).

    Unset flags stay out of the settings, so ``SANDBOX_*`` variables and the model's defaults apply; values
    are checked by the model itself, so a flag and its variable fail with the same one line.
    """
    for name, field in SandboxSettings.model_fields.items():
        if name in _NO_FLAG:
            continue
        kind = next((a for a in get_args(field.annotation) if a is not type(None)), field.annotation)
        default = (
            "" if field.default is None else f" (default {getattr(field.default, 'value', field.default)})"
        )
        help_text = f"{field.description}{default}"
        if get_origin(field.annotation) is frozenset:  # a set of names, given comma-separated
            parser.add_argument(_flag(name), type=str, metavar="NAME[,NAME...]", help=field.description)
        elif kind is bool:
            parser.add_argument(_flag(name), action="store_true", default=None, help=field.description)
        elif isinstance(kind, type) and issubclass(kind, enum.Enum):
            parser.add_argument(_flag(name), choices=[m.value for m in kind], help=help_text)
        elif kind is int or kind is float or kind is str:
            parser.add_argument(_flag(name), type=cast("type[Any]", kind), help=help_text)
        else:  # a field type the CLI cannot spell: fail the build, not a user's run
            raise TypeError(f"SandboxSettings.{name}: no command-line form for {field.annotation!r}")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="Run the campaign platform sandbox.")
    # Where to listen and how much to log belong to this process, not to a sandbox's settings.
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    p.add_argument(
        "--port", type=int, default=8000, help="port to listen on (default 8000; 0 = any free port)"
    )
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    add_settings_arguments(p)
    return p


class CliError(Exception):
    """Bad arguments or settings: one line for stderr, exit 2."""


def parse(argv: list[str] | None = None) -> tuple[argparse.Namespace, SandboxSettings]:
    """The process options and the settings (flags over ``SANDBOX_*`` over defaults); ``CliError`` if bad."""
    args = build_parser().parse_args(argv)
    if not 0 <= args.port <= 65535:
        raise CliError("--port must be between 0 and 65535")
    given = vars(args)
    overrides = {k: given[k] for k in SandboxSettings.model_fields if given.get(k) is not None}
    try:
        return args, SandboxSettings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"]))
        text = str(first["msg"]).removeprefix("Value error, ")
        raise CliError(f"{where + ': ' if where else ''}{text}") from None


def _defects_text(settings: SandboxSettings) -> str:
    return f", defects {','.join(sorted(settings.defects))}" if settings.defects else ""


def main(argv: list[str] | None = None) -> int:
    try:
        args, settings = parse(argv)
    except CliError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        print(
            f"{PROG}: error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr
        )
        return 1
    try:
        app = create_app(settings)
    except Exception as exc:
        sock.close()
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    port = sock.getsockname()[1]
    print(
        f"campaign sandbox on http://{args.host}:{port} (database {app.state.runtime.store.redacted_url}, "
        f"profile {settings.profile.value}{_defects_text(settings)})",
        flush=True,
    )
    uvicorn.Server(uvicorn.Config(app, log_level=args.log_level, access_log=False)).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
