"""The API path prefix: added once, stripped once."""

from __future__ import annotations

from campaign_common.api_path import API_PREFIX, api_path, api_url, strip_api_prefix


def test_paths_get_the_prefix_once() -> None:
    assert API_PREFIX == "/api/v1"
    assert api_path("campaigns/") == "/api/v1/campaigns/"
    assert api_path("/health/") == "/api/v1/health/"
    assert api_path("/api/v1/jobs/") == "/api/v1/jobs/"


def test_base_urls_lose_trailing_slashes_and_the_prefix() -> None:
    assert strip_api_prefix("https://h.example/api/v1/") == "https://h.example"
    assert strip_api_prefix("http://h:8000/") == "http://h:8000"
    assert strip_api_prefix("http://h:8000/api/v10") == "http://h:8000/api/v10"
    assert api_url("http://h:8000/api/v1", "health/") == "http://h:8000/api/v1/health/"
