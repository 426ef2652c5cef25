"""The admin API under /_sandbox/, over real loopback HTTP, as tests and support people use it."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.conftest import small_config
from uku_xero_cli.sandbox import control
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.config import (
    CONFIDENTIAL_CLIENT_ID,
    CONFIDENTIAL_CLIENT_SECRET,
    PUBLIC_CLIENT_ID,
)
from uku_xero_cli.sandbox.grants import grant_for_tests
from uku_xero_cli.sandbox.http import Request, Response
from uku_xero_cli.sandbox.server import RunningServer, serve_in_thread

PING = "/api.xro/2.0/TestPing"


@dataclass
class Admin:
    sandbox: Sandbox
    http: httpx.Client
    tenants: list[str]
    grant: dict

    def api(self, tenant: int = 0, token: str | None = None) -> httpx.Response:
        bearer = token or self.grant["access_token"]
        headers = {"Authorization": f"Bearer {bearer}", "xero-tenant-id": self.tenants[tenant]}
        return self.http.get(PING, headers=headers)

    def refresh(self, refresh_token: str) -> httpx.Response:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": PUBLIC_CLIENT_ID,
        }
        return self.http.post("/connect/token", data=form)

    def connections(self, token: str | None = None) -> list[dict]:
        bearer = token or self.grant["access_token"]
        answer = self.http.get("/connections", headers={"Authorization": f"Bearer {bearer}"})
        assert answer.status_code == 200
        return answer.json()


@pytest.fixture
def admin() -> Iterator[Admin]:
    sandbox = Sandbox(small_config(contacts=7, invoices=5))

    def ping(sandbox: Sandbox, request: Request, **_: object) -> Response:
        return Response.json({"ok": True})

    sandbox.router.add("GET", PING, ping, kind="api")
    grant = grant_for_tests(sandbox)
    with serve_in_thread(sandbox) as server, httpx.Client(base_url=server.url) as http:
        yield Admin(sandbox, http, list(sandbox.state.orgs), grant)


def test_index_lists_every_admin_endpoint_and_each_one_answers(admin: Admin) -> None:
    index = admin.http.get("/_sandbox/")
    assert index.status_code == 200
    listed = {(e["method"], e["path"]) for e in index.json()["endpoints"]}
    for expected in [
        ("GET", "/_sandbox/orgs"),
        ("GET", "/_sandbox/requests"),
        ("DELETE", "/_sandbox/requests"),
        ("POST", "/_sandbox/clock/advance"),
        ("POST", "/_sandbox/faults"),
        ("DELETE", "/_sandbox/faults"),
        ("POST", "/_sandbox/rate-limit/force"),
        ("PATCH", "/_sandbox/limits"),
        ("POST", "/_sandbox/tokens/expire"),
        ("POST", "/_sandbox/orgs/{tenant_id}/revoke"),
        ("DELETE", "/_sandbox/connections/{id}"),
        ("POST", "/_sandbox/consent"),
        ("POST", "/_sandbox/orgs/{tenant_id}/invoices/{invoice_id}/payments"),
        ("POST", "/_sandbox/orgs/{tenant_id}/invoices/{invoice_id}/status"),
        ("DELETE", "/_sandbox/orgs/{tenant_id}/items/{item_id}"),
        ("DELETE", "/_sandbox/orgs/{tenant_id}/accounts/{account_id}"),
        ("POST", "/_sandbox/orgs/{tenant_id}/accounts/{account_id}/status"),
    ]:
        assert expected in listed
    for method, path in listed:
        if method == "GET" and "{" not in path:
            assert admin.http.get(path).status_code == 200, path


def test_orgs_lists_tenant_ids_names_and_counts(admin: Admin) -> None:
    orgs = admin.http.get("/_sandbox/orgs").json()["orgs"]
    assert [o["tenantId"] for o in orgs] == admin.tenants
    by_id = {o["tenantId"]: o for o in orgs}
    for tenant_id, org in admin.sandbox.state.orgs.items():
        assert by_id[tenant_id]["name"] == org.name
        assert by_id[tenant_id]["baseCurrency"] == org.base_currency
        assert org.data is not None
        assert by_id[tenant_id]["counts"]["contacts"] == len(org.data.contacts)


def test_request_log_shows_what_was_sent_with_secrets_masked(admin: Admin) -> None:
    admin.http.delete("/_sandbox/requests")
    admin.http.get(
        PING + "?page=2",
        headers={
            "Authorization": f"Bearer {admin.grant['access_token']}",
            "xero-tenant-id": admin.tenants[0],
        },
    )
    admin.refresh(admin.grant["refresh_token"])
    answer = admin.http.get("/_sandbox/requests")
    assert answer.status_code == 200
    assert admin.grant["access_token"] not in answer.text
    assert admin.grant["refresh_token"] not in answer.text
    log = answer.json()
    assert log["count"] == 2
    api, token = log["requests"]
    assert (api["method"], api["path"], api["query"], api["status"]) == (
        "GET",
        PING,
        {"page": ["2"]},
        200,
    )
    assert api["headers"]["authorization"] == "Bearer ***"
    assert api["headers"]["xero-tenant-id"] == admin.tenants[0]
    assert datetime.fromisoformat(api["timestamp"]) <= admin.sandbox.clock.now()
    assert token["body"] == {
        "grant_type": "refresh_token",
        "refresh_token": "***",
        "client_id": PUBLIC_CLIENT_ID,
    }


def test_request_log_masks_basic_credentials_and_codes(admin: Admin) -> None:
    credentials = base64.b64encode(
        f"{CONFIDENTIAL_CLIENT_ID}:{CONFIDENTIAL_CLIENT_SECRET}".encode()
    ).decode()
    form = {"grant_type": "authorization_code", "code": "abc123", "redirect_uri": "http://x"}
    admin.http.post("/connect/token", data=form, headers={"Authorization": f"Basic {credentials}"})
    entry = admin.sandbox.log.last("POST", "/connect/token")
    assert entry.header("Authorization") == "Basic ***"
    assert entry.body["code"] == "***"
    assert CONFIDENTIAL_CLIENT_SECRET not in admin.http.get("/_sandbox/requests").text


def test_request_log_filters_by_path_and_clears(admin: Admin) -> None:
    admin.api()
    admin.api()
    admin.connections()
    assert (
        admin.http.get("/_sandbox/requests", params={"path": "/api.xro/2.0"}).json()["count"] == 2
    )
    assert admin.sandbox.log.count("GET", "/CONNECTIONS") == 1
    assert admin.http.delete("/_sandbox/requests").json() == {"cleared": 3}
    assert admin.http.get("/_sandbox/requests").json() == {"count": 0, "requests": []}


def test_admin_calls_are_not_logged(admin: Admin) -> None:
    admin.http.get("/_sandbox/orgs")
    admin.http.post("/_sandbox/clock/advance", json={"seconds": 1})
    assert admin.sandbox.log.entries() == []


def test_clock_advance_moves_sandbox_time_and_expires_tokens(admin: Admin) -> None:
    before = admin.sandbox.clock.now()
    moved = admin.http.post("/_sandbox/clock/advance", json={"seconds": 1801})
    assert moved.status_code == 200
    now = datetime.fromisoformat(moved.json()["now"])
    assert 1801 <= (now - before).total_seconds() < 1810
    expired = admin.api()
    assert expired.status_code == 401
    assert expired.json()["Detail"].startswith("TokenExpired")


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({}, 400, "seconds is required"),
        ({"seconds": -5}, 400, "only moves forward"),
        ({"seconds": "ten"}, 400, "must be a number"),
        ({"secs": 5}, 400, "unknown field"),
    ],
)
def test_clock_advance_rejects_bad_bodies(
    admin: Admin, body: dict, status: int, message: str
) -> None:
    answer = admin.http.post("/_sandbox/clock/advance", json=body)
    assert answer.status_code == status
    assert message in answer.json()["error"]


def test_faults_are_set_read_and_cleared_over_http(admin: Admin) -> None:
    rule = {"path": "/connect/token", "method": "POST", "status": 503, "count": 2}
    answer = admin.http.post("/_sandbox/faults", json={"latency": 0.0, "fail": rule})
    assert answer.status_code == 200
    assert answer.json()["rules"][0]["remaining"] == 2
    refresh = admin.grant["refresh_token"]
    assert [admin.refresh(refresh).status_code for _ in range(2)] == [503, 503]
    admin.http.post("/_sandbox/faults", json={"error_rate": 1.0})
    assert admin.api().status_code in (500, 503)
    cleared = admin.http.delete("/_sandbox/faults").json()
    assert cleared == {"latency": 0.0, "error_rate": 0.0, "rules": []}
    assert admin.refresh(refresh).status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"error_rate": 2}, "between 0 and 1"),
        ({"fail": {"status": 503}}, "needs a path"),
        (
            {"fail": {"path": "/x", "status": 503, "hang": 3}},
            "exactly one of status, hang and drop",
        ),
        ({"fail": {"path": "/x", "status": 503, "when": "now"}}, "unknown field(s) when"),
    ],
)
def test_faults_reject_bad_bodies(admin: Admin, body: dict, message: str) -> None:
    answer = admin.http.post("/_sandbox/faults", json=body)
    assert answer.status_code == 400
    assert message in answer.json()["error"]


def test_force_429_over_http(admin: Admin) -> None:
    forced = admin.http.post("/_sandbox/rate-limit/force", json={"kind": "day", "count": 2})
    assert forced.status_code == 200
    assert forced.json()["forced"] == [{"kind": "day", "remaining": 2, "retry_after": None}]
    answers = [admin.api() for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].headers["X-Rate-Limit-Problem"] == "day"
    bad = admin.http.post("/_sandbox/rate-limit/force", json={"kind": "hour"})
    assert bad.status_code == 400


def test_limits_change_live(admin: Admin) -> None:
    changed = admin.http.patch("/_sandbox/limits", json={"minute_limit": 2, "minute_window": 5})
    assert changed.status_code == 200
    assert changed.json()["minute_limit"] == 2
    assert [admin.api().status_code for _ in range(3)] == [200, 200, 429]
    admin.sandbox.clock.advance(5)
    assert admin.api().status_code == 200
    counted = admin.http.get("/_sandbox/rate-limit").json()["tenants"][admin.tenants[0]]
    assert counted["minute"] == 1


def test_limits_reject_a_bad_change_without_applying_any(admin: Admin) -> None:
    answer = admin.http.patch("/_sandbox/limits", json={"minute_limit": 2, "day_limit": -1})
    assert answer.status_code == 400
    assert "day_limit must be positive" in answer.json()["error"]
    assert admin.sandbox.config.minute_limit == 60


def test_behaviour_switches_are_shown_and_changed_live(admin: Admin) -> None:
    shown = admin.http.get("/_sandbox/behaviour").json()
    assert shown == {
        "id_filters_carry_lines": False,
        "max_query_length": 2048,
        "idempotency_ttl": 300.0,
        "idempotency_mismatch": "replay",
        "revoke_ends_other_sign_ins": True,
    }
    changed = admin.http.patch("/_sandbox/behaviour", json={"max_query_length": 10})
    assert changed.status_code == 200 and changed.json()["max_query_length"] == 10
    too_long = admin.http.get(
        "/api.xro/2.0/Contacts",
        params={"page": 1, "pageSize": 100},
        headers=admin.api().request.headers,
    )
    assert too_long.status_code == 404


def test_behaviour_rejects_a_bad_change_without_applying_any(admin: Admin) -> None:
    answer = admin.http.patch(
        "/_sandbox/behaviour", json={"idempotency_ttl": 5, "idempotency_mismatch": "ignore"}
    )
    assert answer.status_code == 400
    assert "idempotency_mismatch must be one of replay, process" in answer.json()["error"]
    assert admin.sandbox.config.idempotency_ttl == 300.0
    unknown = admin.http.patch("/_sandbox/behaviour", json={"kindness": True})
    assert unknown.status_code == 400 and "unknown behaviour" in unknown.json()["error"]


def test_rate_limit_reset_forgets_counted_calls(admin: Admin) -> None:
    admin.http.patch("/_sandbox/limits", json={"minute_limit": 1})
    admin.api()
    assert admin.api().status_code == 429
    admin.http.delete("/_sandbox/rate-limit")
    assert admin.api().status_code == 200


def test_expire_tokens_makes_api_calls_401_until_refreshed(admin: Admin) -> None:
    answer = admin.http.post("/_sandbox/tokens/expire")
    assert answer.json()["expired"] >= 1
    expired = admin.api()
    assert expired.status_code == 401
    assert "TokenExpired" in expired.json()["Detail"]
    fresh = admin.refresh(admin.grant["refresh_token"])
    assert fresh.status_code == 200
    assert admin.api(token=fresh.json()["access_token"]).status_code == 200


def test_revoking_an_org_kills_its_tokens_and_connections(admin: Admin) -> None:
    revoked = admin.http.post(f"/_sandbox/orgs/{admin.tenants[0]}/revoke")
    assert revoked.status_code == 200
    assert revoked.json()["connections_removed"] == 1
    assert admin.api().status_code == 401
    assert admin.refresh(admin.grant["refresh_token"]).json() == {"error": "invalid_grant"}
    unknown = admin.http.post("/_sandbox/orgs/00000000-0000-0000-0000-000000000000/revoke")
    assert unknown.status_code == 404


def test_removing_a_connection_is_like_disconnecting_inside_xero(admin: Admin) -> None:
    first = next(c for c in admin.connections() if c["tenantId"] == admin.tenants[0])
    removed = admin.http.delete(f"/_sandbox/connections/{first['id']}")
    assert removed.status_code == 200
    assert [c["id"] for c in removed.json()["removed"]] == [first["id"]]
    assert [c["tenantId"] for c in admin.connections()] == [admin.tenants[1]]
    assert admin.api(0).status_code == 403
    assert admin.api(1).status_code == 200
    assert admin.http.delete(f"/_sandbox/connections/{first['id']}").status_code == 404


def test_removing_connections_by_tenant_id(admin: Admin) -> None:
    grant_for_tests(admin.sandbox, client_id=CONFIDENTIAL_CLIENT_ID)
    removed = admin.http.delete(f"/_sandbox/connections/{admin.tenants[1]}").json()["removed"]
    assert {c["clientId"] for c in removed} == {PUBLIC_CLIENT_ID, CONFIDENTIAL_CLIENT_ID}
    assert admin.api(1).status_code == 403


def _authorize(admin: Admin) -> dict[str, list[str]]:
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    answer = admin.http.get(
        "/identity/connect/authorize",
        params={
            "response_type": "code",
            "client_id": PUBLIC_CLIENT_ID,
            "redirect_uri": admin.sandbox.config.redirect_uris[0],
            "scope": "offline_access accounting.contacts",
            "state": "s1",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    assert answer.status_code == 302
    return parse_qs(urlsplit(answer.headers["Location"]).query)


def test_consent_mode_deny_makes_authorize_answer_access_denied(admin: Admin) -> None:
    answer = admin.http.post("/_sandbox/consent", json={"mode": "deny"})
    signing_in = admin.sandbox.state.default_user().user_id
    assert answer.json() == {"mode": "deny", "tenants": None, "user": signing_in}
    assert _authorize(admin)["error"] == ["access_denied"]


def test_consent_to_chosen_tenants(admin: Admin) -> None:
    answer = admin.http.post(
        "/_sandbox/consent", json={"mode": "auto", "tenants": [admin.tenants[1]]}
    )
    assert answer.status_code == 200
    assert admin.sandbox.config.consent_tenants == [admin.tenants[1]]
    assert "code" in _authorize(admin)


@pytest.mark.parametrize(
    "body", [{"mode": "maybe"}, {"mode": "auto", "tenants": ["not-a-tenant"]}, {"tenants": 3}]
)
def test_consent_rejects_bad_bodies(admin: Admin, body: dict) -> None:
    answer = admin.http.post("/_sandbox/consent", json=body)
    assert answer.status_code == 400
    assert admin.sandbox.config.consent == "auto"


def test_calls_from_web_pages_are_refused(admin: Admin) -> None:
    evil = admin.http.post("/_sandbox/tokens/expire", headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403
    assert admin.api().status_code == 200
    local = admin.http.get("/_sandbox/orgs", headers={"Origin": "http://localhost:8764"})
    assert local.status_code == 200


def test_admin_bodies_must_be_json(admin: Admin) -> None:
    answer = admin.http.post(
        "/_sandbox/clock/advance", content=b"seconds=5", headers={"Content-Type": "text/plain"}
    )
    assert answer.status_code == 415


def test_python_controls_match_the_admin_api(admin: Admin) -> None:
    assert control.expire_access_tokens(admin.sandbox) == 1
    assert admin.api().status_code == 401
    with pytest.raises(LookupError):
        control.disconnect(admin.sandbox, "nothing-like-this")


def authorised_invoice(admin: Admin, amount: float = 100.0, status: str = "AUTHORISED") -> str:
    """A new invoice made through the API, so the test knows exactly what it owes."""
    headers = {
        "Authorization": f"Bearer {admin.grant['access_token']}",
        "xero-tenant-id": admin.tenants[0],
    }
    contacts = admin.http.get("/api.xro/2.0/Contacts", headers=headers).json()["Contacts"]
    line = {"Description": "Tuition", "Quantity": 1.0, "UnitAmount": amount, "TaxType": "NONE"}
    invoice = {
        "Type": "ACCREC",
        "Contact": {"ContactID": contacts[0]["ContactID"]},
        "Date": "2026-11-01",
        "DueDate": "2026-11-30",
        "Status": status,
        "LineItems": [dict(line, AccountCode="200")],
    }
    created = admin.http.put("/api.xro/2.0/Invoices", json={"Invoices": [invoice]}, headers=headers)
    assert created.status_code == 200, created.text
    return str(created.json()["Invoices"][0]["InvoiceID"])


def read_invoice(admin: Admin, invoice_id: str) -> dict:
    headers = {
        "Authorization": f"Bearer {admin.grant['access_token']}",
        "xero-tenant-id": admin.tenants[0],
    }
    answer = admin.http.get(f"/api.xro/2.0/Invoices/{invoice_id}", headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["Invoices"][0])


def test_recording_payments_inside_xero_updates_the_invoice(admin: Admin) -> None:
    invoice_id = authorised_invoice(admin)
    path = f"/_sandbox/orgs/{admin.tenants[0]}/invoices/{invoice_id}/payments"
    part = admin.http.post(path, json={"amount": "40.50", "date": "2026-11-20"})
    assert part.status_code == 201, part.text
    assert part.json()["payment"]["Amount"] == 40.5
    after_part = read_invoice(admin, invoice_id)
    assert (after_part["AmountPaid"], after_part["AmountDue"]) == (40.5, 59.5)
    assert after_part["Status"] == "AUTHORISED"
    rest = admin.http.post(path, json={"amount": "59.50", "date": "2026-11-21"})
    assert rest.status_code == 201
    paid = read_invoice(admin, invoice_id)
    assert (paid["Status"], paid["AmountDue"]) == ("PAID", 0.0)
    assert "FullyPaidOnDate" in paid


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"amount": "500.00"}, 400),
        ({"amount": "-1"}, 400),
        ({"amount": "ten"}, 400),
        ({"date": "2026-11-20"}, 400),
        ({"amount": "1.00", "date": "20/11/2026"}, 400),
    ],
)
def test_payments_xero_would_refuse_are_refused(admin: Admin, body: dict, status: int) -> None:
    invoice_id = authorised_invoice(admin)
    path = f"/_sandbox/orgs/{admin.tenants[0]}/invoices/{invoice_id}/payments"
    answer = admin.http.post(path, json=body)
    assert answer.status_code == status
    assert answer.json()["error"]
    assert read_invoice(admin, invoice_id)["AmountPaid"] == 0.0


def test_payment_on_an_unknown_invoice_or_org_is_404(admin: Admin) -> None:
    nothing = "00000000-0000-0000-0000-000000000000"
    unknown_invoice = f"/_sandbox/orgs/{admin.tenants[0]}/invoices/{nothing}/payments"
    assert admin.http.post(unknown_invoice, json={"amount": "1.00"}).status_code == 404
    unknown_org = f"/_sandbox/orgs/{nothing}/invoices/{nothing}/payments"
    assert admin.http.post(unknown_org, json={"amount": "1.00"}).status_code == 404


def test_contacts_are_listed_as_the_api_shows_them_archived_ones_too(admin: Admin) -> None:
    headers = {
        "Authorization": f"Bearer {admin.grant['access_token']}",
        "xero-tenant-id": admin.tenants[0],
    }
    api = admin.http.get("/api.xro/2.0/Contacts?includeArchived=true", headers=headers).json()
    answer = admin.http.get(f"/_sandbox/orgs/{admin.tenants[0]}/contacts")
    assert answer.status_code == 200, answer.text
    listed = answer.json()["Contacts"]
    assert sorted(listed, key=lambda c: c["ContactID"]) == sorted(
        api["Contacts"], key=lambda c: c["ContactID"]
    )
    assert [c["Name"] for c in listed] == sorted(c["Name"] for c in listed)
    assert len(listed) == 7
    other = admin.http.get(f"/_sandbox/orgs/{admin.tenants[1]}/contacts").json()["Contacts"]
    assert {c["ContactID"] for c in other}.isdisjoint(c["ContactID"] for c in listed)


def test_an_invoice_is_shown_by_id_or_number_and_an_unknown_one_is_404(admin: Admin) -> None:
    invoice_id = authorised_invoice(admin, amount=80.0)
    by_id = admin.http.get(f"/_sandbox/orgs/{admin.tenants[0]}/invoices/{invoice_id}")
    assert by_id.status_code == 200, by_id.text
    shown = by_id.json()["invoice"]
    assert shown == read_invoice(admin, invoice_id)
    assert (shown["AmountDue"], shown["Status"]) == (80.0, "AUTHORISED")
    number = shown["InvoiceNumber"]
    by_number = admin.http.get(f"/_sandbox/orgs/{admin.tenants[0]}/invoices/{number}")
    assert by_number.json()["invoice"]["InvoiceID"] == invoice_id
    path = f"/_sandbox/orgs/{admin.tenants[0]}/invoices/{number}/payments"
    assert admin.http.post(path, json={"amount": "30.00"}).status_code == 201
    after = admin.http.get(f"/_sandbox/orgs/{admin.tenants[0]}/invoices/{number}").json()
    assert after["invoice"]["AmountDue"] == 50.0
    nothing = "00000000-0000-0000-0000-000000000000"
    unknown = admin.http.get(f"/_sandbox/orgs/{admin.tenants[0]}/invoices/{nothing}")
    assert unknown.status_code == 404
    assert "No invoice" in unknown.json()["error"]
    assert admin.http.get(f"/_sandbox/orgs/{nothing}/contacts").status_code == 404


def test_voiding_an_invoice_inside_xero(admin: Admin) -> None:
    invoice_id = authorised_invoice(admin)
    path = f"/_sandbox/orgs/{admin.tenants[0]}/invoices/{invoice_id}/status"
    answer = admin.http.post(path, json={"status": "VOIDED"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["invoice"]["Status"] == "VOIDED"
    assert read_invoice(admin, invoice_id)["Status"] == "VOIDED"
    again = admin.http.post(path, json={"status": "DELETED"})
    assert again.status_code == 400


def test_deleting_a_draft_inside_xero(admin: Admin) -> None:
    invoice_id = authorised_invoice(admin, status="DRAFT")
    path = f"/_sandbox/orgs/{admin.tenants[0]}/invoices/{invoice_id}/status"
    assert admin.http.post(path, json={"status": "deleted"}).status_code == 200
    assert read_invoice(admin, invoice_id)["Status"] == "DELETED"


def test_invoice_status_must_be_voided_or_deleted(admin: Admin) -> None:
    invoice_id = authorised_invoice(admin)
    path = f"/_sandbox/orgs/{admin.tenants[0]}/invoices/{invoice_id}/status"
    answer = admin.http.post(path, json={"status": "PAID"})
    assert answer.status_code == 400
    assert "VOIDED, DELETED" in answer.json()["error"]


def test_deleting_an_item_inside_xero(admin: Admin) -> None:
    data = admin.sandbox.state.orgs[admin.tenants[0]].data
    assert data is not None
    item_id = next(iter(data.items))
    path = f"/_sandbox/orgs/{admin.tenants[0]}/items/{item_id}"
    answer = admin.http.delete(path)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"deleted": {"item_id": item_id}}
    assert item_id not in data.items
    assert admin.http.delete(path).status_code == 404


def test_archiving_and_deleting_an_account_inside_xero(admin: Admin) -> None:
    data = admin.sandbox.state.orgs[admin.tenants[0]].data
    assert data is not None
    by_code = {a["Code"]: a for a in data.accounts.values()}
    base = f"/_sandbox/orgs/{admin.tenants[0]}/accounts"
    sales = f"{base}/{by_code['260']['AccountID']}"
    archived = admin.http.post(f"{sales}/status", json={"status": "archived"})
    assert archived.status_code == 200, archived.text
    assert archived.json()["account"]["Status"] == by_code["260"]["Status"] == "ARCHIVED"
    assert admin.http.post(f"{sales}/status", json={"status": "DELETED"}).status_code == 400
    assert admin.http.delete(f"{base}/{by_code['610']['AccountID']}").status_code == 400
    unused = by_code["970"]["AccountID"]
    deleted = admin.http.delete(f"{base}/{unused}")
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["account"]["Status"] == "DELETED"
    assert unused not in data.accounts
    assert admin.http.delete(f"{base}/{unused}").status_code == 404


def test_request_log_over_http_shows_only_the_headers_the_client_sent(
    sandbox: Sandbox, sandbox_server: RunningServer
) -> None:
    httpx.get(f"{sandbox_server.url}/connections", timeout=5)
    entry = sandbox.log.entries()[-1]
    assert entry.path == "/connections"
    assert "content-type" not in entry.headers
