"""Line items of an invoice request, checked and completed as Xero does: the item's sales
(or purchase) details fill what the line leaves out, then the account's default tax type."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from uku_xero_cli.sandbox.books.prices import round_price
from uku_xero_cli.sandbox.xero_format import to_decimal

if TYPE_CHECKING:
    from uku_xero_cli.sandbox.data import OrgData, Record

HUNDRED = Decimal("100")
# Accounts an invoice line may not post to: bank accounts and the ledgers Xero keeps itself.
_SYSTEM_ONLY = {"DEBTORS", "CREDITORS", "GST", "RETAINEDEARNINGS"}


def _number(raw: dict[str, Any], name: str, default: Decimal | None) -> tuple[Decimal | None, bool]:
    """(value, ok): a missing or null field gives the default."""
    if raw.get(name) is None:
        return default, True
    value = to_decimal(raw[name])
    return value, value is not None


def account_problem(data: OrgData, code: str) -> tuple[Record | None, str | None]:
    account = data.account_by_code(code)
    if (
        account is None
        or account.get("Status") != "ACTIVE"
        or account.get("Type") == "BANK"
        or account.get("SystemAccount") in _SYSTEM_ONLY
    ):
        return None, f"Account code '{code}' is not a valid code for this document."
    return account, None


def tax_problem(data: OrgData, tax_type: str) -> str | None:
    rate = data.tax_rates.get(tax_type)
    if rate is None or rate.get("Status") != "ACTIVE":
        return (
            f"The TaxType code {tax_type} does not exist or cannot be used for this type of "
            "transaction."
        )
    return None


def build_lines(
    data: OrgData,
    raw_lines: Any,
    *,
    kind: str,
    status: str,
    amount_types: str,
    unitdp: int,
) -> tuple[list[Record], list[str]]:
    """Stored line items for a request's LineItems, and Xero's messages for bad ones."""
    if not isinstance(raw_lines, list) or not raw_lines:
        return [], ["At least one line item must be specified"]
    lines: list[Record] = []
    errors: list[str] = []
    details_key = "PurchaseDetails" if kind == "ACCPAY" else "SalesDetails"
    for raw in raw_lines:
        if not isinstance(raw, dict):
            errors.append("A line item must be a JSON object")
            continue
        item = None
        code = raw.get("ItemCode")
        if code:
            item = data.item_by_code(str(code))
            if item is None:
                errors.append(f"Item code '{code}' is not valid")
        details: dict[str, Any] = (item or {}).get(details_key) or {}

        quantity, ok = _number(raw, "Quantity", Decimal("1"))
        if not ok or quantity is None:
            errors.append("Quantity must be a number")
            quantity = Decimal("1")
        unit, ok = _number(raw, "UnitAmount", None)
        if not ok:
            errors.append("UnitAmount must be a number")
        if unit is None:
            line_amount = to_decimal(raw.get("LineAmount"))
            if line_amount is not None and quantity:
                unit = line_amount / quantity
            else:
                unit = Decimal(str(details.get("UnitPrice", "0")))
        discount, ok = _number(raw, "DiscountRate", None)
        if not ok or (discount is not None and not Decimal("0") <= discount <= HUNDRED):
            errors.append("Discount rate must be a number between 0 and 100")
            discount = None

        account = None
        account_code = raw.get("AccountCode") or details.get("AccountCode")
        if account_code:
            account, problem = account_problem(data, str(account_code))
            if problem:
                errors.append(problem)
        elif status != "DRAFT":
            errors.append("Account code must be specified")

        tax_type = raw.get("TaxType")
        if amount_types == "NoTax":
            tax_type = "NONE"
        elif tax_type:
            problem = tax_problem(data, str(tax_type))
            if problem:
                errors.append(problem)
        else:
            tax_type = details.get("TaxType") or (account or {}).get("TaxType") or "NONE"

        description = raw.get("Description")
        if description is None and item is not None:
            description = item.get(
                "PurchaseDescription" if kind == "ACCPAY" else "Description", item["Name"]
            )
        line_id = raw.get("LineItemID")
        line: Record = {
            "LineItemID": str(line_id) if line_id else str(uuid.uuid4()),
            "Description": str(description or ""),
            "Quantity": quantity.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP),
            # Stored at the precision the write asked for (books/prices.py).
            "UnitAmount": round_price(unit, unitdp),
            "TaxType": str(tax_type),
            "Tracking": raw.get("Tracking") if isinstance(raw.get("Tracking"), list) else [],
        }
        if item is not None:
            line["ItemCode"] = item["Code"]
            line["Item"] = {"ItemID": item["ItemID"], "Name": item["Name"], "Code": item["Code"]}
        if account is not None:
            line["AccountCode"] = account["Code"]
            line["AccountID"] = account["AccountID"]
        if discount is not None:
            line["DiscountRate"] = discount
        lines.append(line)
    return lines, errors


def as_request_lines(record: Record) -> list[dict[str, Any]]:
    """A stored invoice's lines in request form, to re-check them on an update."""
    fields = ("LineItemID", "Description", "Quantity", "UnitAmount", "ItemCode", "AccountCode")
    out = []
    for line in record.get("LineItems", []):
        raw = {name: line[name] for name in fields if name in line}
        raw["TaxType"] = line.get("TaxType")
        raw["Tracking"] = line.get("Tracking", [])
        if line.get("DiscountRate") is not None:
            raw["DiscountRate"] = line["DiscountRate"]
        out.append(raw)
    return out
