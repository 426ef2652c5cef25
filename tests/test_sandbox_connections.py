"""Connections and revocation as Xero keeps them, seen over real loopback HTTP.

One connection per app, user and organisation: a second sign-in of the same user reuses it,
another user has their own. Deleting a connection cuts it for every token set of that user;
revoking a refresh token removes all of that user's connections to the app and (by default)
ends the token sets of the user's other sign-ins.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import small_config
from tests.test_sandbox_identity import connections, jwt_claims, login, refresh
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.config import PUBLIC_CLIENT_ID
from uku_xero_cli.sandbox.server import serve_in_thread

API = "/api.xro/2.0"


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(small_config(users=2))


@pytest.fixture
def http(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with serve_in_thread(sandbox) as running, httpx.Client(base_url=running.url) as client:
        yield client


def sign_in(http: httpx.Client, user: str | None = None, tenants: list[str] | None = None) -> Any:
    """A whole PKCE sign-in, as `user` (email) to `tenants` (every organisation by default)."""
    chosen: dict[str, Any] = {"mode": "auto", "tenants": tenants}
    if user is not None:
        chosen["user"] = user
    assert http.post("/_sandbox/consent", json=chosen).status_code == 200
    return login(http)


def revoke(http: httpx.Client, refresh_token: str) -> None:
    form = {"token": refresh_token, "client_id": PUBLIC_CLIENT_ID}
    assert http.post("/connect/revocation", data=form).status_code == 200


def organisation(http: httpx.Client, tokens: Any, tenant: str) -> int:
    """The status of a small read of the organisation's books with this token set."""
    headers = {"Authorization": f"Bearer {tokens['access_token']}", "xero-tenant-id": tenant}
    params = {"page": 1, "pageSize": 1}
    return http.get(f"{API}/Contacts", headers=headers, params=params).status_code


def ids(http: httpx.Client, tokens: Any) -> dict[str, str]:
    """tenantId → connection id, as this token set sees them."""
    answer = connections(http, tokens["access_token"])
    assert answer.status_code == 200, answer.text
    return {c["tenantId"]: c["id"] for c in answer.json()}


def test_the_id_token_names_the_xero_user(http: httpx.Client, sandbox: Sandbox) -> None:
    sam, alex = sandbox.state.users.values()
    for user in (sam, alex):
        claims = jwt_claims(sign_in(http, user.email)["id_token"])
        assert claims["xero_userid"] == user.user_id
        assert claims["email"] == user.email
        assert claims["sub"] != claims["xero_userid"]


def test_a_second_sign_in_of_the_same_user_reuses_the_connection(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    first = sign_in(http)
    sandbox.clock.advance(60)
    second = sign_in(http)
    assert ids(http, first) == ids(http, second)
    events = {c["authEventId"] for c in connections(http, first["access_token"]).json()}
    second_event = jwt_claims(second["id_token"])["global_session_id"]
    assert events == {second_event}


def test_another_user_gets_connections_of_their_own(http: httpx.Client, sandbox: Sandbox) -> None:
    sam, alex = sandbox.state.users.values()
    sams = sign_in(http, sam.email)
    alexs = sign_in(http, alex.email)
    assert set(ids(http, sams)) == set(ids(http, alexs)) == set(sandbox.state.orgs)
    assert not set(ids(http, sams).values()) & set(ids(http, alexs).values())
    tenant = next(iter(sandbox.state.orgs))
    assert organisation(http, sams, tenant) == organisation(http, alexs, tenant) == 200


def test_deleting_a_connection_cuts_it_for_every_sign_in_of_that_user_only(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    sam, alex = sandbox.state.users.values()
    tenant, other = sorted(sandbox.state.orgs)
    first, second = sign_in(http, sam.email), sign_in(http, sam.email)
    alexs = sign_in(http, alex.email)
    connection = ids(http, first)[tenant]

    headers = {"Authorization": f"Bearer {first['access_token']}"}
    assert http.delete(f"/connections/{connection}", headers=headers).status_code == 204

    assert set(ids(http, second)) == {other}
    assert organisation(http, second, tenant) == 403
    assert organisation(http, second, other) == 200
    assert organisation(http, alexs, tenant) == 200
    assert refresh(http, second["refresh_token"]).status_code == 200


def test_revoking_removes_every_connection_of_the_user_and_ends_their_other_sign_ins(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    sam, alex = sandbox.state.users.values()
    first_org, second_org = sorted(sandbox.state.orgs)
    revoked = sign_in(http, sam.email, [first_org])
    other_sign_in = sign_in(http, sam.email, [second_org])
    alexs = sign_in(http, alex.email)

    revoke(http, revoked["refresh_token"])

    assert refresh(http, revoked["refresh_token"]).json() == {"error": "invalid_grant"}
    assert refresh(http, other_sign_in["refresh_token"]).json() == {"error": "invalid_grant"}
    assert connections(http, other_sign_in["access_token"]).status_code == 401
    assert not [c for c in sandbox.state.connections.values() if c.user_id == sam.user_id]
    assert set(ids(http, alexs)) == {first_org, second_org}
    assert organisation(http, alexs, first_org) == 200


def test_revocation_may_be_configured_to_spare_the_other_sign_ins_tokens(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.config.revoke_ends_other_sign_ins = False
    first_org, second_org = sorted(sandbox.state.orgs)
    revoked = sign_in(http, tenants=[first_org])
    other_sign_in = sign_in(http, tenants=[second_org])

    revoke(http, revoked["refresh_token"])

    assert refresh(http, revoked["refresh_token"]).json() == {"error": "invalid_grant"}
    # The token set lives on, but its connection went with the revocation (confirmed part).
    assert ids(http, other_sign_in) == {}
    assert organisation(http, other_sign_in, second_org) == 403
    assert refresh(http, other_sign_in["refresh_token"]).status_code == 200


def test_the_admin_api_lists_and_adds_users(http: httpx.Client, sandbox: Sandbox) -> None:
    listed = http.get("/_sandbox/users").json()["users"]
    assert [u["email"] for u in listed] == [u.email for u in sandbox.state.users.values()]
    tenant = next(iter(sandbox.state.orgs))
    added = http.post(
        "/_sandbox/users",
        json={"given_name": "Robin", "family_name": "Auditor", "tenants": [tenant]},
    )
    assert added.status_code == 201
    robin = added.json()
    assert robin["tenantIds"] == [tenant] and robin["email"] == "robin.auditor@sandbox.uku.example"
    tokens = sign_in(http, robin["userId"])
    assert jwt_claims(tokens["id_token"])["xero_userid"] == robin["userId"]
    assert set(ids(http, tokens)) == {tenant}
    unknown = http.post("/_sandbox/consent", json={"mode": "auto", "user": "nobody@x.example"})
    assert unknown.status_code == 400
