"""The error families (errors.py): each maps to one exit code, so which family an error belongs to is the
verdict; the messages are the one line the console shows."""

from __future__ import annotations

from campaign_acceptance.errors import (
    ApiError,
    CannotTestError,
    ConfigurationError,
    DatabaseUnavailableError,
    DeadlineExceeded,
    PlatformStoppedAnswering,
    ProgressFailure,
    ServiceFailure,
    SuiteError,
    TargetUnreachableError,
)
from support.evidence import REPORT


def test_every_cannot_test_kind_is_a_cannot_test_error_and_nothing_else_is() -> None:
    for kind in (ConfigurationError, TargetUnreachableError, DatabaseUnavailableError):
        assert issubclass(kind, CannotTestError)
    for other in (ApiError, ServiceFailure):
        assert issubclass(other, SuiteError) and not issubclass(other, CannotTestError)


def test_product_failures_are_assertions_so_behave_counts_them_as_failed() -> None:
    for kind in (ProgressFailure, DeadlineExceeded, PlatformStoppedAnswering):
        assert issubclass(kind, AssertionError) and not issubclass(kind, SuiteError)
    failure = DeadlineExceeded("3 of 10 leads enriched", {"rows": [1]})
    assert str(failure) == "3 of 10 leads enriched" and failure.details == {"rows": [1]}


def test_the_messages_say_what_happened_in_one_line() -> None:
    assert str(ApiError("GET", "http://x/api/v1/health/", None, "refused")) == (
        "GET http://x/api/v1/health/ -> no response: refused"
    )
    error = ApiError("POST", "http://x/api/v1/campaigns/", 503, "down")
    assert (str(error), error.status) == ("POST http://x/api/v1/campaigns/ -> 503: down", 503)
    failure = ServiceFailure(REPORT)
    assert failure.report is REPORT and str(failure) == REPORT.reason
