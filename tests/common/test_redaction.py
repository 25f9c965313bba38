"""The one secret-hider: what it hides, and that it leaves everything else as it was."""

from __future__ import annotations

from campaign_common.redaction import redact, redact_mapping, redact_url


def test_url_passwords_are_hidden_and_other_urls_left_alone() -> None:
    assert redact_url("postgresql+psycopg://app:s3cret@db:5432/p and https://u:p@h/x") == (
        "postgresql+psycopg://app:***@db:5432/p and https://u:***@h/x"
    )
    assert redact_url("sqlite:///tmp/x.db http://h:8000/api/v1") == "sqlite:///tmp/x.db http://h:8000/api/v1"


def test_known_values_json_secret_fields_and_bearer_tokens_are_hidden() -> None:
    text = '{"email": "a@b.c", "password": "pw-1234567", "access_token": "eyJ.x"} Bearer abc.def'
    assert redact(text) == '{"email": "a@b.c", "password": "***", "access_token": "***"} Bearer ***'
    assert redact("login of hunter2secret failed", ["hunter2secret"]) == "login of *** failed"
    # longest first, so a secret containing another is hidden whole; empty values hide nothing
    assert redact("abcdefgh abcd", ["abcd", "abcdefgh", ""]) == "*** ***"


def test_a_mapping_hides_values_named_as_secrets_and_url_passwords() -> None:
    shown = redact_mapping(
        {"api_token": "abc", "password": "", "database_url": "postgresql://u:p@h/d", "n": 3}
    )
    assert shown == {"api_token": "***", "password": "", "database_url": "postgresql://u:***@h/d", "n": "3"}
