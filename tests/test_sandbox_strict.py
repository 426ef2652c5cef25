"""Strict mode: requests that do not fit Xero's OpenAPI spec get a 400 naming the problem.

Tests that take `strict` or `sandbox_http` run twice: in-process, then over real loopback HTTP.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import OpenClient, small_config
from uku_xero_cli.errors import UsageError
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.config import CONFIDENTIAL_CLIENT_ID, PUBLIC_CLIENT_ID
from uku_xero_cli.sandbox.grants import grant_for_tests
from uku_xero_cli.sandbox.http import Request, Response

CONTACT_ID = "3ff6d40c-af9a-40a3-89ce-3c1556a25591"


def build(strict: bool = True) -> tuple[Sandbox, list[str]]:
    """A sandbox with test-only routes declared against real spec operations."""
    sandbox = Sandbox(small_config(contacts=5, invoices=5, strict=strict))
    handled: list[str] = []

    def echo(sandbox: Sandbox, request: Request, **_: object) -> Response:
        handled.append(f"{request.method} {request.path}")
        return Response.json({"ok": True})

    add = sandbox.router.add
    add("GET", "/api.xro/2.0/TestContacts", echo, kind="api", spec=("accounting", "/Contacts"))
    add(
        "GET",
        "/api.xro/2.0/TestContacts/{id}",
        echo,
        kind="api",
        spec=("accounting", "/Contacts/{ContactID}"),
    )
    add("PUT", "/api.xro/2.0/TestInvoices", echo, kind="api", spec=("accounting", "/Invoices"))
    add("GET", "/api.xro/2.0/TestWrong", echo, kind="api", spec=("accounting", "/NoSuchThing"))
    return sandbox, handled


def api_headers(sandbox: Sandbox) -> dict[str, str]:
    token = grant_for_tests(sandbox)["access_token"]
    return {"Authorization": f"Bearer {token}", "xero-tenant-id": next(iter(sandbox.state.orgs))}


@pytest.fixture
def strict(open_client: OpenClient) -> tuple[httpx.Client, dict[str, str], list[str]]:
    sandbox, handled = build()
    return open_client(sandbox), api_headers(sandbox), handled


@pytest.fixture
def strict_in_process() -> Iterator[tuple[httpx.Client, dict[str, str], list[str]]]:
    sandbox, handled = build()
    with httpx.Client(transport=httpx.WSGITransport(app=sandbox), base_url="http://s") as http:
        yield http, api_headers(sandbox), handled


def detail(answer: httpx.Response) -> str:
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert (body["Title"], body["Status"]) == ("Strict mode", 400)
    return str(body["Detail"])


def test_a_request_that_fits_the_spec_reaches_the_handler(strict) -> None:
    http, headers, handled = strict
    answer = http.get(
        "/api.xro/2.0/TestContacts",
        params={"page": "2", "pageSize": "50", "includeArchived": "true", "IDs": CONTACT_ID},
        headers=headers,
    )
    assert answer.status_code == 200
    assert handled == ["GET /api.xro/2.0/TestContacts"]


def test_unknown_query_parameter_is_named(strict) -> None:
    http, headers, handled = strict
    answer = http.get("/api.xro/2.0/TestContacts?pageSze=10", headers=headers)
    assert detail(answer) == "query parameter 'pageSze' is not in Xero's spec for GET /Contacts"
    assert handled == []


def test_query_parameter_names_match_case_insensitively_as_at_xero(strict) -> None:
    http, headers, _ = strict
    answer = http.get("/api.xro/2.0/TestContacts?PAGE=2&pagesize=5", headers=headers)
    assert answer.status_code == 200


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("page=abc", "query parameter 'page'"),
        ("IDs=not-a-guid", "query parameter 'IDs'"),
    ],
)
def test_wrongly_typed_query_parameter_is_named(strict, query: str, named: str) -> None:
    http, headers, _ = strict
    text = detail(http.get(f"/api.xro/2.0/TestContacts?{query}", headers=headers))
    assert text.startswith(f"{named} does not fit Xero's spec for GET /Contacts")


def test_booleans_are_true_or_false_as_xero_parses_them(strict) -> None:
    http, headers, _ = strict
    assert http.get("/api.xro/2.0/TestContacts?includeArchived=True", headers=headers).is_success
    text = detail(http.get("/api.xro/2.0/TestContacts?includeArchived=yes", headers=headers))
    assert text == (
        "query parameter 'includeArchived' must be true or false for GET /Contacts, not 'yes'"
    )


def test_a_parameter_given_twice_is_refused(strict) -> None:
    http, headers, _ = strict
    text = detail(http.get("/api.xro/2.0/TestContacts?page=1&page=2", headers=headers))
    assert "'page' is given 2 times" in text


def test_missing_tenant_header_is_named(strict) -> None:
    http, headers, _ = strict
    without = {"Authorization": headers["Authorization"]}
    text = detail(http.get("/api.xro/2.0/TestContacts", headers=without))
    assert text == "header 'xero-tenant-id' is required by Xero's spec for GET /Contacts"


def test_if_modified_since_must_be_a_date_time(strict) -> None:
    http, headers, _ = strict
    good = dict(headers, **{"If-Modified-Since": "2025-11-01T00:00:00Z"})
    assert http.get("/api.xro/2.0/TestContacts", headers=good).status_code == 200
    bad = dict(headers, **{"If-Modified-Since": "yesterday"})
    assert "header 'If-Modified-Since'" in detail(
        http.get("/api.xro/2.0/TestContacts", headers=bad)
    )


def test_path_parameter_must_fit_and_paths_ignore_case(strict) -> None:
    http, headers, _ = strict
    assert http.get(f"/API.XRO/2.0/testcontacts/{CONTACT_ID}", headers=headers).status_code == 200
    text = detail(http.get("/api.xro/2.0/TestContacts/42", headers=headers))
    assert text.startswith("path parameter 'ContactID' does not fit")


def invoice(**line: object) -> dict:
    return {
        "Invoices": [
            {
                "Type": "ACCREC",
                "Contact": {"ContactID": CONTACT_ID},
                "Date": "2026-11-01",
                "LineItems": [{"Description": "Tuition", "Quantity": 1.0, **line}],
            }
        ]
    }


def test_a_json_body_that_fits_the_schema_passes(strict) -> None:
    http, headers, handled = strict
    answer = http.put("/api.xro/2.0/TestInvoices", json=invoice(UnitAmount=12.5), headers=headers)
    assert answer.status_code == 200
    assert handled == ["PUT /api.xro/2.0/TestInvoices"]


def test_a_body_that_does_not_fit_names_the_field(strict) -> None:
    http, headers, handled = strict
    answer = http.put(
        "/api.xro/2.0/TestInvoices", json=invoice(UnitAmount="12.50"), headers=headers
    )
    text = detail(answer)
    assert text.startswith("request body does not fit Xero's spec for PUT /Invoices")
    assert "Invoices[0].LineItems[0].UnitAmount" in text
    assert handled == []


def test_missing_and_unexpected_bodies_are_refused(strict) -> None:
    http, headers, _ = strict
    assert detail(http.put("/api.xro/2.0/TestInvoices", headers=headers)) == (
        "PUT /Invoices needs a request body"
    )
    sent = http.request("GET", "/api.xro/2.0/TestContacts", json={"x": 1}, headers=headers)
    assert detail(sent) == "GET /Contacts takes no request body"


def test_a_route_declared_against_a_missing_operation_is_an_emulator_error(strict) -> None:
    http, headers, _ = strict
    answer = http.get("/api.xro/2.0/TestWrong", headers=headers)
    assert answer.status_code == 500
    assert "not in the accounting spec" in answer.json()["Detail"]


def test_connections_are_checked_against_the_identity_spec(sandbox_http, sandbox) -> None:
    token = grant_for_tests(sandbox)["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert sandbox_http.get("/connections", headers=auth).status_code == 200
    assert "query parameter 'tenant'" in detail(
        sandbox_http.get("/connections?tenant=x", headers=auth)
    )
    assert "query parameter 'authEventId'" in detail(
        sandbox_http.get("/connections?authEventId=nope", headers=auth)
    )
    assert "path parameter 'id'" in detail(
        sandbox_http.delete("/connections/not-a-guid", headers=auth)
    )


@pytest.mark.parametrize(
    ("form", "named"),
    [
        ({"grant_type": "refresh_token"}, "form field 'refresh_token' is required"),
        ({"grant_type": "password", "username": "x"}, "grant_type 'password'"),
        (
            {"grant_type": "refresh_token", "refresh_token": "r", "refreshToken": "r"},
            "form field 'refreshToken' is not one Xero documents",
        ),
        (
            {
                "grant_type": "authorization_code",
                "code": "c",
                "redirect_uri": "u",
                "client_secret": "s",
            },
            "Authorization: Basic header",
        ),
        ({"grant_type": "authorization_code", "code": "c"}, "'redirect_uri' is required"),
    ],
)
def test_token_forms_are_checked_against_the_fields_xero_documents(
    sandbox_http, form: dict, named: str
) -> None:
    assert named in detail(sandbox_http.post("/connect/token", data=form))


def test_token_endpoint_takes_a_form_not_json(sandbox_http) -> None:
    answer = sandbox_http.post("/connect/token", json={"grant_type": "refresh_token"})
    assert "application/x-www-form-urlencoded" in detail(answer)


def test_a_well_formed_refresh_reaches_the_token_endpoint(sandbox_http, sandbox) -> None:
    refresh = grant_for_tests(sandbox)["refresh_token"]
    form = {"grant_type": "refresh_token", "refresh_token": refresh, "client_id": PUBLIC_CLIENT_ID}
    assert sandbox_http.post("/connect/token", data=form).status_code == 200


def test_revocation_needs_the_token_field(sandbox_http) -> None:
    answer = sandbox_http.post("/connect/revocation", data={"client_id": CONFIDENTIAL_CLIENT_ID})
    assert "form field 'token' is required" in detail(answer)


def test_authorize_query_is_checked(sandbox_http, sandbox) -> None:
    params = {
        "response_type": "code",
        "client_id": PUBLIC_CLIENT_ID,
        "redirect_uri": sandbox.config.redirect_uris[0],
        "scope": "offline_access",
        "colour": "blue",
    }
    answer = sandbox_http.get("/identity/connect/authorize", params=params)
    assert "query parameter 'colour' is not one Xero documents" in detail(answer)
    del params["scope"], params["colour"]
    answer = sandbox_http.get("/identity/connect/authorize", params=params)
    assert "query parameter 'scope' is required" in detail(answer)


def test_without_strict_mode_nothing_is_checked() -> None:
    sandbox, handled = build(strict=False)
    headers = api_headers(sandbox)
    with httpx.Client(transport=httpx.WSGITransport(app=sandbox), base_url="http://s") as http:
        assert http.get("/api.xro/2.0/TestContacts?pageSze=1", headers=headers).status_code == 200
    assert handled == ["GET /api.xro/2.0/TestContacts"]


def test_strict_mode_costs_milliseconds_per_request(strict_in_process) -> None:
    # In-process only: loopback HTTP would add its own cost to what this measures.
    http, headers, _ = strict_in_process
    body = invoice(UnitAmount=12.5)
    http.get("/api.xro/2.0/TestContacts", headers=headers)
    started = time.perf_counter()
    for _ in range(25):
        http.get("/api.xro/2.0/TestContacts?page=1&pageSize=100", headers=headers)
        http.put("/api.xro/2.0/TestInvoices", json=body, headers=headers)
    per_request = (time.perf_counter() - started) / 50
    # Measured at about 2-3 ms; rebuilding the spec per request would cost far more.
    assert per_request < 0.025


def test_strict_mode_without_openapi_core_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "openapi_core", None)
    with pytest.raises(UsageError) as caught:
        Sandbox(small_config(contacts=5, invoices=5))
    assert "openapi-core" in caught.value.message
    assert caught.value.hint is not None
    assert "pip install '.[strict]'" in caught.value.hint


def test_sandbox_command_strict_without_openapi_core_exits_2(
    cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "openapi_core", None)
    result = cli("sandbox", "--strict", "--port", "0", "--contacts", "5", "--invoices", "5")
    assert result.exit_code == 2
    assert "openapi-core" in result.stderr
    assert "pip install '.[strict]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_sandbox_command_serves_strict_mode_with_limits_from_flags() -> None:
    command = [sys.executable, "-m", "uku_xero_cli", "sandbox", "--strict", "--port", "0"]
    command += ["--contacts", "5", "--invoices", "5", "--minute-limit", "7"]
    command += ["--concurrent-limit", "3", "--app-minute-limit", "90"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        variables = {}
        while "UKU_XERO_CONNECTIONS_URL" not in variables:
            line = server.stdout.readline()
            assert line, server.stderr.read() if server.stderr else "sandbox exited"
            name, _, value = line.strip().removeprefix("export ").partition("=")
            variables[name] = value
        answer = httpx.get(variables["UKU_XERO_CONNECTIONS_URL"] + "?tenant=1", timeout=10)
        assert detail(answer) == (
            "query parameter 'tenant' is not in Xero's spec for GET /Connections"
        )
        base = variables["UKU_XERO_CONNECTIONS_URL"].removesuffix("/connections")
        limits = httpx.get(base + "/_sandbox/limits", timeout=10).json()
        assert (limits["minute_limit"], limits["concurrent_limit"]) == (7, 3)
        assert limits["app_minute_limit"] == 90
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.parametrize(
    "flag", [["--error-rate", "2"], ["--minute-limit", "0"], ["--latency", "-1"]]
)
def test_sandbox_command_refuses_impossible_fault_and_limit_values(cli, flag: list[str]) -> None:
    result = cli("sandbox", "--port", "0", *flag)
    assert result.exit_code == 2
    assert flag[0] in result.stderr
