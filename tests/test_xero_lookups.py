"""Lookups by key (`IDs`, `InvoiceNumbers`, ContactNumber) and batch writes: how many requests
they send, what each asks for, and that Xero's answers come back whole."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest

from tests.invoice_helpers import API, client_for, connect
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.xero import endpoints
from uku_xero_cli.xero.writes import create_contacts


class RecordingXero:
    """Answers every lookup with one record per value asked for, and notes each request."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, dict[str, Any]]] = []

    def get(self, path: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        params = dict(params or {})
        self.asked.append((path, params))
        values = params.get("IDs") or params.get("InvoiceNumbers") or ""
        return {path: [{"InvoiceID": v, "InvoiceNumber": v} for v in values.split(",")]}


@pytest.mark.parametrize("count", [1, 50, 51, 120])
def test_invoices_by_id_take_one_request_per_50_ids_in_order(count: int) -> None:
    ids = [f"id-{n:03d}" for n in range(count)]
    xero = RecordingXero()
    found = endpoints.invoices_by_ids(xero, ids)
    assert len(xero.asked) == math.ceil(count / 50)
    asked = [params["IDs"].split(",") for path, params in xero.asked]
    assert all(path == "Invoices" and len(params) == 1 for path, params in xero.asked)
    assert [len(batch) for batch in asked[:-1]] == [50] * (len(asked) - 1)
    assert [i for batch in asked for i in batch] == ids
    assert [r["InvoiceID"] for r in found] == ids


def test_invoices_by_number_ask_by_invoice_numbers_50_a_request() -> None:
    numbers = [f"UKU-{n}" for n in range(75)]
    xero = RecordingXero()
    endpoints.invoices_by_numbers(xero, numbers)
    assert [sorted(params) for _, params in xero.asked] == [["InvoiceNumbers"]] * 2
    assert xero.asked[1][1]["InvoiceNumbers"] == ",".join(numbers[50:])


def test_a_lookup_of_nothing_sends_nothing() -> None:
    xero = RecordingXero()
    assert endpoints.invoices_by_ids(xero, []) == []
    assert endpoints.contacts_by_numbers(xero, []) == []
    assert xero.asked == []


def test_contact_numbers_are_asked_in_where_texts_that_fit_the_budget() -> None:
    numbers = [f"CLIENT-{n:040d}" for n in range(60)]  # 47 characters: 68 a clause with " OR "
    xero = RecordingXero()
    endpoints.contacts_by_numbers(xero, numbers)
    wheres = [params["where"] for path, params in xero.asked]
    assert len(wheres) == math.ceil(60 / 17)  # 17 clauses fit in 1,200 characters
    assert all(len(where) <= endpoints.WHERE_BUDGET for where in wheres)
    assert re.findall(r'ContactNumber=="([^"]*)"', " OR ".join(wheres)) == numbers


def test_contacts_are_found_by_contact_number_with_quotes_in_it(sandbox: Sandbox) -> None:
    connect(sandbox)
    awkward = ['C-"7"', "C-back\\slash", "C-plain"]
    with client_for(sandbox) as api:
        made = create_contacts(
            api,
            [{"Name": f"Lookup {n}", "ContactNumber": n} for n in awkward],
            idempotency_key="test-lookup-contacts",
        )
        assert not made.refused_whole and len(made.elements) == 3
        sandbox.log.clear()
        found = endpoints.contacts_by_numbers(api, [*awkward, "C-none"])
    assert sorted(c["ContactNumber"] for c in found) == sorted(awkward)
    [request] = sandbox.log.entries("GET", f"{API}/Contacts")
    assert request.query["where"] == [
        'ContactNumber=="C-\\"7\\"" OR ContactNumber=="C-back\\\\slash" OR '
        'ContactNumber=="C-plain" OR ContactNumber=="C-none"'
    ]
