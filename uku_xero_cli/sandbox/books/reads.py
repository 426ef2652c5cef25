"""The read-only endpoints: Organisation, Accounts, Items, TaxRates, Currencies, and the paged
BankTransactions, CreditNotes and ManualJournals."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from uku_xero_cli.sandbox.books import render
from uku_xero_cli.sandbox.books.listing import Listing, books, list_records, single
from uku_xero_cli.sandbox.http import Request, Response

if TYPE_CHECKING:
    from uku_xero_cli.sandbox.app import Sandbox
    from uku_xero_cli.sandbox.state import AccessToken, Organisation

# GET /Accounts: not paged; If-Modified-Since, where and order as the spec's getAccounts.
ACCOUNTS = Listing("Accounts", "Account", lambda data: data.accounts, render.plain, paged=False)
ITEMS = Listing("Items", "Item", lambda data: data.items, render.plain, paged=False)
TAX_RATES = Listing(
    "TaxRates",
    "TaxRate",
    lambda data: data.tax_rates,
    render.plain,
    paged=False,
    modified_since=False,
)
CURRENCIES = Listing(
    "Currencies",
    "Currency",
    lambda data: data.currencies,
    render.plain,
    paged=False,
    modified_since=False,
)
BANK_TRANSACTIONS = Listing(
    "BankTransactions",
    "BankTransaction",
    lambda data: data.bank_transactions,
    render.with_contact,
    paged=True,
    lines="LineItems",
)
CREDIT_NOTES = Listing(
    "CreditNotes",
    "CreditNote",
    lambda data: data.credit_notes,
    render.with_contact,
    paged=True,
    lines="LineItems",
)
MANUAL_JOURNALS = Listing(
    "ManualJournals",
    "ManualJournal",
    lambda data: data.manual_journals,
    render.plain,
    paged=True,
    lines="JournalLines",
)


def get_organisation(
    sandbox: Sandbox, request: Request, *, org: Organisation, token: AccessToken
) -> Response:
    answer = single(sandbox, request, token, "Organisations", dict(books(org).organisation))
    assert answer is not None
    return answer


def _lister(listing: Listing) -> Callable[..., Response]:
    def handler(
        sandbox: Sandbox, request: Request, *, org: Organisation, token: AccessToken
    ) -> Response:
        return list_records(sandbox, request, org, token, listing)

    handler.__name__ = f"list_{listing.key}"
    return handler


list_accounts = _lister(ACCOUNTS)
list_items = _lister(ITEMS)
list_tax_rates = _lister(TAX_RATES)
list_currencies = _lister(CURRENCIES)
list_bank_transactions = _lister(BANK_TRANSACTIONS)
list_credit_notes = _lister(CREDIT_NOTES)
list_manual_journals = _lister(MANUAL_JOURNALS)
