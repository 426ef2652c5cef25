"""The company store: its file, schema and migrations, transactions, and exact money."""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uku_xero_cli.errors import LockHeld, StoreError
from uku_xero_cli.settings import load_settings
from uku_xero_cli.store import (
    ClientInput,
    Currency,
    Invoice,
    Item,
    Payment,
    Store,
    TaxRate,
    UpsertCounts,
    WorkStat,
    XeroContact,
    open_company_store,
)
from uku_xero_cli.store.schema import LATEST_VERSION, MIGRATIONS, migrate

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
T1 = datetime(2026, 1, 6, 10, 0, 0, 123000, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "companies" / "acme.sqlite") as opened:
        yield opened


def contact(n: int, **changes: object) -> XeroContact:
    values: dict[str, object] = {
        "contact_id": f"c-{n}",
        "name": f"Contact {n}",
        "email": f"c{n}@example.test",
        "updated_utc": T0,
    }
    values.update(changes)
    return XeroContact(**values)  # type: ignore[arg-type]


def test_company_store_lives_in_the_data_dir_and_is_private() -> None:
    settings = load_settings()
    with open_company_store(settings, "acme") as store:
        # Never connected: the company's own store, which holds its client list.
        assert store.path == settings.data_dir / "companies" / "acme" / "company.sqlite"
    assert store.path.is_file()
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700


def test_store_uses_wal_foreign_keys_and_a_busy_timeout(store: Store) -> None:
    assert store.pragma("journal_mode") == "wal"
    assert store.pragma("foreign_keys") == 1
    assert store.pragma("busy_timeout") == 10_000
    assert store.schema_version() == LATEST_VERSION


def test_reopening_keeps_data_and_does_not_migrate_again(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with Store.open(path) as store:
        store.replace_currencies([Currency("EUR", "Euro")])
    with Store.open(path) as store:
        assert store.currencies() == [Currency("EUR", "Euro")]
        assert store.schema_version() == LATEST_VERSION
    rows = sqlite3.connect(path).execute("SELECT version FROM schema_version").fetchall()
    assert [r[0] for r in rows] == list(range(1, LATEST_VERSION + 1))


def test_upgrade_from_version_1_keeps_data_and_adds_push_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, MIGRATIONS[:1]) == 1
    conn.execute(
        "INSERT INTO invoices (invoice_id, invoice_number, type, status, total)"
        " VALUES ('inv-1', 'INV-1', 'ACCREC', 'AUTHORISED', '100.10')"
    )
    conn.execute(
        "INSERT INTO sync_cursors VALUES ('invoices', '2026-01-05T10:00:00.000000+00:00', 'x')"
    )
    conn.close()

    with Store.open(path) as store:
        assert store.schema_version() == LATEST_VERSION > 1
        invoice = store.invoice("inv-1")
        assert invoice is not None and invoice.total == Decimal("100.10")
        assert store.cursor("invoices") == T0
        store.record_push_attempt("UKU-1", content_hash="h", idempotency_key="k")
        record = store.push_record("UKU-1")
        assert record is not None and record.push_state == "pending"


def test_a_store_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    Store.open(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("INSERT INTO schema_version VALUES (?, 'later')", (LATEST_VERSION + 1,))
    conn.close()
    with pytest.raises(StoreError, match="newer than this uku-xero"):
        Store.open(path)


def test_a_file_that_is_not_a_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="not a uku-xero store"):
        Store.open(path)


def test_a_failing_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, MIGRATIONS[:1])
    broken = (*MIGRATIONS[:1], "ALTER TABLE invoices ADD COLUMN x TEXT; SELECT * FROM nowhere;")
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, broken)
    columns = [row[1] for row in conn.execute("PRAGMA table_info(invoices)")]
    assert "x" not in columns
    assert conn.execute("SELECT max(version) FROM schema_version").fetchone()[0] == 1


def test_contacts_upsert_counts_new_updated_and_unchanged(store: Store) -> None:
    assert store.upsert_contacts([contact(1), contact(2)]) == UpsertCounts(new=2)
    counts = store.upsert_contacts([contact(1), contact(2, name="Renamed", updated_utc=T1)])
    assert counts == UpsertCounts(updated=1, unchanged=1)
    assert store.contact("c-2") == contact(2, name="Renamed", updated_utc=T1)


def test_a_duplicate_contact_in_one_batch_counts_once_and_the_last_wins(store: Store) -> None:
    counts = store.upsert_contacts([contact(1), contact(1, name="Later")])
    assert counts == UpsertCounts(new=1)
    found = store.contact("c-1")
    assert found is not None and found.name == "Later"


