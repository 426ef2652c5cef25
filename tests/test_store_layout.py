"""A company's files: one store per organisation under the company's directory, and the move
of a store of the earlier single-file layout into it without losing anything."""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import stat
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult
from uku_xero_cli.errors import StoreError
from uku_xero_cli.settings import Settings, load_settings
from uku_xero_cli.store import ClientInput, Store, XeroContact, open_company_store
from uku_xero_cli.store.layout import CompanyFiles
from uku_xero_cli.store.opening import current_tenant
from uku_xero_cli.store.schema import MIGRATIONS
from uku_xero_cli.tokens import CompanyTokens, TokenStore

Cli = Callable[..., CliResult]
A, B = str(uuid.uuid4()), str(uuid.uuid4())
TABLES = ("clients", "xero_contacts", "invoices", "sync_cursors", "sync_runs", "store_meta")


def settings() -> Settings:
    return load_settings()


def files(company: str = "acme") -> CompanyFiles:
    return CompanyFiles(settings(), company)


def dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in TABLES}
    finally:
        conn.close()


def fill(path: Path, tenant: str | None, name: str, *, migrations: int | None = None) -> None:
    """A store of the single-file layout holding `name`'s data, bound to `tenant` (if any)."""
    chosen = MIGRATIONS if migrations is None else MIGRATIONS[:migrations]
    with Store.open(path, migrations=chosen) as db:
        if tenant is not None:
            db.claim_organisation(tenant, name)
        db.import_clients([ClientInput("U-1", "Acme Ltd"), ClientInput("U-2", "Beta OÜ")])
        db.upsert_contacts([XeroContact(contact_id=f"{name}-c1", name="Acme Ltd", status="ACTIVE")])
        if migrations is None:
            db.link_client("U-1", f"{name}-c1", "name")
            with db.transaction():
                db.set_cursor("contacts", datetime(2026, 1, 1, tzinfo=UTC))


def connect(company: str, tenant: str | None) -> None:
    TokenStore(settings()).save(
        CompanyTokens(
            company=company,
            tenant_id=tenant,
            tenant_name=None if tenant is None else f"Org {tenant[:4]}",
            # Random: the redaction of secrets would hide any word used as a token.
            refresh_token=None if tenant is None else secrets.token_hex(16),
            access_token=None if tenant is None else secrets.token_hex(16),
        )
    )


def listing(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))


def test_each_organisation_has_its_store_under_the_company_directory() -> None:
    connect("acme", A)
    with open_company_store(settings(), "acme") as db:
        assert db.path == settings().data_dir / "companies" / "acme" / f"{A}.sqlite"
        assert db.bound_organisation() == (A, f"Org {A[:4]}")
    assert stat.S_IMODE(db.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.path.parent.stat().st_mode) == 0o700
    assert files().organisation_stores() == {A: db.path}
    assert files().company_store.exists()
    assert current_tenant(settings(), "acme") == (A, f"Org {A[:4]}")


def test_a_tenant_id_that_is_not_a_guid_names_no_file() -> None:
    with pytest.raises(StoreError, match="not a Xero tenant id"):
        files().organisation_store("../../etc/passwd")
    with pytest.raises(StoreError):
        files().organisation_store("company")


