"""What Xero deletes outright instead of marking it: items, and accounts nothing uses.

Items: DELETE /Items/{ItemID} answers 204 with no body (Xero's accounting spec, deleteItem).
The item then no longer appears in GET /Items, whatever If-Modified-Since says: a reader
that reads only what changed never sees it go. Whether Xero refuses to delete an item some
document uses is not documented (a guess: it does not; the lines keep their ItemCode text).

Accounts: DELETE /Accounts/{AccountID} answers the account with Status DELETED (the spec's
deleteAccount example). Only a non-system account no transaction uses can be deleted; any
other can only be archived (Linx's Xero connector reference for DeleteAccount, citing
Xero's Accounts documentation). That the deleted account then leaves GET /Accounts rather
than being listed as DELETED is a guess, the harsher case for a reader: the emulator models
it, so only a whole read sees it go.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from uku_xero_cli.sandbox.books.errors import (
    BooksRefused,
    messages,
    not_found,
    validation_exception,
)
from uku_xero_cli.sandbox.books.listing import books, public, single
from uku_xero_cli.sandbox.http import Request, Response
from uku_xero_cli.sandbox.seed.common import stamp

if TYPE_CHECKING:
    from uku_xero_cli.sandbox.app import Sandbox
    from uku_xero_cli.sandbox.data import OrgData, Record
    from uku_xero_cli.sandbox.state import AccessToken, Organisation

ACCOUNT_STATUSES = ("ACTIVE", "ARCHIVED")
_DOCUMENTS = ("invoices", "credit_notes", "bank_transactions", "manual_journals", "payments")


def remove_item(sandbox: Sandbox, org: Organisation, item_id: str) -> None:
    """Delete an item as Xero does; BooksRefused (404) when there is none."""
    data = books(org)
    with sandbox.state.lock:
        if data.items.pop(item_id, None) is None:
            raise BooksRefused(f"No item {item_id}", status=404)
        data.changed()


def delete_item(
    sandbox: Sandbox, request: Request, *, org: Organisation, token: AccessToken, ItemID: str
) -> Response:
    try:
        remove_item(sandbox, org, ItemID)
    except BooksRefused:
        return not_found()
    return Response.empty(204)


def _uses(record: Record, account: Record) -> bool:
    """Whether a document posts to `account`: a line's code or id, or its bank account."""
    lines = record.get("LineItems") or record.get("JournalLines") or []
    for line in lines:
        if line.get("AccountID") == account["AccountID"]:
            return True
        if str(line.get("AccountCode") or "").casefold() == account["Code"].casefold():
            return True
    return any(
        (record.get(key) or {}).get("AccountID") == account["AccountID"]
        for key in ("BankAccount", "Account")
    )


def _account(data: OrgData, account_id: str) -> Record:
    account = data.accounts.get(account_id)
    if account is None:
        raise BooksRefused(f"No account {account_id}", status=404)
    return account


def remove_account(sandbox: Sandbox, org: Organisation, account_id: str) -> Record:
    """Delete an account as Xero does and return it marked DELETED; BooksRefused (404 when
    there is none, 400 for a system account or one a transaction uses)."""
    data = books(org)
    with sandbox.state.lock:
        account = _account(data, account_id)
        if account.get("SystemAccount"):
            raise BooksRefused("A system account cannot be deleted; it can only be archived")
        for name in _DOCUMENTS:
            if any(_uses(record, account) for record in getattr(data, name).values()):
                raise BooksRefused(
                    "This account has been used on transactions and cannot be deleted; it "
                    "can be archived instead"
                )
        del data.accounts[account_id]
        stamp(account, sandbox.clock.now())
        data.changed()
    return {**public(account), "Status": "DELETED"}


def set_account_status(sandbox: Sandbox, org: Organisation, account_id: str, status: str) -> Record:
    """Archive an account (or make it active again), as Xero's web app does."""
    status = status.upper()
    if status not in ACCOUNT_STATUSES:
        raise BooksRefused(f"Status must be one of {', '.join(ACCOUNT_STATUSES)}, not {status}")
    data = books(org)
    with sandbox.state.lock:
        account = _account(data, account_id)
        account["Status"] = status
        stamp(account, sandbox.clock.now())
        data.changed()
        return public(account)


def delete_account(
    sandbox: Sandbox, request: Request, *, org: Organisation, token: AccessToken, AccountID: str
) -> Response:
    try:
        deleted = remove_account(sandbox, org, AccountID)
    except BooksRefused as refused:
        if refused.status == 404:
            return not_found()
        echo = {k: v for k, v in books(org).accounts[AccountID].items() if k[0] != "_"}
        return validation_exception([{**echo, "ValidationErrors": messages([refused.message])}])
    answer = single(sandbox, request, token, "Accounts", deleted)
    assert answer is not None
    return answer