def test_failed_data_set_leaves_previous_data_and_cursor(store: Store) -> None:
    with store.transaction():
        store.upsert_contacts([contact(1)])
        store.set_cursor("contacts", T0)

    with pytest.raises(RuntimeError), store.transaction():
        store.upsert_contacts([contact(1, name="Half"), contact(2)])
        store.set_cursor("contacts", T1)
        raise RuntimeError("network lost on page 2")

    assert store.contact("c-1") == contact(1)
    assert store.contact("c-2") is None
    assert store.cursor("contacts") == T0


def test_ctrl_c_inside_a_transaction_rolls_it_back(store: Store) -> None:
    with pytest.raises(KeyboardInterrupt), store.transaction():
        store.replace_currencies([Currency("EUR")])
        raise KeyboardInterrupt
    assert store.currencies() == []
    assert not store.in_transaction


def test_nested_transactions_commit_or_roll_back_as_one(store: Store) -> None:
    with pytest.raises(ValueError), store.transaction():
        store.replace_currencies([Currency("EUR")])
        with store.transaction():
            store.replace_currencies([Currency("EUR"), Currency("USD")])
        raise ValueError
    assert store.currencies() == []


def test_cursor_only_moves_inside_a_transaction(store: Store) -> None:
    with pytest.raises(StoreError):
        store.set_cursor("contacts", T0)
    with store.transaction():
        store.set_cursor("contacts", T1)
    assert store.cursor("contacts") == T1
    assert store.cursors() == {"contacts": T1}
    store.clear_cursors(["contacts"])
    assert store.cursor("contacts") is None


