"""How the emulator answers reads where real Xero is less generous than its spec suggests.

- A list read without `page` is a summary: every match, no `pagination`, lines left out.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import OpenClient, small_config
from tests.test_sandbox_accounting import API, authorise, body, books, client_for
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
