"""A reference data set as the last reload stored it, for commands that list one (`accounts`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from uku_xero_cli.settings import Settings
    from uku_xero_cli.sync.datasets import DataSet


@dataclass
class StoredListing:
    """The records of one data set in a company's store; `as_of` None: never reloaded."""

    company: str
    data_set: DataSet
    as_of: datetime | None = None
    records: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"company": self.company, "as_of": self.as_of, self.data_set.name: self.records}


def stored_listing(settings: Settings, company: str, data_set: DataSet) -> StoredListing:
    """What the company's store holds of `data_set`. Creates no store."""
    from uku_xero_cli.store.opening import open_existing_store

    listing = StoredListing(company, data_set)
    found = open_existing_store(settings, company)
    if found is not None:
        with found as store:
            listing.records = data_set.stored(store)
            last = store.last_runs(outcome="ok").get(data_set.name)
            listing.as_of = last.finished_at if last else None
    return listing
