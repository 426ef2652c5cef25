"""The emulator's identity service and connections API, mostly over real loopback HTTP."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jsonschema
import pytest

from tests.conftest import small_config
from uku_xero_cli.sandbox import spec
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.config import (
    CONFIDENTIAL_CLIENT_ID,
    CONFIDENTIAL_CLIENT_SECRET,
    PUBLIC_CLIENT_ID,
    SandboxConfig,
)
from uku_xero_cli.sandbox.server import RunningServer

REDIRECT_URI = SandboxConfig().redirect_uris[0]
SCOPES = "openid profile email offline_access accounting.transactions accounting.contacts"
DAY = 24 * 3600


@pytest.fixture
def http(sandbox_server: RunningServer) -> Iterator[httpx.Client]:
    """A client of the emulator over real loopback HTTP."""
    with httpx.Client(base_url=sandbox_server.url, timeout=10) as client:
        yield client


@pytest.fixture
def lenient() -> Iterator[httpx.Client]:
    """An emulator without strict mode, for what Xero accepts but uku-xero must not send."""
    app = Sandbox(small_config(strict=False))
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://sandbox.test") as c:
        yield c


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize(client: httpx.Client, **overrides: str | None) -> httpx.Response:
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": PUBLIC_CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": SCOPES,
        "state": "st-1 ä/+",
    }
    params.update(overrides)
    sent = {key: value for key, value in params.items() if value is not None}
    return client.get("/identity/connect/authorize", params=sent)


def callback(response: httpx.Response) -> dict[str, str]:
    """The query the emulator redirected to, after checking it went to the app's URI."""
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI + "?")
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def code_for(client: httpx.Client, challenge: str, **overrides: str | None) -> str:
    answer = callback(
        authorize(client, code_challenge=challenge, code_challenge_method="S256", **overrides)
    )
    return answer["code"]


def exchange(client: httpx.Client, code: str, verifier: str | None, **extra: str) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "client_id": PUBLIC_CLIENT_ID,
        "code": code,
        "redirect_uri": REDIRECT_URI,
    }
    if verifier is not None:
        form["code_verifier"] = verifier
    form.update(extra)
    return client.post("/connect/token", data=form)


def login(client: httpx.Client, scope: str = SCOPES) -> dict[str, Any]:
    """A full PKCE authorisation of the public client; returns the token answer."""
    verifier, challenge = pkce_pair()
    answer = exchange(client, code_for(client, challenge, scope=scope), verifier)
    assert answer.status_code == 200, answer.text
    tokens: dict[str, Any] = answer.json()
    return tokens


def refresh(client: httpx.Client, token: str, client_id: str = PUBLIC_CLIENT_ID) -> httpx.Response:
    form = {"grant_type": "refresh_token", "refresh_token": token, "client_id": client_id}
    return client.post("/connect/token", data=form)


def connections(client: httpx.Client, access_token: str, **params: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {access_token}"}
    return client.get("/connections", headers=headers, params=params)


def jwt_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


# Authorize: request checks


def test_pkce_code_exchange_returns_a_xero_token_set(http: httpx.Client) -> None:
    verifier, challenge = pkce_pair()
    answer = callback(authorize(http, code_challenge=challenge, code_challenge_method="S256"))
    assert answer["state"] == "st-1 ä/+"

    response = exchange(http, answer["code"], verifier)

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 1800
    assert body["scope"].split() == SCOPES.split()
    assert body["access_token"] and body["refresh_token"] and body["id_token"]
    assert len(connections(http, body["access_token"]).json()) == 2


def test_state_is_left_out_of_the_redirect_when_the_app_sent_none(http: httpx.Client) -> None:
    _, challenge = pkce_pair()
    answer = callback(
        authorize(http, state=None, code_challenge=challenge, code_challenge_method="S256")
    )
    assert "code" in answer
    assert "state" not in answer


def test_confidential_client_exchanges_its_code_with_http_basic(http: httpx.Client) -> None:
    answer = callback(authorize(http, client_id=CONFIDENTIAL_CLIENT_ID))
    form = {
        "grant_type": "authorization_code",
        "code": answer["code"],
        "redirect_uri": REDIRECT_URI,
    }

    response = http.post(
        "/connect/token", data=form, auth=(CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET)
    )

    assert response.status_code == 200
    assert response.json()["refresh_token"]


def test_confidential_client_may_send_its_secret_in_the_form(lenient: httpx.Client) -> None:
    # client_secret_post works at Xero; strict mode refuses it so uku-xero uses Basic.
    answer = callback(authorize(lenient, client_id=CONFIDENTIAL_CLIENT_ID))
    response = exchange(
        lenient,
        answer["code"],
        None,
        client_id=CONFIDENTIAL_CLIENT_ID,
        client_secret=CONFIDENTIAL_CLIENT_SECRET,
    )
    assert response.status_code == 200


def test_wrong_client_secret_is_invalid_client(http: httpx.Client) -> None:
    answer = callback(authorize(http, client_id=CONFIDENTIAL_CLIENT_ID))
    form = {
        "grant_type": "authorization_code",
        "code": answer["code"],
        "redirect_uri": REDIRECT_URI,
    }

    response = http.post("/connect/token", data=form, auth=(CONFIDENTIAL_CLIENT_ID, "nope"))

    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}
    assert response.headers["www-authenticate"].startswith("Basic")


