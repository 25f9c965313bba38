"""The platform's authentication middleware (contract §1.0, §2): outermost, before routing."""

from __future__ import annotations

import json
from collections.abc import Callable

import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

from campaign_sandbox.core.security import TokenError, decode_user_id
from campaign_sandbox.schemas.responses import unauthorized_body

PUBLIC_PATHS = frozenset(
    {
        "/api/v1/auth/signup",
        "/api/v1/auth/login",
        "/api/v1/health",
        "/api/v1/health/",
        "/api/v1/health/ready",
        "/api/v1/health/live",
        "/docs",
        "/redoc",
        "/openapi.json",
        "/",
    }
)
# /sandbox is the fault-control surface; public, and outside the platform's contract.
PUBLIC_PREFIXES = ("/docs", "/redoc", "/static", "/sandbox/", "/sandbox")

_HEADERS = [
    (b"content-type", b"application/json"),
    (b"www-authenticate", b"Bearer"),
    (b"access-control-allow-origin", b"http://localhost:5173"),
    (b"access-control-allow-credentials", b"true"),
    (b"access-control-allow-methods", b"*"),
    (b"access-control-allow-headers", b"*"),
]


class AuthMiddleware:
    def __init__(self, app: ASGIApp, user_exists: Callable[[str], bool], secret_key: str) -> None:
        self.app = app
        self.user_exists = user_exists  # Domain.user_exists: a blocking read, run in a thread
        self.secret_key = secret_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "OPTIONS" or _is_public(scope["path"]):
            await self.app(scope, receive, send)
            return
        header = ""
        for name, value in scope["headers"]:
            if name == b"authorization":
                header = value.decode("latin-1")
                break
        message = await self._check(header)
        if message is None:
            await self.app(scope, receive, send)
            return
        body = json.dumps(unauthorized_body(message)).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [*_HEADERS, (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _check(self, header: str) -> str | None:
        """None when the request may pass, else the 401 message."""
        if not header.startswith("Bearer "):
            return "Token is missing"
        token = header.split(" ")[1]
        if not token:
            return "Token is missing"
        try:
            user_id = decode_user_id(token, self.secret_key)
        except TokenError:
            return "Invalid token"
        try:
            found = await anyio.to_thread.run_sync(self.user_exists, user_id)
        except Exception:
            return "Authentication failed"
        return None if found else "User not found"


def _is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)
