"""GET, PUT and POST /Invoices and /Invoices/{InvoiceID}, and status changes."""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING, Any

from uku_xero_cli.sandbox.books import render
from uku_xero_cli.sandbox.books.batch import Batch, Outcome, run_batch
from uku_xero_cli.sandbox.books.contacts import (
    contact_fields,
    contact_problems,
    find_contact,
    is_guid,
)
from uku_xero_cli.sandbox.books.documents import ZERO, invoice_record, touch
from uku_xero_cli.sandbox.books.errors import BooksRefused, not_found
from uku_xero_cli.sandbox.books.lines import as_request_lines, build_lines
from uku_xero_cli.sandbox.books.listing import Listing, books, flag, id_list, list_records, single
from uku_xero_cli.sandbox.books.replay import idempotent
from uku_xero_cli.sandbox.http import Request, Response
from uku_xero_cli.sandbox.seed.contacts import contact_record
from uku_xero_cli.sandbox.seed.reference import exchange_rate
from uku_xero_cli.sandbox.xero_format import parse_day, to_decimal

if TYPE_CHECKING:
    from uku_xero_cli.sandbox.app import Sandbox
    from uku_xero_cli.sandbox.data import OrgData, Record
    from uku_xero_cli.sandbox.state import AccessToken, Organisation

INVOICES = Listing(
    key="Invoices",
    type_name="Invoice",
    records=lambda data: data.invoices,
    render=render.invoice,
    paged=True,
    search_fields=("InvoiceNumber", "Reference"),
    lines="LineItems",
)
KINDS = ("ACCREC", "ACCPAY")
AMOUNT_TYPES = ("Exclusive", "Inclusive", "NoTax")
CREATABLE = ("DRAFT", "SUBMITTED", "AUTHORISED")
# The statuses an invoice may move to from each status; PAID, VOIDED and DELETED are final.
# The moves are the list Xero support confirmed in waynerobinson/xeroizer#48; any other is
# refused with NOT_MODIFIABLE (Xero staff in Xero-NetStandard#79).
# An AUTHORISED invoice stays editable (lines, dates, reference, contact) while nothing is
# allocated to it: Xero's own web app allows it and so does the API (Xero-Net#339: the edit
# failed only because the SDK sent Status DRAFT; XeroAPI/xero-mcp-server PR #221, checked
# against a live organisation). Once a payment or credit note is allocated, Xero answers
# HAS_PAYMENTS (the message quoted in Xero-NetStandard#84).
MOVES = {
    "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "SUBMITTED": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "AUTHORISED": {"AUTHORISED", "VOIDED"},
}
NOT_MODIFIABLE = "Invoice not of valid status for modification"
HAS_PAYMENTS = "This document cannot be edited as it has a payment or credit note allocated to it."


def find_invoice(data: OrgData, key: str) -> Record | None:
    """By InvoiceID, or by InvoiceNumber as Xero also allows in the path."""
    if is_guid(key):
        return data.invoices.get(str(uuid.UUID(key)))
    found = data.invoice_numbers.get(key.casefold())
    if found is not None:
        return data.invoices.get(found)
    for record in data.invoices.values():
        if record.get("InvoiceNumber", "").casefold() == key.casefold():
            return record
    return None


def list_invoices(
    sandbox: Sandbox, request: Request, *, org: Organisation, token: AccessToken
) -> Response:
    filters = []
    key: list[Any] = []
    ids = id_list(request, "IDs")
    if ids is not None:
        wanted_ids = {value.lower() for value in ids}
        filters.append(lambda record: record["InvoiceID"] in wanted_ids)
        key.append(("IDs", tuple(sorted(wanted_ids))))
    numbers = id_list(request, "InvoiceNumbers")
    if numbers is not None:
        wanted_numbers = {value.casefold() for value in numbers}
        filters.append(lambda record: record["InvoiceNumber"].casefold() in wanted_numbers)
        key.append(("InvoiceNumbers", tuple(sorted(wanted_numbers))))
    contact_ids = id_list(request, "ContactIDs")
    if contact_ids is not None:
        wanted_contacts = {value.lower() for value in contact_ids}
        filters.append(lambda record: record["Contact"]["ContactID"] in wanted_contacts)
        key.append(("ContactIDs", tuple(sorted(wanted_contacts))))
    statuses = id_list(request, "Statuses")
    if statuses is not None:
        wanted_statuses = {value.upper() for value in statuses}
        filters.append(lambda record: record["Status"] in wanted_statuses)
        key.append(("Statuses", tuple(sorted(wanted_statuses))))
    if flag(request, "createdByMyApp"):
        client_id = token.client_id
        filters.append(lambda record: record.get("_created_by") == client_id)
        key.append(("createdByMyApp", client_id))
    return list_records(
        sandbox,
        request,
        org,
        token,
        INVOICES,
        filters=filters,
        filter_key=tuple(key),
        named=ids is not None or numbers is not None,
    )


