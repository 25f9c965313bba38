"""``python -m campaign_sandbox --host H --port P --database-url URL [--fault-control]``."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import NoReturn

import uvicorn
from pydantic import ValidationError

from campaign_sandbox.core.config import SandboxSettings
from campaign_sandbox.main import create_app
from campaign_sandbox.profile import ProfileName
from campaign_sandbox.server import bind_socket

PROG = "campaign_sandbox"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, no usage block: the caller reads the reason, not a manual.
        self.exit(2, f"{PROG}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="Run the campaign platform sandbox.")
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    p.add_argument(
        "--port", type=int, default=8000, help="port to listen on (default 8000; 0 = any free port)"
    )
    p.add_argument("--database-url", help="SQLAlchemy URL; default: SQLite in a fresh temporary directory")
    p.add_argument("--fault-control", action="store_true", help="serve /sandbox/faults")
    p.add_argument("--workers", type=int, help="worker threads (default 8)")
    p.add_argument("--provider-latency-ms", type=int, help="latency of each fake provider call")
    p.add_argument("--fetch-latency-ms", type=int, help="latency of the fake lead fetch")
    p.add_argument("--lead-cap", type=int, help="most leads a fetch returns")
    p.add_argument("--breaker-failure-threshold", type=int)
    p.add_argument("--breaker-failure-window-s", type=float)
    p.add_argument("--breaker-recovery-timeout-s", type=float)
    p.add_argument("--breaker-success-threshold", type=int)
    p.add_argument("--hang-timeout-s", type=float)
    p.add_argument(
        "--profile",
        choices=[n.value for n in ProfileName],
        help="intended (default): the platform as meant; as-built: as it is at 9baca9e (docs/sandbox.md)",
    )
    p.add_argument(
        "--rate-limits",
        help="as-built local rate limits: default, off, x<factor>, <service>=<max>/<seconds>, <service>=off",
    )
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not 0 <= args.port <= 65535:
        print(f"{PROG}: error: --port must be between 0 and 65535", file=sys.stderr)
        return 2
    overrides = {
        k: v
        for k, v in vars(args).items()
        if v is not None and k not in {"host", "port", "log_level", "fault_control"}
    }
    if args.fault_control:
        overrides["fault_control"] = True
    try:
        settings = SandboxSettings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"]))
        text = str(first["msg"]).removeprefix("Value error, ")
        print(f"{PROG}: error: {where + ': ' if where else ''}{text}", file=sys.stderr)
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
        f"profile {settings.profile.value})",
        flush=True,
    )
    uvicorn.Server(uvicorn.Config(app, log_level=args.log_level, access_log=False)).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
