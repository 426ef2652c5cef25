"""The Uku-side stores: one SQLite file per organisation of a company with everything
reload and push keep, and one with the company's client list (store/layout.py).

`Store.open(path)` opens one, creating it and bringing its schema up to date; use it as a
context manager to close it. Which file a company uses is store/opening.py's
(`open_company_store(settings, company)` and friends). Writes of one data set go inside one
`store.transaction()`. The queries live in one module per concern: clients (contacts,
clients, matching links), match_state (what changed since the last match), reference
(items, tax rates, currencies), invoices (imported and pushed, payments), runs (cursors, sync
runs, work statistics), organisation (the Xero organisation a store holds data of).
"""

from __future__ import annotations

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
from uku_xero_cli.store.opening import open_company_store
from uku_xero_cli.store.organisation import OrganisationQueries, OrganisationSwitch
from uku_xero_cli.store.reference import ReferenceQueries
from uku_xero_cli.store.runs import RunQueries
from uku_xero_cli.store.work_documents import WorkDocument, WorkDocumentQueries


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


__all__ = [
    "AwaitingPayment",
    "ClientInput",
    "ClientRecord",
    "Currency",
    "Invoice",
    "Item",
    "OrganisationSwitch",
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
