"""push-invoice and check-paid against Xero's real answers, over loopback HTTP: an answer lost
after Xero saved the invoice (held past the client's timeout, or the connection dropped with no
answer at all), then a rerun — within the Idempotency-Key's lifetime and after it; two- and
four-decimal prices; a store that never heard of an invoice Xero holds; and long invoice
numbers that must never make a request Xero answers 404."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult
from tests.invoice_helpers import (
    API,
    COMPANY,
    invoice,
    load_reference,
    point_at,
    ready,
    settings,
    write,
    xero_invoices,
)
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.server import RunningServer
from uku_xero_cli.sync.push.file import parse_documents
from uku_xero_cli.sync.push.invoice import InvoiceDocument
from uku_xero_cli.sync.push.job import PushOptions, push_invoices
from uku_xero_cli.xero.client import XeroClient
from uku_xero_cli.xero.retry import RetryPolicy


@pytest.fixture
def xero(
    sandbox: Sandbox, sandbox_server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> Sandbox:
    point_at(sandbox_server, monkeypatch)
    ready(sandbox)
    return sandbox


def doc(result: CliResult) -> dict[str, Any]:
    data = result.json()
    assert isinstance(data, dict)
    return data


def priced(price: str) -> dict[str, Any]:
    return invoice(lines=[{**invoice()["lines"][0], "unit_price": price}])


def push_losing_the_answer(sandbox: Sandbox, body: dict[str, Any], fault: str) -> None:
    """Push once while Xero saves the invoice but its answer never reaches the client: held
    past the client's timeout, or the connection closed with no answer, on every attempt."""
    attempts = 2
    lost: dict[str, Any] = {"hang": 3} if fault == "hang" else {"drop": True}
    sandbox.faults.fail(f"{API}/Invoices", method="PUT", process=True, count=attempts, **lost)
    documents = [InvoiceDocument("inv.json", json.dumps(body).encode())]
    client = XeroClient(
        settings(),
        COMPANY,
        timeout=0.5,
        retry=RetryPolicy(attempts=attempts, sleep=lambda _s: None),
    )
    try:
        with client:
            report = push_invoices(
                settings(), COMPANY, parse_documents(documents), PushOptions(), client=client
            )
    finally:
        sandbox.faults.clear()
    # A held request reaches the log once the hang is let go.
    deadline = time.monotonic() + 5
    while len(sandbox.log.entries("PUT", f"{API}/Invoices")) < attempts:
        assert time.monotonic() < deadline, "the lost requests never reached the log"
        time.sleep(0.02)
    assert [r.result for r in report.results] == ["unconfirmed"]
    assert len(xero_invoices(sandbox, body["number"])) == 1  # Xero did save it


@pytest.mark.parametrize("after_the_key_expired", [False, True], ids=["soon", "key-expired"])
@pytest.mark.parametrize("price", ["450.00", "12.3456"])
@pytest.mark.parametrize("fault", ["hang", "drop"])
def test_a_rerun_after_a_lost_answer_records_the_invoice_xero_saved(
    xero: Sandbox,
    cli: Any,
    tmp_path: Path,
    fault: str,
    price: str,
    after_the_key_expired: bool,
) -> None:
    body = priced(price)
    push_losing_the_answer(xero, body, fault)
    if after_the_key_expired:
        # Xero has forgotten the Idempotency-Key: only the lookup stands between the rerun
        # and a second invoice.
        xero.clock.advance(xero.config.idempotency_ttl + 1)
    xero.log.clear()
    result = cli("push-invoice", "-c", COMPANY, write(tmp_path, "inv.json", body), "--json")
    assert result.exit_code == 0, result.stdout + result.stderr
    [row] = doc(result)["invoices"]
    assert row["result"] == "recovered" and row["status"] == "AUTHORISED"
    [saved] = xero_invoices(xero, body["number"])
    assert row["invoice_id"] == saved["InvoiceID"]
    assert xero.log.entries("PUT", f"{API}/Invoices") == []
    assert xero.log.entries("POST", f"{API}/Invoices") == []
    [lookup] = xero.log.entries("GET", f"{API}/Invoices")
    assert lookup.query["InvoiceNumbers"] == [body["number"]]
    assert lookup.query["page"] == ["1"] and lookup.query["unitdp"] == ["4"]
    # Recorded as in Xero: the next run has nothing to do, check-paid reads it back.
    again = cli("push-invoice", "-c", COMPANY, write(tmp_path, "inv.json", body), "--json")
    assert doc(again)["invoices"][0]["result"] == "unchanged" and doc(again)["requests"] == 0
    paid = cli("check-paid", "-c", COMPANY, body["number"], "--json")
    assert paid.exit_code == 0 and doc(paid)["invoices"][0]["state"] == "unpaid"


def test_a_store_that_never_heard_of_an_invoice_xero_holds_adopts_it(
    xero: Sandbox, cli: Any, tmp_path: Path
) -> None:
    """A store restored from a backup, or a new machine: no local record, one invoice."""
    path = write(tmp_path, "inv.json", invoice())
    assert cli("push-invoice", "-c", COMPANY, path).exit_code == 0
    settings().store_file(COMPANY).unlink()
    load_reference(xero)
    result = cli("push-invoice", "-c", COMPANY, path, "--json")
    assert result.exit_code == 0, result.stderr
    assert doc(result)["invoices"][0]["result"] == "recovered"
    assert len(xero_invoices(xero, "UKU-2026-0001")) == 1
    assert xero.log.entries("PUT", f"{API}/Invoices") == []


def test_an_invoice_xero_holds_with_other_content_is_updated_while_xero_allows(
    xero: Sandbox, cli: Any, tmp_path: Path
) -> None:
    assert cli("push-invoice", "-c", COMPANY, write(tmp_path, "a.json", invoice())).exit_code == 0
    settings().store_file(COMPANY).unlink()
    load_reference(xero)
    changed = write(tmp_path, "b.json", invoice(reference="Corrected reference"))
    result = cli("push-invoice", "-c", COMPANY, changed, "--json")
    assert result.exit_code == 0, result.stderr
    assert doc(result)["invoices"][0]["result"] == "updated"
    [saved] = xero_invoices(xero, "UKU-2026-0001")
    assert saved["Reference"] == "Corrected reference"


def test_sixty_invoices_with_100_character_numbers_push_and_check_without_a_404(
    xero: Sandbox, cli: Any, tmp_path: Path
) -> None:
    numbers = [f"UKU-{'LONG-' * 18}{n:06d}" for n in range(60)]
    assert {len(n) for n in numbers} == {100}
    path = write(tmp_path, "many.json", [invoice(n) for n in numbers])
    pushed = cli("push-invoice", "-c", COMPANY, path, "--json")
    assert pushed.exit_code == 0, pushed.stderr
    assert doc(pushed)["counts"] == {"created": 60}
    checked = cli("check-paid", "-c", COMPANY, "--json")
    assert checked.exit_code == 0, checked.stderr
    assert [r["state"] for r in doc(checked)["invoices"]] == ["unpaid"] * 60
    assert xero.log.count(status=404) == 0
    lookups = xero.log.entries("GET", f"{API}/Invoices")
    # The number lookup took several requests (about 19 numbers each), check-paid two by ID.
    assert len([e for e in lookups if "InvoiceNumbers" in e.query]) >= 4
    assert len([e for e in lookups if "IDs" in e.query]) == 2
    assert all(len(xero_invoices(xero, n)) == 1 for n in numbers)
