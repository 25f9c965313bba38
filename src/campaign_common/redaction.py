"""The one way secrets are hidden before anything is printed, logged or written to a report.

Hidden: the password of every ``scheme://user:password@`` URL, the values of JSON fields that carry a token or
password, bearer tokens, any secret the caller knows by value, and the value of a setting whose name says it
is a secret. Each becomes ``***``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

__all__ = ["HIDDEN", "redact", "redact_mapping", "redact_url"]

HIDDEN = "***"

_URL_PASSWORD = re.compile(r"(?P<head>://[^:/@?#\s]*):(?P<password>[^@/?#\s]*)@")
_SECRET_FIELDS = re.compile(
    r'("(?:access_token|token|password|confirm_password)"\s*:\s*)"(?:[^"\\]|\\.)*"', re.IGNORECASE
)
_BEARER = re.compile(r"Bearer\s+[^\s\"',}]+")
_SECRET_NAME = re.compile(r"pass(word)?|secret|token|api[_-]?key|credential", re.IGNORECASE)


def redact_url(text: str) -> str:
    """Replace the password of every ``scheme://user:password@`` in ``text`` by ``***``."""
    return _URL_PASSWORD.sub(rf"\g<head>:{HIDDEN}@", text)


def redact(text: str, known: Iterable[str] = ()) -> str:
    """``text`` with every secret hidden: the ``known`` values (longest first), JSON token/password fields,
    bearer tokens and URL passwords."""
    for secret in sorted((s for s in known if s), key=len, reverse=True):
        text = text.replace(secret, HIDDEN)
    text = _SECRET_FIELDS.sub(rf'\1"{HIDDEN}"', text)
    text = _BEARER.sub(f"Bearer {HIDDEN}", text)
    return redact_url(text)


def redact_mapping(values: Mapping[str, object]) -> dict[str, str]:
    """Every value as text, secrets hidden; a non-empty value whose name says it is a secret is ``***``."""
    return {
        str(name): HIDDEN if _SECRET_NAME.search(str(name)) and value else redact(str(value))
        for name, value in values.items()
    }