def test_a_single_file_store_moves_in_with_every_row_and_the_copies_set_aside() -> None:
    legacy = files().legacy_store
    fill(legacy, A, "a")
    before = dump(legacy)
    # A switch by the earlier version: B's data set aside twice (the later copy wins).
    older, newer = (legacy.with_name(f"acme.sqlite.{B}{n}.bak") for n in ("", ".2"))
    fill(older, B, "b-old")
    fill(newer, B, "b")
    newer_rows = dump(newer)
    for lock in ("acme.reload.lock", "acme.push.lock"):
        (legacy.parent / lock).touch()
    connect("acme", A)

    with open_company_store(settings(), "acme") as db:
        assert db.path == files().organisation_store(A)
    moved = dump(files().organisation_store(A))
    # Every row as it was; the organisation's name is the token file's from now on.
    assert moved.pop("store_meta") == [("tenant_id", A), ("tenant_name", f"Org {A[:4]}")]
    before.pop("store_meta")
    assert moved == before
    assert dump(files().organisation_store(B)) == newer_rows
    assert not legacy.exists() and not newer.exists()
    assert older.exists()  # an older copy stays as it was
    stores = legacy.parent
    assert listing(stores) == sorted(
        [
            "acme",
            f"acme/{A}.sqlite",
            f"acme/{B}.sqlite",
            "acme/company.sqlite",
            older.name,
        ]
    )
    open_company_store(settings(), "acme").close()  # the older copy is not moved again
    assert listing(stores) == sorted(
        ["acme", f"acme/{A}.sqlite", f"acme/{B}.sqlite", "acme/company.sqlite", older.name]
    )
    with Store.open(files().company_store) as own:
        assert [c.id for c in own.uku_client_list()] == ["U-1", "U-2"]
        assert own.current_organisation() == (A, f"Org {A[:4]}")
        assert all(c.xero_contact_id is None for c in own.list_clients())


def test_a_store_from_before_binding_belongs_to_the_organisation_the_token_file_names() -> None:
    legacy = files().legacy_store
    fill(legacy, None, "a", migrations=4)
    connect("acme", A)
    with open_company_store(settings(), "acme") as db:
        assert db.bound_organisation() == (A, f"Org {A[:4]}")
        assert [c.contact_id for c in db.active_contacts()] == ["a-c1"]
    assert not legacy.exists()


def test_a_store_of_a_company_never_connected_becomes_its_client_list(cli: Cli) -> None:
    fill(files().legacy_store, None, "a", migrations=4)
    shown = cli("clients", "-c", "acme", "--json")
    assert shown.exit_code == 0, shown.stderr
    assert {c["id"] for c in shown.json()["clients"]} == {"U-1", "U-2"}  # type: ignore[index]
    assert listing(files().directory) == ["company.sqlite"]
    assert not files().legacy_store.exists()


def test_a_write_ahead_log_left_by_a_crash_moves_with_its_store(tmp_path: Path) -> None:
    source = tmp_path / "crashed.sqlite"
    fill(source, A, "a")
    holder = sqlite3.connect(source)  # keeps the WAL: what a killed process leaves
    holder.execute("PRAGMA journal_mode = WAL")
    holder.execute(
        "INSERT INTO clients (id, name, origin, created_at, updated_at)"
        " VALUES ('U-3', 'Only In The Log', 'uku', 'x', 'x')"
    )
    holder.commit()
    legacy = files().legacy_store
    legacy.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        side = source.with_name(source.name + suffix)
        if side.exists():
            shutil.copy(side, legacy.with_name(legacy.name + suffix))
    holder.close()
    assert legacy.with_name(legacy.name + "-wal").stat().st_size > 0
    connect("acme", A)
    with open_company_store(settings(), "acme") as db:
        assert (db.client("U-3") or pytest.fail()).name == "Only In The Log"
    assert not [p for p in legacy.parent.iterdir() if p.name.startswith("acme.sqlite")]


def test_a_store_already_in_place_is_never_overwritten() -> None:
    connect("acme", A)
    open_company_store(settings(), "acme").close()
    fill(files().legacy_store, A, "a")
    before = files().organisation_store(A).read_bytes()
    with pytest.raises(StoreError, match="both exist") as raised:
        open_company_store(settings(), "acme").close()
    assert f"move {files().legacy_store} away" in (raised.value.hint or "")
    assert files().legacy_store.exists()
    assert files().organisation_store(A).read_bytes() == before


def test_a_command_moves_the_store_once_and_leaves_no_lock_behind(cli: Cli) -> None:
    fill(files().legacy_store, A, "a")
    connect("acme", A)
    for _ in range(2):
        result = cli("status", "-c", "acme", "--offline", "--json")
        assert result.exit_code == 0, result.stderr
    assert result.json()["last_reload"] == {}  # type: ignore[index]
    stores = settings().stores_dir
    assert sorted(os.listdir(stores)) == ["acme"]
