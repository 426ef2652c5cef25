"""Uku's invoice files: reading them, checking their shape, then checking them against the
reference data a reload imported. Every problem is collected and reported by field path
(`inv.json: lines[2].unit_price: not a number`); one problem rejects the whole input.

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
  `account_code` (at most 10 characters) required on an issued (not `--draft`) invoice when
  the line's item has no sales account of its own.

Keys not listed are ignored, so a newer Uku export still reads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, BinaryIO, Literal

from uku_xero_cli.errors import InvalidInvoice
from uku_xero_cli.store.models import ClientInput

if TYPE_CHECKING:
    from pathlib import Path

    from uku_xero_cli.store import Store

AmountsAre = Literal["exclusive", "inclusive", "no_tax"]
AMOUNTS_ARE: tuple[AmountsAre, ...] = ("exclusive", "inclusive", "no_tax")
# Xero's LineAmountTypes for each `amounts_are`.
LINE_AMOUNT_TYPES: dict[str, str] = {
    "exclusive": "Exclusive",
    "inclusive": "Inclusive",
    "no_tax": "NoTax",
}

MAX_QUANTITY = Decimal("1000000000")
MAX_UNIT_PRICE = Decimal("1000000000000")
MAX_PLACES = 4
MAX_DISCOUNT_PLACES = 2
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
_MAX_PROBLEMS = 200

_NUMBER_TEXT = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?", re.ASCII)
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_CURRENCY = re.compile(r"[A-Za-z]{3}", re.ASCII)
_EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>.]+")


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    description: str
    quantity: Decimal
    unit_price: Decimal
    product_code: str | None = None
    tax_type: str | None = None
    account_code: str | None = None
    discount_percent: Decimal | None = None

    def net_amount(self) -> Decimal:
        """The line amount as Xero computes it: quantity × price less discount, to the cent."""
        gross = self.quantity * self.unit_price
        if self.discount_percent:
            gross = gross * (HUNDRED - self.discount_percent) / HUNDRED
        return gross.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class UkuInvoice:
    """One valid invoice of an Uku file; `source` says where it came from (for messages)."""

    number: str
    client: ClientInput
    issue_date: date
    currency: str
    lines: tuple[InvoiceLine, ...]
    amounts_are: AmountsAre = "exclusive"
    due_date: date | None = None
    reference: str | None = None
    # Where it came from, for messages: the input's label and the path within it ("[2]").
    label: str = field(default="", compare=False)
    path: str = field(default="", compare=False)

    @property
    def source(self) -> str:
        return f"{self.label}{self.path}"

    def where(self, key: str) -> str:
        """A field's place for a message: `inv.json: [2].lines[0].tax_type`."""
        place = _join(self.path, key)
        return f"{self.label}: {place}" if self.label else place

    @property
    def line_amount_types(self) -> str:
        return LINE_AMOUNT_TYPES[self.amounts_are]

    def canonical(self) -> dict[str, Any]:
        """The content that matters to Xero, normalised: equal amounts written differently
        ("450" and "450.00") give the same value, so the content hash ignores the spelling."""
        return {
            "number": self.number,
            "client": {
                "id": self.client.id,
                "name": self.client.name,
                "email": self.client.email,
                "registration_number": self.client.registration_number,
                "vat_number": self.client.vat_number,
            },
            "issue_date": self.issue_date.isoformat(),
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "currency": self.currency,
            "amounts_are": self.amounts_are,
            "reference": self.reference,
            "lines": [
                {
                    "description": line.description,
                    "quantity": decimal_text(line.quantity),
                    "unit_price": decimal_text(line.unit_price),
                    "discount_percent": decimal_text(line.discount_percent),
                    "product_code": line.product_code,
                    "tax_type": line.tax_type,
                    "account_code": line.account_code,
                }
                for line in self.lines
            ],
        }

    def estimated_total(self, rates: Mapping[str, Decimal]) -> Decimal | None:
        """The total Xero should compute, from the imported tax rates; None when a line's
        tax depends on an account default the store does not know."""
        amounts = [line.net_amount() for line in self.lines]
        if self.amounts_are != "exclusive":
            return sum(amounts, Decimal("0.00"))
        total = Decimal("0.00")
        for line, amount in zip(self.lines, amounts, strict=True):
            if line.tax_type is None or line.tax_type not in rates:
                return None
            tax = (amount * rates[line.tax_type] / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)
            total += amount + tax
        return total