def test_confidential_client_without_its_secret_is_invalid_client(http: httpx.Client) -> None:
    answer = callback(authorize(http, client_id=CONFIDENTIAL_CLIENT_ID))
    response = exchange(http, answer["code"], None, client_id=CONFIDENTIAL_CLIENT_ID)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


def test_wrong_code_verifier_is_invalid_grant_and_spends_the_code(http: httpx.Client) -> None:
    verifier, challenge = pkce_pair()
    code = code_for(http, challenge)
    other_verifier, _ = pkce_pair()

    wrong = exchange(http, code, other_verifier)
    retried = exchange(http, code, verifier)

    assert wrong.status_code == 400
    assert wrong.json() == {"error": "invalid_grant"}
    assert retried.json() == {"error": "invalid_grant"}


def test_missing_code_verifier_is_invalid_grant(http: httpx.Client) -> None:
    _, challenge = pkce_pair()
    response = exchange(http, code_for(http, challenge), None)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant"}


def test_a_code_is_single_use(http: httpx.Client) -> None:
    verifier, challenge = pkce_pair()
    code = code_for(http, challenge)

    first = exchange(http, code, verifier)
    second = exchange(http, code, verifier)

    assert first.status_code == 200
    assert second.status_code == 400
    assert second.json() == {"error": "invalid_grant"}


def test_a_code_expires(http: httpx.Client, sandbox: Sandbox) -> None:
    verifier, challenge = pkce_pair()
    code = code_for(http, challenge)
    sandbox.clock.advance(sandbox.config.code_ttl + 1)

    response = exchange(http, code, verifier)

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant"}


def test_code_exchange_needs_the_same_redirect_uri(http: httpx.Client) -> None:
    verifier, challenge = pkce_pair()
    code = code_for(http, challenge)
    response = exchange(http, code, verifier, redirect_uri="http://localhost:9/callback")
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant"}


