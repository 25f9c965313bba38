"""Signup (whitelist), login (HS256 JWT) and /me: bare bodies, as on the platform."""

from __future__ import annotations

from fastapi import APIRouter, Request

from campaign_sandbox.api.deps import DomainDep, Runtime
from campaign_sandbox.core.security import TokenError, decode_user_id
from campaign_sandbox.errors import Unauthorized
from campaign_sandbox.schemas import responses as rs
from campaign_sandbox.schemas.requests import LoginRequest, SignupRequest

router = APIRouter()


@router.post("/signup", status_code=201, response_model=rs.SignedUp)
def signup(body: SignupRequest, domain: DomainDep) -> rs.SignedUp:
    return domain.signup(body)


@router.post("/login", response_model=rs.LoggedIn)
def login(body: LoginRequest, domain: DomainDep) -> rs.LoggedIn:
    return domain.login(body)


@router.get("/me", response_model=rs.UserOut)
def me(request: Request, domain: DomainDep, runtime: Runtime) -> rs.UserOut:
    # The middleware has already checked the token; this mirrors the platform's second check.
    header = request.headers.get("authorization", "")
    try:
        user_id = decode_user_id(header.split(" ")[1] if " " in header else "", runtime.settings.secret_key)
    except TokenError:
        raise Unauthorized("Could not validate credentials") from None
    return domain.get_user(user_id)
