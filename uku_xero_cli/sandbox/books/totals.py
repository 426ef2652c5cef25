"""Invoice arithmetic as Xero does it: each line rounded to cents, then summed.

Exclusive: LineAmount = round(Quantity × UnitAmount × (1 − DiscountRate/100)); tax on top.
Inclusive: the same LineAmount already holds its tax: tax = LineAmount × rate / (100 + rate).
NoTax:     no tax at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from uku_xero_cli.sandbox.xero_format import money

HUNDRED = Decimal("100")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class LineTotals:
    line_amount: Decimal
    tax_amount: Decimal


@dataclass(frozen=True)
class Totals:
    sub_total: Decimal
    total_tax: Decimal
    total: Decimal


def line_totals(
    quantity: Decimal,
    unit_amount: Decimal,
    discount_rate: Decimal | None,
    tax_rate: Decimal,
    amount_types: str,
) -> LineTotals:
    gross = quantity * unit_amount
    if discount_rate:
        gross = gross * (HUNDRED - discount_rate) / HUNDRED
    line_amount = money(gross)
    if amount_types == "NoTax" or not tax_rate:
        return LineTotals(line_amount, ZERO)
    if amount_types == "Inclusive":
        return LineTotals(line_amount, money(line_amount * tax_rate / (HUNDRED + tax_rate)))
    return LineTotals(line_amount, money(line_amount * tax_rate / HUNDRED))


def document_totals(lines: list[LineTotals], amount_types: str) -> Totals:
    line_sum = sum((line.line_amount for line in lines), ZERO)
    tax = sum((line.tax_amount for line in lines), ZERO)
    sub_total = line_sum - tax if amount_types == "Inclusive" else line_sum
    return Totals(sub_total, tax, sub_total + tax)
