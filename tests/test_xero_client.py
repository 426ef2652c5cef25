"""The Xero API client core: headers, token refresh, error mapping, connections."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pytest_httpx import HTTPXMock

from tests import connected
from tests.conftest import CliResult
from tests.connected import point_at
from uku_xero_cli.errors import (
    AccessRefused,
    MissingScope,
    NetworkError,
    NotFound,
    ReauthorizationRequired,
    XeroAPIError,
    XeroValidationError,
)
from uku_xero_cli.sandbox import control, environment
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.config import PUBLIC_CLIENT_ID
from uku_xero_cli.sandbox.grants import grant_for_tests
from uku_xero_cli.sandbox.server import RunningServer
from uku_xero_cli.settings import Settings, load_settings
from uku_xero_cli.tokens import CompanyTokens, TokenStore
from uku_xero_cli.xero.client import XeroClient, validation_messages
from uku_xero_cli.xero.retry import RetryPolicy

BASE = "http://sandbox.test"


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name, value in environment(BASE, PUBLIC_CLIENT_ID).items():
        monkeypatch.setenv(name, value)
    return load_settings()


def connect_company(
    sandbox: Sandbox,
    settings: Settings,
    *,
    expires_in: float = 1800.0,
    scopes: str | None = None,
) -> CompanyTokens:
    answer = grant_for_tests(sandbox) if scopes is None else grant_for_tests(sandbox, scopes)
    tenant = sandbox.state.default_user().tenant_ids[0]
    connection = next(c for c in sandbox.state.connections.values() if c.tenant_id == tenant)
    record = CompanyTokens(
        company="acme",
        tenant_id=tenant,
        tenant_name=sandbox.state.orgs[tenant].name,
        connection_id=connection.id,
        access_token=answer["access_token"],
        refresh_token=answer["refresh_token"],
        expires_at=datetime.now(UTC) + timedelta(seconds=expires_in),
        scopes=answer["scope"].split(),
        connected_at=datetime.now(UTC),
    )
    TokenStore(settings).save(record)
    return record


@pytest.fixture
def client(sandbox: Sandbox, settings: Settings) -> Iterator[XeroClient]:
    with XeroClient(settings, "acme", transport=httpx.WSGITransport(app=sandbox)) as made:
        yield made


def token_requests(sandbox: Sandbox) -> int:
    return sandbox.log.count("POST", "/connect/token")


def test_connections_lists_the_organisations_with_user_agent_and_bearer(
    sandbox: Sandbox, settings: Settings, client: XeroClient
) -> None:
    connect_company(sandbox, settings)
    found = client.connections()
    assert {c.tenant_name for c in found} == {o.name for o in sandbox.state.orgs.values()}
    assert all(c.created is not None and c.created.tzinfo is not None for c in found)
    sent = sandbox.log.last("GET", "/connections")
    assert sent.header("user-agent") == "uku-xero/0.1.0"
    assert sent.header("accept") == "application/json"
    assert sent.header("authorization") == "Bearer ***"
    assert sent.header("xero-tenant-id") is None
    assert token_requests(sandbox) == 0


def test_a_token_with_under_a_minute_left_is_refreshed_and_saved_first(
    sandbox: Sandbox, settings: Settings, client: XeroClient
) -> None:
    before = connect_company(sandbox, settings, expires_in=30)
    client.connections()
    assert token_requests(sandbox) == 1
    after = TokenStore(settings).load("acme")
    assert after is not None
    assert after.refresh_token != before.refresh_token
    assert after.access_token != before.access_token
    assert after.refreshed_at is not None and after.seconds_left() > 1700


def test_a_401_refreshes_once_and_retries(
    sandbox: Sandbox, settings: Settings, client: XeroClient
) -> None:
    connect_company(sandbox, settings)
    control.expire_access_tokens(sandbox)  # Xero says expired although our clock says not
    assert len(client.connections()) == 2
    assert token_requests(sandbox) == 1
    statuses = [e.status for e in sandbox.log.entries("GET", "/connections")]
    assert statuses == [401, 200]


def test_invalid_grant_marks_the_company_and_asks_for_auth(
    sandbox: Sandbox, settings: Settings, client: XeroClient
) -> None:
    record = connect_company(sandbox, settings, expires_in=0)
    sandbox.state.refresh_tokens[record.refresh_token or ""].revoked = True
    with pytest.raises(ReauthorizationRequired) as caught:
        client.connections()
    assert caught.value.hint == "run `uku-xero auth -c acme`"
    stored = TokenStore(settings).load("acme")
    assert stored is not None and stored.needs_reauth
    assert "invalid_grant" in (stored.reauth_reason or "")
    assert stored.refresh_token == record.refresh_token


def test_a_network_failure_during_refresh_keeps_the_old_refresh_token(
    sandbox: Sandbox, settings: Settings
) -> None:
    record = connect_company(sandbox, settings, expires_in=0)

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with (
        XeroClient(settings, "acme", transport=httpx.MockTransport(refuse)) as offline,
        pytest.raises(NetworkError),
    ):
        offline.connections()
    stored = TokenStore(settings).load("acme")
    assert stored is not None and not stored.needs_reauth
    assert stored.refresh_token == record.refresh_token


NO_INVOICES = "offline_access openid profile email accounting.contacts accounting.settings"


def test_a_missing_scope_is_named_without_refreshing_or_marking_the_company(
    sandbox: Sandbox, settings: Settings, client: XeroClient
) -> None:
    connect_company(sandbox, settings, scopes=NO_INVOICES)
    with pytest.raises(MissingScope) as caught:
        client.get("Invoices")
    assert sandbox.log.last("GET", "/api.xro/2.0/Invoices").status == 401
    assert "GET /Invoices" in caught.value.message
    assert "accounting.invoices.read" in caught.value.message
    assert caught.value.hint is not None
    assert f'uku-xero auth -c acme --scopes "{NO_INVOICES} accounting.invoices.read"' in (
        caught.value.hint
    )
    assert token_requests(sandbox) == 0  # a refresh cannot add a scope
    stored = TokenStore(settings).load("acme")
    assert stored is not None and not stored.needs_reauth
    assert client.get("Contacts")["Contacts"]  # what the scopes allow still works


# Xero's 401 body when it does not accept the token (xeroizer#509, pyxero#337); it gives the
# same "AuthenticationUnsuccessful" for a missing scope at times (xero-php-oauth2#138).
NOT_AUTHENTICATED = {
    "Type": None,
    "Title": "Unauthorized",
    "Status": 401,
    "Detail": "AuthenticationUnsuccessful",
    "Instance": "5b5f3b2e-0f9b-4d0c-9a53-2f1c4c1d2e3f",
    "Extensions": {},
}


def test_two_401s_in_a_row_are_an_error_of_this_run_that_marks_nothing(
    sandbox: Sandbox, settings: Settings, client: XeroClient
) -> None:
    connect_company(sandbox, settings)
    sandbox.faults.fail("/api.xro/2.0/Contacts", status=401, count=2, body=NOT_AUTHENTICATED)
    with pytest.raises(AccessRefused) as caught:
        client.get("Contacts")
    assert token_requests(sandbox) == 1  # refreshed once, refused again
    message = caught.value.message
    assert "GET /Contacts" in message and "401 AuthenticationUnsuccessful" in message
    assert "probably a scope problem" in message and "needs accounting.contacts.read" in message
    assert "granted: offline_access" in message and "was not marked" in message
    assert caught.value.hint is not None and "run the command again" in caught.value.hint
    stored = TokenStore(settings).load("acme")
    assert stored is not None and not stored.needs_reauth
    # Xero recovers: the next call works as if nothing happened.
    assert client.get("Contacts")["Contacts"]


def test_a_missing_scope_answered_as_authentication_unsuccessful_is_named(
    sandbox: Sandbox, settings: Settings, client: XeroClient
) -> None:
    connect_company(sandbox, settings, scopes=NO_INVOICES)
    sandbox.faults.fail("/api.xro/2.0/Invoices", status=401, count=2, body=NOT_AUTHENTICATED)
    with pytest.raises(MissingScope) as caught:
        client.get("Invoices")
    assert "needs accounting.invoices.read" in caught.value.message
    assert f"granted: {NO_INVOICES}" in caught.value.message
    assert caught.value.hint is not None
    assert f'--scopes "{NO_INVOICES} accounting.invoices.read"' in caught.value.hint
    stored = TokenStore(settings).load("acme")
    assert stored is not None and not stored.needs_reauth


def test_a_mark_an_earlier_version_left_after_two_401s_is_cleared_by_an_answer(
    sandbox: Sandbox, settings: Settings, client: XeroClient
) -> None:
    record = connect_company(sandbox, settings)
    old_mark = record.with_reauth(
        "Xero refused a freshly refreshed access token (401 AuthenticationUnsuccessful)"
    )
    tokens = TokenStore(settings)
    tokens.save(old_mark)
    assert "needs_reauth = true" in tokens.path("acme").read_text()
    loaded = tokens.load("acme")
    assert loaded is not None and not loaded.needs_reauth  # not a mark that stops anything
    assert client.get("Contacts")["Contacts"]
    assert "needs_reauth = false" in tokens.path("acme").read_text()
    assert "reauth_reason" not in tokens.path("acme").read_text()
    # A mark Xero made final (invalid_grant) is kept as it is.
    tokens.save(record.with_reauth("Xero refused the refresh token (invalid_grant)"))
    still = tokens.load("acme")
    assert still is not None and still.needs_reauth


def test_delete_connection_is_true_then_false_when_already_gone(
    sandbox: Sandbox, settings: Settings, client: XeroClient
) -> None:
    record = connect_company(sandbox, settings)
    assert client.delete_connection(record.connection_id or "") is True
    assert record.connection_id not in sandbox.state.connections
    assert client.delete_connection(record.connection_id or "") is False


def test_fixed_access_token_needs_no_store(sandbox: Sandbox, settings: Settings) -> None:
    answer = grant_for_tests(sandbox)
    with XeroClient(
        settings,
        "nobody",
        transport=httpx.WSGITransport(app=sandbox),
        access_token=answer["access_token"],
    ) as fixed:
        assert len(fixed.connections()) == 2
    assert TokenStore(settings).load("nobody") is None


# -- error mapping (mocked answers) ---------------------------------------------------------

API = "https://api.xero.com/api.xro/2.0"


@pytest.fixture
def mocked(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[XeroClient]:
    monkeypatch.setenv("XERO_CLIENT_ID", "CLIENT")
    settings = load_settings()
    TokenStore(settings).save(
        CompanyTokens(
            company="acme",
            tenant_id="tenant-1",
            access_token="at-live-123",
            refresh_token="rt-live-123",
            expires_at=datetime.now(UTC) + timedelta(minutes=30),
        )
    )
    # Retries (xero/retry.py) must not sleep for real here.
    with XeroClient(settings, "acme", retry=RetryPolicy(sleep=lambda _: None)) as made:
        yield made


def test_api_requests_carry_the_tenant_header(mocked: XeroClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{API}/Organisation", json={"Organisations": []})
    assert mocked.get("Organisation") == {"Organisations": []}
    sent = httpx_mock.get_requests()[0]
    assert sent.headers["xero-tenant-id"] == "tenant-1"
    assert sent.headers["authorization"] == "Bearer at-live-123"


def test_403_marks_the_company_for_reauthorization(
    mocked: XeroClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        url=f"{API}/Contacts",
        status_code=403,
        json={"Title": "Forbidden", "Status": 403, "Detail": "AuthenticationUnsuccessful"},
    )
    with pytest.raises(ReauthorizationRequired, match="connection was removed"):
        mocked.get("Contacts")
    stored = mocked.store.load("acme")
    assert stored is not None and stored.needs_reauth


def test_404_is_not_found(mocked: XeroClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{API}/Invoices/x", status_code=404)
    with pytest.raises(NotFound, match=r"^Xero has no GET /api\.xro/2\.0/Invoices/x$"):
        mocked.get("Invoices/x")


def test_a_404_to_a_list_query_says_the_url_was_too_long_not_that_the_endpoint_is_missing(
    sandbox: Sandbox, settings: Settings, client: XeroClient
) -> None:
    connect_company(sandbox, settings)
    with pytest.raises(NotFound) as caught:
        client.get("Invoices", params={"InvoiceNumbers": "N" * 2100})
    assert sandbox.log.last("GET", "/api.xro/2.0/Invoices").status == 404
    message = caught.value.message
    assert "Xero has no" not in message
    assert message.startswith("Xero answered 404 (not found) to the query of GET")
    assert "its URL is 2,1" in message and "over about 2,048" in message


def test_validation_exception_carries_xeros_messages(
    mocked: XeroClient, httpx_mock: HTTPXMock
) -> None:
    body = {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": "A validation exception occurred",
        "Elements": [
            {"ValidationErrors": [{"Message": "Account code '999' is not valid."}]},
            {"LineItems": [{"ValidationErrors": [{"Message": "Quantity must be set"}]}]},
        ],
    }
    httpx_mock.add_response(url=f"{API}/Invoices", method="PUT", status_code=400, json=body)
    with pytest.raises(XeroValidationError) as caught:
        mocked.request("PUT", "Invoices", json={"Invoices": []})
    assert caught.value.messages == ["Account code '999' is not valid.", "Quantity must be set"]
    assert "Account code '999'" in caught.value.message


def test_validation_messages_fall_back_to_the_top_message() -> None:
    assert validation_messages({"Message": "Bad"}) == ["Bad"]


def test_5xx_is_a_network_error(mocked: XeroClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{API}/Items", status_code=503, is_reusable=True)
    with pytest.raises(NetworkError, match="503"):
        mocked.get("Items")
    assert len(httpx_mock.get_requests()) == mocked.retry.attempts


def test_other_4xx_is_a_xero_api_error(mocked: XeroClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{API}/Items", status_code=409, json={"Message": "Conflict!"})
    with pytest.raises(XeroAPIError, match="Conflict!"):
        mocked.get("Items")


# -- through the CLI over loopback HTTP --------------------------------------------------------


def test_reload_without_the_invoice_scope_exits_4_and_other_data_sets_keep_working(
    sandbox: Sandbox,
    sandbox_server: RunningServer,
    monkeypatch: pytest.MonkeyPatch,
    cli: Callable[..., CliResult],
) -> None:
    point_at(sandbox_server, monkeypatch)
    connected.connect_company(sandbox, scopes=NO_INVOICES)
    result = cli("reload", "-c", "acme")
    assert result.exit_code == 4, result.stderr
    assert "GET /Invoices" in result.stderr and "accounting.invoices.read" in result.stderr
    assert "uku-xero auth -c acme --scopes" in result.stderr
    assert connected.refreshes(sandbox) == []
    assert not connected.stored().needs_reauth
    again = cli("reload", "-c", "acme", "--only", "clients", "--json")
    assert again.exit_code == 0, again.stderr
    assert cli("status", "-c", "acme").exit_code == 0


def test_two_401s_then_xero_recovers_the_next_run_exits_0_with_no_mark(
    sandbox: Sandbox,
    sandbox_server: RunningServer,
    monkeypatch: pytest.MonkeyPatch,
    cli: Callable[..., CliResult],
) -> None:
    point_at(sandbox_server, monkeypatch)
    connected.connect_company(sandbox)
    rule = {"path": "/api.xro/2.0/Contacts", "status": 401, "count": 2, "body": NOT_AUTHENTICATED}
    httpx.post(f"{sandbox_server.url}/_sandbox/faults", json={"fail": rule}).raise_for_status()
    glitch = cli("reload", "-c", "acme", "--only", "clients")
    assert glitch.exit_code == 1, glitch.stderr
    assert "probably a scope problem" in glitch.stderr and "was not marked" in glitch.stderr
    assert connected.refreshes(sandbox) == [200]
    assert not connected.stored().needs_reauth
    again = cli("reload", "-c", "acme", "--only", "clients")
    assert again.exit_code == 0, again.stderr
    assert not connected.stored().needs_reauth
    assert cli("status", "-c", "acme", "--offline").exit_code == 0