@dataclass(frozen=True, slots=True)
class InvoiceDocument:
    """One input as read: `label` names it in messages (a path, or `<stdin>`)."""

    label: str
    data: bytes


def decimal_text(value: Decimal | None) -> str | None:
    """Plain digits without exponent or trailing zeros: one spelling per amount."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def money(value: Decimal | None) -> Decimal | None:
    """An amount with at least two decimal places (Xero's JSON may send 540.0 for 540.00);
    more places are kept as they are."""
    if value is None:
        return None
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        return value.quantize(CENT)
    return value


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []
        self.dropped = 0

    def add(self, where: str, message: str) -> None:
        if len(self.items) < _MAX_PROBLEMS:
            self.items.append(f"{where}: {message}" if where else message)
        else:
            self.dropped += 1

    def raise_if_any(self, summary: str, hint: str | None = None) -> None:
        if not self.items:
            return
        problems = list(self.items)
        if self.dropped:
            problems.append(f"... and {self.dropped} more")
        raise InvalidInvoice(summary, problems=problems, hint=hint)


def _join(base: str, key: str) -> str:
    if key.startswith("["):
        return f"{base}{key}"
    return f"{base}.{key}" if base else key


class _ObjectReader:
    """Reads typed values out of one JSON object, recording a problem per bad field."""

    def __init__(self, problems: _Problems, label: str, obj: Mapping[str, Any], path: str):
        self.problems = problems
        self.label = label
        self.obj = obj
        self.path = path

    def problem(self, key: str, message: str) -> None:
        where = _join(self.path, key)
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
        if isinstance(value, Decimal):
            number = value
        elif isinstance(value, str) and _NUMBER_TEXT.fullmatch(value.strip()):
            number = Decimal(value.strip())
        else:
            self.problem(key, "not a number")
            return None
        if not number.is_finite():
            self.problem(key, "not a number")
            return None
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


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _bounded(
    reader: _ObjectReader,
    key: str,
    value: Decimal | None,
    *,
    above: Decimal | None = None,
    at_least: Decimal | None = None,
    below: Decimal | None = None,
    at_most: Decimal | None = None,
    places: int,
) -> Decimal | None:
    """`value` if it lies in the range and has at most `places` decimals, else a problem."""
    if value is None:
        return None
    if above is not None and value <= above:
        reader.problem(key, f"must be greater than {above}")
    elif at_least is not None and value < at_least:
        reader.problem(key, f"must be at least {at_least}")
    elif below is not None and value >= below:
        reader.problem(key, f"must be below {below:,}")
    elif at_most is not None and value > at_most:
        reader.problem(key, f"must be at most {at_most}")
    elif _places(value) > places:
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
    sub = _ObjectReader(reader.problems, reader.label, raw, _join(reader.path, "client"))
    client_id = sub.text("id", required=True)
    name = sub.text("name", required=True)
    email = sub.text("email")
    if email is not None and not _EMAIL.fullmatch(email):
        sub.problem("email", "not one email address")
        email = None
    registration = sub.text("registration_number", max_length=50)
    vat = sub.text("vat_number", max_length=50)
    if client_id is None or name is None:
        return None
    return ClientInput(client_id, name, email, registration, vat)


def _read_line(reader: _ObjectReader) -> InvoiceLine | None:
    before = len(reader.problems.items) + reader.problems.dropped
    description = reader.text("description", required=True, max_length=4000)
    quantity = _bounded(
        reader,
        "quantity",
        reader.number("quantity", required=True),
        above=Decimal(0),
        below=MAX_QUANTITY,
        places=MAX_PLACES,
    )
    price = _bounded(
        reader,
        "unit_price",
        reader.number("unit_price", required=True),
        at_least=Decimal(0),
        below=MAX_UNIT_PRICE,
        places=MAX_PLACES,
    )
    discount = _bounded(
        reader,
        "discount_percent",
        reader.number("discount_percent", required=False),
        at_least=Decimal(0),
        at_most=HUNDRED,
        places=MAX_DISCOUNT_PLACES,
    )
    product = reader.text("product_code", max_length=30)
    tax_type = reader.text("tax_type", max_length=50)
    account = reader.text("account_code", max_length=10)
    if len(reader.problems.items) + reader.problems.dropped != before:
        return None
    assert description is not None and quantity is not None and price is not None
    return InvoiceLine(description, quantity, price, product, tax_type, account, discount)


def read_invoice(problems: _Problems, label: str, obj: Any, path: str) -> UkuInvoice | None:
    """One invoice object, or None with its problems recorded."""
    if not isinstance(obj, dict):
        where = f"{label}: {path}" if path else label
        problems.add(where, "not an invoice object")
        return None
    before = len(problems.items) + problems.dropped
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
    if raw_lines is None:
        reader.problem("lines", "required")
    elif not isinstance(raw_lines, list):
        reader.problem("lines", "not a list")
    elif not raw_lines:
        reader.problem("lines", "at least one line is required")
    else:
        for index, raw in enumerate(raw_lines):
            line_path = _join(reader.path, f"lines[{index}]")
            if not isinstance(raw, dict):
                problems.add(f"{label}: {line_path}" if label else line_path, "not an object")
                continue
            line = _read_line(_ObjectReader(problems, label, raw, line_path))
            if line is not None:
                lines.append(line)
    if len(problems.items) + problems.dropped != before:
        return None
    assert number and client and issue and currency
    return UkuInvoice(
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


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def decode_json(data: bytes) -> Any:
    """JSON with every number as Decimal (never a float, and no cap on digits); raises
    ValueError with a readable reason."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(
            text, parse_float=Decimal, parse_int=Decimal, parse_constant=_reject_constant
        )
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise ValueError(f"not valid JSON ({where}: {exc.msg})") from None
    except RecursionError:
        raise ValueError("not valid JSON (nested too deeply)") from None
    except (InvalidOperation, OverflowError):
        raise ValueError("not valid JSON (a number out of range)") from None


