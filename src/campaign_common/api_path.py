"""The platform's API path prefix, added by the suite's client and mounted by the sandbox: one place."""

from __future__ import annotations

__all__ = ["API_PREFIX", "api_path", "api_url", "strip_api_prefix"]

API_PREFIX = "/api/v1"


def api_path(path: str) -> str:
    """``campaigns/`` -> ``/api/v1/campaigns/``; a path already under the prefix is left as it is."""
    if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
        return path
    return f"{API_PREFIX}/{path.lstrip('/')}"


def strip_api_prefix(url: str) -> str:
    """The host part of a platform URL: trailing slashes and a trailing ``/api/v1`` dropped."""
    url = url.rstrip("/")
    return url[: -len(API_PREFIX)].rstrip("/") if url.endswith(API_PREFIX) else url


def api_url(url: str, path: str) -> str:
    """``http://h:8000`` + ``health/`` -> ``http://h:8000/api/v1/health/``."""
    return strip_api_prefix(url) + api_path(path)
