"""The emulator's Accounting API (/api.xro/2.0) as a Xero client sees it.

Most tests talk to the emulator in-process (strict mode on, so every request they send also
fits Xero's spec); those taking `open_client` or `api_both_ways` run twice, the second time
over real loopback HTTP, and a few go over loopback HTTP only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from tests.conftest import OpenClient, small_config
from uku_xero_cli.sandbox.accounting import (
    BooksRefused,
    allocate_credit,
    record_payment,
    set_invoice_status,
)
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.data import OrgData
from uku_xero_cli.sandbox.grants import grant_for_tests
from uku_xero_cli.sandbox.server import RunningServer
from uku_xero_cli.sandbox.xero_format import from_ms

API = "/api.xro/2.0"


def body(response: httpx.Response) -> Any:
    """A JSON body with money as Decimal, the way a careful client reads it."""
    return json.loads(response.text, parse_float=Decimal)


def first_tenant(sandbox: Sandbox) -> str:
    return next(iter(sandbox.state.orgs))


def books(sandbox: Sandbox, tenant: str | None = None) -> OrgData:
    data = sandbox.state.orgs[tenant or first_tenant(sandbox)].data
    assert data is not None
    return data


def authorise(sandbox: Sandbox, client: httpx.Client, tenant: str | None = None) -> httpx.Client:
    token = grant_for_tests(sandbox)["access_token"]
    client.headers.update(
        {
            "Authorization": f"Bearer {token}",
            "xero-tenant-id": tenant or first_tenant(sandbox),
            "Accept": "application/json",
        }
    )
    return client


@contextmanager
def client_for(sandbox: Sandbox) -> Iterator[httpx.Client]:
    transport = httpx.WSGITransport(app=sandbox)
    with httpx.Client(transport=transport, base_url="http://sandbox.test") as client:
        yield authorise(sandbox, client)


@pytest.fixture
def api(sandbox: Sandbox, sandbox_client: httpx.Client) -> httpx.Client:
    return authorise(sandbox, sandbox_client)


@pytest.fixture
def api_both_ways(sandbox: Sandbox, sandbox_http: httpx.Client) -> httpx.Client:
    """Like `api`, once in-process and once over real loopback HTTP."""
    return authorise(sandbox, sandbox_http)


def active_names(data: OrgData) -> list[str]:
    return [c["Name"] for c in data.contacts.values() if c["ContactStatus"] == "ACTIVE"]


def a_sale(contact_id: str, **fields: Any) -> dict[str, Any]:
    invoice: dict[str, Any] = {
        "Type": "ACCREC",
        "Contact": {"ContactID": contact_id},
        "Date": "2025-11-01",
        "DueDate": "2025-11-15",
        "Status": "AUTHORISED",
        "LineItems": [
            {
                "Description": "Monthly bookkeeping",
                "Quantity": 1,
                "UnitAmount": 450,
                "AccountCode": "200",
                "TaxType": "OUTPUT2",
            }
        ],
    }
    invoice.update(fields)
    return invoice


def some_contact_id(sandbox: Sandbox) -> str:
    return next(
        c["ContactID"] for c in books(sandbox).contacts.values() if c["ContactStatus"] == "ACTIVE"
    )


def put_invoice(api: httpx.Client, invoice: dict[str, Any], **params: str) -> httpx.Response:
    return api.put(f"{API}/Invoices", json={"Invoices": [invoice]}, params=params)


# --- Contacts: paging ---------------------------------------------------------------------


def test_contacts_come_in_pages_with_xero_pagination_metadata() -> None:
    sandbox = Sandbox(small_config(contacts=2300, invoices=5, archived_share=0.0))
    with client_for(sandbox) as api:
        pages = [
            body(api.get(f"{API}/Contacts", params={"page": page, "pageSize": 1000}))
            for page in (1, 2, 3, 4)
        ]
    assert [p["pagination"] for p in pages] == [
        {"page": page, "pageSize": 1000, "pageCount": 3, "itemCount": 2300} for page in (1, 2, 3, 4)
    ]
    assert [len(p["Contacts"]) for p in pages] == [1000, 1000, 300, 0]
    seen = [c["ContactID"] for p in pages for c in p["Contacts"]]
    assert len(set(seen)) == 2300


def test_contacts_default_to_100_a_page_and_never_more_than_1000() -> None:
    sandbox = Sandbox(small_config(contacts=1200, invoices=5))
    with client_for(sandbox) as api:
        default = body(api.get(f"{API}/Contacts", params={"page": 1}))
        huge = body(api.get(f"{API}/Contacts", params={"page": 1, "pageSize": 5000}))
    assert default["pagination"]["pageSize"] == 100
    assert len(default["Contacts"]) == 100
    assert huge["pagination"]["pageSize"] == 1000
    assert len(huge["Contacts"]) == 1000


def test_a_server_that_ignores_page_size_answers_100_a_page() -> None:
    sandbox = Sandbox(small_config(contacts=250, invoices=5, ignore_page_size=True))
    with client_for(sandbox) as api:
        answer = body(api.get(f"{API}/Contacts", params={"page": 1, "pageSize": 1000}))
    assert len(answer["Contacts"]) == 100
    assert answer["pagination"]["pageSize"] == 100
    assert answer["pagination"]["pageCount"] == (answer["pagination"]["itemCount"] + 99) // 100


def test_contacts_are_ordered_by_name(api: httpx.Client, sandbox: Sandbox) -> None:
    names = [c["Name"] for c in body(api.get(f"{API}/Contacts", params={"page": 1}))["Contacts"]]
    assert names == sorted(active_names(books(sandbox)), key=str.casefold)


def test_order_parameter_sorts_descending(api: httpx.Client) -> None:
    answer = body(api.get(f"{API}/Contacts", params={"page": 1, "order": "UpdatedDateUTC DESC"}))
    stamps = [from_ms(int(c["UpdatedDateUTC"][6:19])) for c in answer["Contacts"]]
    assert stamps == sorted(stamps, reverse=True)


# --- Contacts: filters ----------------------------------------------------------------------


def test_archived_contacts_are_left_out_unless_asked_for(
    api_both_ways: httpx.Client, sandbox: Sandbox
) -> None:
    api = api_both_ways
    data = books(sandbox)
    archived = {c["ContactID"] for c in data.contacts.values() if c["ContactStatus"] == "ARCHIVED"}
    assert archived, "the seeded data should archive some contacts"
    plain = body(api.get(f"{API}/Contacts", params={"page": 1}))
    everything = body(api.get(f"{API}/Contacts", params={"page": 1, "includeArchived": "true"}))
    assert not archived & {c["ContactID"] for c in plain["Contacts"]}
    assert archived <= {c["ContactID"] for c in everything["Contacts"]}
    assert everything["pagination"]["itemCount"] == len(data.contacts)
    assert plain["pagination"]["itemCount"] == len(data.contacts) - len(archived)


def test_where_filters_on_name_email_and_status(api: httpx.Client, sandbox: Sandbox) -> None:
    target = next(
        c
        for c in books(sandbox).contacts.values()
        if c.get("EmailAddress") and c["ContactStatus"] == "ACTIVE"
    )
    by_name = body(
        api.get(f"{API}/Contacts", params={"where": f'Name=="{target["Name"].upper()}"'})
    )
    both = body(
        api.get(
            f"{API}/Contacts",
            params={
                "where": f'EmailAddress=="{target["EmailAddress"]}" AND ContactStatus=="ACTIVE"'
            },
        )
    )
    assert [c["ContactID"] for c in by_name["Contacts"]] == [target["ContactID"]]
    assert target["ContactID"] in [c["ContactID"] for c in both["Contacts"]]
    assert all(c["EmailAddress"] == target["EmailAddress"] for c in both["Contacts"])


def test_where_with_archived_status_needs_include_archived(
    api: httpx.Client, sandbox: Sandbox
) -> None:
    where = 'ContactStatus=="ARCHIVED"'
    hidden = body(api.get(f"{API}/Contacts", params={"where": where}))
    shown = body(api.get(f"{API}/Contacts", params={"where": where, "includeArchived": "true"}))
    archived = [c for c in books(sandbox).contacts.values() if c["ContactStatus"] == "ARCHIVED"]
    assert hidden["Contacts"] == []
    assert len(shown["Contacts"]) == len(archived)


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ('Colour=="red"', "No property or field 'Colour' exists in type 'Contact'"),
        ('Name=="unclosed', "Syntax error"),
        ('Name=="a" AND', "Unexpected end of expression"),
    ],
)
def test_a_bad_where_is_a_query_parse_exception(
    api: httpx.Client, where: str, message: str
) -> None:
    response = api.get(f"{API}/Contacts", params={"where": where})
    assert response.status_code == 400
    answer = body(response)
    assert answer["Type"] == "QueryParseException"
    assert answer["ErrorNumber"] == 16
    assert message in answer["Message"]


def test_ids_select_exactly_those_contacts(api: httpx.Client, sandbox: Sandbox) -> None:
    wanted = [c["ContactID"] for c in books(sandbox).contacts.values()][3:6]
    answer = body(api.get(f"{API}/Contacts", params={"IDs": ",".join(wanted)}))
    assert {c["ContactID"] for c in answer["Contacts"]} == {
        i for i in wanted if books(sandbox).contacts[i]["ContactStatus"] == "ACTIVE"
    }


def test_search_term_matches_name_or_email_case_insensitively(
    api: httpx.Client, sandbox: Sandbox
) -> None:
    target = next(c for c in books(sandbox).contacts.values() if c["ContactStatus"] == "ACTIVE")
    term = target["Name"][1:5].lower()
    answer = body(api.get(f"{API}/Contacts", params={"searchTerm": term}))
    assert target["ContactID"] in {c["ContactID"] for c in answer["Contacts"]}
    for contact in answer["Contacts"]:
        fields = ("Name", "FirstName", "LastName", "ContactNumber", "EmailAddress")
        assert any(term in str(contact.get(name, "")).lower() for name in fields)


def test_summary_only_leaves_out_addresses_and_phones(api: httpx.Client) -> None:
    full = body(api.get(f"{API}/Contacts", params={"page": 1}))["Contacts"][0]
    summary = body(api.get(f"{API}/Contacts", params={"page": 1, "summaryOnly": "true"}))
    first = summary["Contacts"][0]
    assert "Addresses" in full and "Phones" in full
    assert "Addresses" not in first and "Phones" not in first
    assert first["ContactID"] == full["ContactID"] and first["Name"] == full["Name"]


@pytest.mark.parametrize("style", ["rfc1123", "iso"])
def test_if_modified_since_returns_only_later_changes(style: str, open_client: OpenClient) -> None:
    # Xero takes both forms; the spec types the header as date-time, so strict mode (which
    # holds requests to the spec) would refuse the RFC 1123 form before it got here.
    sandbox = Sandbox(small_config(strict=style == "iso"))
    data = books(sandbox)
    stamps = sorted(c["_updated"] for c in data.contacts.values())
    # Whole seconds, as an HTTP date carries: everything updated after that second.
    since = from_ms(stamps[len(stamps) // 2]).replace(microsecond=0)
    header = (
        format_datetime(since, usegmt=True)
        if style == "rfc1123"
        else since.strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    api = authorise(sandbox, open_client(sandbox))
    answer = body(
        api.get(
            f"{API}/Contacts",
            params={"page": 1, "pageSize": 1000, "includeArchived": "true"},
            headers={"If-Modified-Since": header},
        )
    )
    expected = {c["ContactID"] for c in data.contacts.values() if from_ms(c["_updated"]) > since}
    assert {c["ContactID"] for c in answer["Contacts"]} == expected
    assert 0 < len(expected) < len(data.contacts)


def test_a_contact_by_id_carries_its_balances(api: httpx.Client, sandbox: Sandbox) -> None:
    data = books(sandbox)
    invoice = next(
        i for i in data.invoices.values() if i["Status"] == "AUTHORISED" and i["Type"] == "ACCREC"
    )
    contact_id = invoice["Contact"]["ContactID"]
    answer = body(api.get(f"{API}/Contacts/{contact_id}"))
    outstanding = sum(
        i["AmountDue"]
        for i in data.invoices.values()
        if i["Contact"]["ContactID"] == contact_id
        and i["Status"] == "AUTHORISED"
        and i["Type"] == "ACCREC"
    )
    (contact,) = answer["Contacts"]
    assert contact["ContactID"] == contact_id
    assert contact["Balances"]["AccountsReceivable"]["Outstanding"] == outstanding


def test_an_unknown_contact_is_404(api: httpx.Client) -> None:
    response = api.get(f"{API}/Contacts/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404
    assert response.text == "The resource you're looking for cannot be found"


# --- Contacts: writes ----------------------------------------------------------------------


def test_put_creates_a_contact_that_reads_back(api: httpx.Client) -> None:
    created = api.put(
        f"{API}/Contacts",
        json={"Contacts": [{"Name": "Brand New Ltd", "EmailAddress": "ap@brandnew.example"}]},
    )
    assert created.status_code == 200
    (contact,) = body(created)["Contacts"]
    assert contact["ContactStatus"] == "ACTIVE"
    again = body(api.get(f"{API}/Contacts/{contact['ContactID']}"))["Contacts"][0]
    assert again["Name"] == "Brand New Ltd"
    assert again["EmailAddress"] == "ap@brandnew.example"


@pytest.mark.parametrize(
    ("contact", "message"),
    [
        ({"EmailAddress": "nobody@example.com"}, "The contact name must be specified"),
        ({"Name": "   "}, "The contact name must be specified"),
        (
            {"Name": "x", "EmailAddress": "not-an-address"},
            "Email address must be valid.",
        ),
    ],
)
def test_put_contact_validation_errors(
    api: httpx.Client, contact: dict[str, Any], message: str
) -> None:
    response = api.put(f"{API}/Contacts", json={"Contacts": [contact]})
    assert response.status_code == 400
    answer = body(response)
    assert answer["Type"] == "ValidationException"
    assert answer["Message"] == "A validation exception occurred"
    assert message in [m["Message"] for m in answer["Elements"][0]["ValidationErrors"]]


def test_contact_names_must_be_unique_ignoring_case(api: httpx.Client, sandbox: Sandbox) -> None:
    taken = active_names(books(sandbox))[0]
    count = len(books(sandbox).contacts)
    response = api.put(f"{API}/Contacts", json={"Contacts": [{"Name": taken.lower()}]})
    assert response.status_code == 400
    (message,) = body(response)["Elements"][0]["ValidationErrors"]
    assert message["Message"].startswith(f"The contact name {taken.lower()} is already assigned")
    assert len(books(sandbox).contacts) == count


def test_duplicate_names_inside_one_request_are_refused(api: httpx.Client) -> None:
    response = api.put(
        f"{API}/Contacts", json={"Contacts": [{"Name": "Twin Ltd"}, {"Name": "TWIN LTD"}]}
    )
    assert response.status_code == 400
    assert len(body(response)["Elements"]) == 1


def test_summarize_errors_false_saves_the_valid_and_flags_the_invalid(
    api: httpx.Client, sandbox: Sandbox
) -> None:
    response = api.put(
        f"{API}/Contacts",
        params={"summarizeErrors": "false"},
        json={"Contacts": [{"Name": "Good One Ltd"}, {"FirstName": "No name"}]},
    )
    assert response.status_code == 200
    good, bad = body(response)["Contacts"]
    assert good["StatusAttributeString"] == "OK" and "ContactID" in good
    assert bad["HasValidationErrors"] is True
    assert bad["ValidationErrors"] == [{"Message": "The contact name must be specified"}]
    assert "good one ltd" in books(sandbox).contact_names


def test_post_updates_a_contact_and_bumps_updated_date(api: httpx.Client, sandbox: Sandbox) -> None:
    contact_id = some_contact_id(sandbox)
    before = books(sandbox).contacts[contact_id]["_updated"]
    sandbox.clock.advance(60)
    response = api.post(
        f"{API}/Contacts",
        json={"Contacts": [{"ContactID": contact_id, "Name": "Renamed Holdings Ltd"}]},
    )
    assert response.status_code == 200
    (contact,) = body(response)["Contacts"]
    assert contact["Name"] == "Renamed Holdings Ltd"
    assert books(sandbox).contacts[contact_id]["_updated"] >= before + 60_000
    since = from_ms(before + 30_000).strftime("%Y-%m-%dT%H:%M:%SZ")
    changed = body(
        api.get(f"{API}/Contacts", params={"page": 1}, headers={"If-Modified-Since": since})
    )
    assert contact_id in {c["ContactID"] for c in changed["Contacts"]}


def test_archiving_a_contact_hides_it_from_the_default_list(
    api: httpx.Client, sandbox: Sandbox
) -> None:
    contact_id = some_contact_id(sandbox)
    response = api.post(f"{API}/Contacts/{contact_id}", json={"ContactStatus": "ARCHIVED"})
    assert response.status_code == 200
    listed = body(api.get(f"{API}/Contacts", params={"page": 1, "pageSize": 1000}))
    assert contact_id not in {c["ContactID"] for c in listed["Contacts"]}


def test_put_with_a_contact_id_is_not_an_update(api: httpx.Client, sandbox: Sandbox) -> None:
    response = api.put(
        f"{API}/Contacts",
        json={"Contacts": [{"ContactID": some_contact_id(sandbox), "Name": "Other Name Ltd"}]},
    )
    assert response.status_code == 400


# --- Idempotency --------------------------------------------------------------------------


def test_a_retried_put_with_the_same_key_gets_the_first_answer_byte_for_byte(
    api: httpx.Client, sandbox: Sandbox
) -> None:
    count = len(books(sandbox).contacts)
    payload = {"Contacts": [{"Name": "Retry Safe Ltd"}]}
    headers = {"Idempotency-Key": "contact-retry-1"}
    first = api.put(f"{API}/Contacts", json=payload, headers=headers)
    second = api.put(f"{API}/Contacts", json=payload, headers=headers)
    changed = api.put(
        f"{API}/Contacts", json={"Contacts": [{"Name": "Something Else Ltd"}]}, headers=headers
    )
    assert first.status_code == second.status_code == changed.status_code == 200
    assert second.content == first.content
    assert changed.content == first.content
    assert len(books(sandbox).contacts) == count + 1


def test_an_expired_key_is_processed_again(api: httpx.Client, sandbox: Sandbox) -> None:
    payload = {"Contacts": [{"Name": "Short Memory Ltd"}]}
    headers = {"Idempotency-Key": "contact-retry-2"}
    assert api.put(f"{API}/Contacts", json=payload, headers=headers).status_code == 200
    sandbox.clock.advance(sandbox.config.idempotency_ttl + 1)
    again = api.put(f"{API}/Contacts", json=payload, headers=headers)
    assert again.status_code == 400  # the name is now taken: the request really ran again


def test_a_key_is_kept_five_minutes_of_the_emulator_s_clock(
    api_both_ways: httpx.Client, sandbox: Sandbox
) -> None:
    api = api_both_ways
    count = len(books(sandbox).invoices)
    invoice = a_sale(some_contact_id(sandbox))  # no number: each run makes a new invoice
    headers = {"Idempotency-Key": "push-window"}
    first = api.put(f"{API}/Invoices", json={"Invoices": [invoice]}, headers=headers)
    sandbox.clock.advance(299)
    within = api.put(f"{API}/Invoices", json={"Invoices": [invoice]}, headers=headers)
    assert within.content == first.content
    assert len(books(sandbox).invoices) == count + 1
    sandbox.clock.advance(2)
    after = api.put(f"{API}/Invoices", json={"Invoices": [invoice]}, headers=headers)
    assert after.status_code == 200 and after.content != first.content
    assert len(books(sandbox).invoices) == count + 2


def test_a_kept_key_with_another_body_can_be_configured_to_run_it(sandbox: Sandbox) -> None:
    sandbox.config.idempotency_mismatch = "process"
    headers = {"Idempotency-Key": "reused"}
    with client_for(sandbox) as api:
        first = api.put(f"{API}/Contacts", json={"Contacts": [{"Name": "A Ltd"}]}, headers=headers)
        same = api.put(f"{API}/Contacts", json={"Contacts": [{"Name": "A Ltd"}]}, headers=headers)
        other = api.put(f"{API}/Contacts", json={"Contacts": [{"Name": "B Ltd"}]}, headers=headers)
    assert same.content == first.content
    assert body(other)["Contacts"][0]["Name"] == "B Ltd"
    assert {"a ltd", "b ltd"} <= set(books(sandbox).contact_names)


def test_keys_are_per_endpoint(api: httpx.Client, sandbox: Sandbox) -> None:
    headers = {"Idempotency-Key": "shared-key"}
    contact = api.put(
        f"{API}/Contacts", json={"Contacts": [{"Name": "Key One Ltd"}]}, headers=headers
    )
    invoice = api.put(
        f"{API}/Invoices",
        json={"Invoices": [a_sale(some_contact_id(sandbox))]},
        headers=headers,
    )
    assert "Contacts" in body(contact) and "Invoices" in body(invoice)


# --- Items, tax rates, currencies ---------------------------------------------------------


def test_items_are_not_paged_and_honour_if_modified_since(
    api_both_ways: httpx.Client, sandbox: Sandbox
) -> None:
    api = api_both_ways
    data = books(sandbox)
    everything = body(api.get(f"{API}/Items"))
    assert "pagination" not in everything
    assert len(everything["Items"]) == len(data.items) == 12
    newest = max(i["_updated"] for i in data.items.values())
    since = from_ms(newest - 1).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    recent = body(api.get(f"{API}/Items", headers={"If-Modified-Since": since}))
    assert [i["ItemID"] for i in recent["Items"]] == [
        i["ItemID"] for i in data.items.values() if i["_updated"] >= newest
    ]
    item = everything["Items"][0]
    assert (
        item["SalesDetails"]["UnitPrice"] == data.items[item["ItemID"]]["SalesDetails"]["UnitPrice"]
    )


def test_a_deleted_item_is_gone_from_every_read(api: httpx.Client, sandbox: Sandbox) -> None:
    item_id = next(iter(books(sandbox).items))
    before = body(api.get(f"{API}/Items"))["DateTimeUTC"]
    assert before
    deleted = api.delete(f"{API}/Items/{item_id}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    # Deleted, not marked: even a read of what changed since does not see it go.
    since = {"If-Modified-Since": "2000-01-01T00:00:00.000Z"}
    for headers in ({}, since):
        listed = body(api.get(f"{API}/Items", headers=headers))["Items"]
        assert item_id not in {i["ItemID"] for i in listed}
    assert api.delete(f"{API}/Items/{item_id}").status_code == 404


def test_accounts_are_the_seeded_chart_not_paged(api: httpx.Client, sandbox: Sandbox) -> None:
    answer = body(api.get(f"{API}/Accounts"))
    assert "pagination" not in answer
    by_code = {a["Code"]: a for a in answer["Accounts"]}
    assert set(by_code) == {a["Code"] for a in books(sandbox).accounts.values()}
    assert by_code["200"]["Type"] == "REVENUE" and by_code["200"]["Status"] == "ACTIVE"
    revenue = body(api.get(f"{API}/Accounts", params={"where": 'Type=="REVENUE"'}))["Accounts"]
    assert {a["Code"] for a in revenue} == {"200", "260"}


def test_only_an_unused_non_system_account_can_be_deleted(
    api: httpx.Client, sandbox: Sandbox
) -> None:
    by_code = {a["Code"]: a for a in books(sandbox).accounts.values()}
    for code, why in (("610", "system account"), ("200", "used on transactions")):
        refused = api.delete(f"{API}/Accounts/{by_code[code]['AccountID']}")
        assert refused.status_code == 400
        [element] = refused.json()["Elements"]
        assert why in element["ValidationErrors"][0]["Message"]
        assert element["Code"] == code
    unused = by_code["970"]  # owner funds introduced: no seeded document posts to it
    deleted = api.delete(f"{API}/Accounts/{unused['AccountID']}")
    assert deleted.status_code == 200
    assert body(deleted)["Accounts"][0]["Status"] == "DELETED"
    listed = body(api.get(f"{API}/Accounts"))["Accounts"]
    assert unused["AccountID"] not in {a["AccountID"] for a in listed}
    assert api.delete(f"{API}/Accounts/{unused['AccountID']}").status_code == 404


def test_tax_rates_filter_on_status_and_tax_type(api: httpx.Client) -> None:
    everything = body(api.get(f"{API}/TaxRates"))["TaxRates"]
    active = body(api.get(f"{API}/TaxRates", params={"where": 'Status=="ACTIVE"'}))["TaxRates"]
    output2 = body(api.get(f"{API}/TaxRates", params={"where": 'TaxType=="OUTPUT2"'}))["TaxRates"]
    assert {r["Status"] for r in everything} >= {"ACTIVE", "DELETED", "ARCHIVED"}
    assert {r["Status"] for r in active} == {"ACTIVE"}
    assert [(r["Name"], r["EffectiveRate"]) for r in output2] == [
        ("20% (VAT on Income)", Decimal("20.0"))
    ]


def test_currencies_are_the_base_and_three_more(api: httpx.Client) -> None:
    codes = [c["Code"] for c in body(api.get(f"{API}/Currencies"))["Currencies"]]
    assert codes[0] == "GBP"
    assert len(codes) == 4 and len(set(codes)) == 4


def test_organisation_describes_the_tenant(api: httpx.Client, sandbox: Sandbox) -> None:
    (org,) = body(api.get(f"{API}/Organisation"))["Organisations"]
    tenant = sandbox.state.orgs[first_tenant(sandbox)]
    assert org["Name"] == tenant.name
    assert org["BaseCurrency"] == tenant.base_currency == "GBP"
    assert org["CountryCode"] == "GB"
    assert org["ShortCode"] == tenant.short_code


# --- Invoices: reads ----------------------------------------------------------------------


def test_invoice_where_on_type_status_and_dates(api: httpx.Client, sandbox: Sandbox) -> None:
    data = books(sandbox)
    cut = sorted(i["DateString"][:10] for i in data.invoices.values())[60]
    y, m, d = (int(part) for part in cut.split("-"))
    where = f'Type=="ACCREC" AND Status=="PAID" && Date >= DateTime({y}, {m:02d}, {d:02d})'
    answer = body(api.get(f"{API}/Invoices", params={"where": where, "pageSize": 1000}))
    expected = {
        i["InvoiceID"]
        for i in data.invoices.values()
        if i["Type"] == "ACCREC" and i["Status"] == "PAID" and i["DateString"][:10] >= cut
    }
    assert {i["InvoiceID"] for i in answer["Invoices"]} == expected
    assert expected


WHERE_CASES = [
    ('Status=="VOIDED" OR Status=="DELETED"', lambda i: i["Status"] in ("VOIDED", "DELETED")),
    ('NOT Type=="ACCREC"', lambda i: i["Type"] != "ACCREC"),
    (
        '(Type=="ACCPAY" || Status=="DRAFT") AND AmountDue>0',
        lambda i: (i["Type"] == "ACCPAY" or i["Status"] == "DRAFT") and i["AmountDue"] > 0,
    ),
    ('Reference.Contains("BOOKKEEPING")', lambda i: "bookkeeping" in i["Reference"].lower()),
    ('InvoiceNumber.StartsWith("INV-00")', lambda i: i["InvoiceNumber"].startswith("INV-00")),
    ("AmountPaid>=100.5", lambda i: i["AmountPaid"] >= Decimal("100.5")),
]


@pytest.mark.parametrize(("where", "matches"), WHERE_CASES, ids=[w for w, _ in WHERE_CASES])
def test_where_expressions(api: httpx.Client, sandbox: Sandbox, where: str, matches: Any) -> None:
    answer = body(api.get(f"{API}/Invoices", params={"where": where, "pageSize": 1000}))
    expected = {i["InvoiceID"] for i in books(sandbox).invoices.values() if matches(i)}
    assert {i["InvoiceID"] for i in answer["Invoices"]} == expected
    assert 0 < len(expected) < len(books(sandbox).invoices)


def test_where_on_a_contact_guid(api: httpx.Client, sandbox: Sandbox) -> None:
    contact_id = next(iter(books(sandbox).invoices.values()))["Contact"]["ContactID"]
    where = f'Contact.ContactID==Guid("{contact_id.upper()}")'
    answer = body(api.get(f"{API}/Invoices", params={"where": where}))
    assert answer["Invoices"]
    assert {i["Contact"]["ContactID"] for i in answer["Invoices"]} == {contact_id}


def test_invoice_date_range_with_less_or_equal(api: httpx.Client, sandbox: Sandbox) -> None:
    data = books(sandbox)
    day = next(iter(data.invoices.values()))["DateString"][:10]
    y, m, d = (int(part) for part in day.split("-"))
    where = f"Date>=DateTime({y},{m},{d}) AND Date<=DateTime({y},{m},{d})"
    answer = body(api.get(f"{API}/Invoices", params={"where": where}))
    assert {i["DateString"][:10] for i in answer["Invoices"]} == {day}


def test_invoice_list_parameters(api: httpx.Client, sandbox: Sandbox) -> None:
    data = books(sandbox)
    invoices = list(data.invoices.values())
    statuses = body(
        api.get(f"{API}/Invoices", params={"Statuses": "VOIDED,DRAFT", "pageSize": 1000})
    )
    assert {i["Status"] for i in statuses["Invoices"]} == {"VOIDED", "DRAFT"}
    assert len(statuses["Invoices"]) == sum(i["Status"] in ("VOIDED", "DRAFT") for i in invoices)
    numbers = [i["InvoiceNumber"] for i in invoices if i["Type"] == "ACCREC"][:3]
    by_number = body(api.get(f"{API}/Invoices", params={"InvoiceNumbers": ",".join(numbers)}))
    assert sorted(i["InvoiceNumber"] for i in by_number["Invoices"]) == sorted(numbers)
    ids = [i["InvoiceID"] for i in invoices[5:8]]
    by_id = body(api.get(f"{API}/Invoices", params={"IDs": ",".join(ids)}))
    assert {i["InvoiceID"] for i in by_id["Invoices"]} == set(ids)
    contact_id = invoices[0]["Contact"]["ContactID"]
    by_contact = body(api.get(f"{API}/Invoices", params={"ContactIDs": contact_id}))
    assert {i["Contact"]["ContactID"] for i in by_contact["Invoices"]} == {contact_id}
    assert len(by_contact["Invoices"]) == sum(
        i["Contact"]["ContactID"] == contact_id for i in invoices
    )


def test_summary_only_invoices_have_no_line_items(api: httpx.Client) -> None:
    answer = body(api.get(f"{API}/Invoices", params={"page": 1, "summaryOnly": "true"}))
    assert answer["Invoices"] and all("LineItems" not in i for i in answer["Invoices"])
    assert all("AmountDue" in i for i in answer["Invoices"])


def test_an_invoice_by_id_or_number(api: httpx.Client, sandbox: Sandbox) -> None:
    invoice = next(i for i in books(sandbox).invoices.values() if i["Type"] == "ACCREC")
    by_id = body(api.get(f"{API}/Invoices/{invoice['InvoiceID']}"))["Invoices"][0]
    assert by_id["InvoiceNumber"] == invoice["InvoiceNumber"]
    assert by_id["LineItems"]
    unknown = api.get(f"{API}/Invoices/00000000-0000-4000-8000-000000000000")
    assert unknown.status_code == 404


def test_created_by_my_app_lists_only_what_this_app_created(
    api: httpx.Client, sandbox: Sandbox
) -> None:
    assert body(api.get(f"{API}/Invoices", params={"createdByMyApp": "true"}))["Invoices"] == []
    created = body(put_invoice(api, a_sale(some_contact_id(sandbox))))["Invoices"][0]
    mine = body(api.get(f"{API}/Invoices", params={"createdByMyApp": "true"}))["Invoices"]
    assert [i["InvoiceID"] for i in mine] == [created["InvoiceID"]]


# --- Invoices: creation and arithmetic ----------------------------------------------------


def test_an_exclusive_invoice_rounds_each_line_then_adds_up(
    api: httpx.Client, sandbox: Sandbox
) -> None:
    invoice = a_sale(
        some_contact_id(sandbox),
        InvoiceNumber="UKU-0001",
        LineItems=[
            {
                "Description": "Hours",
                "Quantity": 3,
                "UnitAmount": 33.335,
                "AccountCode": "200",
                "TaxType": "OUTPUT2",
            },
            {
                "Description": "Set-up",
                "Quantity": 1,
                "UnitAmount": 99.99,
                "AccountCode": "200",
                "TaxType": "OUTPUT2",
                "DiscountRate": 10,
            },
        ],
    )
    response = put_invoice(api, invoice)
    assert response.status_code == 200, response.text
    (saved,) = body(response)["Invoices"]
    # 33.335 → 33.34 (2 dp); 3 × 33.34 = 100.02, tax 20.00; 99.99 less 10% = 89.991 → 89.99,
    # tax 17.998 → 18.00.
    assert [line["LineAmount"] for line in saved["LineItems"]] == [
        Decimal("100.02"),
        Decimal("89.99"),
    ]
    assert [line["TaxAmount"] for line in saved["LineItems"]] == [Decimal("20.0"), Decimal("18.0")]
    assert saved["SubTotal"] == Decimal("190.01")
    assert saved["TotalTax"] == Decimal("38.0")
    assert saved["Total"] == saved["AmountDue"] == Decimal("228.01")
    assert saved["AmountPaid"] == saved["AmountCredited"] == Decimal("0")
    assert saved["Status"] == "AUTHORISED"
    assert saved["InvoiceNumber"] == "UKU-0001"
    assert saved["Date"] == "/Date(1761955200000+0000)/"
    assert saved["DateString"] == "2025-11-01T00:00:00"
    assert saved["IsDiscounted"] is True


def test_an_inclusive_invoice_takes_tax_out_of_the_line(
    api: httpx.Client, sandbox: Sandbox
) -> None:
    invoice = a_sale(some_contact_id(sandbox), LineAmountTypes="Inclusive")
    invoice["LineItems"][0]["UnitAmount"] = 120
    (saved,) = body(put_invoice(api, invoice))["Invoices"]
    assert (saved["SubTotal"], saved["TotalTax"], saved["Total"]) == (
        Decimal("100.0"),
        Decimal("20.0"),
        Decimal("120.0"),
    )


def test_a_no_tax_invoice_has_no_tax(api: httpx.Client, sandbox: Sandbox) -> None:
    (saved,) = body(put_invoice(api, a_sale(some_contact_id(sandbox), LineAmountTypes="NoTax")))[
        "Invoices"
    ]
    assert saved["TotalTax"] == Decimal("0") and saved["Total"] == Decimal("450.0")
    assert saved["LineItems"][0]["TaxType"] == "NONE"


def test_an_item_code_fills_price_account_and_tax(api: httpx.Client, sandbox: Sandbox) -> None:
    item = next(iter(books(sandbox).items.values()))
    invoice = a_sale(
        some_contact_id(sandbox), LineItems=[{"ItemCode": item["Code"], "Quantity": 2}]
    )
    (saved,) = body(put_invoice(api, invoice))["Invoices"]
    (line,) = saved["LineItems"]
    assert line["UnitAmount"] == item["SalesDetails"]["UnitPrice"]
    assert line["AccountCode"] == item["SalesDetails"]["AccountCode"]
    assert line["TaxType"] == item["SalesDetails"]["TaxType"]
    assert line["Item"]["Code"] == item["Code"]
    assert saved["SubTotal"] == 2 * item["SalesDetails"]["UnitPrice"]


def test_sales_invoices_get_the_next_number_when_none_is_given(
    api: httpx.Client, sandbox: Sandbox
) -> None:
    data = books(sandbox)
    expected = f"INV-{data.next_invoice_number:04d}"
    (saved,) = body(put_invoice(api, a_sale(some_contact_id(sandbox))))["Invoices"]
    assert saved["InvoiceNumber"] == expected


def test_a_contact_named_but_unknown_is_created_with_the_invoice(
    api: httpx.Client, sandbox: Sandbox
) -> None:
    invoice = a_sale("", Contact={"Name": "Inline Newco Ltd", "EmailAddress": "ap@newco.example"})
    (saved,) = body(put_invoice(api, invoice))["Invoices"]
    contact_id = saved["Contact"]["ContactID"]
    contact = body(api.get(f"{API}/Contacts/{contact_id}"))["Contacts"][0]
    assert contact["Name"] == "Inline Newco Ltd"
    assert contact["EmailAddress"] == "ap@newco.example"


def test_a_contact_named_like_an_existing_one_is_that_contact(
    api: httpx.Client, sandbox: Sandbox
) -> None:
    data = books(sandbox)
    name = active_names(data)[2]
    count = len(data.contacts)
    (saved,) = body(put_invoice(api, a_sale("", Contact={"Name": name.upper()})))["Invoices"]
    assert saved["Contact"]["ContactID"] == data.contact_names[name.casefold()]
    assert len(data.contacts) == count


INVALID_INVOICES: list[tuple[str, dict[str, Any], str]] = [
    ("no contact", {"Contact": {}}, "A Contact must be specified for this type of transaction"),
    (
        "unknown contact",
        {"Contact": {"ContactID": "00000000-0000-4000-8000-000000000001"}},
        "was not found",
    ),
    ("no lines", {"LineItems": []}, "At least one line item must be specified"),
    (
        "authorised sale without due date",
        {"DueDate": None},
        "Due Date must be specified for an approved sales invoice",
    ),
    (
        "deleted tax rate",
        {
            "LineItems": [
                {"Description": "x", "UnitAmount": 1, "AccountCode": "200", "TaxType": "OUTPUT"}
            ]
        },
        "The TaxType code OUTPUT does not exist or cannot be used for this type of transaction.",
    ),
    (
        "unknown tax rate",
        {
            "LineItems": [
                {"Description": "x", "UnitAmount": 1, "AccountCode": "200", "TaxType": "MADEUP"}
            ]
        },
        "The TaxType code MADEUP does not exist",
    ),
    (
        "unknown account",
        {"LineItems": [{"Description": "x", "UnitAmount": 1, "AccountCode": "999"}]},
        "Account code '999' is not a valid code for this document.",
    ),
    (
        "bank account on a line",
        {"LineItems": [{"Description": "x", "UnitAmount": 1, "AccountCode": "090"}]},
        "Account code '090' is not a valid code for this document.",
    ),
    (
        "no account on an approved invoice",
        {"LineItems": [{"Description": "x", "UnitAmount": 1}]},
        "Account code must be specified",
    ),
    (
        "unknown item",
        {"LineItems": [{"ItemCode": "NOPE", "AccountCode": "200"}]},
        "Item code 'NOPE' is not valid",
    ),
    (
        "currency not held",
        {"CurrencyCode": "JPY"},
        "Organisation is not subscribed to currency JPY",
    ),
    ("paid on creation", {"Status": "PAID"}, "Invoice not of valid status for creation"),
    ("voided on creation", {"Status": "VOIDED"}, "Invoice not of valid status for creation"),
]


@pytest.mark.parametrize(
    ("change", "message"),
    [(change, message) for _, change, message in INVALID_INVOICES],
    ids=[name for name, _, _ in INVALID_INVOICES],
)
def test_invoice_validation_errors(
    api: httpx.Client, sandbox: Sandbox, change: dict[str, Any], message: str
) -> None:
    invoice = {
        key: value
        for key, value in a_sale(some_contact_id(sandbox), **change).items()
        if value is not None
    }
    count = len(books(sandbox).invoices)
    response = put_invoice(api, invoice)
    assert response.status_code == 400, response.text
    answer = body(response)
    assert answer["ErrorNumber"] == 10 and answer["Type"] == "ValidationException"
    (element,) = answer["Elements"]
    assert any(message in m["Message"] for m in element["ValidationErrors"]), element
    assert len(books(sandbox).invoices) == count


def test_a_duplicate_sales_invoice_number_is_refused(api: httpx.Client, sandbox: Sandbox) -> None:
    taken = next(i for i in books(sandbox).invoices.values() if i["Type"] == "ACCREC")
    response = put_invoice(
        api, a_sale(some_contact_id(sandbox), InvoiceNumber=taken["InvoiceNumber"])
    )
    assert response.status_code == 400
    assert body(response)["Elements"][0]["ValidationErrors"] == [
        {"Message": "Invoice # must be unique."}
    ]


def test_bills_may_share_a_supplier_number(api: httpx.Client, sandbox: Sandbox) -> None:
    bill = a_sale(some_contact_id(sandbox), Type="ACCPAY", InvoiceNumber="SUP-1")
    bill["LineItems"][0].update(AccountCode="429", TaxType="INPUT2")
    assert put_invoice(api, bill).status_code == 200
    assert put_invoice(api, bill).status_code == 200


def test_summarize_errors_false_answers_each_invoice(api: httpx.Client, sandbox: Sandbox) -> None:
    contact_id = some_contact_id(sandbox)
    good = a_sale(contact_id, InvoiceNumber="UKU-GOOD")
    bad = a_sale(contact_id, InvoiceNumber="UKU-BAD", CurrencyCode="JPY")
    response = api.put(
        f"{API}/Invoices", params={"summarizeErrors": "false"}, json={"Invoices": [good, bad]}
    )
    assert response.status_code == 200
    saved, refused = body(response)["Invoices"]
    assert saved["StatusAttributeString"] == "OK" and saved["InvoiceNumber"] == "UKU-GOOD"
    assert refused["HasErrors"] is True and refused["StatusAttributeString"] == "ERROR"
    assert refused["ValidationErrors"] == [
        {"Message": "Organisation is not subscribed to currency JPY"}
    ]
    assert "uku-good" in books(sandbox).invoice_numbers
    assert "uku-bad" not in books(sandbox).invoice_numbers


def test_one_bad_invoice_with_summarized_errors_saves_nothing(
    api: httpx.Client, sandbox: Sandbox
) -> None:
    contact_id = some_contact_id(sandbox)
    count = len(books(sandbox).invoices)
    response = api.put(
        f"{API}/Invoices",
        json={"Invoices": [a_sale(contact_id), a_sale(contact_id, CurrencyCode="JPY")]},
    )
    assert response.status_code == 400
    assert len(books(sandbox).invoices) == count


def test_the_same_number_twice_in_one_batch_is_refused(api: httpx.Client, sandbox: Sandbox) -> None:
    contact_id = some_contact_id(sandbox)
    response = api.put(
        f"{API}/Invoices",
        params={"summarizeErrors": "false"},
        json={
            "Invoices": [
                a_sale(contact_id, InvoiceNumber="X-1"),
                a_sale(contact_id, InvoiceNumber="x-1"),
            ]
        },
    )
    first, second = body(response)["Invoices"]
    assert "HasErrors" not in first or first["HasErrors"] is False
    assert second["ValidationErrors"] == [{"Message": "Invoice # must be unique."}]


def test_invoice_put_is_idempotent_per_key(api: httpx.Client, sandbox: Sandbox) -> None:
    count = len(books(sandbox).invoices)
    invoice = a_sale(some_contact_id(sandbox), InvoiceNumber="UKU-IDEM")
    headers = {"Idempotency-Key": "push-UKU-IDEM"}
    first = api.put(f"{API}/Invoices", json={"Invoices": [invoice]}, headers=headers)
    retried = api.put(f"{API}/Invoices", json={"Invoices": [invoice]}, headers=headers)
    assert first.status_code == 200 and retried.content == first.content
    assert len(books(sandbox).invoices) == count + 1


# --- Invoices: updates --------------------------------------------------------------------


def test_post_updates_a_draft_by_id_and_by_number(api: httpx.Client, sandbox: Sandbox) -> None:
    draft = a_sale(some_contact_id(sandbox), Status="DRAFT", InvoiceNumber="UKU-DRAFT")
    (saved,) = body(put_invoice(api, draft))["Invoices"]
    sandbox.clock.advance(5)
    by_id = api.post(
        f"{API}/Invoices/{saved['InvoiceID']}", json={"Invoices": [{"Reference": "Nov work"}]}
    )
    assert by_id.status_code == 200, by_id.text
    assert body(by_id)["Invoices"][0]["Reference"] == "Nov work"
    assert body(by_id)["Invoices"][0]["UpdatedDateUTC"] != saved["UpdatedDateUTC"]
    by_number = api.post(
        f"{API}/Invoices",
        json={"Invoices": [{"InvoiceNumber": "UKU-DRAFT", "Status": "AUTHORISED"}]},
    )
    assert by_number.status_code == 200, by_number.text
    (updated,) = body(by_number)["Invoices"]
    assert updated["InvoiceID"] == saved["InvoiceID"] and updated["Status"] == "AUTHORISED"
    assert updated["Reference"] == "Nov work"


def test_an_authorised_invoice_without_allocations_can_be_edited(
    api_both_ways: httpx.Client, sandbox: Sandbox
) -> None:
    api = api_both_ways
    (saved,) = body(put_invoice(api, a_sale(some_contact_id(sandbox))))["Invoices"]
    line = {**a_sale("")["LineItems"][0], "UnitAmount": 500, "Quantity": 2}
    edited = api.post(
        f"{API}/Invoices/{saved['InvoiceID']}",
        json={"Invoices": [{"LineItems": [line], "Reference": "two months"}]},
    )
    assert edited.status_code == 200, edited.text
    (answer,) = body(edited)["Invoices"]
    assert answer["InvoiceID"] == saved["InvoiceID"] and answer["Status"] == "AUTHORISED"
    assert answer["Reference"] == "two months"
    assert (answer["SubTotal"], answer["Total"], answer["AmountDue"]) == (
        Decimal("1000"),
        Decimal("1200"),
        Decimal("1200"),
    )
    assert books(sandbox).invoices[saved["InvoiceID"]]["Total"] == Decimal("1200")


@pytest.mark.parametrize("allocation", ["payment", "credit note"])
def test_an_authorised_invoice_with_an_allocation_cannot_be_edited_and_stays_as_it_was(
    api: httpx.Client, sandbox: Sandbox, allocation: str
) -> None:
    (saved,) = body(put_invoice(api, a_sale(some_contact_id(sandbox))))["Invoices"]
    org = sandbox.state.orgs[first_tenant(sandbox)]
    allocate = record_payment if allocation == "payment" else allocate_credit
    allocate(sandbox, org, saved["InvoiceID"], Decimal("100.00"), date(2025, 11, 5))
    before = dict(books(sandbox).invoices[saved["InvoiceID"]])
    line = {**a_sale("")["LineItems"][0], "UnitAmount": 500}
    response = api.post(
        f"{API}/Invoices/{saved['InvoiceID']}",
        json={"Invoices": [{"LineItems": [line], "Reference": "changed"}]},
    )
    assert response.status_code == 400
    assert body(response)["Elements"][0]["ValidationErrors"] == [
        {
            "Message": "This document cannot be edited as it has a payment or credit note "
            "allocated to it."
        }
    ]
    after = books(sandbox).invoices[saved["InvoiceID"]]
    assert (after["Total"], after["Reference"], after["Status"]) == (
        before["Total"],
        before["Reference"],
        "AUTHORISED",
    )


def test_an_authorised_invoice_with_a_payment_cannot_be_edited(
    api: httpx.Client, sandbox: Sandbox
) -> None:
    (saved,) = body(put_invoice(api, a_sale(some_contact_id(sandbox))))["Invoices"]
    org = sandbox.state.orgs[first_tenant(sandbox)]
    record_payment(sandbox, org, saved["InvoiceID"], Decimal("100.00"), date(2025, 11, 5))
    response = api.post(
        f"{API}/Invoices/{saved['InvoiceID']}", json={"Invoices": [{"Reference": "changed"}]}
    )
    assert response.status_code == 400
    assert body(response)["Elements"][0]["ValidationErrors"] == [
        {
            "Message": "This document cannot be edited as it has a payment or credit note "
            "allocated to it."
        }
    ]


@pytest.mark.parametrize("final", ["VOIDED", "DELETED"])
def test_voided_and_deleted_invoices_are_final(
    api: httpx.Client, sandbox: Sandbox, final: str
) -> None:
    status = "AUTHORISED" if final == "VOIDED" else "DRAFT"
    (saved,) = body(put_invoice(api, a_sale(some_contact_id(sandbox), Status=status)))["Invoices"]
    closed = api.post(f"{API}/Invoices/{saved['InvoiceID']}", json={"Status": final})
    assert closed.status_code == 200
    assert body(closed)["Invoices"][0]["Status"] == final
    assert body(closed)["Invoices"][0]["AmountDue"] == Decimal("0")
    reopened = api.post(f"{API}/Invoices/{saved['InvoiceID']}", json={"Status": "AUTHORISED"})
    assert reopened.status_code == 400
    assert body(reopened)["Elements"][0]["ValidationErrors"] == [
        {"Message": "Invoice not of valid status for modification"}
    ]


def test_set_invoice_status_voids_and_refuses_what_xero_refuses(sandbox: Sandbox) -> None:
    org = sandbox.state.orgs[first_tenant(sandbox)]
    data = books(sandbox)
    unpaid = next(
        i
        for i in data.invoices.values()
        if i["Status"] == "AUTHORISED" and i["AmountPaid"] == 0 and i["AmountCredited"] == 0
    )
    paid = next(i for i in data.invoices.values() if i["Status"] == "PAID")
    voided = set_invoice_status(sandbox, org, unpaid["InvoiceID"], "VOIDED")
    assert voided["Status"] == "VOIDED" and voided["AmountDue"] == 0
    with pytest.raises(BooksRefused, match="not of valid status"):
        set_invoice_status(sandbox, org, paid["InvoiceID"], "VOIDED")
    with pytest.raises(ValueError):
        set_invoice_status(sandbox, org, unpaid["InvoiceID"], "DELETED")


# --- Payments -----------------------------------------------------------------------------


def pay(api: httpx.Client, invoice_id: str, amount: str, day: str = "2025-11-10") -> httpx.Response:
    return api.put(
        f"{API}/Payments",
        json={
            "Payments": [
                {
                    "Invoice": {"InvoiceID": invoice_id},
                    "Account": {"Code": "090"},
                    "Date": day,
                    "Amount": float(amount),
                }
            ]
        },
    )


def test_payments_update_the_invoice_until_it_is_paid(api: httpx.Client, sandbox: Sandbox) -> None:
    (invoice,) = body(put_invoice(api, a_sale(some_contact_id(sandbox))))["Invoices"]
    assert invoice["Total"] == Decimal("540.0")
    part = pay(api, invoice["InvoiceID"], "200.00")
    assert part.status_code == 200, part.text
    (payment,) = body(part)["Payments"]
    assert payment["Amount"] == Decimal("200.0")
    assert payment["Invoice"]["InvoiceID"] == invoice["InvoiceID"]
    after_part = body(api.get(f"{API}/Invoices/{invoice['InvoiceID']}"))["Invoices"][0]
    assert (after_part["AmountPaid"], after_part["AmountDue"]) == (
        Decimal("200.0"),
        Decimal("340.0"),
    )
    assert after_part["Status"] == "AUTHORISED" and "FullyPaidOnDate" not in after_part
    assert pay(api, invoice["InvoiceID"], "340.00", "2025-11-20").status_code == 200
    paid = body(api.get(f"{API}/Invoices/{invoice['InvoiceID']}"))["Invoices"][0]
    assert paid["Status"] == "PAID"
    assert paid["AmountDue"] == Decimal("0")
    assert paid["FullyPaidOnDate"] == "/Date(1763596800000+0000)/"
    assert [p["Amount"] for p in paid["Payments"]] == [Decimal("200.0"), Decimal("340.0")]


@pytest.mark.parametrize(
    ("status", "amount", "message"),
    [
        ("AUTHORISED", "540.01", "Payment amount exceeds the amount outstanding on this document"),
        ("DRAFT", "10.00", "Payments can only be made against Authorised documents"),
        ("VOIDED", "10.00", "Payments can only be made against Authorised documents"),
    ],
)
def test_payments_xero_refuses(
    api: httpx.Client, sandbox: Sandbox, status: str, amount: str, message: str
) -> None:
    create = "DRAFT" if status == "DRAFT" else "AUTHORISED"
    (invoice,) = body(put_invoice(api, a_sale(some_contact_id(sandbox), Status=create)))["Invoices"]
    if status == "VOIDED":
        api.post(f"{API}/Invoices/{invoice['InvoiceID']}", json={"Status": "VOIDED"})
    response = pay(api, invoice["InvoiceID"], amount)
    assert response.status_code == 400
    assert message in [m["Message"] for m in body(response)["Elements"][0]["ValidationErrors"]]


def test_record_payment_pays_like_a_person_in_xero(sandbox: Sandbox) -> None:
    org = sandbox.state.orgs[first_tenant(sandbox)]
    data = books(sandbox)
    invoice = next(
        i for i in data.invoices.values() if i["Status"] == "AUTHORISED" and i["AmountDue"] > 0
    )
    due = invoice["AmountDue"]
    stamp = invoice["_updated"]
    sandbox.clock.advance(1)
    payment = record_payment(sandbox, org, invoice["InvoiceID"], due, date(2026, 1, 2))
    assert payment["Amount"] == due
    assert data.invoices[invoice["InvoiceID"]]["Status"] == "PAID"
    assert data.invoices[invoice["InvoiceID"]]["_updated"] > stamp
    with pytest.raises(BooksRefused, match="Authorised documents"):
        record_payment(sandbox, org, invoice["InvoiceID"], Decimal("1"), date(2026, 1, 3))


def test_payments_are_listed_with_paging(api: httpx.Client, sandbox: Sandbox) -> None:
    answer = body(api.get(f"{API}/Payments", params={"page": 1, "pageSize": 7}))
    assert len(answer["Payments"]) == 7
    assert answer["pagination"]["itemCount"] == len(books(sandbox).payments)


# --- Other paged reads --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "field", "value"),
    [
        ("BankTransactions", "Type", "SPEND"),
        ("CreditNotes", "Type", "ACCPAYCREDIT"),
        ("ManualJournals", "Status", "POSTED"),
    ],
)
def test_paged_reads_filter_and_page(path: str, field: str, value: str) -> None:
    sandbox = Sandbox(small_config(credit_notes=40, manual_journals=30))
    with client_for(sandbox) as api:
        everything = body(api.get(f"{API}/{path}", params={"page": 1, "pageSize": 1000}))
        where = {"where": f'{field}=="{value}"', "page": 1, "pageSize": 1000}
        filtered = body(api.get(f"{API}/{path}", params=where))
        page = body(api.get(f"{API}/{path}", params={"page": 2, "pageSize": 3}))
    records = everything[path]
    assert everything["pagination"]["itemCount"] == len(records) > 0
    expected = [r for r in records if r[field] == value]
    assert filtered[path] == expected
    assert 0 < len(expected) < len(records)
    assert page[path] == records[3:6]
    assert page["pagination"] == {
        "page": 2,
        "pageSize": 3,
        "pageCount": (len(records) + 2) // 3,
        "itemCount": len(records),
    }


def test_paged_reads_filter_on_date_and_modified_since(api_both_ways: httpx.Client) -> None:
    api = api_both_ways
    everything = body(api.get(f"{API}/BankTransactions", params={"pageSize": 1000}))
    days = sorted(r["DateString"][:10] for r in everything["BankTransactions"])
    y, m, d = (int(p) for p in days[len(days) // 2].split("-"))
    later = body(
        api.get(
            f"{API}/BankTransactions",
            params={"where": f"Date>=DateTime({y},{m},{d})", "pageSize": 1000},
        )
    )
    assert len(later["BankTransactions"]) == sum(day >= days[len(days) // 2] for day in days)
    stamps = sorted(int(r["UpdatedDateUTC"][6:19]) for r in everything["BankTransactions"])
    since = from_ms(stamps[-5]).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    recent = body(api.get(f"{API}/BankTransactions", headers={"If-Modified-Since": since}))
    assert len(recent["BankTransactions"]) == 4


# --- Authorisation ------------------------------------------------------------------------


def test_an_expired_token_gets_xero_401(api: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.clock.advance(sandbox.config.access_token_ttl + 1)
    response = api.get(f"{API}/Contacts")
    assert response.status_code == 401
    assert body(response)["Detail"].startswith("TokenExpired")


def test_a_tenant_the_connection_does_not_cover_gets_403(sandbox: Sandbox) -> None:
    first, second = list(sandbox.state.orgs)
    token = grant_for_tests(sandbox, tenant_ids=[first])["access_token"]
    with httpx.Client(
        transport=httpx.WSGITransport(app=sandbox), base_url="http://sandbox.test"
    ) as client:
        response = client.get(
            f"{API}/Invoices",
            headers={"Authorization": f"Bearer {token}", "xero-tenant-id": second},
        )
    assert response.status_code == 403


def test_each_organisation_has_its_own_books(
    sandbox: Sandbox, sandbox_client: httpx.Client
) -> None:
    second = list(sandbox.state.orgs)[1]
    authorise(sandbox, sandbox_client, second)
    (org,) = body(sandbox_client.get(f"{API}/Organisation"))["Organisations"]
    currencies = body(sandbox_client.get(f"{API}/Currencies"))["Currencies"]
    assert org["BaseCurrency"] == "EUR" and currencies[0]["Code"] == "EUR"
    rates = body(sandbox_client.get(f"{API}/TaxRates", params={"where": 'TaxType=="OUTPUT"'}))
    assert rates["TaxRates"][0]["Status"] == "ACTIVE"


# --- Over real HTTP -----------------------------------------------------------------------


def test_over_http_paging_walks_every_contact(
    sandbox: Sandbox, sandbox_server: RunningServer
) -> None:
    with httpx.Client(base_url=sandbox_server.url) as client:
        authorise(sandbox, client)
        seen: list[str] = []
        page = 1
        while True:
            answer = body(client.get(f"{API}/Contacts", params={"page": page, "pageSize": 25}))
            if not answer["Contacts"]:
                break
            seen.extend(c["ContactID"] for c in answer["Contacts"])
            page += 1
    assert len(seen) == answer["pagination"]["itemCount"] == len(active_names(books(sandbox)))
    assert page - 1 == answer["pagination"]["pageCount"]


def test_over_http_idempotent_invoice_and_validation(
    sandbox: Sandbox, sandbox_server: RunningServer
) -> None:
    invoice = a_sale(some_contact_id(sandbox), InvoiceNumber="HTTP-1")
    with httpx.Client(base_url=sandbox_server.url) as client:
        authorise(sandbox, client)
        headers = {"Idempotency-Key": "http-1"}
        first = client.put(f"{API}/Invoices", json={"Invoices": [invoice]}, headers=headers)
        second = client.put(f"{API}/Invoices", json={"Invoices": [invoice]}, headers=headers)
        duplicate = client.put(f"{API}/Invoices", json={"Invoices": [invoice]})
    assert first.status_code == 200 and second.content == first.content
    assert duplicate.status_code == 400
    assert body(duplicate)["Elements"][0]["ValidationErrors"] == [
        {"Message": "Invoice # must be unique."}
    ]


def test_dates_in_answers_are_xero_ms_dates(api: httpx.Client) -> None:
    answer = body(api.get(f"{API}/Invoices", params={"page": 1, "pageSize": 1}))
    assert answer["DateTimeUTC"].startswith("/Date(") and "+" not in answer["DateTimeUTC"]
    (invoice,) = answer["Invoices"]
    for field in ("Date", "DueDate", "UpdatedDateUTC"):
        assert invoice[field].startswith("/Date(") and invoice[field].endswith("+0000)/")
    moment = from_ms(int(invoice["Date"][6:19]))
    assert moment.time() == datetime.min.time() and moment.tzinfo == UTC
    assert invoice["DateString"] == f"{moment.date().isoformat()}T00:00:00"
