"""Opening a company's stores: the one of the organisation it works with, or its client list.

- `open_organisation_store`: what a sync job works on (sync/session.py is its one caller among
  the jobs). The store of that organisation, created on first use with Uku's client list
  from `company.sqlite`; the company store then records the organisation as current, and
  says when the company worked with another one before.
- `open_company_store`: the store of the organisation the company works with now (its token
  file's, else the last one it worked with), created if needed; a company never connected
  gets its client list (`company.sqlite`).
- `open_existing_store`: the same for what only reads (`stats`, `clients`, `accounts`): it
  creates nothing, so a mistyped company name leaves no store behind.

Every opener first moves a store of the single-file layout into place (store/legacy.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from uku_xero_cli.store.layout import CompanyFiles
from uku_xero_cli.store.legacy import move_legacy_store

if TYPE_CHECKING:
    from pathlib import Path

    from uku_xero_cli.settings import Settings
    from uku_xero_cli.store import Store
    from uku_xero_cli.store.organisation import OrganisationSwitch
    from uku_xero_cli.tokens import CompanyTokens


def open_organisation_store(
    settings: Settings, company: str, tenant_id: str, tenant_name: str | None
) -> tuple[Store, OrganisationSwitch | None]:
    """The store of `tenant_id`'s data, made current; and the switch from the organisation the
    company worked with before, if it was another."""
    from uku_xero_cli.store import Store
    from uku_xero_cli.store.organisation import OrganisationSwitch

    files = CompanyFiles(settings, company)
    move_legacy_store(files, (tenant_id, tenant_name))
    path = files.organisation_store(tenant_id)
    first_use = not path.exists()
    store = Store.open(path, company=company)
    try:
        store.claim_organisation(tenant_id, tenant_name)
        with Store.open(files.company_store, company=company) as own:
            if first_use:
                store.import_clients(own.uku_client_list())
            before = own.make_current(tenant_id, tenant_name)
    except BaseException:
        store.close()
        raise
    if before is None or before[0] == tenant_id:
        return store, None
    kept = files.organisation_stores().get(before[0])
    return store, OrganisationSwitch(
        before[0], before[1], tenant_id, tenant_name, path, kept, resumed=not first_use
    )


def current_tenant(settings: Settings, company: str) -> tuple[str, str | None] | None:
    """The organisation the company works with: its token file's, else the last it worked
    with (a company disconnected since); None for one never connected."""
    record = _token_record(settings, company)
    files = CompanyFiles(settings, company)
    move_legacy_store(files, _tenant_of(record))
    if record is not None and record.tenant_id:
        return record.tenant_id, record.tenant_name
    if not files.company_store.exists():
        return None
    from uku_xero_cli.store import Store

    with Store.open(files.company_store, company=company) as own:
        return own.current_organisation()


def current_store_path(settings: Settings, company: str) -> Path | None:
    """The store `open_existing_store` opens, or None when there is none yet."""
    files = CompanyFiles(settings, company)
    tenant = current_tenant(settings, company)
    if tenant is not None:
        path = files.organisation_store(tenant[0])
        if path.exists():
            return path
    return files.company_store if files.company_store.exists() else None


def open_company_store(settings: Settings, company: str) -> Store:
    """The store of the organisation the company works with now, created if needed (for a
    connected company, made current as a job would); a company never connected gets its
    client list."""
    from uku_xero_cli.store import Store

    record = _token_record(settings, company)
    if record is not None and record.tenant_id:
        store, _switch = open_organisation_store(
            settings, company, record.tenant_id, record.tenant_name
        )
        return store
    path = current_store_path(settings, company)
    return Store.open(path or CompanyFiles(settings, company).company_store, company=company)


def open_existing_store(settings: Settings, company: str) -> Store | None:
    """The store of the organisation the company works with, or its client list; None when
    nothing was stored for it yet. Creates nothing.

    A company with neither a store nor a token file is not one uku-xero knows:
    UnknownCompany (exit 3), with the names it may be a typo of.
    """
    from uku_xero_cli.connection.known import require_existing_company
    from uku_xero_cli.store import Store

    path = current_store_path(settings, company)
    if path is not None:
        return Store.open(path, company=company)
    require_existing_company(settings, company)
    return None


def _token_record(settings: Settings, company: str) -> CompanyTokens | None:
    from uku_xero_cli.errors import DamagedTokenFile
    from uku_xero_cli.tokens import TokenStore

    try:
        return TokenStore(settings).load(company)
    except DamagedTokenFile:
        return None  # its organisation is unknown: the stores say what they can


def _tenant_of(record: CompanyTokens | None) -> tuple[str, str | None] | None:
    if record is None or not record.tenant_id:
        return None
    return record.tenant_id, record.tenant_name
