"""GET, PUT and POST /Payments: a payment against an invoice updates its AmountPaid,
AmountDue, Payments[], and once nothing is left to pay, Status PAID and FullyPaidOnDate."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from uku_xero_cli.sandbox.books import render
from uku_xero_cli.sandbox.books.batch import Batch, Outcome, run_batch
from uku_xero_cli.sandbox.books.contacts import is_guid
from uku_xero_cli.sandbox.books.documents import ZERO, payment_record, settle
from uku_xero_cli.sandbox.books.errors import BooksRefused
from uku_xero_cli.sandbox.books.invoices import find_invoice
from uku_xero_cli.sandbox.books.listing import Listing, books, list_records
from uku_xero_cli.sandbox.books.replay import idempotent
from uku_xero_cli.sandbox.http import Request, Response
from uku_xero_cli.sandbox.xero_format import money, parse_day, to_decimal

if TYPE_CHECKING:
    from uku_xero_cli.sandbox.app import Sandbox
    from uku_xero_cli.sandbox.data import OrgData, Record
    from uku_xero_cli.sandbox.state import AccessToken, Organisation

PAYMENTS = Listing(
    key="Payments",
    type_name="Payment",
    records=lambda data: data.payments,
    render=render.payment,
    paged=True,
)
NOT_AUTHORISED = "Payments can only be made against Authorised documents"
TOO_MUCH = "Payment amount exceeds the amount outstanding on this document"


def list_payments(
    sandbox: Sandbox, request: Request, *, org: Organisation, token: AccessToken
) -> Response:
    return list_records(sandbox, request, org, token, PAYMENTS)


def _account(data: OrgData, value: Any) -> tuple[Record | None, str | None]:
    if not isinstance(value, dict) or not (value.get("AccountID") or value.get("Code")):
        return None, "An Account must be specified for a payment"
    account = None
    if value.get("AccountID") and is_guid(str(value["AccountID"])):
        account = data.accounts.get(str(uuid.UUID(str(value["AccountID"]))))
    elif value.get("Code"):
        account = data.account_by_code(str(value["Code"]))
    if account is None:
        return None, "Account could not be found"
    if account.get("Type") != "BANK" and not account.get("EnablePaymentsToAccount"):
        return None, "Account type is invalid for making a payment to/from"
    return account, None


def payment_problems(invoice: Record | None, amount: Decimal | None, already: Decimal) -> list[str]:
    """Xero's checks of a payment against an invoice (`already`: paid earlier in the batch)."""
    if invoice is None:
        return ["Invoice could not be found"]
    errors: list[str] = []
    if invoice["Status"] != "AUTHORISED":
        errors.append(NOT_AUTHORISED)
    if amount is None or amount <= ZERO:
        errors.append("Payment amount must be greater than zero")
    elif not errors and amount > invoice["AmountDue"] - already:
        errors.append(TOO_MUCH)
    return errors


def _pay(
    sandbox: Sandbox,
    data: OrgData,
    invoice: Record,
    account: Record,
    amount: Decimal,
    day: date,
    reference: str,
) -> Record:
    moment = sandbox.clock.now()
    payment = payment_record(
        payment_id=str(uuid.uuid4()),
        invoice=invoice,
        account=account,
        amount=amount,
        day=day,
        reference=reference,
        moment=moment,
    )
    data.payments[payment["PaymentID"]] = payment
    settle(invoice, payment, day, moment)
    return render.payment(data, payment, False)


def prepare_payment(element: Any, batch: Batch) -> Outcome:
    echo = render.echo(element)
    if not isinstance(element, dict):
        return Outcome(echo, ["A payment must be a JSON object"])
    data = books(batch.org)
    reference = element.get("Invoice")
    invoice = None
    if isinstance(reference, dict):
        key = reference.get("InvoiceID") or reference.get("InvoiceNumber")
        invoice = find_invoice(data, str(key)) if key else None
    elif reference is None:
        return Outcome(echo, ["An Invoice must be specified for a payment"])
    amount = to_decimal(element.get("Amount"))
    already = batch.paying.get(invoice["InvoiceID"], ZERO) if invoice else ZERO
    errors = payment_problems(invoice, amount, already)
    account, problem = _account(data, element.get("Account"))
    if problem:
        errors.append(problem)
    day = parse_day(element.get("Date"))
    if day is None:
        errors.append("A valid payment Date must be specified")
    if errors or invoice is None or account is None or amount is None or day is None:
        return Outcome(echo, errors)
    amount = money(amount)
    batch.paying[invoice["InvoiceID"]] = already + amount
    text = str(element.get("Reference") or "")
    sandbox = batch.sandbox
    return Outcome(echo, commit=lambda: _pay(sandbox, data, invoice, account, amount, day, text))


@idempotent
def create_payments(
    sandbox: Sandbox, request: Request, *, org: Organisation, token: AccessToken
) -> Response:
    return run_batch(
        sandbox, request, org, token, "Payments", prepare_payment, "HasValidationErrors"
    )


def record_payment(
    sandbox: Sandbox, org: Organisation, invoice_id: str, amount: Decimal, day: date
) -> Record:
    """Pay `amount` on an invoice into the organisation's main bank account (090), as a
    person would in Xero's web app. Raises BooksRefused with Xero's message."""
    data = books(org)
    with sandbox.state.lock:
        invoice = find_invoice(data, invoice_id)
        if invoice is None:
            raise BooksRefused(f"No invoice {invoice_id}", status=404)
        errors = payment_problems(invoice, to_decimal(amount), ZERO)
        account = data.account_by_code("090") or next(
            (a for a in data.accounts.values() if a.get("Type") == "BANK"), None
        )
        if account is None:
            errors.append("The organisation has no bank account")
        if errors or account is None:
            raise BooksRefused("; ".join(errors))
        paid = _pay(sandbox, data, invoice, account, money(Decimal(amount)), day, "")
        data.changed()
        return paid
