"""check-paid against the strict emulator: payments, states, changes since the last check,
invoices Xero no longer returns, and how few requests it takes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.conftest import CliResult
from tests.invoice_helpers import (
    API,
    COMPANY,
    client_for,
    invoice,
    invoices,
    org,
    point_at,
    ready,
    settings,
    store,
)
from uku_xero_cli.errors import UsageError
from uku_xero_cli.sandbox import accounting
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.server import RunningServer
from uku_xero_cli.sync.paid import PaidReport, PaidResult, check_paid
from uku_xero_cli.sync.push.file import parse_documents
from uku_xero_cli.sync.push.invoice import InvoiceDocument
from uku_xero_cli.sync.push.job import PushOptions, push_invoices
from uku_xero_cli.xero.client import XeroClient


def pushed(sandbox: Sandbox, *bodies: dict[str, Any], draft: bool = False) -> dict[str, str]:
    """Push the invoices; returns Uku number → Xero InvoiceID."""
    found = parse_documents([InvoiceDocument("inv.json", json.dumps(list(bodies)).encode())])
    with client_for(sandbox) as api:
        report = push_invoices(settings(), COMPANY, found, PushOptions(draft=draft), client=api)
    assert all(r.result == "created" for r in report.results), report.to_json()
    sandbox.log.clear()
    return {r.number: r.invoice_id or "" for r in report.results}


def check(sandbox: Sandbox, *numbers: str, client: XeroClient | None = None) -> PaidReport:
    api = client or client_for(sandbox)
    try:
        return check_paid(settings(), COMPANY, list(numbers) or None, client=api)
    finally:
        if client is None:
            api.close()


def by_number(report: PaidReport) -> dict[str, PaidResult]:
    return {r.number: r for r in report.results}


def pay(sandbox: Sandbox, invoice_id: str, amount: str, day: date) -> None:
    accounting.record_payment(sandbox, org(sandbox), invoice_id, Decimal(amount), day)


@pytest.fixture
def xero(sandbox: Sandbox) -> Sandbox:
    ready(sandbox)
    return sandbox


def test_payments_recorded_in_xero_appear_with_their_dates_and_amounts(xero: Sandbox) -> None:
    ids = pushed(xero, invoice("UKU-1"), invoice("UKU-2"))
    pay(xero, ids["UKU-1"], "200.00", date(2026, 11, 20))
    report = check(xero)
    part = by_number(report)["UKU-1"]
    assert part.state == "part paid" and part.status == "AUTHORISED"
    assert (part.total, part.amount_paid, part.amount_due) == (
        Decimal("540.00"),
        Decimal("200.00"),
        Decimal("340.00"),
    )
    assert [(p.date, p.amount) for p in part.payments] == [(date(2026, 11, 20), Decimal("200.00"))]
    assert part.fully_paid_on is None
    assert set(part.changed) == {"amount_paid", "amount_due", "payments"}
    untouched = by_number(report)["UKU-2"]
    assert untouched.state == "unpaid" and untouched.changed == []
    assert report.requests == 1
    [request] = xero.log.entries("GET", f"{API}/Invoices")
    assert sorted(request.query["IDs"][0].split(",")) == sorted(ids.values())
    with store() as db:
        stored = db.payments(ids["UKU-1"])
        assert [(p.date, p.amount) for p in stored] == [(date(2026, 11, 20), Decimal("200.00"))]


def test_a_fully_paid_invoice_shows_its_paid_date_and_leaves_the_open_list(xero: Sandbox) -> None:
    ids = pushed(xero, invoice("UKU-1"))
    pay(xero, ids["UKU-1"], "200.00", date(2026, 11, 20))
    check(xero)
    pay(xero, ids["UKU-1"], "340.00", date(2026, 11, 25))
    [paid] = check(xero).results
    assert paid.state == "paid" and paid.status == "PAID"
    assert paid.fully_paid_on == date(2026, 11, 25)
    assert paid.amount_due == Decimal("0.00") and paid.amount_paid == Decimal("540.00")
    assert [p.date for p in paid.payments] == [date(2026, 11, 20), date(2026, 11, 25)]
    assert {"status", "fully_paid_on", "payments"} <= set(paid.changed)
    xero.log.clear()
    assert check(xero).results == [] and xero.log.entries() == []
    # Asked for by number it is read again.
    assert check(xero, "UKU-1").results[0].state == "paid"


def test_voided_and_deleted_invoices_are_reported_as_such_never_as_paid(xero: Sandbox) -> None:
    issued = pushed(xero, invoice("UKU-V"))
    drafts = pushed(xero, invoice("UKU-D"), draft=True)
    accounting.set_invoice_status(xero, org(xero), issued["UKU-V"], "VOIDED")
    accounting.set_invoice_status(xero, org(xero), drafts["UKU-D"], "DELETED")
    results = by_number(check(xero))
    assert results["UKU-V"].state == "voided" and results["UKU-V"].status == "VOIDED"
    assert results["UKU-D"].state == "deleted" and results["UKU-D"].status == "DELETED"
    for result in results.values():
        assert result.fully_paid_on is None and result.state != "paid"
        assert "status" in result.changed
    assert check(xero).results == []  # final: no longer open


def test_a_second_check_marks_only_what_changed_since_the_first(xero: Sandbox) -> None:
    ids = pushed(xero, invoice("UKU-1"), invoice("UKU-2"))
    pay(xero, ids["UKU-2"], "40.00", date(2026, 11, 21))
    check(xero)
    again = by_number(check(xero))
    assert again["UKU-1"].changed == [] and again["UKU-2"].changed == []
    pay(xero, ids["UKU-2"], "60.00", date(2026, 11, 22))
    third = by_number(check(xero))
    assert third["UKU-1"].changed == []
    assert set(third["UKU-2"].changed) == {"amount_paid", "amount_due", "payments"}
    assert third["UKU-2"].amount_paid == Decimal("100.00")


def test_an_invoice_xero_no_longer_returns_is_reported_and_kept(xero: Sandbox) -> None:
    ids = pushed(xero, invoice("UKU-1"), invoice("UKU-2"))
    data = org(xero).data
    assert data is not None
    with xero.state.lock:
        del data.invoices[ids["UKU-1"]]
        data.changed()
    results = by_number(check(xero))
    assert results["UKU-1"].state == "missing" and results["UKU-1"].changed == ["missing"]
    assert results["UKU-1"].invoice_id == ids["UKU-1"]
    assert results["UKU-2"].state == "unpaid"
    assert by_number(check(xero))["UKU-1"].state == "missing"  # still on the list


class ShuffledAnswers(XeroClient):
    """A server that answers more and less than it was asked: a stranger added, one left out."""

    def __init__(self, *args: Any, drop: str, extra: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.drop = drop
        self.extra = extra

    def get(self, path: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        body = super().get(path, params, **kwargs)
        kept = [i for i in body["Invoices"] if i["InvoiceID"] != self.drop]
        body["Invoices"] = [self.extra, *reversed(kept)]
        return body


def test_answers_are_matched_by_invoice_id_never_by_position(xero: Sandbox) -> None:
    import httpx

    ids = pushed(xero, invoice("UKU-1"), invoice("UKU-2"), invoice("UKU-3"))
    pay(xero, ids["UKU-3"], "1.00", date(2026, 11, 20))
    data = org(xero).data
    assert data is not None
    stranger = next(i for i in data.invoices.values() if i["InvoiceID"] not in ids.values())
    stranger_json = {**stranger, "Status": "PAID", "InvoiceNumber": "UKU-2"}
    api = ShuffledAnswers(
        settings(),
        COMPANY,
        transport=httpx.WSGITransport(app=xero),
        drop=ids["UKU-2"],
        extra=json.loads(json.dumps(stranger_json, default=str)),
    )
    with api:
        results = by_number(check(xero, client=api))
    assert set(results) == {"UKU-1", "UKU-2", "UKU-3"}
    assert results["UKU-2"].state == "missing"
    assert results["UKU-3"].amount_paid == Decimal("1.00")
    assert results["UKU-1"].amount_paid == Decimal("0.00")
    with store() as db:
        assert db.invoice(stranger["InvoiceID"]) is None  # not ours: not taken in
        record = db.push_record("UKU-2")
        assert record is not None and record.invoice_id == ids["UKU-2"]


def test_unknown_numbers_are_refused_before_any_request(xero: Sandbox) -> None:
    pushed(xero, invoice("UKU-1"))
    with pytest.raises(UsageError) as caught:
        check(xero, "UKU-1", "UKU-404")
    assert "UKU-404" in str(caught.value)
    assert xero.log.entries() == []


def test_1000_open_invoices_take_at_most_a_dozen_requests(xero: Sandbox) -> None:
    ids = pushed(xero, *invoices(1000))
    first = check(xero)
    assert len(first.results) == 1000 and first.requests <= 12
    assert first.requests == len(xero.log.entries("GET", f"{API}/Invoices"))
    # Later, three of them are paid: the next check reads only what changed since.
    xero.clock.advance(600)
    for number in ("UKU-2026-0007", "UKU-2026-0500", "UKU-2026-1000"):
        pay(xero, ids[number], "540.00", date(2026, 11, 30))
    xero.log.clear()
    second = check(xero)
    assert second.requests <= 12 and second.method == "modified-since"
    request = xero.log.entries("GET", f"{API}/Invoices")[0]
    assert request.header("If-Modified-Since")
    paid = {r.number for r in second.results if r.state == "paid"}
    assert paid == {"UKU-2026-0007", "UKU-2026-0500", "UKU-2026-1000"}
    assert {r.number for r in second.results if r.changed} == paid
    assert len(second.results) == 1000
    assert len(check(xero).results) == 997


def add_old_paid_invoices(sandbox: Sandbox, count: int, like: str) -> None:
    """`count` invoices this app made long ago, all paid, listed before the pushed ones (as
    older records are): copies of the pushed invoice `like`, put straight into the books."""
    from uku_xero_cli.sandbox.xero_format import epoch_ms, ms_date

    data = org(sandbox).data
    assert data is not None
    template = data.invoices[like]
    moment = sandbox.clock.now() - timedelta(days=400)
    old: dict[str, dict[str, Any]] = {}
    for n in range(count):
        invoice_id = str(uuid.uuid4())
        old[invoice_id] = {
            **template,
            "InvoiceID": invoice_id,
            "InvoiceNumber": f"OLD-{n:05d}",
            "Status": "PAID",
            "AmountPaid": template["Total"],
            "AmountDue": Decimal("0.00"),
            "UpdatedDateUTC": ms_date(moment),
            "_updated": epoch_ms(moment),
        }
    with sandbox.state.lock:
        newer = dict(data.invoices)
        data.invoices.clear()
        data.invoices.update(old)
        data.invoices.update(newer)
        data.invoice_numbers.update({r["InvoiceNumber"].casefold(): i for i, r in old.items()})
        data.changed()


def test_1000_open_among_13000_of_the_apps_invoices_take_at_most_a_dozen_requests(
    xero: Sandbox,
) -> None:
    ids = pushed(xero, *invoices(1000))
    add_old_paid_invoices(xero, 12_000, like=ids["UKU-2026-0001"])
    # Paid before the first check: a sweep of open invoices leaves it out, so it is asked by ID.
    pay(xero, ids["UKU-2026-0007"], "540.00", date(2026, 11, 29))
    first = check(xero)
    assert len(first.results) == 1000 and first.requests <= 12
    states = {r.number: r.state for r in first.results}
    assert states.pop("UKU-2026-0007") == "paid" and set(states.values()) == {"unpaid"}
    sweep, by_id = xero.log.entries("GET", f"{API}/Invoices")
    assert sweep.query["Statuses"] == ["DRAFT,SUBMITTED,AUTHORISED"]
    assert by_id.query["IDs"] == [ids["UKU-2026-0007"]]
    xero.clock.advance(600)
    pay(xero, ids["UKU-2026-0042"], "540.00", date(2026, 11, 30))
    accounting.set_invoice_status(xero, org(xero), ids["UKU-2026-0043"], "VOIDED")
    xero.log.clear()
    second = check(xero)
    assert second.requests <= 12
    changed = {r.number: r.state for r in second.results if r.changed}
    assert changed == {"UKU-2026-0042": "paid", "UKU-2026-0043": "voided"}
    assert second.method == "modified-since"
    assert "Statuses" not in xero.log.entries("GET", f"{API}/Invoices")[0].query
    assert len(check(xero).results) == 997


class PagedXero:
    """A Xero whose app made 10,000 invoices: a sweep would take 10 pages of 1,000."""

    def __init__(self, open_ids: list[str]) -> None:
        self.open_ids = open_ids
        self.requests_sent = 0
        self.asked: list[dict[str, Any]] = []

    def get(self, path: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        self.requests_sent += 1
        params = params or {}
        self.asked.append(params)
        if "IDs" in params:
            wanted = params["IDs"].split(",")
            return {"Invoices": [self.record(i) for i in wanted]}
        page = int(params["page"])
        # Page 1 holds none of the open ones (they are old); the rest are further on.
        return {
            "DateTimeUTC": "/Date(1790000000000)/",
            "pagination": {"page": page, "pageSize": 1000, "pageCount": 10, "itemCount": 10000},
            "Invoices": [self.record(f"other-{page}-{n}") for n in range(1000)],
        }

    def url(self, path: str, params: dict[str, str]) -> str:
        return str(httpx.URL(f"https://api.xero.com/api.xro/2.0/{path}", params=params))

    def record(self, invoice_id: str) -> dict[str, Any]:
        return {
            "InvoiceID": invoice_id,
            "InvoiceNumber": invoice_id,
            "Type": "ACCREC",
            "Status": "AUTHORISED",
            "Total": Decimal("10.00"),
            "AmountPaid": Decimal("0.00"),
            "AmountDue": Decimal("10.00"),
            "Payments": [],
        }


def test_a_sweep_that_would_cost_more_than_asking_by_id_switches_to_ids(tmp_path: Any) -> None:
    from uku_xero_cli.store import Invoice, Store
    from uku_xero_cli.sync.paid import PaidCheck

    ids = [f"00000000-0000-0000-0000-{n:012d}" for n in range(120)]  # GUIDs: 51 a request
    with Store.open(tmp_path / "s.sqlite") as db:
        for invoice_id in ids:
            db.record_push_attempt(invoice_id, content_hash="h", idempotency_key="k")
            db.record_push_result(invoice_id, Invoice(invoice_id, invoice_id, status="AUTHORISED"))
        xero = PagedXero(ids)
        report = PaidCheck(db, xero).run()  # type: ignore[arg-type]
    # One page shows 9 more would follow; the 120 by ID take 3 requests.
    assert report.requests == 4 and report.method == "open-sweep+ids"
    assert xero.asked[0]["Statuses"] == "DRAFT,SUBMITTED,AUTHORISED"
    assert [sorted(a) for a in xero.asked[1:]] == [["IDs", "unitdp"]] * 3
    assert {r.state for r in report.results} == {"unpaid"} and len(report.results) == 120


def test_a_check_by_id_takes_its_cursor_from_xeros_clock(xero: Sandbox) -> None:
    from datetime import timedelta

    from uku_xero_cli.sync.paid import CURSOR, CURSOR_MARGIN

    # Xero's clock is an hour behind this machine's.
    xero.clock.advance(-3600)
    ids = pushed(xero, invoice("UKU-1"), invoice("UKU-2"))
    first = check(xero)
    assert first.method == "ids"
    with store() as db:
        cursor = db.cursor(CURSOR)
    assert cursor is not None
    assert abs(cursor - (xero.clock.now() - CURSOR_MARGIN)) < timedelta(seconds=30)
    # Enough new invoices that the next check sweeps by If-Modified-Since: a payment made a
    # minute after the first check (by Xero's clock) must be among what it reads.
    pushed(xero, *invoices(110, prefix="UKU-N-"))
    xero.clock.advance(60)
    pay(xero, ids["UKU-1"], "40.00", date(2026, 11, 21))
    second = check(xero)
    assert second.method.startswith("modified-since")
    paid = by_number(second)["UKU-1"]
    assert paid.amount_paid == Decimal("40.00") and "payments" in paid.changed


def test_a_sweep_takes_its_cursor_from_xeros_clock(xero: Sandbox) -> None:
    from uku_xero_cli.sync.paid import CURSOR, CURSOR_MARGIN

    # Xero's clock is an hour behind this machine's; 110 open invoices are swept, not asked
    # for by ID.
    xero.clock.advance(-3600)
    pushed(xero, *invoices(110))
    first = check(xero)
    assert first.method == "open-sweep" and len(first.results) == 110
    with store() as db:
        cursor = db.cursor(CURSOR)
    assert cursor is not None
    assert abs(cursor - (xero.clock.now() - CURSOR_MARGIN)) < timedelta(seconds=30)


# -- credits ------------------------------------------------------------------------------------


def test_credit_notes_allocated_in_xero_show_as_credited_in_json_and_the_table(
    sandbox: Sandbox,
    sandbox_server: RunningServer,
    monkeypatch: pytest.MonkeyPatch,
    cli: Callable[..., CliResult],
) -> None:
    point_at(sandbox_server, monkeypatch)
    ready(sandbox)
    ids = pushed(sandbox, invoice("UKU-1"), invoice("UKU-2"))
    # UKU-1 is partly credited; UKU-2 is paid in part and credited for the rest.
    accounting.allocate_credit(
        sandbox, org(sandbox), ids["UKU-1"], Decimal("100.00"), date(2026, 11, 20)
    )
    pay(sandbox, ids["UKU-2"], "40.00", date(2026, 11, 21))
    accounting.allocate_credit(
        sandbox, org(sandbox), ids["UKU-2"], Decimal("500.00"), date(2026, 11, 22)
    )

    machine = cli("check-paid", "-c", COMPANY, "--json")
    assert machine.exit_code == 0, machine.stderr
    rows = {row["number"]: row for row in json.loads(machine.stdout)["invoices"]}
    part = rows["UKU-1"]
    assert (part["total"], part["amount_paid"], part["amount_credited"], part["amount_due"]) == (
        "540.00",
        "0.00",
        "100.00",
        "440.00",
    )
    assert part["state"] == "part paid" and part["status"] == "AUTHORISED"
    assert part["fully_paid_on"] is None and part["payments"] == []
    assert {"amount_credited", "amount_due"} <= set(part["changed"])
    settled = rows["UKU-2"]
    assert (settled["amount_paid"], settled["amount_credited"], settled["amount_due"]) == (
        "40.00",
        "500.00",
        "0.00",
    )
    assert settled["state"] == "paid" and settled["status"] == "PAID"
    assert settled["fully_paid_on"] == "2026-11-22"

    human = cli("check-paid", "-c", COMPANY, "UKU-1", "UKU-2")
    assert human.exit_code == 0, human.stderr
    table = human.stdout.splitlines()
    names = [cell.strip() for cell in next(t for t in table if "credited" in t).split("┃")]
    cells = {
        row["Uku number"]: row
        for row in (
            dict(zip(names, (c.strip() for c in t.split("│")), strict=True))
            for t in table
            if t.count("│") == len(names) - 1
        )
        if row.get("Uku number", "").startswith("UKU-")
    }
    assert (cells["UKU-1"]["credited"], cells["UKU-1"]["due"]) == ("100.00", "440.00")
    assert (cells["UKU-2"]["credited"], cells["UKU-2"]["due"]) == ("500.00", "0.00")
    assert cells["UKU-2"]["state"] == "paid" and cells["UKU-2"]["fully paid on"] == "2026-11-22"
