"""xero/raw.py: a path, query fields, headers and a body as a person writes them for
`uku-xero api`, turned into the request sent, or refused before anything is sent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from uku_xero_cli.errors import UsageError
from uku_xero_cli.settings import Endpoints
from uku_xero_cli.xero.raw import encoded_body, list_key, raw_request, split_path

XERO = Endpoints()


@pytest.mark.parametrize(
    "written",
    [
        "Invoices/UKU-2026-0042",
        "/Invoices/UKU-2026-0042",
        "api.xro/2.0/Invoices/UKU-2026-0042",
        "/api.xro/2.0/Invoices/UKU-2026-0042/",
        "https://api.xero.com/api.xro/2.0/Invoices/UKU-2026-0042",
    ],
)
def test_a_path_is_relative_to_the_accounting_api_with_or_without_its_root(written: str) -> None:
    request = raw_request("get", written, XERO)
    assert request.method == "GET"
    assert request.url(XERO) == "https://api.xero.com/api.xro/2.0/Invoices/UKU-2026-0042"


def test_the_query_of_the_path_and_the_fields_are_sent_together() -> None:
    request = raw_request(
        "GET",
        'Contacts?where=ContactStatus=="ARCHIVED"&includeArchived=true',
        XERO,
        fields=["order=Name DESC", "where2=a=b"],
    )
    assert request.path == "Contacts"
    assert request.params() == {
        "where": ['ContactStatus=="ARCHIVED"'],
        "includeArchived": ["true"],
        "order": ["Name DESC"],
        "where2": ["a=b"],
    }


def test_a_path_is_encoded_but_escapes_already_written_stay() -> None:
    request = raw_request("GET", "Contacts/Acme Ltd#2/50%25", XERO)
    assert request.url(XERO).endswith("/Contacts/Acme%20Ltd%232/50%25")


def test_identity_paths_are_under_the_identity_api() -> None:
    request = raw_request("GET", "connections", XERO, identity=True)
    assert request.url(XERO) == "https://api.xero.com/connections"
    same = raw_request("GET", "https://api.xero.com/connections", XERO, identity=True)
    assert same.url(XERO) == request.url(XERO)


@pytest.mark.parametrize(
    ("written", "identity", "says"),
    [
        ("https://evil.example/api.xro/2.0/Invoices", False, "refusing to send"),
        ("http://api.xero.com/api.xro/2.0/Invoices", False, "refusing to send"),
        ("https://api.xero.com/connections", False, "under the identity API: add --identity"),
        ("https://api.xero.com.evil.example/connections", True, "refusing to send"),
        ("api.xro/2.0/Invoices", True, "leave out --identity"),
        ("", False, "give a path"),
        ("/api.xro/2.0/", False, "give a path"),
        ("Invoices/../Contacts", False, "climb out"),
    ],
)
def test_paths_outside_the_api_are_refused(written: str, identity: bool, says: str) -> None:
    with pytest.raises(UsageError, match=says):
        split_path(written, XERO, identity=identity)


@pytest.mark.parametrize("name", ["Authorization", "authorization", "XERO-TENANT-ID"])
def test_the_clients_own_headers_cannot_be_overridden(name: str) -> None:
    with pytest.raises(UsageError, match=f"-H {name}: uku-xero sets"):
        raw_request("GET", "Invoices", XERO, headers=[f"{name}: x"])


def test_headers_are_sent_as_given_and_a_body_gets_a_json_content_type() -> None:
    request = raw_request(
        "POST", "Invoices", XERO, headers=["If-Modified-Since: Mon, 01 Dec 2026 00:00:00 GMT"],
        body=b"{}",
    )  # fmt: skip
    headers = request.sent_headers()
    assert headers["If-Modified-Since"] == "Mon, 01 Dec 2026 00:00:00 GMT"
    assert headers["Content-Type"] == "application/json"
    assert headers["Idempotency-Key"]


def test_every_write_carries_an_idempotency_key_and_a_read_none() -> None:
    first = raw_request("PUT", "Invoices", XERO, body=b"{}")
    second = raw_request("PUT", "Invoices", XERO, body=b"{}")
    assert first.idempotency_key and second.idempotency_key
    assert first.idempotency_key != second.idempotency_key
    assert raw_request("DELETE", "Items/X", XERO).idempotency_key
    assert raw_request("GET", "Items", XERO).idempotency_key is None
    given = raw_request("POST", "Invoices", XERO, headers=["idempotency-key: mine"], body=b"{}")
    assert given.idempotency_key == "mine"
    assert list(given.sent_headers()).count("Idempotency-Key") == 1


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"idempotency_key": "x" * 129}, "1-128 printable ASCII"),
        ({"idempotency_key": "a", "headers": ["Idempotency-Key: b"]}, "two different"),
        ({"method": "GET", "body": b"{}"}, "GET sends no body"),
        ({"method": "DELETE", "body": b"{}"}, "DELETE sends no body"),
        ({"paginate": True}, "--paginate reads pages"),
        ({"body": b"[1, NaN]"}, "NaN is not a number"),
    ],
)
def test_a_request_that_cannot_be_sent_is_a_usage_error(
    kwargs: dict[str, object], says: str
) -> None:
    options: dict[str, object] = {"method": "PUT", **kwargs}
    method = str(options.pop("method"))
    with pytest.raises(UsageError, match=says):
        raw_request(method, "Invoices", XERO, **options)  # type: ignore[arg-type]


def test_the_page_size_of_a_walk_comes_from_the_option_or_the_query() -> None:
    assert raw_request("GET", "Contacts", XERO, paginate=True).page_size == 1000
    assert raw_request("GET", "Contacts", XERO, paginate=True, page_size=50).page_size == 50
    written = raw_request("GET", "Contacts?pageSize=200", XERO, paginate=True)
    assert written.page_size == 200
    assert written.params(3) == {"page": ["3"], "pageSize": ["200"]}
    assert written.shown_url(XERO).endswith("/Contacts?pageSize=200&page=1")


def test_a_body_is_sent_with_its_numbers_exactly_as_written() -> None:
    sent = encoded_body(b'{"UnitAmount": 1234567890.123456789, "Quantity": 3}', "--input -")
    assert sent == b'{"UnitAmount":1234567890.123456789,"Quantity":3}'
    with pytest.raises(UsageError, match=r"--input x: the body is not JSON \(Expecting"):
        encoded_body(b"{", "--input x")


def test_the_list_of_an_answer_is_the_one_named_like_the_collection() -> None:
    body = {"Id": "x", "Warnings": [], "Contacts": [], "pagination": {}}
    assert list_key(body, "contacts") == "Contacts"
    assert list_key({"Warnings": [], "Items": []}, "other") == "Items"
    assert list_key({"Id": "x", "Status": "OK"}, "Organisation") is None
    assert Decimal("1") == 1  # amounts compare as numbers either way
