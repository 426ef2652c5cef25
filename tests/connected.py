"""Test helper: a company already connected to the emulator, without walking the browser flow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import CliResult
from uku_xero_cli.sandbox import environment
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.config import PUBLIC_CLIENT_ID
from uku_xero_cli.sandbox.grants import grant_for_tests
from uku_xero_cli.sandbox.server import RunningServer
from uku_xero_cli.settings import load_settings
from uku_xero_cli.tokens import CompanyTokens, TokenStore
from uku_xero_cli.xero.scopes import GRANULAR

# What `auth` asks for by default.
SCOPES = GRANULAR


def point_at(server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in environment(server.url, PUBLIC_CLIENT_ID).items():
        monkeypatch.setenv(name, value)


def connect_company(
    sandbox: Sandbox,
    company: str = "acme",
    *,
    expires_in: float = 1800.0,
    scopes: str = SCOPES,
    org_index: int = 0,
    user: str | None = None,
) -> CompanyTokens:
    """Grant tokens at the emulator and store them as `auth` would have, signed in as `user`
    (id or email; the emulator's first user by default)."""
    login = sandbox.state.find_user(user)
    assert login is not None, user
    answer = grant_for_tests(sandbox, scopes, user=login.user_id)
    tenant = login.tenant_ids[org_index]
    connection = next(
        c
        for c in sandbox.state.connections.values()
        if c.tenant_id == tenant and c.user_id == login.user_id
    )
    now = datetime.now(UTC).replace(microsecond=0)
    record = CompanyTokens(
        company=company,
        tenant_id=tenant,
        tenant_name=sandbox.state.orgs[tenant].name,
        tenant_type="ORGANISATION",
        connection_id=connection.id,
        auth_event_id=connection.auth_event_id,
        access_token=answer["access_token"],
        refresh_token=answer["refresh_token"],
        expires_at=now + timedelta(seconds=expires_in),
        scopes=answer["scope"].split(),
        user_id=login.user_id,
        user_name="Kadri Tamm",
        user_email="kadri@example.com",
        connected_at=now - timedelta(days=3),
    )
    TokenStore(load_settings()).save(record)
    return record


def stored(company: str = "acme") -> CompanyTokens:
    record = TokenStore(load_settings()).load(company)
    assert record is not None
    return record


def refreshes(sandbox: Sandbox) -> list[int]:
    """Statuses of the refresh_token grants the emulator answered, oldest first."""
    return [
        entry.status
        for entry in sandbox.log.entries("POST", "/connect/token")
        if isinstance(entry.body, dict) and entry.body.get("grant_type") == "refresh_token"
    ]


def document(result: CliResult) -> dict[str, Any]:
    """A command's --json output, which is one object."""
    data = result.json()
    assert isinstance(data, dict)
    return data
