"""The Uku-side store: one SQLite file per company with everything reload and push keep.

`Store.open(path)` (or `open_company_store(settings, company)`) opens it, creating it and
bringing its schema up to date; use it as a context manager to close it. Writes of one data
set go inside one `store.transaction()`. The queries live in one module per concern:
clients (contacts, clients, matching links), match_state (what changed since the last
match), reference (items, tax rates, currencies), invoices (imported and pushed, payments),
runs (cursors, sync runs, work statistics), organisation (the Xero organisation the store
holds data from).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from uku_xero_cli.store.clients import ClientQueries
from uku_xero_cli.store.invoices import InvoiceQueries
from uku_xero_cli.store.match_state import MatchStateQueries
from uku_xero_cli.store.models import (
    AwaitingPayment,
    ClientInput,
    ClientRecord,
    Currency,
    Invoice,
    Item,
    Payment,
    PushRecord,
    SyncRun,
    TaxRate,
    UpsertCounts,
    WorkStat,
    XeroContact,
)
from uku_xero_cli.store.organisation import OrganisationChange, OrganisationQueries
from uku_xero_cli.store.reference import ReferenceQueries
from uku_xero_cli.store.runs import RunQueries
from uku_xero_cli.store.work_documents import WorkDocument, WorkDocumentQueries

if TYPE_CHECKING:
    from uku_xero_cli.settings import Settings


class Store(
    ClientQueries,
    MatchStateQueries,
    ReferenceQueries,
    InvoiceQueries,
    RunQueries,
    WorkDocumentQueries,
    OrganisationQueries,
):
    """A company's store. Not for sharing between threads: open one per thread."""


def open_company_store(settings: Settings, company: str) -> Store:
    """Open `<data>/companies/<company>.sqlite`, creating the directory and file if needed."""
    return Store.open(settings.store_file(company))


__all__ = [
    "AwaitingPayment",
    "ClientInput",
    "ClientRecord",
    "Currency",
    "Invoice",
    "Item",
    "OrganisationChange",
    "Payment",
    "PushRecord",
    "Store",
    "SyncRun",
    "TaxRate",
    "UpsertCounts",
    "WorkDocument",
    "WorkStat",
    "XeroContact",
    "open_company_store",
]
