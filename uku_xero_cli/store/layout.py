"""Every file of a company, by name: where its stores, locks and token file are.

    <config>/companies/<company>.toml       tokens and tenant (tokens.py)
    <config>/companies/<company>.lock      serialises its token refreshes
    <data>/companies/<company>/            0700
        company.sqlite                     Uku's client list, and which organisation is current
        <tenant id>.sqlite                 one store per Xero organisation the company used
        reload.lock, push.lock             one reload, one push at a time (locks.py)

An organisation's data (contacts, items, invoices, pushed invoices, cursors, statistics, and
the links of Uku's clients to its contacts) stays in its own file, so switching organisation
and back finds it again. Uku's client list is the company's, whatever the organisation: kept
in `company.sqlite` and copied into each organisation's store (the matching joins clients to
contacts inside one file), see store/opening.py.

Before this layout a company had one store, `<data>/companies/<company>.sqlite`, and a switch
of organisation left `<company>.sqlite.<tenant>[.N].bak` copies: store/legacy.py moves them in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from uku_xero_cli.errors import StoreError
from uku_xero_cli.settings import validate_company

if TYPE_CHECKING:
    from pathlib import Path

    from uku_xero_cli.settings import Settings

COMPANY_STORE = "company.sqlite"
# Xero's tenant ids are GUIDs: hex digits and dashes, which keeps them apart from
# `company.sqlite` and from anything that could leave the directory.
_TENANT = re.compile(r"^[0-9A-Fa-f][0-9A-Fa-f-]{0,63}$")
# What SQLite keeps next to a store while it is open (WAL) or after a crash.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def tenant_file_name(tenant_id: str) -> str:
    if not _TENANT.match(tenant_id):
        raise StoreError(f"{tenant_id!r} is not a Xero tenant id (a GUID): no store is named so")
    return f"{tenant_id}.sqlite"


@dataclass(frozen=True)
class CompanyFiles:
    settings: Settings
    company: str

    def __post_init__(self) -> None:
        validate_company(self.company)

    @property
    def directory(self) -> Path:
        return self.settings.company_data_dir(self.company)

    @property
    def company_store(self) -> Path:
        return self.directory / COMPANY_STORE

    def organisation_store(self, tenant_id: str) -> Path:
        return self.directory / tenant_file_name(tenant_id)

    def organisation_stores(self) -> dict[str, Path]:
        """tenant id → store, for every organisation the company has data of."""
        if not self.directory.is_dir():
            return {}
        return {
            path.stem: path
            for path in sorted(self.directory.glob("*.sqlite"))
            if path.name != COMPANY_STORE and _TENANT.match(path.stem)
        }

    @property
    def reload_lock(self) -> Path:
        return self.directory / "reload.lock"

    @property
    def push_lock(self) -> Path:
        return self.directory / "push.lock"

    @property
    def token_file(self) -> Path:
        return self.settings.token_file(self.company)

    @property
    def token_lock(self) -> Path:
        return self.settings.companies_dir / f"{self.company}.lock"

    # -- the single-file layout of earlier versions ------------------------------------------

    @property
    def legacy_store(self) -> Path:
        return self.settings.stores_dir / f"{self.company}.sqlite"

    def legacy_backups(self) -> list[Path]:
        """`<company>.sqlite.<tenant>.bak` and `.<tenant>.<N>.bak`: organisations set aside."""
        pattern = re.compile(rf"^{re.escape(self.company)}\.sqlite\.[A-Za-z0-9_-]+(\.\d+)?\.bak$")
        stores = self.settings.stores_dir
        if not stores.is_dir():
            return []
        return sorted(p for p in stores.iterdir() if pattern.match(p.name))

    def legacy_files(self) -> list[Path]:
        """What the single-file layout left of this company, existing ones only."""
        stores = self.settings.stores_dir
        names = [f"{self.company}.sqlite{suffix}" for suffix in ("", *SQLITE_COMPANIONS)]
        names += [f"{self.company}.reload.lock", f"{self.company}.push.lock"]
        found = [stores / name for name in names if (stores / name).exists()]
        return found + self.legacy_backups()

    @property
    def has_legacy_store(self) -> bool:
        """A store of the earlier layout is still to be moved in. Its `.bak` copies move with
        it (store/legacy.py); older copies left behind do not count, and a stat, unlike a
        listing of the directory every company shares, costs the same for 1 or 1,000."""
        return self.legacy_store.exists()

    @property
    def has_stores(self) -> bool:
        """Any Uku-side data: the client list, an organisation's store, or an earlier one."""
        return (
            self.company_store.exists() or bool(self.organisation_stores()) or self.has_legacy_store
        )

    # -- all of it -------------------------------------------------------------------------

    def every_file(self) -> list[Path]:
        """Every file of the company that exists: token file, locks, stores, what the earlier
        layout left. What `companies remove` deletes and `companies rename` moves."""
        found = [p for p in (self.token_file, self.token_lock) if p.exists()]
        if self.directory.is_dir():
            found += sorted(p for p in self.directory.rglob("*") if not p.is_dir())
        return found + self.legacy_files()

    def exists(self) -> bool:
        return bool(self.every_file())
