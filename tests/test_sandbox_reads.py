"""How the emulator answers reads where real Xero is less generous than its spec suggests.

- A list read without `page` is a summary: every match, no `pagination`, lines left out.
- Unit prices are two decimals, on writes and reads, unless the request says `unitdp=4`.
- A query string over 2,048 characters is answered 404 with Xero's plain not-found sentence.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.conftest import OpenClient, small_config
from tests.test_sandbox_accounting import (
    API,
    a_sale,
    authorise,
    body,
    books,
    client_for,
    put_invoice,
    some_contact_id,
)
from uku_xero_cli.sandbox.app import Sandbox


@pytest.fixture
def api(sandbox: Sandbox, sandbox_client: httpx.Client) -> httpx.Client:
    return authorise(sandbox, sandbox_client)


# --- Lists without `page` are summaries ---------------------------------------------------


def _with_lines(records: list[dict[str, Any]], field: str = "LineItems") -> list[str]:
    return [r.get("InvoiceID") or r.get("CreditNoteID") or "" for r in records if r.get(field)]


def test_invoices_without_page_are_every_match_without_lines_or_pagination(
    sandbox: Sandbox, open_client: OpenClient
) -> None:
    api = authorise(sandbox, open_client(sandbox))
    summary = body(api.get(f"{API}/Invoices"))
    paged = body(api.get(f"{API}/Invoices", params={"page": 1, "pageSize": 1000}))
    assert "pagination" not in summary
    assert len(summary["Invoices"]) == len(books(sandbox).invoices) > 100
    assert all(invoice["LineItems"] == [] for invoice in summary["Invoices"])
    assert paged["pagination"]["itemCount"] == len(summary["Invoices"])
    assert all(invoice["LineItems"] for invoice in paged["Invoices"])


def test_page_size_alone_does_not_page(api: httpx.Client, sandbox: Sandbox) -> None:
    answer = body(api.get(f"{API}/Invoices", params={"pageSize": 10}))
    assert "pagination" not in answer
    assert len(answer["Invoices"]) == len(books(sandbox).invoices)


def test_a_filtered_list_without_page_is_a_summary_too(api: httpx.Client) -> None:
    where = {"where": 'Type=="ACCREC" AND Status=="AUTHORISED"'}
    summary = body(api.get(f"{API}/Invoices", params=where))["Invoices"]
    paged = body(api.get(f"{API}/Invoices", params={**where, "page": 1}))["Invoices"]
    assert summary and all(i["Type"] == "ACCREC" and i["LineItems"] == [] for i in summary)
    assert [i["InvoiceID"] for i in summary[: len(paged)]] == [i["InvoiceID"] for i in paged]
    assert all(i["LineItems"] for i in paged)


@pytest.mark.parametrize("parameter", ["IDs", "InvoiceNumbers"])
def test_invoices_named_without_page_come_without_lines(
    api: httpx.Client, sandbox: Sandbox, parameter: str
) -> None:
    wanted = [i for i in books(sandbox).invoices.values() if i["Type"] == "ACCREC"][:3]
    field = "InvoiceID" if parameter == "IDs" else "InvoiceNumber"
    named = {parameter: ",".join(i[field] for i in wanted)}
    summary = body(api.get(f"{API}/Invoices", params=named))["Invoices"]
    paged = body(api.get(f"{API}/Invoices", params={**named, "page": 1}))["Invoices"]
    assert sorted(i[field] for i in summary) == sorted(i[field] for i in wanted)
    assert all(i["LineItems"] == [] for i in summary)
    assert all(i["LineItems"] for i in paged)


def test_named_invoices_may_be_configured_to_carry_lines() -> None:
    sandbox = Sandbox(small_config(id_filters_carry_lines=True))
    wanted = list(books(sandbox).invoices.values())[:3]
    with client_for(sandbox) as api:
        ids = {"IDs": ",".join(i["InvoiceID"] for i in wanted)}
        named = body(api.get(f"{API}/Invoices", params=ids))["Invoices"]
        everything = body(api.get(f"{API}/Invoices"))["Invoices"]
    assert len(named) == 3 and all(i["LineItems"] for i in named)
    assert all(i["LineItems"] == [] for i in everything)


def test_one_invoice_by_id_carries_its_lines(api: httpx.Client, sandbox: Sandbox) -> None:
    invoice = next(iter(books(sandbox).invoices.values()))
    (found,) = body(api.get(f"{API}/Invoices/{invoice['InvoiceID']}"))["Invoices"]
    assert found["LineItems"] and found["InvoiceID"] == invoice["InvoiceID"]


@pytest.mark.parametrize(
    ("path", "lines"),
    [
        ("CreditNotes", "LineItems"),
        ("BankTransactions", "LineItems"),
        ("ManualJournals", "JournalLines"),
    ],
)
def test_other_documents_without_page_leave_their_lines_out(
    api: httpx.Client, path: str, lines: str
) -> None:
    summary = body(api.get(f"{API}/{path}"))
    paged = body(api.get(f"{API}/{path}", params={"page": 1, "pageSize": 1000}))
    assert "pagination" not in summary
    assert len(summary[path]) == paged["pagination"]["itemCount"] > 0
    assert all(record[lines] == [] for record in summary[path])
    assert all(record[lines] for record in paged[path])


@pytest.mark.parametrize("path", ["Contacts", "Payments"])
def test_other_lists_without_page_are_every_match(
    api: httpx.Client, sandbox: Sandbox, path: str
) -> None:
    summary = body(api.get(f"{API}/{path}"))
    paged = body(api.get(f"{API}/{path}", params={"page": 1, "pageSize": 5}))
    assert "pagination" not in summary
    assert len(summary[path]) == paged["pagination"]["itemCount"] > len(paged[path]) == 5


# --- Unit prices: two decimals unless unitdp=4 ----------------------------------------------


def _metered(sandbox: Sandbox, price: str) -> dict[str, Any]:
    line = {
        "Description": "kWh",
        "Quantity": 7000,
        "UnitAmount": float(price),
        "AccountCode": "200",
    }
    return a_sale(some_contact_id(sandbox), LineItems=[{**line, "TaxType": "NONE"}])


def test_a_four_decimal_price_written_with_unitdp_4_reads_back_rounded_without_it(
    sandbox: Sandbox, open_client: OpenClient
) -> None:
    api = authorise(sandbox, open_client(sandbox))
    (saved,) = body(put_invoice(api, _metered(sandbox, "0.1648"), unitdp="4"))["Invoices"]
    assert saved["LineItems"][0]["UnitAmount"] == Decimal("0.1648")
    assert saved["LineItems"][0]["LineAmount"] == Decimal("1153.6")
    one = f"{API}/Invoices/{saved['InvoiceID']}"
    (plain,) = body(api.get(one))["Invoices"]
    (precise,) = body(api.get(one, params={"unitdp": 4}))["Invoices"]
    assert plain["LineItems"][0]["UnitAmount"] == Decimal("0.16")
    assert precise["LineItems"][0]["UnitAmount"] == Decimal("0.1648")
    # Amounts are two decimals either way, computed from the stored four-decimal price.
    assert plain["LineItems"][0]["LineAmount"] == precise["Total"] == Decimal("1153.6")
    page = {"InvoiceNumbers": saved["InvoiceNumber"], "page": 1}
    (listed,) = body(api.get(f"{API}/Invoices", params=page))["Invoices"]
    (listed4,) = body(api.get(f"{API}/Invoices", params={**page, "unitdp": 4}))["Invoices"]
    assert listed["LineItems"][0]["UnitAmount"] == Decimal("0.16")
    assert listed4["LineItems"][0]["UnitAmount"] == Decimal("0.1648")
    stored = books(sandbox).invoices[saved["InvoiceID"]]["LineItems"][0]
    assert stored["UnitAmount"] == Decimal("0.1648")


@pytest.mark.parametrize(
    ("sent", "kept", "total"),
    [
        ("0.1648", "0.16", "1120"),
        ("1.795", "1.8", "12600"),
        ("0.165", "0.17", "1190"),  # half-way: the emulator's guess (books/prices.py)
    ],
)
def test_a_write_without_unitdp_4_stores_the_price_rounded(
    api: httpx.Client, sandbox: Sandbox, sent: str, kept: str, total: str
) -> None:
    (saved,) = body(put_invoice(api, _metered(sandbox, sent)))["Invoices"]
    (read,) = body(api.get(f"{API}/Invoices/{saved['InvoiceID']}", params={"unitdp": 4}))[
        "Invoices"
    ]
    assert saved["LineItems"][0]["UnitAmount"] == read["LineItems"][0]["UnitAmount"]
    assert read["LineItems"][0]["UnitAmount"] == Decimal(kept)
    assert read["Total"] == Decimal(total)


def test_an_update_without_unitdp_4_keeps_the_four_decimal_prices_it_was_not_sent(
    api: httpx.Client, sandbox: Sandbox
) -> None:
    (saved,) = body(put_invoice(api, _metered(sandbox, "0.1648"), unitdp="4"))["Invoices"]
    changed = api.post(f"{API}/Invoices/{saved['InvoiceID']}", json={"Reference": "May"})
    assert changed.status_code == 200, changed.text
    assert body(changed)["Invoices"][0]["LineItems"][0]["UnitAmount"] == Decimal("0.16")
    stored = books(sandbox).invoices[saved["InvoiceID"]]
    assert stored["Reference"] == "May"
    assert stored["LineItems"][0]["UnitAmount"] == Decimal("0.1648")


def test_item_prices_are_rounded_unless_unitdp_4(api: httpx.Client, sandbox: Sandbox) -> None:
    item = next(iter(books(sandbox).items.values()))
    item["SalesDetails"]["UnitPrice"] = Decimal("12.3456")  # priced in Xero's web app
    plain = body(api.get(f"{API}/Items"))["Items"]
    precise = body(api.get(f"{API}/Items", params={"unitdp": 4}))["Items"]
    (shown,) = [i for i in plain if i["ItemID"] == item["ItemID"]]
    (shown4,) = [i for i in precise if i["ItemID"] == item["ItemID"]]
    assert shown["SalesDetails"]["UnitPrice"] == Decimal("12.35")
    assert shown4["SalesDetails"]["UnitPrice"] == Decimal("12.3456")


@pytest.mark.parametrize(
    ("path", "collection"),
    [("CreditNotes", "credit_notes"), ("BankTransactions", "bank_transactions")],
)
def test_other_documents_round_their_line_prices_unless_unitdp_4(
    api: httpx.Client, sandbox: Sandbox, path: str, collection: str
) -> None:
    record = next(iter(getattr(books(sandbox), collection).values()))
    record["LineItems"][0]["UnitAmount"] = Decimal("3.14159")
    key = "CreditNoteID" if path == "CreditNotes" else "BankTransactionID"
    for params, expected in (({}, "3.14"), ({"unitdp": 4}, "3.1416")):
        answer = body(api.get(f"{API}/{path}", params={"page": 1, "pageSize": 1000, **params}))
        (found,) = [r for r in answer[path] if r[key] == record[key]]
        assert found["LineItems"][0]["UnitAmount"] == Decimal(expected)


# --- URL length: 404 past a 2,048-character query string ---------------------------------

NOT_FOUND = "The resource you're looking for cannot be found"


def _guids(count: int) -> str:
    return ",".join(str(uuid.UUID(int=n + 1, version=4)) for n in range(count))


def test_52_guids_in_ids_pass_and_53_are_xero_s_404(
    sandbox: Sandbox, open_client: OpenClient
) -> None:
    api = authorise(sandbox, open_client(sandbox))
    fits = api.get(f"{API}/Invoices", params={"IDs": _guids(52), "page": 1})
    too_long = api.get(f"{API}/Invoices", params={"IDs": _guids(53), "page": 1})
    assert fits.status_code == 200 and body(fits)["Invoices"] == []
    assert too_long.status_code == 404
    assert too_long.text == NOT_FOUND
    assert len(too_long.request.url.query) == 2075  # "IDs=" + 53 GUIDs joined by %2C + page


def test_the_cap_counts_the_query_as_sent_percent_encoded(api: httpx.Client) -> None:
    # 300 "é" are 300 characters, and 1,800 once encoded (%C3%A9 each).
    numbers = {"InvoiceNumbers": ",".join(["é" * 100] * 3), "page": 1}
    plain = {"InvoiceNumbers": ",".join(["e" * 100] * 3), "page": 1}
    assert api.get(f"{API}/Invoices", params=plain).status_code == 200
    numbers["InvoiceNumbers"] += ",x" + "é" * 50
    response = api.get(f"{API}/Invoices", params=numbers)
    assert len(response.request.url.query) > 2048 > len(str(numbers["InvoiceNumbers"]))
    assert response.status_code == 404 and response.text == NOT_FOUND


def test_the_cap_is_configurable_and_exact(api: httpx.Client, sandbox: Sandbox) -> None:
    params = {"where": 'Type=="ACCREC"', "page": 1}
    length = len(api.build_request("GET", f"{API}/Invoices", params=params).url.query)
    sandbox.config.max_query_length = length
    assert api.get(f"{API}/Invoices", params=params).status_code == 200
    sandbox.config.max_query_length = length - 1
    assert api.get(f"{API}/Invoices", params=params).status_code == 404


def test_the_cap_comes_before_authentication(
    sandbox: Sandbox, sandbox_client: httpx.Client
) -> None:
    headers = {
        "Authorization": "Bearer not-a-token",
        "xero-tenant-id": next(iter(sandbox.state.orgs)),
    }
    response = sandbox_client.get(f"{API}/Contacts", params={"IDs": _guids(60)}, headers=headers)
    assert response.status_code == 404 and response.text == NOT_FOUND
    short = sandbox_client.get(f"{API}/Contacts", params={"IDs": _guids(2)}, headers=headers)
    assert short.status_code == 401


def test_an_unknown_invoice_is_the_same_plain_404(api: httpx.Client) -> None:
    response = api.get(f"{API}/Invoices/{uuid.UUID(int=7, version=4)}")
    assert response.status_code == 404 and response.text == NOT_FOUND
