"""Signup (whitelist), login (HS256 JWT) and /me: bare bodies, as on the platform."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from sqlalchemy import select

from campaign_sandbox.api.deps import ReadSession, Runtime, WriteSession
from campaign_sandbox.core.security import (
    ACCESS_TOKEN_EXPIRE_S,
    TokenError,
    create_token,
    decode_user_id,
    hash_password,
    verify_password,
)
from campaign_sandbox.models import User
from campaign_sandbox.schemas.requests import LoginRequest, SignupRequest
from campaign_sandbox.services import iso_offset

router = APIRouter()

WHITELIST = frozenset(
    {"ethan@smartscalingai.com", "ek@alienunderpants.io", "test@domain.com", "test@example.com"}
)
WHITELIST_DOMAIN = "@hellacooltestingdomain.pizza"


def user_body(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "created_at": iso_offset(user.created_at),
        "updated_at": iso_offset(user.updated_at),
    }


@router.post("/signup", status_code=201)
def signup(body: SignupRequest, session: WriteSession) -> dict[str, Any]:
    email = body.email.lower()
    if email not in WHITELIST and not email.endswith(WHITELIST_DOMAIN):
        raise HTTPException(status_code=403, detail="This email is not allowed to sign up.")
    if session.scalar(select(User).where(User.email == email)) is not None:
        raise HTTPException(status_code=400, detail="Email already registered")
    user = User(email=email, name="", password=hash_password(body.password), failed_attempts=0)
    session.add(user)
    session.flush()
    return {"message": "User registered successfully", "user": user_body(user)}


@router.post("/login")
def login(body: LoginRequest, session: ReadSession, runtime: Runtime) -> dict[str, Any]:
    user = session.scalar(select(User).where(User.email == body.email.lower()))
    if user is None or not verify_password(body.password, user.password):
        raise HTTPException(status_code=401, detail="Invalid email or password")
    token = create_token(user.id, runtime.settings.secret_key)
    return {
        "message": "Login successful",
        "token": {"access_token": token, "token_type": "bearer", "expires_in": ACCESS_TOKEN_EXPIRE_S},
        "user": user_body(user),
    }


@router.get("/me")
def me(request: Request, session: ReadSession, runtime: Runtime) -> dict[str, Any]:
    # The middleware has already checked the token; this mirrors the platform's second check.
    header = request.headers.get("authorization", "")
    try:
        user_id = decode_user_id(header.split(" ")[1] if " " in header else "", runtime.settings.secret_key)
    except TokenError:
        raise HTTPException(status_code=401, detail="Could not validate credentials") from None
    user = session.get(User, user_id)
    if user is None:
        raise HTTPException(status_code=404, detail="User not found")
    return user_body(user)