def get_invoice(
    sandbox: Sandbox, request: Request, *, org: Organisation, token: AccessToken, InvoiceID: str
) -> Response:
    data = books(org)
    with sandbox.state.lock:
        found = find_invoice(data, InvoiceID)
        body = render.invoice(data, found, False) if found is not None else None
    return single(sandbox, request, token, "Invoices", body) or not_found()


def _contact_for(
    data: OrgData, value: Any, batch: Batch
) -> tuple[Record | None, Record | None, list[str]]:
    """(contact, contact to create, errors) for an invoice's Contact: an existing ContactID,
    or a Name that finds an active contact, or else a new contact, as Xero does."""
    if not isinstance(value, dict) or not (
        value.get("ContactID") or str(value.get("Name") or "").strip()
    ):
        return None, None, ["A Contact must be specified for this type of transaction"]
    if value.get("ContactID"):
        found = find_contact(data, str(value["ContactID"]))
        if found is None:
            return None, None, [f"The contact with ContactID {value['ContactID']} was not found"]
        return found, None, []
    name = str(value["Name"]).strip()
    existing_id = data.contact_names.get(name.casefold())
    if existing_id is not None:
        return data.contacts[existing_id], None, []
    pending = batch.contact_names.get(name.casefold())
    if pending is not None:
        return pending, pending, []
    fields = contact_fields(value)
    errors = contact_problems(data, fields, batch, None)
    if errors:
        return None, None, errors
    created = contact_record(str(uuid.uuid4()), fields, batch.sandbox.clock.now())
    batch.contact_names[name.casefold()] = created
    return created, created, []


def _as_request(record: Record) -> dict[str, Any]:
    """A stored invoice in request form, so an update is checked like a create."""
    request: dict[str, Any] = {
        "Type": record["Type"],
        "Contact": {"ContactID": record["Contact"]["ContactID"]},
        "Date": record["DateString"][:10],
        "Status": record["Status"],
        "LineAmountTypes": record["LineAmountTypes"],
        "CurrencyCode": record["CurrencyCode"],
        "CurrencyRate": record["CurrencyRate"],
        "InvoiceNumber": record.get("InvoiceNumber") or None,
        "Reference": record.get("Reference", ""),
        "LineItems": as_request_lines(record),
    }
    if record.get("DueDateString"):
        request["DueDate"] = record["DueDateString"][:10]
    return request


def _next_number(data: OrgData, batch: Batch) -> tuple[str, int]:
    number = data.next_invoice_number
    while (
        f"INV-{number:04d}".casefold() in data.invoice_numbers
        or f"INV-{number:04d}".casefold() in batch.invoice_numbers
    ):
        number += 1
    return f"INV-{number:04d}", number


def _day(value: Any, name: str, errors: list[str]) -> date | None:
    if value in (None, ""):
        return None
    parsed = parse_day(value)
    if parsed is None:
        errors.append(f"{name} must be a valid date")
    return parsed


