"""What a reload reports: per data set, per company, and as it goes (progress)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from uku_xero_cli.errors import error_document

if TYPE_CHECKING:
    from uku_xero_cli.store.models import UpsertCounts
    from uku_xero_cli.store.organisation import OrganisationSwitch
    from uku_xero_cli.sync.matching import MatchResult
    from uku_xero_cli.xero.paging import Page


class Progress(Protocol):
    """Where a reload reports as it goes (a Rich progress display on a TTY)."""

    def started(self, data_set: str) -> None: ...

    def page(self, data_set: str, page: Page, fetched: int) -> None: ...

    def finished(self, result: DataSetResult) -> None: ...


class NoProgress:
    def started(self, data_set: str) -> None:
        pass

    def page(self, data_set: str, page: Page, fetched: int) -> None:
        pass

    def finished(self, result: DataSetResult) -> None:
        pass


@dataclass
class DataSetResult:
    """What reloading one data set did: the figures of the summary table."""

    name: str
    incremental: bool = False
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_archived: int = 0
    requests: int = 0
    pages: int = 0
    seconds: float = 0.0
    outcome: str = "ok"
    error: str | None = None

    def add(self, counts: UpsertCounts) -> None:
        self.new += counts.new
        self.updated += counts.updated
        self.unchanged += counts.unchanged

    def to_json(self) -> dict[str, Any]:
        return {
            "data_set": self.name,
            "mode": "incremental" if self.incremental else "full",
            "fetched": self.fetched,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped_archived": self.skipped_archived,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "outcome": self.outcome,
            "error": self.error,
        }


@dataclass
class ReloadResult:
    """One company's reload: every data set attempted, matching, and how it ended."""

    company: str
    data_sets: list[DataSetResult] = field(default_factory=list)
    matching: MatchResult | None = None
    months: list[str] = field(default_factory=list)
    error: BaseException | None = None
    seconds: float = 0.0
    # Set when the company worked with another organisation before this reload.
    organisation_changed: OrganisationSwitch | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def requests(self) -> int:
        return sum(d.requests for d in self.data_sets)

    def outcome_error(self) -> BaseException | None:
        return self.error

    def to_json(self) -> dict[str, Any]:
        return {
            "company": self.company,
            "ok": self.ok,
            "error": None if self.error is None else error_document(self.error),
            "months": {"from": self.months[0], "to": self.months[-1]} if self.months else None,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "data_sets": [d.to_json() for d in self.data_sets],
            "matching": self.matching.to_json() if self.matching else None,
            "organisation_changed": (
                self.organisation_changed.to_json() if self.organisation_changed else None
            ),
        }
