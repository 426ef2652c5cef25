"""Store queries for invoices and payments: imported by reload, pushed by push-invoice.

An invoice row is keyed by Xero's InvoiceID once known. A pushed invoice gets its row (keyed
by the Uku number) before it is sent, so a crash between sending and recording leaves a
`pending` row whose idempotency key lets the next run replay the request safely.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from uku_xero_cli.errors import StoreError
from uku_xero_cli.store.db import (
    StoreBase,
    date_text,
    date_value,
    money_text,
    money_value,
    time_text,
    time_value,
    utc_now,
)
from uku_xero_cli.store.models import (
    AwaitingPayment,
    Invoice,
    Payment,
    PushRecord,
    PushState,
    UpsertCounts,
)

_INVOICE_COLUMNS = (
    "invoice_id",
    "invoice_number",
    "type",
    "contact_id",
    "date",
    "due_date",
    "status",
    "currency_code",
    "line_amount_types",
    "reference",
    "sub_total",
    "total_tax",
    "total",
    "amount_due",
    "amount_paid",
    "amount_credited",
    "fully_paid_on",
    "updated_utc",
)
_PUSH_SELECT = (
    "SELECT uku_number, content_hash, idempotency_key, push_state, pushed_at, invoice_id,"
    " invoice_number, status FROM invoices"
)
# Statuses after which Xero will not change what is owed.
FINAL_STATUSES = ("PAID", "VOIDED", "DELETED")


def _invoice_row(i: Invoice) -> tuple[Any, ...]:
    return (
        i.invoice_id,
        i.invoice_number,
        i.type,
        i.contact_id,
        date_text(i.date),
        date_text(i.due_date),
        i.status,
        i.currency_code,
        i.line_amount_types,
        i.reference,
        money_text(i.sub_total),
        money_text(i.total_tax),
        money_text(i.total),
        money_text(i.amount_due),
        money_text(i.amount_paid),
        money_text(i.amount_credited),
        date_text(i.fully_paid_on),
        time_text(i.updated_utc),
    )


def _push_record(row: tuple[Any, ...]) -> PushRecord:
    return PushRecord(
        uku_number=row[0],
        content_hash=row[1],
        idempotency_key=row[2],
        push_state=row[3],
        pushed_at=time_value(row[4]),
        invoice_id=row[5],
        invoice_number=row[6],
        status=row[7],
    )


class InvoiceQueries(StoreBase):
    def upsert_invoices(self, invoices: Iterable[Invoice]) -> UpsertCounts:
        """Write invoices as Xero has them; an invoice that lists its payments has its stored
        payments replaced by those. Push bookkeeping on the rows is left alone."""
        by_id = {i.invoice_id: i for i in invoices}
        rows = {key: _invoice_row(i) for key, i in by_id.items()}
        with_payments = [i for i in by_id.values() if i.payments is not None]
        with self.transaction():
            counts = self._upsert_rows("invoices", _INVOICE_COLUMNS, rows)
            self._conn.executemany(
                "DELETE FROM payments WHERE invoice_id = ?",
                [(i.invoice_id,) for i in with_payments],
            )
            self._conn.executemany(
                "INSERT INTO payments (payment_id, invoice_id, date, amount, status, reference)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (payment_id) DO UPDATE SET"
                " invoice_id = excluded.invoice_id, date = excluded.date,"
                " amount = excluded.amount, status = excluded.status,"
                " reference = excluded.reference",
                [
                    (
                        p.payment_id,
                        i.invoice_id,
                        date_text(p.date),
                        money_text(p.amount),
                        p.status,
                        p.reference,
                    )
                    for i in with_payments
                    for p in i.payments or ()
                ],
            )
        return counts

    def invoice(self, invoice_id: str) -> Invoice | None:
        sql = f"SELECT {', '.join(_INVOICE_COLUMNS)} FROM invoices WHERE invoice_id = ?"
        rows = self._query(sql, (invoice_id,))
        if not rows:
            return None
        r = rows[0]
        return Invoice(
            invoice_id=r[0],
            invoice_number=r[1],
            type=r[2],
            contact_id=r[3],
            date=date_value(r[4]),
            due_date=date_value(r[5]),
            status=r[6],
            currency_code=r[7],
            line_amount_types=r[8],
            reference=r[9],
            sub_total=money_value(r[10]),
            total_tax=money_value(r[11]),
            total=money_value(r[12]),
            amount_due=money_value(r[13]),
            amount_paid=money_value(r[14]),
            amount_credited=money_value(r[15]),
            fully_paid_on=date_value(r[16]),
            updated_utc=time_value(r[17]),
            payments=tuple(self.payments(invoice_id)),
        )

    def payments(self, invoice_id: str) -> list[Payment]:
        rows = self._query(
            "SELECT payment_id, invoice_id, amount, date, status, reference FROM payments"
            " WHERE invoice_id = ? ORDER BY date, payment_id",
            (invoice_id,),
        )
        return [
            Payment(
                payment_id=r[0],
                invoice_id=r[1],
                amount=Decimal(r[2]),
                date=date_value(r[3]),
                status=r[4],
                reference=r[5],
            )
            for r in rows
        ]

    def awaiting_payment(self, *, pushed_only: bool = False) -> AwaitingPayment:
        """Issued sales invoices (ACCREC, AUTHORISED) not yet paid in full, with what is due."""
        sql = (
            "SELECT currency_code, amount_due FROM invoices"
            " WHERE type = 'ACCREC' AND status = 'AUTHORISED'"
        )
        if pushed_only:
            sql += " AND push_state = 'pushed'"
        count = 0
        due: dict[str, Decimal] = {}
        for currency, amount in self._conn.execute(sql):
            count += 1
            key = currency or ""
            due[key] = due.get(key, Decimal(0)) + (money_value(amount) or Decimal(0))
        return AwaitingPayment(count=count, due_by_currency=due)

    def push_record(self, uku_number: str) -> PushRecord | None:
        rows = self._query(_PUSH_SELECT + " WHERE uku_number = ?", (uku_number,))
        return _push_record(rows[0]) if rows else None

    def record_push_attempt(
        self,
        uku_number: str,
        *,
        content_hash: str,
        idempotency_key: str,
    ) -> None:
        """Record, before sending, what is about to be sent (state `pending`).

        Only a `pushed` record with the same hash means "already in Xero unchanged"; a
        `pending` one must be replayed with its idempotency key.
        """
        with self.transaction():
            self._conn.execute(
                "INSERT INTO invoices (uku_number, invoice_number, type, content_hash,"
                " idempotency_key, push_state) VALUES (?, ?, 'ACCREC', ?, ?, 'pending')"
                " ON CONFLICT (uku_number) DO UPDATE SET content_hash = excluded.content_hash,"
                " idempotency_key = excluded.idempotency_key, push_state = 'pending'",
                (uku_number, uku_number, content_hash, idempotency_key),
            )

    def record_push_result(
        self, uku_number: str, invoice: Invoice, *, now: datetime | None = None
    ) -> None:
        """Record the invoice Xero accepted for an attempt (state `pushed`).

        If a reload already imported that InvoiceID, the two rows become one.
        """
        with self.transaction():
            mine = self._query(
                "SELECT id, content_hash, idempotency_key FROM invoices WHERE uku_number = ?",
                (uku_number,),
            )
            if not mine:
                raise StoreError(f"no push attempt recorded for invoice {uku_number!r}")
            row_id, content_hash, key = mine[0]
            other = self._query(
                "SELECT id FROM invoices WHERE invoice_id = ? AND id != ?",
                (invoice.invoice_id, row_id),
            )
            if other:
                self._conn.execute("DELETE FROM invoices WHERE id = ?", (row_id,))
                row_id = other[0][0]
                self._conn.execute(
                    "UPDATE invoices SET uku_number = ?, content_hash = ?, idempotency_key = ?"
                    " WHERE id = ?",
                    (uku_number, content_hash, key, row_id),
                )
            else:
                self._conn.execute(
                    "UPDATE invoices SET invoice_id = ? WHERE id = ?",
                    (invoice.invoice_id, row_id),
                )
            self.upsert_invoices([invoice])
            self._conn.execute(
                "UPDATE invoices SET push_state = 'pushed', pushed_at = ? WHERE id = ?",
                (time_text(now or utc_now()), row_id),
            )

    def set_push_state(self, uku_number: str, state: PushState) -> None:
        with self.transaction():
            cursor = self._conn.execute(
                "UPDATE invoices SET push_state = ? WHERE uku_number = ?", (state, uku_number)
            )
            if cursor.rowcount != 1:
                raise StoreError(f"no push attempt recorded for invoice {uku_number!r}")

    def open_pushed_invoices(self) -> list[PushRecord]:
        """Pushed invoices whose Xero status can still change what is owed."""
        marks = ", ".join("?" * len(FINAL_STATUSES))
        rows = self._query(
            _PUSH_SELECT + " WHERE push_state = 'pushed' AND invoice_id IS NOT NULL"
            f" AND coalesce(status, '') NOT IN ({marks}) ORDER BY uku_number",
            FINAL_STATUSES,
        )
        return [_push_record(row) for row in rows]
