"""Store queries for Xero reference data: products (items), tax rates, currencies, and any
reference table a data set's record describes (`replace_table`, `table_rows`).

Reference data is fetched whole, so writing it replaces what was stored (items too, unless
asked with `replace=False`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from uku_xero_cli.store.db import (
    StoreBase,
    flag_value,
    money_text,
    money_value,
    time_text,
    time_value,
)
from uku_xero_cli.store.models import Currency, Item, TaxRate, UpsertCounts

_ITEM_COLUMNS = (
    "item_id",
    "code",
    "name",
    "description",
    "sales_unit_price",
    "sales_account_code",
    "sales_tax_type",
    "is_sold",
    "updated_utc",
)
_TAX_COLUMNS = (
    "tax_type",
    "name",
    "status",
    "effective_rate",
    "report_tax_type",
    "can_apply_to_assets",
    "can_apply_to_equity",
    "can_apply_to_expenses",
    "can_apply_to_liabilities",
    "can_apply_to_revenue",
)
_CURRENCY_COLUMNS = ("code", "description")


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _item(row: tuple[Any, ...]) -> Item:
    return Item(
        item_id=row[0],
        code=row[1],
        name=row[2],
        description=row[3],
        sales_unit_price=money_value(row[4]),
        sales_account_code=row[5],
        sales_tax_type=row[6],
        is_sold=flag_value(row[7]),
        updated_utc=time_value(row[8]),
    )


def _tax_rate(row: tuple[Any, ...]) -> TaxRate:
    return TaxRate(
        tax_type=row[0],
        name=row[1],
        status=row[2],
        effective_rate=money_value(row[3]),
        report_tax_type=row[4],
        can_apply_to_assets=flag_value(row[5]),
        can_apply_to_equity=flag_value(row[6]),
        can_apply_to_expenses=flag_value(row[7]),
        can_apply_to_liabilities=flag_value(row[8]),
        can_apply_to_revenue=flag_value(row[9]),
    )


class ReferenceQueries(StoreBase):
    def upsert_items(self, items: Iterable[Item], *, replace: bool = False) -> UpsertCounts:
        rows = {
            i.item_id: (
                i.item_id,
                i.code,
                i.name,
                i.description,
                money_text(i.sales_unit_price),
                i.sales_account_code,
                i.sales_tax_type,
                _flag(i.is_sold),
                time_text(i.updated_utc),
            )
            for i in items
        }
        return self._upsert_rows("products", _ITEM_COLUMNS, rows, replace=replace)

    def replace_tax_rates(self, rates: Iterable[TaxRate]) -> UpsertCounts:
        rows = {
            r.tax_type: (
                r.tax_type,
                r.name,
                r.status,
                money_text(r.effective_rate),
                r.report_tax_type,
                _flag(r.can_apply_to_assets),
                _flag(r.can_apply_to_equity),
                _flag(r.can_apply_to_expenses),
                _flag(r.can_apply_to_liabilities),
                _flag(r.can_apply_to_revenue),
            )
            for r in rates
        }
        return self._upsert_rows("tax_rates", _TAX_COLUMNS, rows, replace=True)

    def replace_currencies(self, currencies: Iterable[Currency]) -> UpsertCounts:
        rows = {c.code: (c.code, c.description) for c in currencies}
        return self._upsert_rows("currencies", _CURRENCY_COLUMNS, rows, replace=True)

    def replace_table(
        self, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]
    ) -> UpsertCounts:
        """Replace a reference table read whole: `rows` hold `columns`, the key first.

        `table` and `columns` come from the data-set registry, never from input."""
        return self._upsert_rows(table, columns, {row[0]: row for row in rows}, replace=True)

    def table_rows(
        self, table: str, columns: Sequence[str], order_by: str
    ) -> list[tuple[Any, ...]]:
        """A reference table's rows (tuples of `columns`) in `order_by`, then key order."""
        sql = f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order_by}, {columns[0]}"
        return [tuple(row) for row in self._conn.execute(sql)]

    def items(self) -> list[Item]:
        sql = f"SELECT {', '.join(_ITEM_COLUMNS)} FROM products ORDER BY code, item_id"
        return [_item(row) for row in self._conn.execute(sql)]

    def item_by_code(self, code: str) -> Item | None:
        sql = f"SELECT {', '.join(_ITEM_COLUMNS)} FROM products WHERE code = ?"
        rows = self._query(sql, (code,))
        return _item(rows[0]) if rows else None

    def tax_rates(self, *, active_only: bool = False) -> list[TaxRate]:
        sql = f"SELECT {', '.join(_TAX_COLUMNS)} FROM tax_rates"
        if active_only:
            sql += " WHERE status = 'ACTIVE'"
        return [_tax_rate(row) for row in self._conn.execute(sql + " ORDER BY tax_type")]

    def currencies(self) -> list[Currency]:
        rows = self._conn.execute("SELECT code, description FROM currencies ORDER BY code")
        return [Currency(code=row[0], description=row[1]) for row in rows]

    def has_reference_data(self) -> bool:
        """Whether a reload has brought tax rates and currencies (push-invoice needs both)."""
        row = self._conn.execute(
            "SELECT EXISTS (SELECT 1 FROM tax_rates), EXISTS (SELECT 1 FROM currencies)"
        ).fetchone()
        return bool(row[0] and row[1])
