"""An organisation's data comes back with it: each organisation a company works with has a
store of its own, so switching organisation and back makes the earlier data, cursors and
pushed-invoice records current again.

Against the emulator over loopback HTTP (reload, `orgs --use`, push-invoice, check-paid as a
user runs them), then the library for check-paid and push-invoice after a switch, and the
store's organisation record.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests import invoice_helpers as helpers
from tests.conftest import CliResult
from tests.connected import connect_company, point_at
from uku_xero_cli.errors import InvalidInvoice, StoreError, UsageError
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.server import RunningServer
from uku_xero_cli.sandbox.state import Organisation
from uku_xero_cli.settings import load_settings
from uku_xero_cli.store import Store
from uku_xero_cli.store.layout import CompanyFiles
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


def store_of(org: Organisation) -> Path:
    return CompanyFiles(load_settings(), "acme").organisation_store(org.tenant_id)


def reload_json(cli: Cli) -> tuple[dict[str, Any], str]:
    result = cli("reload", "-c", "acme", "--json")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert isinstance(data, dict)
    return data, result.stderr


def modes(data: dict[str, Any]) -> dict[str, str]:
    return {d["data_set"]: d["mode"] for d in data["data_sets"]}


def uku_links(org: Organisation) -> dict[str, str | None]:
    return dict(rows(store_of(org), "SELECT id, xero_contact_id FROM clients WHERE origin='uku'"))


def assert_holds_only(org: Organisation, other: Organisation) -> None:
    path = store_of(org)
    stored = {r[0] for r in rows(path, "SELECT contact_id FROM xero_contacts")}
    assert contact_ids(org, active_only=True) <= stored <= contact_ids(org)
    assert not stored & contact_ids(other)
    assert org.data is not None
    invoices = {r[0] for r in rows(path, "SELECT invoice_id FROM invoices")}
    assert invoices and invoices <= set(org.data.invoices)
    links = {r[0] for r in rows(path, "SELECT xero_contact_id FROM clients")}
    assert links - {None} <= stored


def test_switching_organisation_and_back_makes_the_earlier_data_current_again(
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
    linked = uku_links(first)
    assert linked == {"U-0": pick[0]["ContactID"], "U-1": pick[1]["ContactID"]}
    assert_holds_only(first, second)
    first_before = {
        table: rows(store_of(first), f"SELECT * FROM {table} ORDER BY 1")
        for table in ("xero_contacts", "clients", "invoices", "sync_cursors", "work_stats")
    }

    assert cli("orgs", "-c", "acme", "--use", second.name).exit_code == 0
    data, stderr = reload_json(cli)
    change = data["organisation_changed"]
    assert change == {
        "from": {"tenant_id": first.tenant_id, "tenant_name": first.name},
        "to": {"tenant_id": second.tenant_id, "tenant_name": second.name},
        "store": str(store_of(second)),
        "kept": str(store_of(first)),
        "resumed": False,
    }
    assert (
        f"warning: organisation changed from '{first.name}' to '{second.name}': nothing was "
        f"imported from it yet ({store_of(second)}); the data of '{first.name}' stays as it "
        f"was, kept in {store_of(first)}, and comes back when the company switches back"
    ) in " ".join(stderr.split())
    assert set(modes(data).values()) == {"full"}  # a store of its own, from the start
    assert_holds_only(second, first)
    # Uku's client list came along; its links are the second organisation's own.
    uku = uku_links(second)
    assert set(uku) == {"U-0", "U-1"} and not set(uku.values()) & contact_ids(first)
    # The first organisation's store was not touched.
    for table, before in first_before.items():
        assert rows(store_of(first), f"SELECT * FROM {table} ORDER BY 1") == before, table

    again, stderr = reload_json(cli)
    assert again["organisation_changed"] is None and "organisation changed" not in stderr
    assert modes(again)["contacts"] == "incremental"

    # And back: the first organisation's data, cursors and links are current again, and the
    # reload continues from its cursors.
    assert cli("orgs", "-c", "acme", "--use", first.tenant_id).exit_code == 0
    data, stderr = reload_json(cli)
    assert data["organisation_changed"]["resumed"] is True
    assert data["organisation_changed"]["kept"] == str(store_of(second))
    assert f"its data from before is current again ({store_of(first)})" in " ".join(stderr.split())
    assert modes(data)["contacts"] == modes(data)["invoices"] == "incremental"
    contacts = next(d for d in data["data_sets"] if d["data_set"] == "contacts")
    assert contacts["requests"] == 1 and contacts["new"] == 0
    assert_holds_only(first, second)
    assert uku_links(first) == linked
    assert not list(store_of(first).parent.parent.glob("*.bak"))


def write_invoice(tmp_path: Path, number: str) -> str:
    path = tmp_path / f"{number}.json"
    path.write_text(json.dumps(helpers.invoice(number)), encoding="utf-8")
    return str(path)


def test_push_switch_and_back_check_paid_reports_it_and_a_second_push_is_a_no_op(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, tmp_path: Path
) -> None:
    first, second = orgs(sandbox)
    connect_company(sandbox)
    number = "UKU-2026-0042"
    file = write_invoice(tmp_path, number)
    assert cli("reload", "-c", "acme").exit_code == 0
    pushed = cli("push-invoice", "-c", "acme", file, "--json")
    assert pushed.exit_code == 0, pushed.stderr
    [result] = pushed.json()["invoices"]  # type: ignore[index]
    assert result["result"] == "created"

    assert cli("orgs", "-c", "acme", "--use", second.name).exit_code == 0
    assert cli("reload", "-c", "acme").exit_code == 0
    elsewhere = cli("check-paid", "-c", "acme", number, "--json")
    assert elsewhere.exit_code == 2  # never pushed to this organisation
    assert cli("orgs", "-c", "acme", "--use", first.name).exit_code == 0

    paid = cli("check-paid", "-c", "acme", number, "--json")
    assert paid.exit_code == 0, paid.stderr
    [row] = paid.json()["invoices"]  # type: ignore[index]
    assert row["number"] == number and row["invoice_id"] == result["invoice_id"]
    assert row["state"] == "unpaid"
    sandbox.log.clear()
    again = cli("push-invoice", "-c", "acme", file, "--json")
    assert again.exit_code == 0, again.stderr
    assert [r["result"] for r in again.json()["invoices"]] == ["unchanged"]  # type: ignore[index]
    assert sandbox.log.count(method="PUT") == sandbox.log.count(method="POST") == 0
    assert len(helpers.xero_invoices(sandbox, number)) == 1
    assert second.data is not None
    assert not [i for i in second.data.invoices.values() if i.get("InvoiceNumber") == number]


# -- check-paid and push-invoice after a switch (in-process emulator) ------------------------


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


def test_check_paid_after_a_switch_looks_for_nothing_of_the_other_organisation(
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
    assert paid.to_json()["organisation_changed"]["resumed"] is False
    assert warned == [paid.organisation_changed.message()]
    assert f"from '{first.name}' to '{second.name}'" in warned[0]
    assert sandbox.log.count(path_prefix=helpers.API) == 0
    with pytest.raises(UsageError, match="not pushed"), helpers.client_for(sandbox) as api:
        check_paid(helpers.settings(), helpers.COMPANY, ["UKU-1"], client=api)
    # The first organisation's pushed invoices are where they were.
    assert {r[0] for r in rows(store_of(first), "SELECT uku_number FROM invoices")} >= {
        "UKU-1",
        "UKU-2",
    }


def test_a_dry_run_after_a_switch_checks_against_the_new_organisation(sandbox: Sandbox) -> None:
    first, second = orgs(sandbox)
    helpers.ready(sandbox)
    switch_tokens(sandbox, second)
    with pytest.raises(InvalidInvoice) as raised:
        push(sandbox, helpers.invoice("UKU-1"), dry_run=True)
    assert "reload" in (raised.value.hint or "")
    assert rows(store_of(first), "SELECT count(*) FROM xero_contacts")[0][0] > 0


def test_push_invoice_after_a_switch_does_not_reuse_the_old_reference_data(
    sandbox: Sandbox,
) -> None:
    _first, second = orgs(sandbox)
    helpers.ready(sandbox)
    switch_tokens(sandbox, second)
    with pytest.raises(InvalidInvoice) as raised:
        push(sandbox, helpers.invoice("UKU-1"))
    assert "reload" in (raised.value.hint or "")
    assert sandbox.log.count(method="PUT") == 0
    with helpers.store() as db:
        assert db.path == store_of(second)
        assert db.bound_organisation() == (second.tenant_id, second.name)
        assert db.active_contacts() == [] and db.cursors() == {}


# -- the store's organisation ------------------------------------------------------------------


def test_a_store_records_its_organisation_and_refuses_another(tmp_path: Path) -> None:
    one, other = str(uuid.uuid4()), str(uuid.uuid4())
    path = tmp_path / f"{one}.sqlite"
    with Store.open(path) as db:
        assert db.bound_organisation() is None
        db.claim_organisation(one, "Org A")
        db.claim_organisation(one, "Org A Renamed")
        assert db.bound_organisation() == (one, "Org A Renamed")
        with pytest.raises(StoreError, match="holds the data of organisation 'Org A Renamed'"):
            db.claim_organisation(other, "Org B")
        assert db.bound_organisation() == (one, "Org A Renamed") and not db.in_transaction


def test_the_company_store_remembers_which_organisation_is_current(tmp_path: Path) -> None:
    one, other = str(uuid.uuid4()), str(uuid.uuid4())
    with Store.open(tmp_path / "company.sqlite") as db:
        assert db.current_organisation() is None
        assert db.make_current(one, "Org A") is None
        assert db.make_current(one, "Org A") == (one, "Org A")
        assert db.make_current(other, None) == (one, "Org A")
        assert db.current_organisation() == (other, None)