def test_another_writer_makes_a_transaction_fail_with_lock_held(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    Store.open(path).close()
    with Store.open(path) as holder, Store.open(path, busy_timeout=0.05) as waiter:
        with holder.transaction():
            holder.replace_currencies([Currency("EUR")])
            with pytest.raises(LockHeld), waiter.transaction():
                pass
            # Readers are not blocked while a reload writes (WAL).
            assert waiter.currencies() == []
        assert waiter.currencies() == [Currency("EUR")]


def test_archived_contacts_mark_their_clients_and_keep_the_link(store: Store) -> None:
    store.upsert_contacts([contact(1)])
    store.import_clients([ClientInput("C-1", "Acme")])
    store.link_client("C-1", "c-1", "email", now=T0)

    assert store.mark_archived(["c-1", "c-unknown"]) == 1
    assert store.mark_archived(["c-1"]) == 0
    client = store.client("C-1")
    assert client is not None and client.archived and client.xero_contact_id == "c-1"

    assert store.mark_archived(["c-1"], archived=False) == 1
    client = store.client("C-1")
    assert client is not None and not client.archived


def test_linking_needs_a_stored_contact_and_an_unlinked_client(store: Store) -> None:
    store.import_clients([ClientInput("C-1", "Acme"), ClientInput("C-2", "Beta")])
    with pytest.raises(StoreError, match="not in the store"):
        store.link_client("C-1", "c-404", "email")
    store.upsert_contacts([contact(1)])
    store.link_client("C-1", "c-1", "email")
    with pytest.raises(StoreError, match="already linked"):
        store.link_client("C-1", "c-1", "email")
    with pytest.raises(sqlite3.IntegrityError):
        # One contact, one client.
        store.link_client("C-2", "c-1", "email")


def test_client_list_shows_the_integration_column(store: Store) -> None:
    store.upsert_contacts([contact(1, name="Acme in Xero")])
    store.import_clients(
        [
            ClientInput("C-2", "beta", extra={"segment": "retail"}),
            ClientInput("C-1", "Acme", email="ap@acme.test"),
        ]
    )
    store.link_client("C-1", "c-1", "registration_number", now=T0)

    clients = store.list_clients()
    assert [c.id for c in clients] == ["C-1", "C-2"]
    assert clients[0].to_json()["integration"] == {
        "contact_id": "c-1",
        "contact_name": "Acme in Xero",
        "contact_status": "ACTIVE",
        "match_method": "registration_number",
        "matched_at": T0.isoformat(),
    }
    assert clients[1].extra == {"segment": "retail"}
    assert [c.id for c in store.list_clients(unmatched_only=True)] == ["C-2"]


def test_reimport_updates_by_id_and_keeps_links(store: Store) -> None:
    store.upsert_contacts([contact(1)])
    store.import_clients([ClientInput("C-1", "Acme"), ClientInput("C-2", "Beta")])
    store.link_client("C-1", "c-1", "name")
    counts = store.import_clients([ClientInput("C-1", "Acme Group"), ClientInput("C-2", "Beta")])
    assert counts == UpsertCounts(updated=1, unchanged=1)
    client = store.client("C-1")
    assert client is not None and client.name == "Acme Group"
    assert client.xero_contact_id == "c-1" and client.match_method == "name"


def test_items_upsert_incrementally_or_replace_whole(store: Store) -> None:
    a = Item("i-1", "BOOK", "Bookkeeping", sales_unit_price=Decimal("450.00"))
    b = Item("i-2", "PAY", "Payroll", sales_unit_price=Decimal("12.5"))
    assert store.upsert_items([a, b], replace=True) == UpsertCounts(new=2)
    changed = Item("i-2", "PAY", "Payroll", sales_unit_price=Decimal("13.00"))
    assert store.upsert_items([changed]) == UpsertCounts(updated=1)
    assert store.upsert_items([a], replace=True) == UpsertCounts(unchanged=1, removed=1)
    assert store.items() == [a]
    assert store.item_by_code("BOOK") == a
    assert store.item_by_code("PAY") is None


def test_tax_rates_and_currencies_are_replaced_whole(store: Store) -> None:
    rate = TaxRate(
        "OUTPUT2",
        "20% (VAT on Income)",
        "ACTIVE",
        effective_rate=Decimal("20.0000"),
        can_apply_to_revenue=True,
        can_apply_to_expenses=False,
    )
    old = TaxRate("OLD", "Old", "DELETED", effective_rate=Decimal("17.5"))
    store.replace_tax_rates([rate, old])
    assert store.has_reference_data() is False
    store.replace_currencies([Currency("GBP", "Pound"), Currency("EUR", "Euro")])
    assert store.has_reference_data() is True

    counts = store.replace_tax_rates([rate])
    assert counts == UpsertCounts(unchanged=1, removed=1)
    assert store.tax_rates() == [rate]
    assert store.tax_rates()[0].effective_rate == Decimal("20.0000")
    assert [c.code for c in store.currencies()] == ["EUR", "GBP"]
    assert store.tax_rates(active_only=True) == [rate]


def invoice(n: int, **changes: object) -> Invoice:
    values: dict[str, object] = {
        "invoice_id": f"inv-{n}",
        "invoice_number": f"INV-{n}",
        "type": "ACCREC",
        "contact_id": "c-1",
        "date": date(2026, 1, 2),
        "status": "AUTHORISED",
        "currency_code": "EUR",
        "total": Decimal("120.00"),
        "amount_due": Decimal("120.00"),
        "amount_paid": Decimal("0.00"),
        "updated_utc": T0,
    }
    values.update(changes)
    return Invoice(**values)  # type: ignore[arg-type]


def test_a_reference_table_is_replaced_whole_and_read_in_order(store: Store) -> None:
    columns = ("code", "description")
    first = [("USD", "Dollar"), ("EUR", "Euro"), ("GBP", "Pound")]
    assert store.replace_table("currencies", columns, first) == UpsertCounts(new=3)
    counts = store.replace_table("currencies", columns, [("EUR", "Euro"), ("GBP", "Sterling")])
    assert counts == UpsertCounts(updated=1, unchanged=1, removed=1)
    assert store.table_rows("currencies", columns, "code") == [("EUR", "Euro"), ("GBP", "Sterling")]
    assert store.table_rows("currencies", columns, "description") == [
        ("EUR", "Euro"),
        ("GBP", "Sterling"),
    ]


def test_invoices_and_their_payments(store: Store) -> None:
    paid = Payment("p-1", "inv-1", Decimal("20.00"), date=date(2026, 1, 10), status="AUTHORISED")
    assert store.upsert_invoices([invoice(1, payments=(paid,)), invoice(2)]) == UpsertCounts(new=2)
    stored = store.invoice("inv-1")
    assert stored is not None and stored.payments == (paid,)

    # An answer that does not list payments leaves the stored ones alone...
    store.upsert_invoices([invoice(1, amount_due=Decimal("100.00"))])
    assert store.payments("inv-1") == [paid]
    # ...and one that lists them replaces them.
    store.upsert_invoices([invoice(1, payments=())])
    assert store.payments("inv-1") == []


def test_awaiting_payment_counts_issued_sales_invoices(store: Store) -> None:
    store.upsert_invoices(
        [
            invoice(1, amount_due=Decimal("0.10")),
            invoice(2, amount_due=Decimal("0.20")),
            invoice(3, currency_code="GBP", amount_due=Decimal("5")),
            invoice(4, status="PAID", amount_due=Decimal("0")),
            invoice(5, type="ACCPAY"),
            invoice(6, status="DRAFT"),
        ]
    )
    awaiting = store.awaiting_payment()
    assert awaiting.count == 3
    assert awaiting.due_by_currency == {"EUR": Decimal("0.30"), "GBP": Decimal("5")}
    assert store.awaiting_payment(pushed_only=True).count == 0


def test_push_attempt_then_result_then_open_list(store: Store) -> None:
    store.record_push_attempt("UKU-1", content_hash="h1", idempotency_key="k1")
    store.record_push_result("UKU-1", invoice(1, invoice_number="UKU-1"), now=T1)
    record = store.push_record("UKU-1")
    assert record is not None
    assert (record.push_state, record.invoice_id, record.content_hash) == ("pushed", "inv-1", "h1")
    assert record.pushed_at == T1
    assert [r.uku_number for r in store.open_pushed_invoices()] == ["UKU-1"]
    assert store.awaiting_payment(pushed_only=True).count == 1

    store.upsert_invoices([invoice(1, invoice_number="UKU-1", status="PAID")])
    assert store.open_pushed_invoices() == []
    record = store.push_record("UKU-1")
    assert record is not None and record.push_state == "pushed" and record.status == "PAID"


def test_push_result_merges_with_an_invoice_a_reload_already_imported(store: Store) -> None:
    store.record_push_attempt("UKU-7", content_hash="h", idempotency_key="k")
    # The answer was lost; a reload imported the invoice before the retry recorded it.
    store.upsert_invoices([invoice(7, invoice_number="UKU-7")])
    store.record_push_result("UKU-7", invoice(7, invoice_number="UKU-7"))
    record = store.push_record("UKU-7")
    assert record is not None and record.invoice_id == "inv-7" and record.push_state == "pushed"
    assert len(store.open_pushed_invoices()) == 1


def test_push_result_without_an_attempt_is_refused(store: Store) -> None:
    with pytest.raises(StoreError):
        store.record_push_result("UKU-9", invoice(9))
    with pytest.raises(StoreError):
        store.set_push_state("UKU-9", "rejected")


def test_sync_runs_record_start_finish_and_the_last_per_data_set(store: Store) -> None:
    first = store.start_sync_run("contacts", now=T0)
    store.finish_sync_run(
        first, outcome="ok", counts=UpsertCounts(new=3), fetched=3, requests=1, now=T0
    )
    second = store.start_sync_run("contacts", now=T1)
    run = store.finish_sync_run(second, outcome="failed", error="Xero answered 503", now=T1)
    store.start_sync_run("items", now=T1)

    last = store.last_runs()
    assert last["contacts"] == run and run.outcome == "failed"
    assert last["items"].outcome == "running"
    ok = store.last_runs(outcome="ok")["contacts"]
    assert (ok.new, ok.fetched, ok.requests) == (3, 3, 1)

    assert store.mark_abandoned_runs(now=T1) == 1
    assert store.last_runs()["items"].outcome == "interrupted"


def test_a_sync_run_cannot_start_inside_a_data_set_transaction(store: Store) -> None:
    with pytest.raises(StoreError), store.transaction():
        store.start_sync_run("contacts")


def test_work_stats_replace_the_window(store: Store) -> None:
    store.write_work_stats(
        ["2025-12", "2026-01"],
        [
            WorkStat("2025-12", "sales_invoices", 4, Decimal("400.00")),
            WorkStat("2026-01", "sales_invoices", 2, Decimal("0.30")),
            WorkStat("2026-01", "manual_journals", 1),
        ],
    )
    store.write_work_stats(["2026-01"], [WorkStat("2026-01", "sales_invoices", 3, Decimal("1"))])
    assert store.work_stats() == [
        WorkStat("2025-12", "sales_invoices", 4, Decimal("400.00")),
        WorkStat("2026-01", "sales_invoices", 3, Decimal("1")),
    ]
    assert store.work_stats(since_month="2026-01") == [
        WorkStat("2026-01", "sales_invoices", 3, Decimal("1"))
    ]
    with pytest.raises(StoreError, match="outside the window"):
        store.write_work_stats(["2026-01"], [WorkStat("2026-02", "bills", 1)])


_AMOUNTS = st.decimals(
    min_value=Decimal("-1e15"), max_value=Decimal("1e15"), allow_nan=False, places=None
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(total=_AMOUNTS, paid=_AMOUNTS, rate=_AMOUNTS)
def test_money_round_trips_exactly(
    store: Store, total: Decimal, paid: Decimal, rate: Decimal
) -> None:
    payment = Payment("p-1", "inv-1", paid)
    store.upsert_invoices([invoice(1, total=total, amount_paid=paid, payments=(payment,))])
    store.replace_tax_rates([TaxRate("T", "T", "ACTIVE", effective_rate=rate)])
    stored = store.invoice("inv-1")
    assert stored is not None
    assert stored.total == total and stored.amount_paid == paid
    assert stored.payments is not None and stored.payments[0].amount == paid
    assert store.tax_rates()[0].effective_rate == rate


def test_money_keeps_trailing_zeros_and_tiny_fractions(store: Store) -> None:
    store.upsert_items([Item("i", "X", sales_unit_price=Decimal("0.0000001"))])
    store.upsert_invoices([invoice(1, total=Decimal("450.00"))])
    stored = store.invoice("inv-1")
    assert stored is not None and str(stored.total) == "450.00"
    assert store.items()[0].sales_unit_price == Decimal("1E-7")