def parse_documents(documents: Sequence[InvoiceDocument]) -> list[UkuInvoice]:
    """Every invoice of the inputs, in order; InvalidInvoice lists every problem found."""
    problems = _Problems()
    invoices: list[UkuInvoice] = []
    for document in documents:
        try:
            body = decode_json(document.data)
        except ValueError as exc:
            problems.add(document.label, str(exc))
            continue
        if isinstance(body, list):
            if not body:
                problems.add(document.label, "an empty list: no invoices")
            for index, obj in enumerate(body):
                invoice = read_invoice(problems, document.label, obj, f"[{index}]")
                if invoice is not None:
                    invoices.append(invoice)
        elif isinstance(body, dict):
            invoice = read_invoice(problems, document.label, body, "")
            if invoice is not None:
                invoices.append(invoice)
        else:
            problems.add(document.label, "not an invoice object or a list of them")
    if not documents:
        problems.add("", "no invoice files given")
    _check_unique_numbers(invoices, problems)
    problems.raise_if_any("the invoice input is not valid; nothing was sent")
    return invoices


def _check_unique_numbers(invoices: Iterable[UkuInvoice], problems: _Problems) -> None:
    seen: dict[str, UkuInvoice] = {}
    for invoice in invoices:
        key = invoice.number.casefold()
        first = seen.setdefault(key, invoice)
        if first is not invoice:
            problems.add(
                invoice.where("number"), f"{invoice.number} is also the number of {first.source}"
            )


@dataclass(frozen=True)
class ReferenceData:
    """What the checks need from the store, read once."""

    currencies: frozenset[str]
    active_tax_rates: Mapping[str, Decimal]
    sales_tax_types: frozenset[str]
    item_accounts: Mapping[str, str | None]  # item code → its sales account code

    @classmethod
    def from_store(cls, store: Store) -> ReferenceData:
        rates = store.tax_rates(active_only=True)
        return cls(
            currencies=frozenset(c.code.upper() for c in store.currencies()),
            active_tax_rates={r.tax_type: r.effective_rate or Decimal(0) for r in rates},
            # A rate Xero says cannot apply to revenue would be refused on a sales invoice.
            sales_tax_types=frozenset(
                r.tax_type for r in rates if r.can_apply_to_revenue is not False
            ),
            item_accounts={i.code: i.sales_account_code for i in store.items()},
        )


