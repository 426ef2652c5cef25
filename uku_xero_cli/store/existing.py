"""Opening a company's store for what only reads it (`stats`, `clients`).

Opening a store creates it; a read-only command given a mistyped company name must not leave
an empty store behind (that `companies` would then list as a company).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from uku_xero_cli.settings import Settings
    from uku_xero_cli.store import Store


def open_existing_store(settings: Settings, company: str) -> Store | None:
    """The company's store, or None when nothing was stored for it yet.

    A company with neither a store nor a token file is not one uku-xero knows: NotConnected
    (exit 3), whose hint covers the likely typo.
    """
    from uku_xero_cli.errors import NotConnected
    from uku_xero_cli.store import open_company_store

    if settings.store_file(company).exists():
        return open_company_store(settings, company)
    if settings.token_file(company).exists():
        return None
    raise NotConnected(
        f"company '{company}' has no data and no Xero connection",
        hint="check the name with `uku-xero companies`, or connect it with "
        f"`uku-xero auth -c {company}`",
    )
