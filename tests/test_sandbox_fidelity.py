"""Every accounting answer of the emulator validates against Xero's official OpenAPI spec.

Each response is checked twice with openapi-core:
- against the spec exactly as Xero publishes it (types, formats, enums);
- against a "closed" copy where objects admit no property the spec does not name and every
  `x-is-msdate` field must look like `/Date(ms+0000)/`, so a misspelt field or a date in the
  wrong form fails too. The few places where real Xero answers differ from the spec are
  added to that copy below (SPEC_GAPS), each with the reason.

404 answers are not checked: the spec defines no 404 response for these operations.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from uku_xero_cli.sandbox import spec
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.data import OrgData
from uku_xero_cli.sandbox.grants import grant_for_tests

API = "/api.xro/2.0"
MS_DATE = r"^/Date\(-?\d+([+-]\d{4})?\)/$"
ENVELOPE = {
    "Id": {"type": "string", "format": "uuid"},
    "Status": {"type": "string", "enum": ["OK"]},
    "ProviderName": {"type": "string"},
    "DateTimeUTC": {"type": "string", "pattern": r"^/Date\(\d+\)/$"},
}
LOCAL_DAY = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T00:00:00$"}
WRAPPERS = (
    "Organisations",
    "Accounts",
    "Contacts",
    "Items",
    "TaxRates",
    "Currencies",
    "Invoices",
    "Payments",
    "BankTransactions",
    "CreditNotes",
    "ManualJournals",
)
# Fields real Xero sends that the spec does not list.
SPEC_GAPS: dict[str, dict[str, Any]] = {
    # Xero wraps every answer in {Id, Status, ProviderName, DateTimeUTC, <collection>}; the
    # spec's wrapper schemas name only the collection (and Warnings, pagination).
    **{wrapper: ENVELOPE for wrapper in WRAPPERS},
    # Each `/Date()/` field of a document comes with its ISO companion `...String`.
    "Invoice": {"DateString": LOCAL_DAY, "DueDateString": LOCAL_DAY},
    "CreditNote": {"DateString": LOCAL_DAY, "DueDateString": LOCAL_DAY},
    "BankTransaction": {"DateString": LOCAL_DAY},
    "ManualJournal": {"DateString": LOCAL_DAY},
}
# Xero echoes the whole submitted object in each element of a ValidationException.
OPEN_SCHEMAS = ("Element",)


def _closed_spec() -> dict[str, Any]:
    data = copy.deepcopy(spec.load("accounting"))
    schemas: dict[str, Any] = data["components"]["schemas"]
    for schema in schemas.values():
        properties = schema.get("properties")
        if properties is None or any(k in schema for k in ("allOf", "anyOf", "oneOf")):
            continue
        schema["additionalProperties"] = False
        for name, definition in properties.items():
            if definition.get("x-is-msdate") or name in ("UpdatedDateUTC", "CreatedDateUTC"):
                definition["pattern"] = MS_DATE
    for name, extra in SPEC_GAPS.items():
        schemas[name]["properties"].update(copy.deepcopy(extra))
    for name in OPEN_SCHEMAS:
        schemas[name].pop("additionalProperties", None)
    return data


@pytest.fixture(scope="module")
def validators() -> tuple[OpenAPI, OpenAPI]:
    # Xero's spec is trusted as published; validating the spec document itself takes seconds.
    config = Config(spec_validator_cls=None)
    return (
        OpenAPI.from_dict(spec.load("accounting"), config=config),
        OpenAPI.from_dict(_closed_spec(), config=config),
    )


@dataclass
class _Request:
    """The request as openapi-core reads it, presented at Xero's own server URL."""

    path: str
    method: str
    parameters: RequestParameters
    host_url: str = "https://api.xero.com"
    content_type: str = "application/json"
    body: bytes | None = None


@dataclass
class _Response:
    status_code: int
    data: bytes
    headers: Headers
    content_type: str = field(default="application/json")


