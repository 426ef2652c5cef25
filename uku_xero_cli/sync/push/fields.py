"""One invoice object of an Uku file, read field by field into an `UkuInvoice`; every bad
field is recorded as a problem by its path (`inv.json: lines[2].unit_price: not a number`).

A file holds one invoice object or a list of them. Money is decimal text or a JSON number,
read straight into `Decimal` (the JSON parser never makes a float). What is allowed:

- `number`: text, 1-255 characters (Xero's InvoiceNumber) without commas, unique across
  the input.
- `client`: `id` (text, 1-255) and `name` (text, 1-255) required; `email` (one address),
  `registration_number` and `vat_number` (text, at most 50 each) optional.
- `issue_date` required; `due_date` not before it, and required unless `--draft` (Xero
  approves no sales invoice without one): `YYYY-MM-DD`, years 1900-9999.
- `currency`: three letters, enabled in the Xero organisation (imported by reload).
- `amounts_are`: `exclusive` (default), `inclusive` or `no_tax`.
- `reference`: optional text, at most 255 characters.
- `lines`: at least one. `description` text, 1-4000 characters; `quantity` above 0 and below
  1,000,000,000; `unit_price` 0 or more and below 1,000,000,000,000; both with at most 4
  decimal places (Xero's 4-place unit amounts); `discount_percent` 0-100 with at most 2
  decimal places; `product_code` an imported Xero item; `tax_type` an active Xero tax rate;
  `account_code` (at most 10 characters) an ACTIVE account of the imported chart of accounts,
  required on an issued (not `--draft`) invoice when the line's item has no sales account.

Keys not listed are ignored, so a newer Uku export still reads.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from uku_xero_cli.decimals import LIMITS, MAX_TEXT, bounded_decimal, decimal_places
from uku_xero_cli.store.models import ClientInput
from uku_xero_cli.sync.push.decode import OutOfRange
from uku_xero_cli.sync.push.invoice import (
    AMOUNTS_ARE,
    HUNDRED,
    InvoiceLine,
    InvoiceReferences,
    LineReferences,
    UkuInvoice,
)
from uku_xero_cli.sync.push.problems import Problems, join_path

MAX_QUANTITY = Decimal("1000000000")
MAX_UNIT_PRICE = Decimal("1000000000000")
MAX_PLACES = 4
MAX_DISCOUNT_PLACES = 2
ZERO = Decimal(0)

_NUMBER_TEXT = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?", re.ASCII)
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_CURRENCY = re.compile(r"[A-Za-z]{3}", re.ASCII)
_EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>.]+")


class _ObjectReader:
    """Reads typed values out of one JSON object, recording a problem per bad field."""

    def __init__(self, problems: Problems, label: str, obj: Mapping[str, Any], path: str):
        self.problems = problems
        self.label = label
        self.obj = obj
        self.path = path
        self.bad: set[str] = set()  # the keys a problem was recorded for
        # JSON keeps the last of a key given twice; which one Uku meant is not for us to guess.
        for key in getattr(obj, "duplicates", ()):
            self.problem(key, "given more than once")

    def problem(self, key: str, message: str) -> None:
        self.bad.add(key)
        where = join_path(self.path, key)
        self.problems.add(f"{self.label}: {where}" if self.label else where, message)

    def text(
        self, key: str, *, required: bool = False, max_length: int = 255, upper: bool = False
    ) -> str | None:
        value = self.obj.get(key)
        if value is None:
            if required:
                self.problem(key, "required")
            return None
        if not isinstance(value, str):
            self.problem(key, "not text")
            return None
        text = value.strip()
        if not text:
            if required:
                self.problem(key, "required (empty)")
            return None
        if len(text) > max_length:
            self.problem(key, f"longer than {max_length} characters")
            return None
        if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in text):
            self.problem(key, "contains control characters")
            return None
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            self.problem(key, "not valid Unicode text")
            return None
        return text.upper() if upper else text

    def number(self, key: str, *, required: bool) -> Decimal | None:
        value = self.obj.get(key)
        if value is None:
            if required:
                self.problem(key, "required")
            return None
        if isinstance(value, OutOfRange):
            self.problem(key, f"{value} is out of range ({LIMITS})")
            return None
        if isinstance(value, Decimal):
            return value  # bounded already by the JSON reader
        text = value.strip() if isinstance(value, str) else ""
        if len(text) > MAX_TEXT or not _NUMBER_TEXT.fullmatch(text):
            self.problem(key, "not a number")
            return None
        number = bounded_decimal(text)
        if number is None:
            self.problem(key, f"{OutOfRange(text)} is out of range ({LIMITS})")
        return number

    def day(self, key: str, *, required: bool) -> date | None:
        value = self.obj.get(key)
        if value is None:
            if required:
                self.problem(key, "required")
            return None
        if not isinstance(value, str) or not _DATE_TEXT.fullmatch(value.strip()):
            self.problem(key, "not a date (YYYY-MM-DD)")
            return None
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            self.problem(key, f"{value.strip()} is not a calendar date")
            return None
        if day.year < 1900:
            self.problem(key, "before 1900")
            return None
        return day


def _bounded(
    reader: _ObjectReader,
    key: str,
    *,
    required: bool,
    above: Decimal | None = None,
    at_least: Decimal | None = None,
    below: Decimal | None = None,
    at_most: Decimal | None = None,
    places: int,
) -> Decimal | None:
    """The number at `key` if it lies in the range and has at most `places` decimals, else a
    problem."""
    value = reader.number(key, required=required)
    if value is None:
        return None
    if value.is_zero() and value.is_signed():
        reader.problem(key, f"{value} is a negative zero: write 0")
    elif above is not None and value <= above:
        reader.problem(key, f"must be greater than {above}")
    elif at_least is not None and value < at_least:
        reader.problem(key, f"must be at least {at_least}")
    elif below is not None and value >= below:
        reader.problem(key, f"must be below {below:,}")
    elif at_most is not None and value > at_most:
        reader.problem(key, f"must be at most {at_most}")
    elif decimal_places(value) > places:
        reader.problem(key, f"at most {places} decimal places")
    else:
        return value
    return None


def _read_client(reader: _ObjectReader) -> ClientInput | None:
    raw = reader.obj.get("client")
    if raw is None:
        reader.problem("client", "required")
        return None
    if not isinstance(raw, dict):
        reader.problem("client", "not an object")
        return None
    sub = _ObjectReader(reader.problems, reader.label, raw, join_path(reader.path, "client"))
    client_id = sub.text("id", required=True)
    name = sub.text("name", required=True)
    email = sub.text("email")
    if email is not None and not _EMAIL.fullmatch(email):
        sub.problem("email", "not one email address")
        email = None
    registration = sub.text("registration_number", max_length=50)
    vat = sub.text("vat_number", max_length=50)
    if sub.bad:
        reader.bad.add("client")
        return None
    if client_id is None or name is None:
        return None
    return ClientInput(client_id, name, email, registration, vat)


def _read_line(reader: _ObjectReader) -> tuple[InvoiceLine | None, LineReferences]:
    """The line if it is valid, and in any case what of it the reference data must know."""
    description = reader.text("description", required=True, max_length=4000)
    quantity = _bounded(
        reader, "quantity", required=True, above=ZERO, below=MAX_QUANTITY, places=MAX_PLACES
    )
    price = _bounded(
        reader, "unit_price", required=True, at_least=ZERO, below=MAX_UNIT_PRICE, places=MAX_PLACES
    )
    discount = _bounded(
        reader,
        "discount_percent",
        required=False,
        at_least=ZERO,
        at_most=HUNDRED,
        places=MAX_DISCOUNT_PLACES,
    )
    product = reader.text("product_code", max_length=30)
    tax_type = reader.text("tax_type", max_length=50)
    account = reader.text("account_code", max_length=10)
    references = LineReferences(
        tax_type, product, account, needs_account=not {"product_code", "account_code"} & reader.bad
    )
    if reader.bad:
        return None, references
    assert description is not None and quantity is not None and price is not None
    line = InvoiceLine(description, quantity, price, product, tax_type, account, discount)
    return line, references


def read_invoice(
    problems: Problems, label: str, obj: Any, path: str
) -> tuple[UkuInvoice | None, InvoiceReferences | None]:
    """One invoice object: the invoice, or None with its problems recorded; and what of it
    the reference data must know (None when it is not an object at all)."""
    if not isinstance(obj, dict):
        where = f"{label}: {path}" if path else label
        problems.add(where, "not an invoice object")
        return None, None
    reader = _ObjectReader(problems, label, obj, path)
    number = reader.text("number", required=True)
    if number is not None and "," in number:
        # Xero's InvoiceNumbers filter is comma-separated: such a number could not be looked up.
        reader.problem("number", "may not contain a comma")
    client = _read_client(reader)
    issue = reader.day("issue_date", required=True)
    due = reader.day("due_date", required=False)
    if issue is not None and due is not None and due < issue:
        reader.problem("due_date", f"{due} is before issue_date {issue}")
    currency = reader.text("currency", required=True, upper=True)
    if currency is not None and not _CURRENCY.fullmatch(currency):
        reader.problem("currency", "not a three-letter currency code")
    amounts_are = obj.get("amounts_are", "exclusive")
    if amounts_are is None:
        amounts_are = "exclusive"
    if amounts_are not in AMOUNTS_ARE:
        reader.problem("amounts_are", "must be exclusive, inclusive or no_tax")
    reference = reader.text("reference")
    raw_lines = obj.get("lines")
    lines: list[InvoiceLine] = []
    line_references: list[LineReferences | None] = []
    lines_ok = True
    if raw_lines is None:
        reader.problem("lines", "required")
    elif not isinstance(raw_lines, list):
        reader.problem("lines", "not a list")
    elif not raw_lines:
        reader.problem("lines", "at least one line is required")
    else:
        for index, raw in enumerate(raw_lines):
            line_path = join_path(reader.path, f"lines[{index}]")
            if not isinstance(raw, dict):
                problems.add(f"{label}: {line_path}" if label else line_path, "not an object")
                line_references.append(None)
                lines_ok = False
                continue
            line, refs = _read_line(_ObjectReader(problems, label, raw, line_path))
            line_references.append(refs)
            if line is None:
                lines_ok = False
            else:
                lines.append(line)
    references = InvoiceReferences(
        label,
        path,
        currency if "currency" not in reader.bad else None,
        due_date_missing=due is None and "due_date" not in reader.bad,
        lines=tuple(line_references),
    )
    if reader.bad or not lines_ok:
        return None, references
    assert number and client and issue and currency
    invoice = UkuInvoice(
        number=number,
        client=client,
        issue_date=issue,
        currency=currency,
        lines=tuple(lines),
        amounts_are=amounts_are,
        due_date=due,
        reference=reference,
        label=label,
        path=path,
    )
    return invoice, references
