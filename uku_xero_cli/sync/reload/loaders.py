"""Writing one data set's downloaded pages to the store, one loader per kind of data set.

A data set's record names its loader (`DataSet.loader`); the job calls it inside the data
set's store transaction with the pages already on disk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from uku_xero_cli.store.db import time_text
from uku_xero_cli.store.models import Item, TaxRate, XeroContact
from uku_xero_cli.sync.reload.work import dated, invoices

if TYPE_CHECKING:
    from uku_xero_cli.store import Store
    from uku_xero_cli.sync.datasets import Column, DataSet, LoaderName
    from uku_xero_cli.sync.reload.results import DataSetResult, ReloadResult
    from uku_xero_cli.xero.paging import Page


@dataclass
class Load:
    """One data set's pages being written, and what its loader needs to know."""

    store: Store
    data_set: DataSet
    result: DataSetResult  # the counts go here
    reload: ReloadResult  # contacts put the matching here
    read_whole: bool  # everything Xero has was read (no If-Modified-Since)
    full: bool  # --full: matching looks at every contact again
    months: list[str]  # the statistics window
    window_start: date


def contacts(load: Load, pages: Iterable[Page]) -> None:
    from uku_xero_cli.sync.match_store import match_in_store

    store = load.store
    for page in pages:
        found = [XeroContact.from_xero(r) for r in page.records]
        archived = [c.contact_id for c in found if c.archived]
        known = store.known_contact_ids(archived) if archived else set()
        # An archived contact never seen before is not imported; one already imported
        # is kept (with its client and history) and marked archived.
        keep = [c for c in found if not c.archived or c.contact_id in known]
        load.result.skipped_archived += len(found) - len(keep)
        load.result.add(store.upsert_contacts(keep))
        if known:
            store.mark_archived(known)
        active = [c.contact_id for c in keep if not c.archived]
        if active:
            store.mark_archived(active, archived=False)
    # Only what changed since the last match (and what it left ambiguous) is matched;
    # --full looks at every contact again.
    load.reload.matching = match_in_store(store, everything=load.full)


def items(load: Load, pages: Iterable[Page]) -> None:
    found = [Item.from_xero(r) for p in pages for r in p.records]
    load.result.add(load.store.upsert_items(found, replace=load.read_whole))


def tax_rates(load: Load, pages: Iterable[Page]) -> None:
    rates = [TaxRate.from_xero(r) for p in pages for r in p.records]
    load.result.add(load.store.replace_tax_rates(rates))


def _cell(column: Column, record: Mapping[str, Any]) -> Any:
    from uku_xero_cli.xero.parse import parse_optional_datetime

    value = record.get(column.source)
    if value is None or value == "":
        return None
    if column.kind == "flag":
        return int(bool(value))
    if column.kind == "time":
        return time_text(parse_optional_datetime(value, what=column.source))
    return str(value).strip() or None


def table(load: Load, pages: Iterable[Page]) -> None:
    """A reference table read whole: its rows are replaced by what Xero returned, so what
    Xero no longer has leaves the store. The record's columns say what each cell holds."""
    from uku_xero_cli.xero.parse import XeroValueError

    spec = load.data_set.table
    assert spec is not None, f"{load.data_set.name} names no table"
    key = spec.columns[0]
    rows = []
    for page in pages:
        for record in page.records:
            row = tuple(_cell(c, record) for c in spec.columns)
            if row[0] is None:
                raise XeroValueError(f"{load.data_set.label}: a record without {key.source}")
            rows.append(row)
    load.result.add(load.store.replace_table(spec.name, spec.column_names, rows))


LOADERS: Mapping[LoaderName, Callable[[Load, Iterable[Page]], None]] = {
    "contacts": contacts,
    "items": items,
    "tax_rates": tax_rates,
    "invoices": invoices,
    "dated": dated,
    "table": table,
}