def _assemble(
    element: dict[str, Any], batch: Batch, existing: Record | None, *, unitdp: int | None = None
) -> tuple[Record | None, Record | None, int | None, list[str]]:
    """(invoice record, contact to create, auto number used, errors) for request fields;
    unit prices kept to `unitdp` decimals (the request's, unless given)."""
    data = books(batch.org)
    errors: list[str] = []
    kind = existing["Type"] if existing else element.get("Type")
    if not kind:
        errors.append("Invoice Type must be specified")
    elif kind not in KINDS:
        errors.append(f"Invoice Type {kind} is not supported: use ACCREC or ACCPAY")
    status = str(element.get("Status") or "DRAFT").upper()
    if existing is None and status not in CREATABLE:
        errors.append("Invoice not of valid status for creation")
    contact, new_contact, problems = _contact_for(data, element.get("Contact"), batch)
    errors.extend(problems)
    day = _day(element.get("Date"), "Date", errors) or batch.sandbox.clock.now().date()
    due = _day(element.get("DueDate"), "DueDate", errors)
    if kind == "ACCREC" and status == "AUTHORISED" and due is None:
        errors.append("Due Date must be specified for an approved sales invoice")
    amount_types = element.get("LineAmountTypes") or "Exclusive"
    if amount_types not in AMOUNT_TYPES:
        errors.append("LineAmountTypes must be Exclusive, Inclusive or NoTax")
    base = data.organisation.get("BaseCurrency", "")
    currency = element.get("CurrencyCode") or (contact or {}).get("DefaultCurrency") or base
    if currency not in data.currencies:
        errors.append(f"Organisation is not subscribed to currency {currency}")
    rate = to_decimal(element.get("CurrencyRate")) if element.get("CurrencyRate") else None
    if rate is None or rate <= 0:
        rate = exchange_rate(base, currency)

    number = str(element.get("InvoiceNumber") or "").strip() or None
    auto: int | None = None
    if kind == "ACCREC":
        if number is None:
            number, auto = _next_number(data, batch)
        else:
            holder = data.invoice_numbers.get(number.casefold())
            mine = existing["InvoiceID"] if existing else None
            if (
                holder is not None and holder != mine
            ) or number.casefold() in batch.invoice_numbers:
                errors.append("Invoice # must be unique.")
    lines, line_errors = build_lines(
        data,
        element.get("LineItems"),
        kind=str(kind),
        status=status,
        amount_types=str(amount_types),
        unitdp=batch.unitdp if unitdp is None else unitdp,
    )
    errors.extend(line_errors)
    if errors or contact is None:
        return None, None, None, errors
    record = invoice_record(
        invoice_id=existing["InvoiceID"] if existing else str(uuid.uuid4()),
        kind=str(kind),
        contact=contact,
        number=number,
        reference=str(element.get("Reference") or ""),
        day=day,
        due_day=due,
        status=status,
        amount_types=str(amount_types),
        currency=str(currency),
        currency_rate=rate,
        lines=lines,
        rate_of=data.tax_rate,
        moment=batch.sandbox.clock.now(),
        created_by=existing.get("_created_by") if existing else batch.token.client_id,
    )
    if record["Total"] < ZERO:
        return None, None, None, ["The invoice total must be zero or greater"]
    if kind == "ACCREC" and number:
        batch.invoice_numbers.add(number.casefold())
    return record, new_contact, auto, []


def _commit(
    batch: Batch,
    record: Record,
    new_contact: Record | None,
    auto: int | None,
    existing: Record | None,
) -> Record:
    data = books(batch.org)
    if new_contact is not None and new_contact["ContactID"] not in data.contacts:
        data.contacts[new_contact["ContactID"]] = new_contact
        data.index_contact(new_contact)
    if existing is not None:
        record["SentToContact"] = existing.get("SentToContact", False)
        old_number = existing.get("InvoiceNumber", "").casefold()
        if data.invoice_numbers.get(old_number) == existing["InvoiceID"]:
            del data.invoice_numbers[old_number]
    data.invoices[record["InvoiceID"]] = record
    if record["Type"] == "ACCREC" and record["InvoiceNumber"]:
        data.invoice_numbers[record["InvoiceNumber"].casefold()] = record["InvoiceID"]
    if auto is not None:
        data.next_invoice_number = max(data.next_invoice_number, auto + 1)
    contact = data.contacts.get(record["Contact"]["ContactID"])
    if contact is not None:
        contact["IsCustomer" if record["Type"] == "ACCREC" else "IsSupplier"] = True
    return render.invoice(data, record, False)


def change_problem(existing: Record, new_status: str) -> str | None:
    """Why Xero refuses to change this invoice (to `new_status`), or None."""
    current = existing["Status"]
    if current not in MOVES:
        return NOT_MODIFIABLE
    if current == "AUTHORISED" and (
        existing["AmountPaid"] > ZERO or existing["AmountCredited"] > ZERO
    ):
        return HAS_PAYMENTS
    if new_status not in MOVES[current]:
        return NOT_MODIFIABLE
    return None


def close(record: Record, status: str, sandbox: Sandbox) -> None:
    """Void or delete: nothing is owed on it any more."""
    record["Status"] = status
    record["AmountDue"] = ZERO
    touch(record, sandbox.clock.now())


