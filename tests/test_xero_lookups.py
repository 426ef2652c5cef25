"""Lookups by key (`IDs`, `InvoiceNumbers`, ContactNumber) and batch writes: how many requests
they send, what each asks for, and that Xero's answers come back whole."""

from __future__ import annotations

import itertools
import math
import re
import uuid
from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from tests.invoice_helpers import API, client_for, connect
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.xero import endpoints
from uku_xero_cli.xero.writes import create_contacts

XERO_API = "https://api.xero.com/api.xro/2.0"


class RecordingXero:
    """Answers every lookup with one record per value asked for, and notes each request with
    the URL it would go to (encoded by httpx, against Xero's real base URL)."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, dict[str, Any]]] = []
        self.urls: list[str] = []

    def url(self, path: str, params: Mapping[str, str]) -> str:
        return str(httpx.URL(f"{XERO_API}/{path}", params=dict(params)))

    def get(self, path: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        params = dict(params or {})
        self.asked.append((path, params))
        self.urls.append(self.url(path, params))
        values = params.get("IDs") or params.get("InvoiceNumbers") or ""
        records = [{"InvoiceID": v, "InvoiceNumber": v} for v in values.split(",")]
        if "page" not in params:
            return {path: records}
        size = int(params["pageSize"])
        return {"pagination": {"page": 1, "pageSize": size, "pageCount": 1}, path: records}


def guids(count: int) -> list[str]:
    return [str(uuid.UUID(int=n + 1)) for n in range(count)]


def assert_cut_by_url_length(xero: RecordingXero, lookup: endpoints.Lookup) -> None:
    """Every URL is within Xero's cap, and the next value would have taken it past it."""
    assert all(len(url) <= endpoints.MAX_URL_LENGTH for url in xero.urls)
    asked = [params[lookup.param] for _, params in xero.asked]
    for text, following in itertools.pairwise(asked):
        first_next = following.split(lookup.separator)[0]
        longer = {**xero.asked[0][1], lookup.param: text + lookup.separator + first_next}
        assert len(xero.url(lookup.path, longer)) > endpoints.MAX_URL_LENGTH


@pytest.mark.parametrize("count", [1, 51, 52, 200])
def test_invoices_by_id_take_as_many_guids_a_request_as_fit_xeros_url_cap(count: int) -> None:
    ids = guids(count)
    xero = RecordingXero()
    found = endpoints.invoices_by_ids(xero, ids)
    # 51 GUIDs (each 36 characters and an encoded comma) fit beside the base URL and unitdp=4.
    assert len(xero.asked) == math.ceil(count / 51)
    assert all(path == "Invoices" and params["unitdp"] == "4" for path, params in xero.asked)
    assert "page" not in xero.asked[0][1]  # check-paid reads summaries: no lines needed
    assert [i for _, params in xero.asked for i in params["IDs"].split(",")] == ids
    assert [r["InvoiceID"] for r in found] == ids
    assert_cut_by_url_length(xero, endpoints.Lookup("Invoices", "IDs"))


def test_lookups_that_need_lines_are_paged_and_fit_the_cap_with_the_paging() -> None:
    xero = RecordingXero()
    endpoints.invoices_by_ids(xero, guids(120), lines=True)
    assert [p["page"] for _, p in xero.asked] == ["1", "1", "1"]
    assert {p["pageSize"] for _, p in xero.asked} == {"1000"}
    assert [len(p["IDs"].split(",")) for _, p in xero.asked] == [50, 50, 20]
    assert all(len(url) <= endpoints.MAX_URL_LENGTH for url in xero.urls)


def test_hundred_character_invoice_numbers_go_19_a_request() -> None:
    numbers = [f"UKU-{'x' * 92}{n:04d}" for n in range(60)]
    xero = RecordingXero()
    endpoints.invoices_by_numbers(xero, numbers, lines=True)
    assert [len(p["InvoiceNumbers"].split(",")) for _, p in xero.asked] == [19, 19, 19, 3]
    assert [n for _, p in xero.asked for n in p["InvoiceNumbers"].split(",")] == numbers
    assert_cut_by_url_length(xero, endpoints.Lookup("Invoices", "InvoiceNumbers"))


def test_numbers_are_measured_as_encoded_not_as_written() -> None:
    # 255 characters of "é" are 1,530 characters in the URL (%C3%A9 each): one a request.
    numbers = ["é" * 255, "ü" * 255, "A-1"]
    xero = RecordingXero()
    endpoints.invoices_by_numbers(xero, numbers)
    assert [p["InvoiceNumbers"] for _, p in xero.asked] == ["é" * 255, "ü" * 255 + ",A-1"]
    assert all(len(url) <= endpoints.MAX_URL_LENGTH for url in xero.urls)


def test_a_value_too_long_for_any_request_goes_alone() -> None:
    numbers = ["A-1", "€" * 255, "A-2"]  # 2,295 characters encoded: over the cap by itself
    xero = RecordingXero()
    endpoints.invoices_by_numbers(xero, numbers)
    assert [p["InvoiceNumbers"] for _, p in xero.asked] == ["A-1", "€" * 255, "A-2"]


def test_a_lookup_of_nothing_sends_nothing() -> None:
    xero = RecordingXero()
    assert endpoints.invoices_by_ids(xero, []) == []
    assert endpoints.invoices_by_numbers(xero, [], lines=True) == []
    assert endpoints.contacts_by_numbers(xero, []) == []
    assert xero.asked == []


def test_contact_numbers_are_asked_in_where_texts_that_fit_the_url_cap() -> None:
    numbers = [f"CLIENT-{n:040d}" for n in range(60)]
    xero = RecordingXero()
    endpoints.contacts_by_numbers(xero, numbers)
    wheres = [params["where"] for path, params in xero.asked]
    # A clause is `ContactNumber=="…"` joined by " OR ", encoded (%3D%3D%22, +OR+): 20 a URL.
    assert len(wheres) == 3
    assert_cut_by_url_length(xero, endpoints.Lookup("Contacts", "where", separator=" OR "))
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
