"""An Uku invoice as push-invoice holds it once read and checked: its lines, the content
that matters to Xero (for the content hash), and the total Xero should compute.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any, Literal

from uku_xero_cli.decimals import PRECISION
from uku_xero_cli.store.models import ClientInput
from uku_xero_cli.sync.push.problems import join_path

AmountsAre = Literal["exclusive", "inclusive", "no_tax"]
AMOUNTS_ARE: tuple[AmountsAre, ...] = ("exclusive", "inclusive", "no_tax")
# Xero's LineAmountTypes for each `amounts_are`.
LINE_AMOUNT_TYPES: dict[str, str] = {
    "exclusive": "Exclusive",
    "inclusive": "Inclusive",
    "no_tax": "NoTax",
}

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
# Enough digits for the product of three bounded numbers (quantity, price, discount).
EXACT_PRECISION = 3 * PRECISION + 10


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
        # Exact up to the cent: the read numbers are bounded (decimals.PRECISION digits), and
        # the default context's 28 digits could round a product of two of them.
        with localcontext(prec=EXACT_PRECISION):
            gross = self.quantity * self.unit_price
            if self.discount_percent:
                gross = gross * (HUNDRED - self.discount_percent) / HUNDRED
            return gross.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class LineReferences:
    """What of one line Xero's reference data must know. A code is None when the line has
    none or when it was unusable (its own problem already says so); `needs_account` is False
    when the account check cannot be made (the account or item code was unusable)."""

    tax_type: str | None = None
    product_code: str | None = None
    account_code: str | None = None
    needs_account: bool = True


@dataclass(frozen=True, slots=True)
class InvoiceReferences:
    """What of one invoice object Xero's reference data must know, read even when other
    fields are bad, so that one run reports a bad date and an unknown currency together.
    `lines` holds None for a line that is not an object."""

    label: str
    path: str
    currency: str | None
    due_date_missing: bool
    lines: tuple[LineReferences | None, ...]

    def where(self, key: str) -> str:
        place = join_path(self.path, key)
        return f"{self.label}: {place}" if self.label else place


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
        place = join_path(self.path, key)
        return f"{self.label}: {place}" if self.label else place

    def references(self) -> InvoiceReferences:
        return InvoiceReferences(
            self.label,
            self.path,
            self.currency,
            self.due_date is None,
            tuple(
                LineReferences(li.tax_type, li.product_code, li.account_code) for li in self.lines
            ),
        )

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
        with localcontext(prec=EXACT_PRECISION):
            for line, amount in zip(self.lines, amounts, strict=True):
                if line.tax_type is None or line.tax_type not in rates:
                    return None
                tax = amount * rates[line.tax_type] / HUNDRED
                total += amount + tax.quantize(CENT, rounding=ROUND_HALF_UP)
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
