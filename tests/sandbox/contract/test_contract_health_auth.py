"""Health, auth and the authentication middleware (contract §1.0, §1.1, §1.2, §2, quirks 9-10)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
import pytest
from contract_shapes import assert_same_shape, load_sample
from contract_support import (
    PASSWORD,
    SECRET_KEY,
    Api,
    assert_detail,
    assert_validation_error,
    check_sample,
    describe,
)

MIDDLEWARE_HEADERS = {
    "WWW-Authenticate": "Bearer",
    "Access-Control-Allow-Origin": "http://localhost:5173",
    "Access-Control-Allow-Credentials": "true",
    "Access-Control-Allow-Methods": "*",
    "Access-Control-Allow-Headers": "*",
}


def new_email() -> str:
    return f"{uuid.uuid4().hex}@hellacooltestingdomain.pizza"


def signup_body(email: str, password: str = PASSWORD, confirm: str | None = None) -> dict[str, str]:
    return {
        "email": email,
        "password": password,
        "confirm_password": password if confirm is None else confirm,
    }


def assert_middleware_401(resp: Any, message: str) -> None:
    assert resp.status_code == 401, describe(resp)
    assert resp.json() == {
        "status": "error",
        "error": {"code": 401, "name": "Unauthorized", "message": message},
    }, describe(resp)
    # The recorded sample redacts "name"; the structure must still be the same.
    assert_same_shape(resp.json(), load_sample("extra_error_401_no_token"))


def forge(claims: dict[str, Any], key: str = SECRET_KEY) -> str:
    return jwt.encode(claims, key, algorithm="HS256")


# --- health ---------------------------------------------------------------------------------------


def test_health_root_exact_body(anon: Api) -> None:
    resp = anon.get("/health/")
    body = check_sample(resp, "extra_health")
    assert body == {"status": "healthy", "service": "fastapi-k8-proto"}


@pytest.mark.parametrize(
    ("path", "body"),
    [("/health/ready", {"status": "ready"}), ("/health/live", {"status": "alive"})],
)
def test_health_probes_exact_bodies(anon: Api, path: str, body: dict[str, str]) -> None:
    resp = anon.get(path)
    assert resp.status_code == 200, describe(resp)
    assert resp.json() == body


def test_health_without_slash_redirects_307(anon: Api) -> None:
    resp = anon.get("/health")
    assert resp.status_code == 307, describe(resp)
    assert resp.headers["location"].endswith("/api/v1/health/"), resp.headers


def test_health_is_public_even_with_a_bad_token(anon: Api) -> None:
    resp = anon.get("/health/", headers={"Authorization": "Bearer not-a-jwt"})
    assert resp.status_code == 200, describe(resp)


# --- signup ---------------------------------------------------------------------------------------


def test_signup_201_shape(anon: Api) -> None:
    email = new_email()
    resp = anon.post("/auth/signup", json=signup_body(email))
    body = check_sample(resp, "signup")
    assert body["message"] == "User registered successfully"
    assert body["user"]["email"] == email
    assert body["user"]["name"] == ""
    uuid.UUID(body["user"]["id"])


def test_signup_never_returns_the_password(anon: Api) -> None:
    resp = anon.post("/auth/signup", json=signup_body(new_email()))
    assert resp.status_code == 201, describe(resp)
    assert PASSWORD not in resp.text
    assert "password" not in resp.json()["user"]


def test_signup_lower_cases_the_email_and_whitelist(anon: Api) -> None:
    local = uuid.uuid4().hex
    resp = anon.post("/auth/signup", json=signup_body(f"{local.upper()}@HellaCoolTestingDomain.PIZZA"))
    assert resp.status_code == 201, describe(resp)
    assert resp.json()["user"]["email"] == f"{local}@hellacooltestingdomain.pizza"


@pytest.mark.parametrize(
    "email",
    [
        "lead015@leads.invalid",
        "someone@example.org",
        "x@hellacooltestingdomain.pizza.evil.com",
        "x@nothellacooltestingdomain.pizza",
    ],
)
def test_signup_not_whitelisted_403(anon: Api, email: str) -> None:
    resp = anon.post("/auth/signup", json=signup_body(email, "Abcdef1!x"))
    if email == "lead015@leads.invalid":
        check_sample(resp, "extra_error_403_signup_not_whitelisted")
    assert_detail(resp, 403, "This email is not allowed to sign up.")


@pytest.mark.parametrize(
    "email", ["ethan@smartscalingai.com", "EK@AlienUnderpants.io", "test@domain.com", "test@example.com"]
)
def test_signup_fixed_whitelist_addresses(anon: Api, email: str) -> None:
    resp = anon.post("/auth/signup", json=signup_body(email))
    assert resp.status_code == 201, describe(resp)
    assert resp.json()["user"]["email"] == email.lower()
    assert_detail(anon.post("/auth/signup", json=signup_body(email.upper())), 400, "Email already registered")


def test_signup_duplicate_400_case_insensitive(anon: Api) -> None:
    email = new_email()
    assert anon.post("/auth/signup", json=signup_body(email)).status_code == 201
    assert_detail(anon.post("/auth/signup", json=signup_body(email)), 400, "Email already registered")
    assert_detail(anon.post("/auth/signup", json=signup_body(email.upper())), 400, "Email already registered")


def test_signup_422_sample(anon: Api) -> None:
    resp = anon.post("/auth/signup", json={"email": "bad", "password": "x", "confirm_password": "y"})
    body = check_sample(resp, "extra_error_422_signup_validation")
    sample = load_sample("extra_error_422_signup_validation")
    # Same request, same errors: compare every error, not only the first one.
    assert [e["loc"] for e in body["detail"]] == [e["loc"] for e in sample["detail"]]
    for index, (live, recorded) in enumerate(zip(body["detail"], sample["detail"], strict=True)):
        assert_same_shape(live, recorded, label=f"extra_error_422_signup_validation detail[{index}]")
        assert live["type"] == recorded["type"]
        assert live["msg"] == recorded["msg"]


@pytest.mark.parametrize(
    ("password", "confirm", "msg"),
    [
        ("12345678!", None, "Value error, Password must contain at least one letter"),
        ("abcdefgh!", None, "Value error, Password must contain at least one number"),
        ("abcdefgh1", None, "Value error, Password must contain at least one special character"),
        ("abcdef_1x", None, "Value error, Password must contain at least one special character"),
        ("abcdef-+1", None, "Value error, Password must contain at least one special character"),
        (PASSWORD, "Passw0rd!y", "Value error, Passwords do not match"),
    ],
)
def test_signup_password_rules_422(anon: Api, password: str, confirm: str | None, msg: str) -> None:
    resp = anon.post("/auth/signup", json=signup_body(new_email(), password, confirm))
    errors = assert_validation_error(resp, loc_prefix="body")
    assert msg in [e["msg"] for e in errors], describe(resp)
    assert all(e["type"] == "value_error" for e in errors if e["msg"] == msg)


def test_signup_password_too_long_422(anon: Api) -> None:
    long_password = "Aa1!" + "x" * 69  # 73 characters
    errors = assert_validation_error(anon.post("/auth/signup", json=signup_body(new_email(), long_password)))
    assert any(e["type"] == "string_too_long" and e["loc"][-1] == "password" for e in errors)


@pytest.mark.parametrize(
    "special",
    ["!", "@", "#", "$", "%", "^", "&", "*", "(", ")", ",", ".", "?", '"', ":", "{", "}", "|", "<", ">"],
)
def test_signup_accepts_every_listed_special_character(anon: Api, special: str) -> None:
    password = f"abcdefg1{special}"
    resp = anon.post("/auth/signup", json=signup_body(new_email(), password))
    assert resp.status_code == 201, describe(resp)


def test_signup_empty_body_is_422_not_401(anon: Api) -> None:
    assert_validation_error(anon.post("/auth/signup", json={}), loc_prefix="body")


# --- login ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def account(anon: Api) -> dict[str, str]:
    email = new_email()
    resp = anon.post("/auth/signup", json=signup_body(email))
    assert resp.status_code == 201, describe(resp)
    return {"email": email, "id": resp.json()["user"]["id"]}


def test_login_200_shape_and_token(anon: Api, account: dict[str, str]) -> None:
    resp = anon.post("/auth/login", json={"email": account["email"], "password": PASSWORD})
    body = check_sample(resp, "login")
    assert body["message"] == "Login successful"
    assert body["token"]["token_type"] == "bearer"
    assert body["token"]["expires_in"] == 1800
    assert body["user"]["id"] == account["id"]
    claims = jwt.decode(body["token"]["access_token"], SECRET_KEY, algorithms=["HS256"])
    assert set(claims) == {"user_id", "exp"}, claims
    assert claims["user_id"] == account["id"]
    assert 1700 <= claims["exp"] - time.time() <= 1900, claims


def test_login_is_case_insensitive(anon: Api, account: dict[str, str]) -> None:
    resp = anon.post("/auth/login", json={"email": account["email"].upper(), "password": PASSWORD})
    assert resp.status_code == 200, describe(resp)


@pytest.mark.parametrize("which", ["wrong password", "unknown email"])
def test_login_401_plain_detail(anon: Api, account: dict[str, str], which: str) -> None:
    body = (
        {"email": account["email"], "password": "Wrong0rd!x"}
        if which == "wrong password"
        else {"email": new_email(), "password": PASSWORD}
    )
    resp = anon.post("/auth/login", json=body)
    assert_detail(resp, 401, "Invalid email or password")
    assert "www-authenticate" not in {k.lower() for k in resp.headers}, resp.headers


def test_login_empty_body_is_422(anon: Api) -> None:
    assert_validation_error(anon.post("/auth/login", json={}), loc_prefix="body")


# --- /auth/me -------------------------------------------------------------------------------------


def test_me_200_bare_user(api: Api) -> None:
    body = check_sample(api.get("/auth/me"), "extra_auth_me")
    assert body["email"].endswith("@hellacooltestingdomain.pizza")


def test_me_without_token_401(anon: Api) -> None:
    assert_middleware_401(anon.get("/auth/me"), "Token is missing")


# --- middleware ------------------------------------------------------------------------------------


def test_no_token_sample(anon: Api) -> None:
    resp = anon.get("/campaigns/")
    check_sample(resp, "extra_error_401_no_token")
    assert_middleware_401(resp, "Token is missing")


def test_middleware_401_headers(anon: Api) -> None:
    resp = anon.get("/campaigns/")
    assert resp.status_code == 401
    for name, value in MIDDLEWARE_HEADERS.items():
        assert resp.headers.get(name) == value, f"{name}: {resp.headers}"


@pytest.mark.parametrize(
    "header",
    [None, "not_a_token", "Bearer", "Bearer ", "Bearer  x", "bearer abc", "Basic dXNlcjpwYXNz", "Token abc"],
)
def test_missing_token_variants(anon: Api, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    assert_middleware_401(anon.get("/organizations/", headers=headers), "Token is missing")


def test_invalid_token_variants(anon: Api, account: dict[str, str]) -> None:
    now = int(time.time())
    tokens = {
        "garbage": "invalid.token.here",
        "wrong key": forge(
            {"user_id": account["id"], "exp": now + 600}, key="another-secret-key-of-32-bytes!!"
        ),
        "expired": forge({"user_id": account["id"], "exp": now - 60}),
        "no user_id": forge({"sub": account["id"], "exp": now + 600}),
    }
    for label, token in tokens.items():
        resp = anon.get("/organizations/", headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 401, f"{label}: {describe(resp)}"
        assert_middleware_401(resp, "Invalid token")


def test_token_of_unknown_user(anon: Api) -> None:
    token = forge({"user_id": str(uuid.uuid4()), "exp": int(time.time()) + 600})
    resp = anon.get("/organizations/", headers={"Authorization": f"Bearer {token}"})
    assert_middleware_401(resp, "User not found")


def test_forged_token_of_known_user_is_accepted(anon: Api, account: dict[str, str]) -> None:
    token = forge({"user_id": account["id"], "exp": int(time.time()) + 600})
    resp = anon.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200, describe(resp)
    assert resp.json()["id"] == account["id"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/auth/me"),
        ("GET", "/organizations/"),
        ("POST", "/organizations/"),
        ("GET", "/organizations/some-id"),
        ("PUT", "/organizations/some-id"),
        ("GET", "/organizations/some-id/campaigns"),
        ("GET", "/campaigns/"),
        ("POST", "/campaigns/"),
        ("GET", "/campaigns/some-id"),
        ("PATCH", "/campaigns/some-id"),
        ("GET", "/campaigns/some-id/start/validate"),
        ("POST", "/campaigns/some-id/start"),
        ("POST", "/campaigns/some-id/pause"),
        ("POST", "/campaigns/some-id/resume"),
        ("GET", "/campaigns/some-id/details"),
        ("GET", "/campaigns/some-id/results"),
        ("GET", "/leads/"),
        ("POST", "/leads/"),
        ("GET", "/leads/some-id"),
        ("PUT", "/leads/some-id"),
        ("GET", "/jobs/"),
        ("GET", "/jobs/1"),
        ("GET", "/jobs/1/status"),
        ("POST", "/jobs/1/cancel"),
        ("GET", "/queue-management/status"),
        ("GET", "/queue-management/circuit-breakers"),
        ("POST", "/queue-management/pause-service"),
        ("POST", "/queue-management/resume-service"),
        ("GET", "/queue-management/paused-jobs/openai"),
        ("GET", "/queue-management/paused-leads/openai"),
        ("GET", "/queue-management/paused-campaigns/openai"),
        ("POST", "/queue-management/pause-campaigns-for-service"),
        ("POST", "/queue-management/resume-campaigns-for-service"),
        ("GET", "/queue-management/campaign-status"),
        ("GET", "/openapi.json"),
        ("GET", "/no-such-route"),
        ("GET", "/campaigns"),
        ("POST", "/campaigns"),
        ("GET", "/organizations"),
        ("GET", "/leads"),
        ("GET", "/jobs"),
    ],
)
def test_every_protected_route_answers_401_without_token(anon: Api, method: str, path: str) -> None:
    """Unknown paths and slash-less collection paths included: the middleware runs before routing."""
    assert_middleware_401(anon.request(method, path, json={}), "Token is missing")


def test_unknown_path_with_token_is_404(api: Api) -> None:
    assert api.get("/no-such-route").status_code == 404


def test_unknown_path_outside_api_prefix_is_401_without_token(anon: Api) -> None:
    assert_middleware_401(anon.get("//not-the-api"), "Token is missing")
