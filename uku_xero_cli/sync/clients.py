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
    from uku_xero_cli.store.existing import open_existing_store

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

    A company that does not exist yet is created: Uku's client list may come in before
    anyone signs in to Xero. The result says so, with the existing names it is close to."""
    from uku_xero_cli.connection.known import close_names
    from uku_xero_cli.connection.status import configured_companies
    from uku_xero_cli.store import open_company_store
    from uku_xero_cli.sync.clients_csv import import_clients_csv, read_clients_file
    from uku_xero_cli.sync.match_store import match_in_store

    # Check the file before a store is created for a company that may not exist yet.
    read_clients_file(path, directory=directory)
    known = configured_companies(settings)
    with open_company_store(settings, company) as store, store.transaction():
        imported = import_clients_csv(store, path, directory=directory)
        # Contacts already imported can be linked now, without waiting for a reload.
        matching = match_in_store(store)
    new = company not in known
    return ImportedClients(
        company,
        imported,
        matching,
        new_company=new,
        close_to=close_names(company, known) if new else [],
    )
