"""Test helpers for push-invoice and check-paid: a connected company with reference data, a
Xero client over the in-process emulator, and valid invoice documents to vary."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from uku_xero_cli.sandbox import environment
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.config import PUBLIC_CLIENT_ID
from uku_xero_cli.sandbox.grants import grant_for_tests
from uku_xero_cli.sandbox.server import RunningServer
from uku_xero_cli.sandbox.state import Organisation
from uku_xero_cli.settings import Settings, load_settings
from uku_xero_cli.store import Store, open_company_store
from uku_xero_cli.tokens import CompanyTokens, TokenStore
from uku_xero_cli.xero.client import XeroClient
from uku_xero_cli.xero.retry import RetryPolicy
from uku_xero_cli.xero.scopes import GRANULAR

COMPANY = "acme"
API = "/api.xro/2.0"
# What `auth` asks for by default.
SCOPES = GRANULAR


def org(sandbox: Sandbox) -> Organisation:
    """The organisation the test company is connected to (the first, a UK one in GBP)."""
    return sandbox.state.orgs[sandbox.state.default_user().tenant_ids[0]]


def connect(sandbox: Sandbox, company: str = COMPANY) -> CompanyTokens:
    """Tokens for the first organisation, saved as `auth` would save them."""
    answer = grant_for_tests(sandbox, SCOPES)
    tenant = org(sandbox).tenant_id
    connection = next(c for c in sandbox.state.connections.values() if c.tenant_id == tenant)
    now = datetime.now(UTC).replace(microsecond=0)
    record = CompanyTokens(
        company=company,
        tenant_id=tenant,
        tenant_name=org(sandbox).name,
        tenant_type="ORGANISATION",
        connection_id=connection.id,
        access_token=answer["access_token"],
        refresh_token=answer["refresh_token"],
        expires_at=now + timedelta(seconds=1800),
        scopes=answer["scope"].split(),
        connected_at=now,
    )
    TokenStore(load_settings()).save(record)
    return record


def no_wait_retry() -> RetryPolicy:
    return RetryPolicy(sleep=lambda _seconds: None)


def client_for(sandbox: Sandbox, company: str = COMPANY, **kwargs: Any) -> XeroClient:
    return XeroClient(
        load_settings(),
        company,
        transport=httpx.WSGITransport(app=sandbox),
        retry=kwargs.pop("retry", None) or no_wait_retry(),
        **kwargs,
    )


def load_reference(sandbox: Sandbox, company: str = COMPANY) -> None:
    """What `uku-xero reload` imports that push-invoice needs, written by the reload job."""
    from uku_xero_cli.sync.reload import ReloadOptions
    from uku_xero_cli.sync.reload_companies import reload_company

    result = reload_company(
        load_settings(),
        company,
        ReloadOptions(only=("contacts", "items", "tax_rates", "currencies", "accounts")),
        transport=httpx.WSGITransport(app=sandbox),
        retry=no_wait_retry(),
    )
    assert result.error is None, result.error
    sandbox.log.clear()


def ready(sandbox: Sandbox, company: str = COMPANY) -> None:
    connect(sandbox, company)
    load_reference(sandbox, company)


def store(company: str = COMPANY) -> Store:
    return open_company_store(load_settings(), company)


def store_path(company: str = COMPANY) -> Path:
    """The file of the store the company's jobs use (its organisation's)."""
    from uku_xero_cli.store.opening import current_store_path

    path = current_store_path(load_settings(), company)
    assert path is not None, f"company {company!r} has no store yet"
    return path


def settings() -> Settings:
    return load_settings()


def point_at(server: RunningServer, monkeypatch: Any) -> None:
    for name, value in environment(server.url, PUBLIC_CLIENT_ID).items():
        monkeypatch.setenv(name, value)


def item_with_account(sandbox: Sandbox) -> str:
    """The code of an emulator item that carries a sales account of its own."""
    for item in org(sandbox).data.items.values():  # type: ignore[union-attr]
        if (item.get("SalesDetails") or {}).get("AccountCode"):
            return str(item["Code"])
    raise AssertionError("the emulator has no item with a sales account")


BASE_INVOICE: dict[str, Any] = {
    "number": "UKU-2026-0001",
    "client": {
        "id": "C-1",
        "name": "Brand New Client Ltd",
        "email": "ap@brand-new.example",
        "registration_number": "99887766",
        "vat_number": "GB999888777",
    },
    "issue_date": "2026-11-01",
    "due_date": "2026-11-15",
    "currency": "GBP",
    "amounts_are": "exclusive",
    "reference": "November bookkeeping",
    "lines": [
        {
            "description": "Monthly bookkeeping",
            "quantity": "1",
            "unit_price": "450.00",
            "tax_type": "OUTPUT2",
            "account_code": "200",
            "discount_percent": "0",
        }
    ],
}


def invoice(number: str = "UKU-2026-0001", **changes: Any) -> dict[str, Any]:
    """A valid invoice for the emulator's first organisation, with fields replaced."""
    doc = copy.deepcopy(BASE_INVOICE)
    doc["number"] = number
    doc.update(copy.deepcopy(changes))
    return doc


def invoices(count: int, *, prefix: str = "UKU-2026-", clients: int = 3) -> list[dict[str, Any]]:
    return [
        invoice(
            f"{prefix}{n:04d}",
            client={"id": f"C-{n % clients}", "name": f"Client Number {n % clients} Ltd"},
        )
        for n in range(1, count + 1)
    ]


def write(tmp_path: Any, name: str, body: Any) -> str:
    path = tmp_path / name
    path.write_text(body if isinstance(body, str) else json.dumps(body), encoding="utf-8")
    return str(path)


def xero_invoices(sandbox: Sandbox, number: str) -> list[dict[str, Any]]:
    """Every invoice the emulator holds with this number (there must never be two)."""
    data = org(sandbox).data
    assert data is not None
    return [
        record
        for record in data.invoices.values()
        if str(record.get("InvoiceNumber", "")).casefold() == number.casefold()
    ]


def api_requests(sandbox: Sandbox, method: str | None = None, path: str = "") -> int:
    return sandbox.log.count(method, API + path)
