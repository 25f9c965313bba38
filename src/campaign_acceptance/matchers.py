"""PyHamcrest matchers for the suite's own vocabulary, so a failed step says what was wrong in product terms.

Use them with ``assert_that(actual, matcher)``; each one's ``describe_mismatch`` names the offending leads,
campaigns or emails instead of dumping the whole value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hamcrest.core.base_matcher import BaseMatcher
from hamcrest.core.description import Description

from campaign_acceptance.model import ENRICHED_LEAD_FIELDS, Progress

__all__ = [
    "CampaignWithStatus",
    "EveryLeadEnriched",
    "EveryLeadEnrichedOnce",
    "NoDisagreement",
    "NoSharedEmails",
    "ProgressComplete",
    "campaign_with_status",
    "every_lead_enriched",
    "every_lead_enriched_once",
    "has_campaign_status",
    "no_disagreement",
    "no_shared_emails",
    "progress_complete",
]

SHOWN = 10  # items listed in a mismatch before "... and N more"


def _listing(items: Sequence[str]) -> str:
    shown = ", ".join(items[:SHOWN])
    return shown if len(items) <= SHOWN else f"{shown} ... and {len(items) - SHOWN} more"


class EveryLeadEnrichedOnce(BaseMatcher[Mapping[str, int]]):
    """A mapping lead id -> number of ENRICH_LEAD jobs, non-empty, where every number is exactly 1."""

    def _matches(self, item: Mapping[str, int]) -> bool:
        return isinstance(item, Mapping) and bool(item) and all(n == 1 for n in item.values())

    def describe_to(self, description: Description) -> None:
        description.append_text("every lead enriched by exactly one ENRICH_LEAD job")

    def describe_mismatch(self, item: Mapping[str, int], mismatch_description: Description) -> None:
        if not isinstance(item, Mapping):
            mismatch_description.append_text("was not a lead -> job count mapping: ").append_description_of(
                item
            )
            return
        if not item:
            mismatch_description.append_text("there were no leads at all")
            return
        missing = sorted(lead for lead, n in item.items() if n < 1)
        repeated = sorted(f"{lead} ({n} jobs)" for lead, n in item.items() if n > 1)
        parts = []
        if missing:
            parts.append(f"{len(missing)} with no job: {_listing(missing)}")
        if repeated:
            parts.append(f"{len(repeated)} with more than one: {_listing(repeated)}")
        bad = len(missing) + len(repeated)
        mismatch_description.append_text(f"{bad} of {len(item)} leads were not: " + "; ".join(parts))


class EveryLeadEnriched(BaseMatcher[Mapping[str, Sequence[str]]]):
    """A mapping lead (its label: email, id, campaign) -> what is wrong with its enrichment, non-empty, where
    nothing is wrong with any lead (each enriched once by a COMPLETED job, holding its results)."""

    def _matches(self, item: Mapping[str, Sequence[str]]) -> bool:
        return isinstance(item, Mapping) and bool(item) and not any(item.values())

    def describe_to(self, description: Description) -> None:
        description.append_text(
            "every lead enriched by exactly one COMPLETED ENRICH_LEAD job and holding "
            + ", ".join(ENRICHED_LEAD_FIELDS)
        )

    def describe_mismatch(self, item: Mapping[str, Sequence[str]], mismatch_description: Description) -> None:
        if not isinstance(item, Mapping):
            mismatch_description.append_text("was not a lead -> problems mapping: ").append_description_of(
                item
            )
            return
        if not item:
            mismatch_description.append_text("there were no leads at all")
            return
        bad = [f"{lead}: {'; '.join(problems)}" for lead, problems in item.items() if problems]
        mismatch_description.append_text(f"{len(bad)} of {len(item)} leads were not: " + _listing(bad))


class NoDisagreement(BaseMatcher[Sequence[str]]):
    """The list of disagreements between the API and the database about the same things is empty."""

    def __init__(self, what: str) -> None:
        self.what = what

    def _matches(self, item: Sequence[str]) -> bool:
        return isinstance(item, Sequence) and not isinstance(item, str) and len(item) == 0

    def describe_to(self, description: Description) -> None:
        description.append_text(f"the API and the database agree about {self.what}")

    def describe_mismatch(self, item: Sequence[str], mismatch_description: Description) -> None:
        if not isinstance(item, Sequence) or isinstance(item, str):
            mismatch_description.append_text("was not a list of disagreements: ").append_description_of(item)
            return
        noun = "thing" if len(item) == 1 else "things"
        mismatch_description.append_text(
            f"the API and the database disagree about {len(item)} {noun}: {_listing([str(d) for d in item])}"
        )


class CampaignWithStatus(BaseMatcher[Any]):
    """A campaign (API dict, CampaignSnapshot or database row) in a status, its message containing a text."""

    def __init__(self, status: str, message_containing: str | None = None) -> None:
        self.status = status
        self.message_containing = message_containing

    @staticmethod
    def _fields(item: Any) -> tuple[Any, Any, str] | None:
        """(status, status_message, label) of a dict or of an object with those attributes."""
        if isinstance(item, Mapping):
            values = {key: item.get(key) for key in ("status", "status_message", "name", "id")}
        elif hasattr(item, "status"):
            values = {key: getattr(item, key, None) for key in ("status", "status_message", "name", "id")}
        else:
            return None
        name, ident = values["name"], values["id"]
        label = f"{name!r} ({ident})" if name else str(ident)
        return values["status"], values["status_message"], label

    def _matches(self, item: Any) -> bool:
        fields = self._fields(item)
        if fields is None:
            return False
        status, message, _ = fields
        if status != self.status:
            return False
        if self.message_containing is None:
            return True
        return self.message_containing.lower() in str(message or "").lower()

    def describe_to(self, description: Description) -> None:
        description.append_text(f"a campaign with status {self.status!r}")
        if self.message_containing is not None:
            description.append_text(
                f" and a status message containing {self.message_containing!r} (any case)"
            )

    def describe_mismatch(self, item: Any, mismatch_description: Description) -> None:
        fields = self._fields(item)
        if fields is None:
            mismatch_description.append_text("was not a campaign: ").append_description_of(item)
            return
        status, message, label = fields
        mismatch_description.append_text(
            f"campaign {label} had status {status!r} and status message {message!r}"
        )


class NoSharedEmails(BaseMatcher[Sequence[str]]):
    """The list of emails found in more than one campaign is empty."""

    def _matches(self, item: Sequence[str]) -> bool:
        return isinstance(item, Sequence) and not isinstance(item, str) and len(item) == 0

    def describe_to(self, description: Description) -> None:
        description.append_text("no email address shared by leads of different campaigns")

    def describe_mismatch(self, item: Sequence[str], mismatch_description: Description) -> None:
        if not isinstance(item, Sequence) or isinstance(item, str):
            mismatch_description.append_text("was not a list of emails: ").append_description_of(item)
            return
        noun = "address is" if len(item) == 1 else "addresses are"
        mismatch_description.append_text(
            f"{len(item)} {noun} in more than one campaign: {_listing([str(e) for e in item])}"
        )


class ProgressComplete(BaseMatcher[Any]):
    """A Progress (or a mapping campaign id -> Progress) whose enrichment is done as the platform means it."""

    @staticmethod
    def _all(item: Any) -> list[Progress] | None:
        if isinstance(item, Progress):
            return [item]
        if isinstance(item, Mapping) and all(isinstance(p, Progress) for p in item.values()):
            return list(item.values())
        return None

    def _matches(self, item: Any) -> bool:
        progresses = self._all(item)
        return bool(progresses) and all(p.enrichment_done for p in progresses or [])

    def describe_to(self, description: Description) -> None:
        description.append_text("fetch COMPLETED and one COMPLETED ENRICH_LEAD job per lead")

    def describe_mismatch(self, item: Any, mismatch_description: Description) -> None:
        progresses = self._all(item)
        if progresses is None:
            mismatch_description.append_text("was not job progress: ").append_description_of(item)
            return
        if not progresses:
            mismatch_description.append_text("there were no campaigns at all")
            return
        unfinished = [_progress_text(p) for p in progresses if not p.enrichment_done]
        mismatch_description.append_text(f"{len(unfinished)} of {len(progresses)} not done: ")
        mismatch_description.append_text(_listing(unfinished))


def _progress_text(p: Progress) -> str:
    return (
        f"campaign {p.campaign_id}: {p.enrich_completed}/{p.leads} leads enriched "
        f"(fetch {p.fetch_status or 'not started'}, {p.enrich_failed} failed, {p.enrich_paused} paused)"
    )


def every_lead_enriched_once() -> EveryLeadEnrichedOnce:
    return EveryLeadEnrichedOnce()


def every_lead_enriched() -> EveryLeadEnriched:
    return EveryLeadEnriched()


def no_disagreement(what: str) -> NoDisagreement:
    return NoDisagreement(what)


def campaign_with_status(status: str, message_containing: str | None = None) -> CampaignWithStatus:
    return CampaignWithStatus(status, message_containing)


has_campaign_status = campaign_with_status  # the name docs/architecture.md uses


def no_shared_emails() -> NoSharedEmails:
    return NoSharedEmails()


def progress_complete() -> ProgressComplete:
    return ProgressComplete()