NO_REFERENCE_HINT = "run `uku-xero reload` first: it imports tax rates, currencies and items"


def check_references(
    invoices: Sequence[UkuInvoice], reference: ReferenceData | None, *, draft: bool
) -> None:
    """Currency, tax types, items and accounts against what reload imported from Xero.

    `reference` None means the store holds no reference data yet.
    """
    if reference is None:
        raise InvalidInvoice(
            "the store has no tax rates or currencies from Xero yet; nothing was sent",
            problems=["no reference data imported from Xero"],
            hint=NO_REFERENCE_HINT,
        )
    problems = _Problems()
    for invoice in invoices:
        where = invoice.where
        if invoice.currency not in reference.currencies:
            known = ", ".join(sorted(reference.currencies)) or "none"
            problems.add(
                where("currency"),
                f"{invoice.currency} is not enabled in the Xero organisation (enabled: {known})",
            )
        if not draft and invoice.due_date is None:
            problems.add(where("due_date"), "required: Xero needs a due date to approve an invoice")
        for index, line in enumerate(invoice.lines):
            path = f"lines[{index}]"
            if line.tax_type is not None:
                if line.tax_type not in reference.active_tax_rates:
                    problems.add(
                        where(f"{path}.tax_type"),
                        f"{line.tax_type} is not an active Xero tax rate",
                    )
                elif line.tax_type not in reference.sales_tax_types:
                    problems.add(
                        where(f"{path}.tax_type"),
                        f"{line.tax_type} cannot be used on sales (revenue) in Xero",
                    )
            item_account: str | None = None
            if line.product_code is not None:
                if line.product_code not in reference.item_accounts:
                    problems.add(
                        where(f"{path}.product_code"), f"{line.product_code} is not a Xero item"
                    )
                    continue
                item_account = reference.item_accounts[line.product_code]
            if not draft and line.account_code is None and item_account is None:
                problems.add(
                    where(f"{path}.account_code"),
                    "required: Xero needs a sales account on an issued invoice"
                    + (" (the item has none)" if line.product_code else ""),
                )
    problems.raise_if_any(
        "the invoices do not fit the Xero organisation's data; nothing was sent",
        hint="run `uku-xero reload` if the data changed in Xero since the last reload",
    )


def load_reference(store: Store) -> ReferenceData | None:
    return ReferenceData.from_store(store) if store.has_reference_data() else None


STDIN = "-"
MAX_FILE_BYTES = 64 * 1024 * 1024


def read_documents(
    paths: Sequence[str], stdin: BinaryIO | None = None, *, directory: Path | None = None
) -> list[InvoiceDocument]:
    """The inputs named on the command line (`-` is standard input, read once), relative names
    in `directory` (default: the working directory); a file that cannot be read is a problem
    like any other, reported with the rest under the name it was given."""
    from pathlib import Path

    problems = _Problems()
    documents: list[InvoiceDocument] = []
    stdin_read = False
    for name in paths:
        if name == STDIN:
            if stdin_read:
                problems.add("<stdin>", "given more than once")
                continue
            stdin_read = True
            data = stdin.read(MAX_FILE_BYTES + 1) if stdin is not None else b""
            label = "<stdin>"
        else:
            label = name
            try:
                with Path(directory or "", name).open("rb") as fh:
                    data = fh.read(MAX_FILE_BYTES + 1)
            except OSError as exc:
                problems.add(label, f"cannot read ({exc.strerror or exc})")
                continue
        if len(data) > MAX_FILE_BYTES:
            problems.add(label, f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
            continue
        documents.append(InvoiceDocument(label, data))
    problems.raise_if_any("cannot read the invoice input; nothing was sent")
    return documents
