"""Uku's client list of one company: reading it, and loading it from a CSV file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from uku_xero_cli.settings import Settings
    from uku_xero_cli.store.models import ClientRecord
    from uku_xero_cli.sync.clients_csv import ClientsImport
    from uku_xero_cli.sync.matching import MatchResult


@dataclass
class ClientList:
    company: str
    unmatched_only: bool
    clients: list[ClientRecord]

    def to_json(self) -> dict[str, Any]:
        return {
            "company": self.company,
            "unmatched_only": self.unmatched_only,
            "clients": [c.to_json() for c in self.clients],
        }


def list_clients(settings: Settings, company: str, *, unmatched_only: bool = False) -> ClientList:
    """The company's clients with their Xero contact (only those without one if asked);
    empty when nothing was stored yet. Creates no store."""
    from uku_xero_cli.store.opening import open_existing_store

    existing = open_existing_store(settings, company)
    found: list[ClientRecord] = []
    if existing is not None:
        with existing as store:
            found = store.list_clients(unmatched_only=unmatched_only)
    return ClientList(company, unmatched_only, found)


@dataclass
class ImportedClients:
    company: str
    imported: ClientsImport
    matching: MatchResult
    # The import created the company (its store): existing names it may be a typo of.
    new_company: bool = False
    close_to: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "company": self.company,
            **self.imported.to_json(),
            "matching": self.matching.to_json(),
            "new_company": self.new_company,
        }


def import_clients(
    settings: Settings, company: str, path: Path, *, directory: Path | None = None
) -> ImportedClients:
    """Load the company's client list from a CSV file (`path` relative to `directory`,
    default the working directory; every row checked first: any bad row and nothing is
    written), then link the clients to the Xero contacts already imported.

    The list is the company's, whatever the organisation: it goes to the company's store and
    to the store of every organisation the company has data of, each matching it to its own
    contacts; the result shows the matching in the organisation the company works with.

    A company that does not exist yet is created: Uku's client list may come in before
    anyone signs in to Xero. The result says so, with the existing names it is close to."""
    from uku_xero_cli.connection.known import close_names
    from uku_xero_cli.connection.status import configured_companies
    from uku_xero_cli.store import Store
    from uku_xero_cli.store.layout import CompanyFiles
    from uku_xero_cli.store.opening import current_tenant
    from uku_xero_cli.sync.clients_csv import ClientsImport, read_clients_file
    from uku_xero_cli.sync.match_store import match_in_store

    # Check the file before a store is created for a company that may not exist yet.
    clients = read_clients_file(path, directory=directory)
    known = configured_companies(settings)
    files = CompanyFiles(settings, company)
    current = current_tenant(settings, company)
    with Store.open(files.company_store, company=company) as own, own.transaction():
        counts = own.import_clients(clients)
        # Contacts already imported can be linked now, without waiting for a reload.
        matching = match_in_store(own)
    for tenant_id, store_path in files.organisation_stores().items():
        with Store.open(store_path, company=company) as store, store.transaction():
            store.import_clients(clients)
            matched = match_in_store(store)
        if current is not None and tenant_id == current[0]:
            matching = matched
    imported = ClientsImport(path=str(path), rows=len(clients), counts=counts)
    new = company not in known
    return ImportedClients(
        company,
        imported,
        matching,
        new_company=new,
        close_to=close_names(company, known) if new else [],
    )