@dataclass
class Checked:
    client: httpx.Client
    validators: tuple[OpenAPI, OpenAPI]
    sandbox: Sandbox
    tenant: str

    @property
    def books(self) -> OrgData:
        data = self.sandbox.state.orgs[self.tenant].data
        assert data is not None
        return data

    def call(
        self,
        method: str,
        path: str,
        *,
        status: int = 200,
        params: dict[str, str] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """Send the request, check its status, validate the answer; return the body."""
        response = self.client.request(
            method, f"{API}{path}", params=params, json=json, headers=headers
        )
        assert response.status_code == status, response.text
        request = _Request(
            path=f"{API}{path}",
            method=method.lower(),
            parameters=RequestParameters(
                query=ImmutableMultiDict(params or {}), header=Headers(headers or {})
            ),
        )
        answer = _Response(
            response.status_code,
            response.content,
            Headers(dict(response.headers)),
            response.headers["content-type"],
        )
        for name, validator in zip(("published", "closed"), self.validators, strict=True):
            try:
                validator.validate_response(request, answer)
            except Exception as problem:
                errors = getattr(problem.__cause__, "schema_errors", None) or []
                details = "\n".join(
                    f"  {'.'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:20]
                )
                raise AssertionError(
                    f"{method} {path} ({response.status_code}) does not fit the {name} spec: "
                    f"{problem}\n{details}"
                ) from None
        return response.json()


def _checked(sandbox: Sandbox, client: httpx.Client, validators: Any, index: int) -> Checked:
    tenant = list(sandbox.state.orgs)[index]
    token = grant_for_tests(sandbox)["access_token"]
    client.headers.update({"Authorization": f"Bearer {token}", "xero-tenant-id": tenant})
    return Checked(client, validators, sandbox, tenant)


@pytest.fixture(params=[0, 1], ids=["GB", "EE"])
def xero(
    request: pytest.FixtureRequest,
    sandbox: Sandbox,
    sandbox_client: httpx.Client,
    validators: tuple[OpenAPI, OpenAPI],
) -> Iterator[Checked]:
    """Both seeded organisations: a UK one and an Estonian (Xero "global") one."""
    yield _checked(sandbox, sandbox_client, validators, request.param)


@pytest.fixture
def uk(
    sandbox: Sandbox, sandbox_client: httpx.Client, validators: tuple[OpenAPI, OpenAPI]
) -> Checked:
    return _checked(sandbox, sandbox_client, validators, 0)


def _contact_id(xero: Checked) -> str:
    return next(
        c["ContactID"] for c in xero.books.contacts.values() if c["ContactStatus"] == "ACTIVE"
    )


def _sale(xero: Checked, **fields: Any) -> dict[str, Any]:
    tax = "OUTPUT2" if "OUTPUT2" in xero.books.tax_rates else "OUTPUT"
    invoice = {
        "Type": "ACCREC",
        "Contact": {"ContactID": _contact_id(xero)},
        "Date": "2025-11-01",
        "DueDate": "2025-11-15",
        "Status": "AUTHORISED",
        "LineItems": [
            {
                "Description": "Monthly bookkeeping",
                "Quantity": 2,
                "UnitAmount": 225.5,
                "AccountCode": "200",
                "TaxType": tax,
                "DiscountRate": 5,
            }
        ],
    }
    invoice.update(fields)
    return invoice


# --- Reads -----------------------------------------------------------------------------------


def test_organisation(xero: Checked) -> None:
    assert xero.call("GET", "/Organisation")["Organisations"]


@pytest.mark.parametrize(
    "params",
    [
        {"page": "1", "pageSize": "10"},
        {"page": "1", "pageSize": "10", "summaryOnly": "true"},
        {"page": "1", "pageSize": "10", "includeArchived": "true", "order": "UpdatedDateUTC DESC"},
    ],
)
def test_contacts_list(xero: Checked, params: dict[str, str]) -> None:
    assert xero.call("GET", "/Contacts", params=params)["Contacts"]


def test_contact_by_id(xero: Checked) -> None:
    answer = xero.call("GET", f"/Contacts/{_contact_id(xero)}")
    assert "Balances" in answer["Contacts"][0]


@pytest.mark.parametrize("path", ["/Accounts", "/Items", "/TaxRates", "/Currencies"])
def test_settings(xero: Checked, path: str) -> None:
    assert xero.call("GET", path)[path.strip("/")]


def test_accounts_changed_since(xero: Checked) -> None:
    since = {"If-Modified-Since": "2000-01-01T00:00:00.000Z"}
    everything = xero.call("GET", "/Accounts", headers=since)["Accounts"]
    assert len(everything) == len(xero.books.accounts)


def test_account_delete_and_its_refusal(uk: Checked) -> None:
    system = next(a for a in uk.books.accounts.values() if a.get("SystemAccount"))
    refused = uk.call("DELETE", f"/Accounts/{system['AccountID']}", status=400)
    assert refused["Type"] == "ValidationException"
    # Owner funds introduced: an equity account no seeded document posts to.
    unused = next(a for a in uk.books.accounts.values() if a["Code"] == "970")
    deleted = uk.call("DELETE", f"/Accounts/{unused['AccountID']}")["Accounts"]
    assert [(a["AccountID"], a["Status"]) for a in deleted] == [(unused["AccountID"], "DELETED")]


def test_item_delete(uk: Checked) -> None:
    item_id = next(iter(uk.books.items))
    response = uk.client.delete(f"{API}/Items/{item_id}")
    # The spec's 204 has no body to validate: the status and the empty body are the answer.
    assert (response.status_code, response.content) == (204, b"")


def test_invoices_list(xero: Checked) -> None:
    # A page holding every kind of invoice: paid, part-paid, credited, voided, draft, bills.
    wanted: dict[str, str] = {}
    for invoice in xero.books.invoices.values():
        kinds = [
            invoice["Status"],
            invoice["Type"],
            "credited" if invoice["CreditNotes"] else "",
            "part-paid" if invoice["Payments"] and invoice["AmountDue"] > 0 else "",
        ]
        for kind in filter(None, kinds):
            wanted.setdefault(kind, invoice["InvoiceID"])
    assert {"PAID", "VOIDED", "DRAFT", "ACCPAY", "credited"} <= set(wanted)
    ids = ",".join(sorted(set(wanted.values())))
    answer = xero.call("GET", "/Invoices", params={"IDs": ids, "page": "1"})
    assert len(answer["Invoices"]) == len(set(wanted.values()))
    xero.call("GET", "/Invoices", params={"page": "1", "pageSize": "5", "summaryOnly": "true"})


def test_unpaged_summaries(xero: Checked) -> None:
    # Without `page`: every match, no pagination object, document lines sent empty.
    answer = xero.call("GET", "/Invoices", params={"where": 'Type=="ACCREC"'})
    assert answer["Invoices"] and "pagination" not in answer
    ids = ",".join(list(xero.books.invoices)[:3])
    assert len(xero.call("GET", "/Invoices", params={"IDs": ids})["Invoices"]) == 3
    for path in ("/CreditNotes", "/BankTransactions", "/ManualJournals", "/Contacts"):
        assert xero.call("GET", path)[path.strip("/")]


def test_four_decimal_prices(xero: Checked) -> None:
    sale = _sale(xero)
    sale["LineItems"][0]["UnitAmount"] = 0.1648
    created = xero.call("PUT", "/Invoices", params={"unitdp": "4"}, json={"Invoices": [sale]})
    invoice_id = created["Invoices"][0]["InvoiceID"]
    xero.call("GET", f"/Invoices/{invoice_id}", params={"unitdp": "4"})
    xero.call("GET", "/Items", params={"unitdp": "4"})


def test_invoice_by_id(xero: Checked) -> None:
    invoice_id = next(iter(xero.books.invoices))
    assert xero.call("GET", f"/Invoices/{invoice_id}")["Invoices"][0]["InvoiceID"] == invoice_id


@pytest.mark.parametrize(
    "path", ["/Payments", "/BankTransactions", "/CreditNotes", "/ManualJournals"]
)
def test_paged_reads(xero: Checked, path: str) -> None:
    answer = xero.call("GET", path, params={"page": "1", "pageSize": "1000"})
    assert answer["pagination"]["itemCount"] == len(answer[path.strip("/")]) > 0


def test_a_query_parse_error_is_a_plain_400(uk: Checked) -> None:
    # The spec gives GET operations no 400 answer; Xero's QueryParseException is checked by
    # hand: the published Error shape.
    response = uk.client.get(f"{API}/Contacts", params={"where": 'Nope=="x"'})
    assert response.status_code == 400
    assert set(response.json()) == {"ErrorNumber", "Type", "Message"}


# --- Contacts: writes --------------------------------------------------------------------------


def test_contact_create(uk: Checked) -> None:
    uk.call("PUT", "/Contacts", json={"Contacts": [{"Name": "Fidelity Ltd", "TaxNumber": "1"}]})


def test_contact_create_refused(uk: Checked) -> None:
    answer = uk.call("PUT", "/Contacts", status=400, json={"Contacts": [{"FirstName": "No"}]})
    assert answer["Type"] == "ValidationException"


def test_contacts_saved_with_per_element_errors(uk: Checked) -> None:
    answer = uk.call(
        "POST",
        "/Contacts",
        params={"summarizeErrors": "false"},
        json={
            "Contacts": [
                {"ContactID": _contact_id(uk), "EmailAddress": "new@address.example"},
                {"Name": ""},
            ]
        },
    )
    assert answer["Contacts"][1]["HasValidationErrors"] is True


def test_contact_update_by_id(uk: Checked) -> None:
    uk.call("POST", f"/Contacts/{_contact_id(uk)}", json={"Contacts": [{"Name": "Renamed Ltd"}]})


# --- Invoices: writes --------------------------------------------------------------------------


def test_invoice_create(xero: Checked) -> None:
    answer = xero.call("PUT", "/Invoices", json={"Invoices": [_sale(xero)]})
    assert answer["Invoices"][0]["Total"] > 0


def test_invoice_create_refused(uk: Checked) -> None:
    answer = uk.call(
        "PUT", "/Invoices", status=400, json={"Invoices": [_sale(uk, CurrencyCode="JPY")]}
    )
    assert answer["Elements"][0]["ValidationErrors"]


def test_invoices_with_per_element_errors(uk: Checked) -> None:
    answer = uk.call(
        "PUT",
        "/Invoices",
        params={"summarizeErrors": "false"},
        json={"Invoices": [_sale(uk), _sale(uk, Contact={})]},
    )
    assert answer["Invoices"][1]["HasErrors"] is True


def test_invoice_update(uk: Checked) -> None:
    created = uk.call("PUT", "/Invoices", json={"Invoices": [_sale(uk, Status="DRAFT")]})
    invoice_id = created["Invoices"][0]["InvoiceID"]
    uk.call("POST", f"/Invoices/{invoice_id}", json={"Invoices": [{"Reference": "Changed"}]})
    uk.call(
        "POST", "/Invoices", json={"Invoices": [{"InvoiceID": invoice_id, "Status": "DELETED"}]}
    )


def test_invoice_update_refused(uk: Checked) -> None:
    paid = next(i for i in uk.books.invoices.values() if i["Status"] == "PAID")
    uk.call(
        "POST",
        f"/Invoices/{paid['InvoiceID']}",
        status=400,
        json={"Invoices": [{"Reference": "too late"}]},
    )


# --- Payments: writes --------------------------------------------------------------------------


def _payment(invoice_id: str, amount: float) -> dict[str, Any]:
    return {
        "Invoice": {"InvoiceID": invoice_id},
        "Account": {"Code": "090"},
        "Date": "2025-11-20",
        "Amount": amount,
        "Reference": "Bank transfer",
    }


def test_payments_create(xero: Checked) -> None:
    created = xero.call("PUT", "/Invoices", json={"Invoices": [_sale(xero)]})
    invoice_id = created["Invoices"][0]["InvoiceID"]
    xero.call("PUT", "/Payments", json={"Payments": [_payment(invoice_id, 10.0)]})
    xero.call("POST", "/Payments", json=_payment(invoice_id, 5.0))
    paid = xero.call("GET", f"/Invoices/{invoice_id}")["Invoices"][0]
    assert len(paid["Payments"]) == 2


def test_payments_refused(uk: Checked) -> None:
    created = uk.call("PUT", "/Invoices", json={"Invoices": [_sale(uk)]})
    invoice_id = created["Invoices"][0]["InvoiceID"]
    uk.call("PUT", "/Payments", status=400, json={"Payments": [_payment(invoice_id, 9999.0)]})
    answer = uk.call(
        "PUT",
        "/Payments",
        params={"summarizeErrors": "false"},
        json={"Payments": [_payment(invoice_id, 9999.0)]},
    )
    assert answer["Payments"][0]["HasValidationErrors"] is True