def _prepare_update(element: dict[str, Any], batch: Batch, existing: Record) -> Outcome:
    echo = render.echo(element, date_strings=True)
    new_status = str(element.get("Status") or existing["Status"]).upper()
    problem = change_problem(existing, new_status)
    if problem is not None:
        return Outcome(echo, [problem])
    if new_status in ("VOIDED", "DELETED"):

        def closing() -> Record:
            close(existing, new_status, batch.sandbox)
            return render.invoice(books(batch.org), existing, False)

        return Outcome(echo, commit=closing)
    merged = _as_request(existing)
    merged.update({name: value for name, value in element.items() if name != "Type"})
    merged["Status"] = new_status
    # Lines the update does not send are kept as stored, at their own precision; a guess:
    # nothing says an update without unitdp=4 rounds prices it was not sent.
    kept = None if "LineItems" in element else 4
    record, new_contact, auto, errors = _assemble(merged, batch, existing, unitdp=kept)
    if errors or record is None:
        return Outcome(echo, errors)
    return Outcome(echo, commit=lambda: _commit(batch, record, new_contact, auto, existing))


def prepare_invoice(
    element: Any, batch: Batch, *, may_update: bool, target: Record | None
) -> Outcome:
    echo = render.echo(element, date_strings=True)
    if not isinstance(element, dict):
        return Outcome(echo, ["An invoice must be a JSON object"])
    data = books(batch.org)
    existing = target
    if existing is None and element.get("InvoiceID"):
        if not may_update:
            return Outcome(echo, ["A new invoice cannot have an InvoiceID; use POST to update"])
        existing = find_invoice(data, str(element["InvoiceID"]))
        if existing is None:
            return Outcome(
                echo, [f"The invoice with InvoiceID {element['InvoiceID']} was not found"]
            )
    if existing is None and may_update and element.get("InvoiceNumber"):
        number = str(element["InvoiceNumber"]).strip().casefold()
        found = data.invoice_numbers.get(number)
        if found is not None and element.get("Type", "ACCREC") == "ACCREC":
            existing = data.invoices[found]
    if existing is not None:
        return _prepare_update(element, batch, existing)
    record, new_contact, auto, errors = _assemble(element, batch, None)
    if errors or record is None:
        return Outcome(echo, errors)
    return Outcome(echo, commit=lambda: _commit(batch, record, new_contact, auto, None))


def _write(
    sandbox: Sandbox,
    request: Request,
    org: Organisation,
    token: AccessToken,
    *,
    may_update: bool,
    target: Record | None = None,
) -> Response:
    def prepare(element: Any, batch: Batch) -> Outcome:
        return prepare_invoice(element, batch, may_update=may_update, target=target)

    # An update of one invoice (POST /Invoices/{id}) takes the first element only.
    limit = 1 if target is not None else None
    return run_batch(sandbox, request, org, token, "Invoices", prepare, "HasErrors", limit=limit)


@idempotent
def create_invoices(
    sandbox: Sandbox, request: Request, *, org: Organisation, token: AccessToken
) -> Response:
    return _write(sandbox, request, org, token, may_update=False)


@idempotent
def save_invoices(
    sandbox: Sandbox, request: Request, *, org: Organisation, token: AccessToken
) -> Response:
    return _write(sandbox, request, org, token, may_update=True)


@idempotent
def update_invoice(
    sandbox: Sandbox, request: Request, *, org: Organisation, token: AccessToken, InvoiceID: str
) -> Response:
    with sandbox.state.lock:
        target = find_invoice(books(org), InvoiceID)
        if target is None:
            return not_found()
        return _write(sandbox, request, org, token, may_update=True, target=target)


def set_status(sandbox: Sandbox, org: Organisation, invoice_id: str, status: str) -> Record:
    """Void or delete an invoice as Xero allows; raises BooksRefused otherwise."""
    status = status.upper()
    if status not in ("VOIDED", "DELETED"):
        raise BooksRefused(f"Only VOIDED or DELETED can be set this way, not {status}")
    data = books(org)
    with sandbox.state.lock:
        record = find_invoice(data, invoice_id)
        if record is None:
            raise BooksRefused(f"No invoice {invoice_id}", status=404)
        problem = change_problem(record, status)
        if problem is not None:
            raise BooksRefused(problem)
        close(record, status, sandbox)
        data.changed()
        return render.invoice(data, record, False)
