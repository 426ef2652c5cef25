"""Moving a company to another Xero organisation: the store sets the old one's data aside.

Against the emulator: reload, `orgs --use`, reload again (over loopback HTTP, as a user runs
it); check-paid and push-invoice after a switch; and the store's `bind_organisation` itself.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests import invoice_helpers as helpers
from tests.conftest import CliResult
from tests.connected import connect_company, point_at
from uku_xero_cli.errors import StoreError, UsageError
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.server import RunningServer
from uku_xero_cli.sandbox.state import Organisation
from uku_xero_cli.settings import load_settings
from uku_xero_cli.store import Store
from uku_xero_cli.store.models import XeroContact
from uku_xero_cli.sync.paid import check_paid
from uku_xero_cli.sync.push.file import parse_documents
from uku_xero_cli.sync.push.invoice import InvoiceDocument
from uku_xero_cli.sync.push.job import PushOptions, push_invoices
from uku_xero_cli.tokens import CompanyTokens, TokenStore

Cli = Callable[..., CliResult]


@pytest.fixture
def xero(sandbox_server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> RunningServer:
    point_at(sandbox_server, monkeypatch)
    return sandbox_server


def orgs(sandbox: Sandbox) -> tuple[Organisation, Organisation]:
    first, second = sandbox.state.default_user().tenant_ids[:2]
    return sandbox.state.orgs[first], sandbox.state.orgs[second]


def contact_ids(org: Organisation, *, active_only: bool = False) -> set[str]:
    assert org.data is not None
    return {
        cid
        for cid, c in org.data.contacts.items()
        if not active_only or c.get("ContactStatus", "ACTIVE") == "ACTIVE"
    }


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def store_path() -> Path:
    return load_settings().store_file("acme")


def reload_json(cli: Cli) -> tuple[dict[str, Any], str]:
    result = cli("reload", "-c", "acme", "--json")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert isinstance(data, dict)
    return data, result.stderr


def assert_holds_only(org: Organisation, other: Organisation) -> None:
    stored = {r[0] for r in rows(store_path(), "SELECT contact_id FROM xero_contacts")}
    assert contact_ids(org, active_only=True) <= stored <= contact_ids(org)
    assert not stored & contact_ids(other)
    assert org.data is not None and other.data is not None
    invoices = {r[0] for r in rows(store_path(), "SELECT invoice_id FROM invoices")}
    assert invoices and invoices <= set(org.data.invoices)
    # Every client linked to a contact is linked to one of this organisation's.
    links = {r[0] for r in rows(store_path(), "SELECT xero_contact_id FROM clients")}
    assert links - {None} <= stored


def test_a_reload_after_orgs_use_sets_the_old_organisation_aside(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, tmp_path: Path
) -> None:
    first, second = orgs(sandbox)
    connect_company(sandbox)
    assert first.data is not None
    pick = [c for c in first.data.contacts.values() if c.get("ContactStatus") == "ACTIVE"][:2]
    lines = [f"U-{n},{c['Name']},{c.get('EmailAddress') or ''},," for n, c in enumerate(pick)]
    csv = tmp_path / "clients.csv"
    csv.write_text("id,name,email,registration_number,vat_number\n" + "\n".join(lines) + "\n")
    assert cli("clients", "import", "-c", "acme", str(csv)).exit_code == 0

    data, stderr = reload_json(cli)
    assert data["organisation_changed"] is None and "organisation changed" not in stderr
    linked = dict(rows(store_path(), "SELECT id, xero_contact_id FROM clients WHERE origin='uku'"))
    assert linked == {"U-0": pick[0]["ContactID"], "U-1": pick[1]["ContactID"]}
    assert_holds_only(first, second)

    assert cli("orgs", "-c", "acme", "--use", second.name).exit_code == 0
    data, stderr = reload_json(cli)
    backup = store_path().with_name(f"acme.sqlite.{first.tenant_id}.bak")
    assert (
        f"warning: organisation changed from '{first.name}' to '{second.name}': data imported "
        f"from '{first.name}' was set aside in {backup}; Uku clients kept (links cleared)"
    ) in " ".join(stderr.split())
    change = data["organisation_changed"]
    assert change["from"] == {"tenant_id": first.tenant_id, "tenant_name": first.name}
    assert change["to"] == {"tenant_id": second.tenant_id, "tenant_name": second.name}
    assert change["backup"] == str(backup)
    assert change["cleared"]["xero_contacts"] == len(
        contact_ids(first) & set(r[0] for r in rows(backup, "SELECT contact_id FROM xero_contacts"))
    )
    assert change["cleared"]["links"] == 2
    # First organisation's cursors are gone: every data set was read whole, from the start.
    assert {d["mode"] for d in data["data_sets"]} == {"full"}
    contacts = data["data_sets"][0]
    assert contacts["requests"] == 1 and contacts["new"] > 0 and contacts["unchanged"] == 0
    assert_holds_only(second, first)
    # The Uku clients stay, no longer linked to the first organisation's contacts.
    uku = dict(rows(store_path(), "SELECT id, xero_contact_id FROM clients WHERE origin='uku'"))
    assert set(uku) == {"U-0", "U-1"}
    assert not set(uku.values()) & contact_ids(first)
    assert rows(store_path(), "SELECT value FROM store_meta WHERE key='tenant_id'") == [
        (second.tenant_id,)
    ]
    # The backup holds what was imported from the first organisation, privately.
    assert backup.stat().st_mode & 0o777 == 0o600
    kept = {r[0] for r in rows(backup, "SELECT contact_id FROM xero_contacts")}
    assert contact_ids(first, active_only=True) <= kept <= contact_ids(first)
    assert dict(rows(backup, "SELECT id, xero_contact_id FROM clients WHERE origin='uku'")) == (
        linked
    )
    assert {r[0] for r in rows(backup, "SELECT data_set FROM sync_cursors")} >= {"contacts"}

    again, stderr = reload_json(cli)
    assert again["organisation_changed"] is None and "organisation changed" not in stderr
    assert {d["mode"] for d in again["data_sets"] if d["data_set"] == "contacts"} == {"incremental"}

    # And back: the same again, the second organisation's data set aside in its own file.
    assert cli("orgs", "-c", "acme", "--use", first.tenant_id).exit_code == 0
    data, stderr = reload_json(cli)
    assert data["organisation_changed"]["from"]["tenant_id"] == second.tenant_id
    assert f"organisation changed from '{second.name}' to '{first.name}'" in stderr
    assert store_path().with_name(f"acme.sqlite.{second.tenant_id}.bak").exists()
    assert {d["mode"] for d in data["data_sets"]} == {"full"}
    assert_holds_only(first, second)
    # Rematched from scratch: the Uku clients find the first organisation's contacts again.
    assert (
        dict(rows(store_path(), "SELECT id, xero_contact_id FROM clients WHERE origin='uku'"))
        == linked
    )


# -- check-paid and push-invoice (in-process emulator) ----------------------------------------


def switch_tokens(sandbox: Sandbox, to: Organisation) -> CompanyTokens:
    """What `orgs --use` leaves in the token file."""
    tokens = TokenStore(load_settings())
    record = tokens.load(helpers.COMPANY)
    assert record is not None
    connection = next(c for c in sandbox.state.connections.values() if c.tenant_id == to.tenant_id)
    moved = CompanyTokens(
        **{
            **record.__dict__,
            "tenant_id": to.tenant_id,
            "tenant_name": to.name,
            "connection_id": connection.id,
        }
    )
    tokens.save(moved)
    return moved


def push(sandbox: Sandbox, *bodies: dict[str, Any], dry_run: bool = False) -> Any:
    found = parse_documents([InvoiceDocument("inv.json", json.dumps(list(bodies)).encode())])
    with helpers.client_for(sandbox) as api:
        return push_invoices(
            helpers.settings(),
            helpers.COMPANY,
            found,
            PushOptions(dry_run=dry_run),
            client=None if dry_run else api,
        )


def test_check_paid_after_a_switch_does_not_call_the_old_invoices_missing(
    sandbox: Sandbox,
) -> None:
    first, second = orgs(sandbox)
    helpers.ready(sandbox)
    report = push(sandbox, helpers.invoice("UKU-1"), helpers.invoice("UKU-2"))
    assert [r.result for r in report.results] == ["created", "created"]
    switch_tokens(sandbox, second)
    sandbox.log.clear()
    warned: list[str] = []
    with helpers.client_for(sandbox) as api:
        paid = check_paid(helpers.settings(), helpers.COMPANY, client=api, warn=warned.append)
    assert paid.results == [] and paid.missing == []
    assert paid.organisation_changed is not None
    assert paid.to_json()["organisation_changed"]["cleared"]["invoices"] >= 2
    assert warned == [paid.organisation_changed.message()]
    assert f"from '{first.name}' to '{second.name}'" in warned[0]
    # Nothing was asked of the second organisation about the first one's invoices.
    assert sandbox.log.count(path_prefix=helpers.API) == 0
    with pytest.raises(UsageError, match="not pushed"), helpers.client_for(sandbox) as api:
        check_paid(helpers.settings(), helpers.COMPANY, ["UKU-1"], client=api)


def test_a_dry_run_refuses_a_store_of_another_organisation(sandbox: Sandbox) -> None:
    _first, second = orgs(sandbox)
    helpers.ready(sandbox)
    switch_tokens(sandbox, second)
    with pytest.raises(UsageError) as raised:
        push(sandbox, helpers.invoice("UKU-1"), dry_run=True)
    assert "run `uku-xero reload -c acme` first" in (raised.value.hint or "")
    with helpers.store() as db:
        assert db.active_contacts()  # the dry run changed nothing


def test_push_invoice_after_a_switch_does_not_reuse_the_old_reference_data(
    sandbox: Sandbox,
) -> None:
    from uku_xero_cli.errors import InvalidInvoice

    _first, second = orgs(sandbox)
    helpers.ready(sandbox)
    switch_tokens(sandbox, second)
    with pytest.raises(InvalidInvoice) as raised:
        push(sandbox, helpers.invoice("UKU-1"))
    assert "reload" in (raised.value.hint or "")
    assert sandbox.log.count(method="PUT") == 0
    with helpers.store() as db:
        assert db.bound_organisation() == (second.tenant_id, second.name)
        assert db.active_contacts() == [] and db.cursors() == {}


# -- the store ----------------------------------------------------------------------------------


def seeded(path: Path) -> Store:
    db = Store.open(path)
    assert db.bind_organisation("tenant-a", "Org A") is None
    db.upsert_contacts(
        [XeroContact(contact_id=f"c{n}", name=f"Contact {n}", status="ACTIVE") for n in range(3)]
    )
    db._conn.execute(
        "INSERT INTO clients (id, name, origin, created_at, updated_at) VALUES"
        " ('U-1', 'Contact 0', 'uku', 'x', 'x'), ('U-2', 'Someone', 'uku', 'x', 'x')"
    )
    db.link_client("U-1", "c0", "email")
    db.add_clients_from_contacts([db.contact("c1"), db.contact("c2")])  # type: ignore[list-item]
    with db.transaction():
        db.upsert_work_documents([])
        db._conn.execute(
            "INSERT INTO work_documents VALUES ('d1', 'invoices', '2026-01', 'invoices', '1')"
        )
        db._conn.execute("INSERT INTO work_stats VALUES ('2026-01', 'invoices', 1, '1')")
        from datetime import UTC, datetime

        db.set_cursor("contacts", datetime(2026, 1, 1, tzinfo=UTC))
    db.finish_match([])
    return db


def test_bind_organisation_first_use_same_and_another(tmp_path: Path) -> None:
    path = tmp_path / "acme.sqlite"
    with seeded(path) as db:
        assert db.bound_organisation() == ("tenant-a", "Org A")
        assert db.bind_organisation("tenant-a", "Org A Renamed") is None
        assert db.bound_organisation() == ("tenant-a", "Org A Renamed")
        assert db.active_contacts() and db.cursors()

        change = db.bind_organisation("tenant-b", "Org B")
        assert change is not None
        assert (change.old_tenant_id, change.old_tenant_name) == ("tenant-a", "Org A Renamed")
        assert change.backup == tmp_path / "acme.sqlite.tenant-a.bak"
        assert change.cleared["xero_contacts"] == 3
        assert change.cleared["xero_clients"] == 2
        assert change.cleared["links"] == 1
        assert change.cleared["sync_cursors"] == 1
        assert change.cleared["work_documents"] == change.cleared["work_stats"] == 1
        assert db.active_contacts() == [] and db.cursors() == {}
        assert [(c.id, c.xero_contact_id, c.origin) for c in db.list_clients()] == [
            ("U-1", None, "uku"),
            ("U-2", None, "uku"),
        ]
        assert db.match_every_contact()
        assert db.bound_organisation() == ("tenant-b", "Org B")
        assert db.bind_organisation("tenant-b", "Org B") is None
    assert len(rows(change.backup, "SELECT * FROM xero_contacts")) == 3
    assert rows(change.backup, "SELECT value FROM store_meta WHERE key = 'tenant_id'") == [
        ("tenant-a",)
    ]


def test_a_store_from_before_binding_is_bound_to_the_first_organisation_it_sees(
    tmp_path: Path,
) -> None:
    from uku_xero_cli.store.schema import MIGRATIONS

    path = tmp_path / "acme.sqlite"
    with Store.open(path, migrations=MIGRATIONS[:4]) as old:
        old.upsert_contacts([XeroContact(contact_id="c1", name="One", status="ACTIVE")])
    with Store.open(path) as db:
        assert db.bound_organisation() is None
        assert db.bind_organisation("tenant-a", None) is None
        assert [c.contact_id for c in db.active_contacts()] == ["c1"]
    assert not list(tmp_path.glob("*.bak"))


def test_a_failure_midway_clears_nothing_but_the_backup_is_written(tmp_path: Path) -> None:
    path = tmp_path / "acme.sqlite"
    with seeded(path) as db:
        db._conn.execute(
            "CREATE TRIGGER refuse BEFORE DELETE ON work_documents"
            " BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
        )
        with pytest.raises(StoreError, match="disk on fire") as raised:
            db.bind_organisation("tenant-b", "Org B")
        assert raised.value.hint == "nothing was cleared; the store is as it was"
        # Everything before the failing DELETE was rolled back too.
        assert len(db.active_contacts()) == 3
        assert db.client("U-1").xero_contact_id == "c0"  # type: ignore[union-attr]
        assert len(db.list_clients()) == 4 and db.cursors()
        assert db.bound_organisation() == ("tenant-a", "Org A")
        assert not db.in_transaction
    backup = tmp_path / "acme.sqlite.tenant-a.bak"
    assert len(rows(backup, "SELECT * FROM xero_contacts")) == 3
