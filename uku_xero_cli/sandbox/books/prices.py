"""Unit prices at the precision a request asked for.

Xero keeps unit prices (`UnitAmount` of document lines, `UnitPrice` of an item's sales and
purchase details) to two decimals unless a request opts in to four with `unitdp=4` — on
writes (a price sent with more decimals is stored rounded: 0.1648 becomes 0.16,
XeroAPI/xero-mcp-server#157 and PR #216) and on reads alike (a GET without it shows the price
rounded to two). Totals, line amounts and tax stay at two decimals whatever is asked.
Source: developer.xero.com "Rounding in Xero" (unit prices; the parameter covers invoices,
credit notes, bank transactions, receipts and the UnitPrice of items).

Which way Xero rounds a price lying half-way (1.125) is documented nowhere we found: half away
from zero is a guess (the one public example, 1.795 shown as 1.80, fits either rule).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from uku_xero_cli.sandbox.data import Record
    from uku_xero_cli.sandbox.http import Request

_STEPS = {2: Decimal("0.01"), 4: Decimal("0.0001")}
_DETAILS = ("SalesDetails", "PurchaseDetails")


def unit_decimals(request: Request) -> int:
    """4 when the request carries `unitdp=4`, else Xero's default of 2."""
    return 4 if (request.arg("unitdp") or "").strip() == "4" else 2


def round_price(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(_STEPS[decimals], rounding=ROUND_HALF_UP)


def _rounded(value: Any, decimals: int) -> Any:
    return round_price(value, decimals) if isinstance(value, Decimal) else value


def shown(record: Record, decimals: int) -> Record:
    """`record` (an answer's copy) with its unit prices at `decimals`; the nested lines and
    details it replaces are copies, so the stored record is never touched."""
    lines = record.get("LineItems")
    if lines:
        record["LineItems"] = [
            {**line, "UnitAmount": _rounded(line["UnitAmount"], decimals)}
            if "UnitAmount" in line
            else line
            for line in lines
        ]
    for name in _DETAILS:
        details = record.get(name)
        if isinstance(details, dict) and "UnitPrice" in details:
            record[name] = {**details, "UnitPrice": _rounded(details["UnitPrice"], decimals)}
    return record