def test_unregistered_redirect_uri_shows_an_error_page_and_never_redirects(
    http: httpx.Client,
) -> None:
    _, challenge = pkce_pair()
    response = authorize(
        http,
        redirect_uri="http://localhost:1/evil",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "unauthorized_client : Invalid redirect_uri" in response.text


def test_redirect_uri_must_match_exactly(http: httpx.Client) -> None:
    _, challenge = pkce_pair()
    near_miss = REDIRECT_URI.replace("localhost", "127.0.0.1")
    response = authorize(
        http, redirect_uri=near_miss, code_challenge=challenge, code_challenge_method="S256"
    )
    assert response.status_code == 400
    assert "location" not in response.headers


def test_unknown_client_shows_an_error_page_and_never_redirects(http: httpx.Client) -> None:
    response = authorize(http, client_id="NOSUCHCLIENT")
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "unauthorized_client" in response.text


def test_public_client_without_a_code_challenge_gets_invalid_request(http: httpx.Client) -> None:
    answer = callback(authorize(http))
    assert answer["error"] == "invalid_request"
    assert answer["error_description"]
    assert answer["state"] == "st-1 ä/+"
    assert "code" not in answer


def test_plain_code_challenge_is_refused(http: httpx.Client) -> None:
    verifier, _ = pkce_pair()
    answer = callback(authorize(http, code_challenge=verifier, code_challenge_method="plain"))
    assert answer["error"] == "invalid_request"
    assert "code" not in answer


def test_unknown_scope_is_invalid_scope(http: httpx.Client) -> None:
    _, challenge = pkce_pair()
    answer = callback(
        authorize(
            http,
            scope="openid accounting.everything",
            code_challenge=challenge,
            code_challenge_method="S256",
        )
    )
    assert answer == {"error": "invalid_scope", "state": "st-1 ä/+"}


def test_scope_the_app_may_not_have_is_invalid_scope(http: httpx.Client, sandbox: Sandbox) -> None:
    # An app created after March 2026 has only the granular scopes.
    sandbox.config.allowed_scopes = ["openid", "offline_access", "accounting.invoices"]
    _, challenge = pkce_pair()

    refused = authorize(
        http,
        scope="offline_access accounting.transactions",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    granted = authorize(
        http,
        scope="offline_access accounting.invoices",
        code_challenge=challenge,
        code_challenge_method="S256",
    )

    assert callback(refused)["error"] == "invalid_scope"
    assert "code" in callback(granted)


def test_response_type_other_than_code_is_refused(http: httpx.Client) -> None:
    _, challenge = pkce_pair()
    answer = callback(
        authorize(
            http, response_type="token", code_challenge=challenge, code_challenge_method="S256"
        )
    )
    assert answer["error"] == "unsupported_response_type"


def test_denied_consent_redirects_with_access_denied(http: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.config.consent = "deny"
    _, challenge = pkce_pair()
    answer = callback(authorize(http, code_challenge=challenge, code_challenge_method="S256"))
    assert answer == {"error": "access_denied", "state": "st-1 ä/+"}
    assert sandbox.state.connections == {}


# Consent


def _consent_form(page: str) -> tuple[str, list[str]]:
    consent_id = re.search(r"name='consent_id' value='([^']+)'", page)
    assert consent_id is not None
    return consent_id.group(1), re.findall(r"name='tenant' value='([^']+)'", page)


def test_consent_page_connects_only_the_ticked_organisation(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.config.consent = "page"
    verifier, challenge = pkce_pair()
    page = authorize(http, code_challenge=challenge, code_challenge_method="S256")
    assert page.status_code == 200
    consent_id, tenants = _consent_form(page.text)
    assert sorted(tenants) == sorted(sandbox.state.orgs)
    for org in sandbox.state.orgs.values():
        assert org.name in page.text

    chosen = tenants[1]
    decided = http.post(
        "/identity/connect/authorize",
        data={"consent_id": consent_id, "tenant": chosen, "decision": "allow"},
    )
    answer = callback(decided)
    assert answer["state"] == "st-1 ä/+"
    tokens = exchange(http, answer["code"], verifier).json()

    listed = connections(http, tokens["access_token"]).json()
    assert [c["tenantId"] for c in listed] == [chosen]


def test_consent_page_cancel_redirects_with_access_denied(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.config.consent = "page"
    _, challenge = pkce_pair()
    consent_id, _ = _consent_form(
        authorize(http, code_challenge=challenge, code_challenge_method="S256").text
    )
    decided = http.post(
        "/identity/connect/authorize", data={"consent_id": consent_id, "decision": "deny"}
    )
    assert callback(decided) == {"error": "access_denied", "state": "st-1 ä/+"}
    assert sandbox.state.connections == {}


def test_consent_page_needs_an_organisation_and_is_single_use(
    sandbox_client: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.config.consent = "page"
    _, challenge = pkce_pair()
    consent_id, tenants = _consent_form(
        authorize(sandbox_client, code_challenge=challenge, code_challenge_method="S256").text
    )
    url = "/identity/connect/authorize"

    none_ticked = sandbox_client.post(url, data={"consent_id": consent_id, "decision": "allow"})
    allowed = sandbox_client.post(
        url, data={"consent_id": consent_id, "tenant": tenants[0], "decision": "allow"}
    )
    replayed = sandbox_client.post(
        url, data={"consent_id": consent_id, "tenant": tenants[0], "decision": "allow"}
    )

    assert none_ticked.status_code == 400
    assert "Choose at least one organisation" in none_ticked.text
    assert "code" in callback(allowed)
    assert replayed.status_code == 400
    assert "location" not in replayed.headers


def test_consent_page_expires(sandbox_client: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.config.consent = "page"
    _, challenge = pkce_pair()
    consent_id, tenants = _consent_form(
        authorize(sandbox_client, code_challenge=challenge, code_challenge_method="S256").text
    )
    sandbox.clock.advance(sandbox.config.consent_ttl + 1)

    late = sandbox_client.post(
        "/identity/connect/authorize",
        data={"consent_id": consent_id, "tenant": tenants[0], "decision": "allow"},
    )

    assert late.status_code == 400
    assert "expired" in late.text
    assert sandbox.state.connections == {}


def test_automatic_consent_can_be_limited_to_some_tenants(
    sandbox_client: httpx.Client, sandbox: Sandbox
) -> None:
    only = sorted(sandbox.state.orgs)[0]
    sandbox.config.consent_tenants = [only.upper()]
    tokens = login(sandbox_client)
    listed = connections(sandbox_client, tokens["access_token"]).json()
    assert [c["tenantId"] for c in listed] == [only]


def test_connections_are_made_at_consent_before_the_code_is_exchanged(
    sandbox_client: httpx.Client, sandbox: Sandbox
) -> None:
    _, challenge = pkce_pair()
    code_for(sandbox_client, challenge)
    connected = {c.tenant_id for c in sandbox.state.connections.values()}
    assert connected == set(sandbox.state.orgs)


def test_identity_only_scopes_connect_no_organisation(sandbox_client: httpx.Client) -> None:
    tokens = login(sandbox_client, scope="openid profile email")
    assert connections(sandbox_client, tokens["access_token"]).json() == []


# Tokens


def test_id_token_carries_name_and_email(http: httpx.Client, sandbox: Sandbox) -> None:
    verifier, challenge = pkce_pair()
    code = code_for(http, challenge, nonce="n-0S6_WzA2Mj")
    tokens = exchange(http, code, verifier).json()

    claims = jwt_claims(tokens["id_token"])

    user = sandbox.state.default_user()
    assert claims["name"] == user.name
    assert claims["email"] == user.email
    assert claims["aud"] == PUBLIC_CLIENT_ID
    assert claims["nonce"] == "n-0S6_WzA2Mj"


def test_no_id_token_without_openid(http: httpx.Client) -> None:
    tokens = login(http, scope="offline_access accounting.contacts")
    assert "id_token" not in tokens


def test_no_refresh_token_without_offline_access(http: httpx.Client) -> None:
    tokens = login(http, scope="openid profile email accounting.transactions")
    assert "refresh_token" not in tokens
    assert tokens["access_token"]


def test_refresh_rotates_the_refresh_token(http: httpx.Client) -> None:
    first = login(http)

    second = refresh(http, first["refresh_token"])
    third = refresh(http, second.json()["refresh_token"])

    assert second.status_code == 200
    assert third.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    assert third.json()["refresh_token"] != second.json()["refresh_token"]
    assert second.json()["access_token"] != first["access_token"]
    assert connections(http, third.json()["access_token"]).status_code == 200


def test_reusing_a_refresh_token_inside_the_grace_period_is_accepted(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    first = login(http)
    rotated = refresh(http, first["refresh_token"]).json()
    sandbox.clock.advance(sandbox.config.refresh_grace - 60)

    retried = refresh(http, first["refresh_token"])

    assert retried.status_code == 200
    # A new pair, as Xero issues; the answer that was lost would also still work.
    assert retried.json()["refresh_token"] not in (first["refresh_token"], rotated["refresh_token"])
    assert refresh(http, rotated["refresh_token"]).status_code == 200
    assert refresh(http, retried.json()["refresh_token"]).status_code == 200


def test_reusing_a_refresh_token_after_the_grace_period_is_invalid_grant(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    first = login(http)
    assert refresh(http, first["refresh_token"]).status_code == 200
    sandbox.clock.advance(sandbox.config.refresh_grace + 1)

    retried = refresh(http, first["refresh_token"])

    assert retried.status_code == 400
    assert retried.json() == {"error": "invalid_grant"}


def test_an_unused_refresh_token_expires_after_60_days(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    kept = login(http)
    lapsed = login(http)
    sandbox.clock.advance(59 * DAY)
    assert refresh(http, kept["refresh_token"]).status_code == 200

    sandbox.clock.advance(DAY + 1)
    response = refresh(http, lapsed["refresh_token"])

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant"}


def test_refresh_by_another_client_is_invalid_grant(http: httpx.Client) -> None:
    tokens = login(http)
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    response = http.post(
        "/connect/token", data=form, auth=(CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET)
    )
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant"}


def test_confidential_refresh_needs_the_secret(http: httpx.Client) -> None:
    answer = callback(authorize(http, client_id=CONFIDENTIAL_CLIENT_ID))
    form = {
        "grant_type": "authorization_code",
        "code": answer["code"],
        "redirect_uri": REDIRECT_URI,
    }
    basic = (CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET)
    tokens = http.post("/connect/token", data=form, auth=basic).json()
    again = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}

    without = refresh(http, tokens["refresh_token"], client_id=CONFIDENTIAL_CLIENT_ID)
    with_basic = http.post("/connect/token", data=again, auth=basic)

    assert without.status_code == 401
    assert without.json() == {"error": "invalid_client"}
    assert with_basic.status_code == 200


def test_unknown_grant_type_is_unsupported(lenient: httpx.Client) -> None:
    response = lenient.post(
        "/connect/token", data={"grant_type": "password", "client_id": PUBLIC_CLIENT_ID}
    )
    assert response.status_code == 400
    assert response.json() == {"error": "unsupported_grant_type"}


def test_expired_access_token_gets_token_expired(http: httpx.Client, sandbox: Sandbox) -> None:
    tokens = login(http)
    sandbox.clock.advance(sandbox.config.access_token_ttl + 1)

    response = connections(http, tokens["access_token"])

    assert response.status_code == 401
    body = response.json()
    assert body["Title"] == "Unauthorized"
    assert body["Detail"].startswith("TokenExpired: token expired at ")


def test_concurrent_refreshes_of_one_token_are_all_answered(
    sandbox_server: RunningServer, sandbox: Sandbox
) -> None:
    with httpx.Client(base_url=sandbox_server.url) as client:
        original = login(client)["refresh_token"]
    barrier = threading.Barrier(8)
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def worker() -> None:
        # One connection per thread, like separate processes refreshing at once.
        with httpx.Client(base_url=sandbox_server.url, timeout=10) as client:
            barrier.wait()
            response = refresh(client, original)
        with lock:
            answers.append(response)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [a.status_code for a in answers] == [200] * 8
    issued = [a.json()["refresh_token"] for a in answers]
    assert len(set(issued)) == 8
    rotated = sandbox.state.refresh_tokens[original]
    # Exactly one of the answers is the rotation; the others are grace answers on its chain.
    assert rotated.successor in issued
    assert {sandbox.state.refresh_tokens[t].parent for t in issued} == {original}
    assert {sandbox.state.refresh_tokens[t].auth_event_id for t in issued} == {
        rotated.auth_event_id
    }


# Revocation


def test_revocation_ends_the_rotation_chain_and_every_connection_of_the_user(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    # Xero removes all of the user's connections to the app (xero-node 4.10.1), not only
    # those of the sign-in revoked; the other sign-in's tokens end too (the default of the
    # unconfirmed part, tests/test_sandbox_connections.py).
    first_org, second_org = sorted(sandbox.state.orgs)
    sandbox.config.consent_tenants = [first_org]
    revoked = login(http)
    rotated = refresh(http, revoked["refresh_token"]).json()
    sandbox.config.consent_tenants = [second_org]
    other = login(http)

    response = http.post(
        "/connect/revocation",
        data={
            "token": revoked["refresh_token"],
            "token_type_hint": "refresh_token",
            "client_id": PUBLIC_CLIENT_ID,
        },
    )

    assert response.status_code == 200
    assert response.content == b""
    assert sandbox.state.connections == {}
    assert refresh(http, revoked["refresh_token"]).json() == {"error": "invalid_grant"}
    assert refresh(http, rotated["refresh_token"]).json() == {"error": "invalid_grant"}
    assert connections(http, rotated["access_token"]).status_code == 401
    assert connections(http, other["access_token"]).status_code == 401


def test_revoking_an_unknown_token_is_ok(http: httpx.Client) -> None:
    response = http.post(
        "/connect/revocation", data={"token": "not-a-token", "client_id": PUBLIC_CLIENT_ID}
    )
    assert response.status_code == 200


def test_revocation_by_confidential_client_needs_its_secret(http: httpx.Client) -> None:
    response = http.post(
        "/connect/revocation", data={"token": "whatever", "client_id": CONFIDENTIAL_CLIENT_ID}
    )
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


# Connections


def _connection_schema() -> dict[str, Any]:
    schema: dict[str, Any] = spec.load("identity")["components"]["schemas"]["Connection"]
    return schema


def test_connections_list_has_xeros_shape(http: httpx.Client, sandbox: Sandbox) -> None:
    tokens = login(http)

    response = http.get(
        "/Connections", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )

    assert response.status_code == 200
    listed = response.json()
    checker = jsonschema.FormatChecker(formats=["uuid"])
    array = {"type": "array", "items": _connection_schema()}
    jsonschema.validate(listed, array, format_checker=checker)
    assert {c["tenantId"] for c in listed} == set(sandbox.state.orgs)
    for connection in listed:
        assert set(connection) == {
            "id",
            "authEventId",
            "tenantId",
            "tenantType",
            "tenantName",
            "createdDateUtc",
            "updatedDateUtc",
        }
        assert connection["tenantType"] == "ORGANISATION"
        assert connection["tenantName"] == sandbox.state.orgs[connection["tenantId"]].name
        # Xero's form: no offset, seven fractional digits.
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}", connection["createdDateUtc"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}", connection["updatedDateUtc"])


def test_connections_filter_by_auth_event(http: httpx.Client, sandbox: Sandbox) -> None:
    first_org, second_org = sorted(sandbox.state.orgs)
    sandbox.config.consent_tenants = [first_org]
    login(http)
    sandbox.config.consent_tenants = [second_org]
    tokens = login(http)
    everything = connections(http, tokens["access_token"]).json()
    second_event = next(c["authEventId"] for c in everything if c["tenantId"] == second_org)

    filtered = connections(http, tokens["access_token"], authEventId=second_event).json()

    assert len(everything) == 2
    assert [c["tenantId"] for c in filtered] == [second_org]


def test_reconnecting_keeps_the_connection_id_and_bumps_updated(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    before = connections(http, login(http)["access_token"]).json()
    sandbox.clock.advance(3600)
    after = connections(http, login(http)["access_token"]).json()

    by_tenant = {c["tenantId"]: c for c in before}
    for connection in after:
        old = by_tenant[connection["tenantId"]]
        assert connection["id"] == old["id"]
        assert connection["createdDateUtc"] == old["createdDateUtc"]
        assert connection["updatedDateUtc"] > old["updatedDateUtc"]


def test_connections_without_a_token_is_401(http: httpx.Client) -> None:
    response = http.get("/connections")
    assert response.status_code == 401
    assert response.json()["Title"] == "Unauthorized"


def test_delete_connection_then_it_is_gone(http: httpx.Client) -> None:
    tokens = login(http)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    doomed, kept = connections(http, tokens["access_token"]).json()

    deleted = http.delete(f"/connections/{doomed['id']}", headers=headers)
    again = http.delete(f"/connections/{doomed['id']}", headers=headers)

    assert deleted.status_code == 204
    assert deleted.content == b""
    assert again.status_code == 404
    assert connections(http, tokens["access_token"]).json() == [kept]


def test_delete_of_another_apps_connection_is_404(http: httpx.Client) -> None:
    mine = login(http)
    answer = callback(authorize(http, client_id=CONFIDENTIAL_CLIENT_ID))
    form = {
        "grant_type": "authorization_code",
        "code": answer["code"],
        "redirect_uri": REDIRECT_URI,
    }
    theirs = http.post(
        "/connect/token", data=form, auth=(CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET)
    ).json()
    their_connection = connections(http, theirs["access_token"]).json()[0]

    response = http.delete(
        f"/connections/{their_connection['id']}",
        headers={"Authorization": f"Bearer {mine['access_token']}"},
    )

    assert response.status_code == 404
    assert len(connections(http, theirs["access_token"]).json()) == 2
