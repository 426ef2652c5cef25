"""Opening a company's store for what only reads it (`stats`, `clients`, a dry run).

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

    A company with neither a store nor a token file is not one uku-xero knows:
    UnknownCompany (exit 3), with the names it may be a typo of.
    """
    from uku_xero_cli.connection.known import require_existing_company
    from uku_xero_cli.store import open_company_store

    if settings.store_file(company).exists():
        return open_company_store(settings, company)
    require_existing_company(settings, company)
    return None
