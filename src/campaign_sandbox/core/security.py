"""Passwords (bcrypt) and tokens (HS256 JWT with only user_id and exp, as on the platform)."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

import bcrypt
import jwt
from jwt.warnings import InsecureKeyLengthWarning

# The platform's default secret is 20 bytes; PyJWT warns on every call with it.
warnings.filterwarnings("ignore", category=InsecureKeyLengthWarning)

ACCESS_TOKEN_EXPIRE_S = 1800
ALGORITHM = "HS256"


def hash_password(password: str) -> bytes:
    # bcrypt reads at most 72 bytes; the signup schema caps the length at 72 characters.
    return bcrypt.hashpw(password.encode()[:72], bcrypt.gensalt(rounds=8))


def verify_password(password: str, hashed: bytes) -> bool:
    try:
        return bcrypt.checkpw(password.encode()[:72], bytes(hashed))
    except ValueError:
        return False


def create_token(user_id: str, secret: str) -> str:
    exp = datetime.now(UTC) + timedelta(seconds=ACCESS_TOKEN_EXPIRE_S)
    return jwt.encode({"user_id": user_id, "exp": exp}, secret, algorithm=ALGORITHM)


class TokenError(Exception):
    pass


def decode_user_id(token: str, secret: str) -> str:
    """The token's user_id; TokenError for a bad signature, malformed or expired token, or no user_id."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM])
    except jwt.PyJWTError as exc:
        raise TokenError(str(exc)) from exc
    user_id = claims.get("user_id")
    if not isinstance(user_id, str) or not user_id:
        raise TokenError("no user_id")
    return user_id
