"""The suite's error hierarchy; each family maps to one exit code (see outcome.Verdict).

- CannotTestError  -> exit 3: configuration, target or database unusable before anything ran.
- ServiceFailure   -> exit 2: a third-party service failed (breaker not closed / campaigns paused).
- AssertionError   -> exit 1: the product did not do what the scenario says (DeadlineExceeded is one).
- ApiError         -> exit 1 when raised inside a scenario: the platform answered something unexpected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "ApiError",
    "CannotTestError",
    "ConfigurationError",
    "DatabaseUnavailableError",
    "DeadlineExceeded",
    "PlatformStoppedAnswering",
    "ProgressFailure",
    "ServiceFailure",
    "SuiteError",
    "TargetUnreachableError",
]

if TYPE_CHECKING:
    from campaign_acceptance.model import BreakerReport


class SuiteError(Exception):
    """Base of every error the suite raises on purpose."""


class CannotTestError(SuiteError):
    """Nothing can be tested: the run stops with exit code 3 and this one-line message."""


class ConfigurationError(CannotTestError):
    """A setting is missing, unknown or has a value the suite cannot use."""


class TargetUnreachableError(CannotTestError):
    """The platform's API (or the embedded sandbox) could not be reached or started."""


class DatabaseUnavailableError(CannotTestError):
    """The platform's database URL was given but the database cannot be queried."""


class ApiError(SuiteError):
    """The platform answered with an unexpected status, or not at all (status is None)."""

    def __init__(self, method: str, url: str, status: int | None, body: str) -> None:
        self.method = method
        self.url = url
        self.status = status
        self.body = body
        shown = "no response" if status is None else str(status)
        super().__init__(f"{method} {url} -> {shown}: {body}")


class ServiceFailure(SuiteError):
    """A third-party service failure stopped the scenario; carries the breaker report as evidence."""

    def __init__(self, report: BreakerReport) -> None:
        self.report = report
        super().__init__(report.summary())


class ProgressFailure(AssertionError):
    """A wait saw the product fail (a campaign or job FAILED, nothing fetched): the message has the progress
    as text; ``details`` keeps the same tables as data so the HTML report can show them as tables."""

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.details = details


class DeadlineExceeded(ProgressFailure):
    """A bounded wait ran out with no service failure: a product failure, with progress in the message."""


class PlatformStoppedAnswering(AssertionError):
    """Poll reads kept failing past the tolerated number in a row: a product failure, naming the path."""
