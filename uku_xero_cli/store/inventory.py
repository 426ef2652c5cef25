"""What a company keeps on disk of each organisation: which one, how big, reloaded when.

Read for `companies` without opening the stores as a job would (no migration, nothing
written): a listing of many companies stays a listing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from uku_xero_cli.store.layout import SQLITE_COMPANIONS, CompanyFiles

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True)
class OrganisationData:
    """One organisation's store of a company."""

    tenant_id: str
    tenant_name: str | None
    path: Path
    size_bytes: int
    last_reload: datetime | None  # when its latest reload run finished
    current: bool  # the organisation the company works with

    def to_json(self) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id,
            "tenant_name": self.tenant_name,
            "store": str(self.path),
            "size_bytes": self.size_bytes,
            "last_reload": self.last_reload,
            "current": self.current,
        }


def store_size(path: Path) -> int:
    """The store and what SQLite keeps beside it, in bytes."""
    sides = [path, *(path.with_name(path.name + suffix) for suffix in SQLITE_COMPANIONS)]
    return sum(side.stat().st_size for side in sides if side.exists())


def organisation_data(files: CompanyFiles, current: str | None) -> list[OrganisationData]:
    """Every organisation store of the company, `current` (a tenant id) marked; without one
    (a company not connected), the organisation it last worked with."""
    if current is None and files.company_store.exists():
        current = _last_current(files.company_store)
    found = []
    for tenant_id, path in files.organisation_stores().items():
        name, finished = _read(path)
        found.append(
            OrganisationData(
                tenant_id, name, path, store_size(path), finished, tenant_id == current
            )
        )
    return found


def _last_current(path: Path) -> str | None:
    import sqlite3

    try:
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True)
        try:
            row = conn.execute(
                "SELECT value FROM store_meta WHERE key = 'current_tenant_id'"
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def _read(path: Path) -> tuple[str | None, datetime | None]:
    import sqlite3

    try:
        # mode=rw: never creates; a store at any schema version has these two tables.
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True)
        try:
            name = conn.execute("SELECT value FROM store_meta WHERE key = 'tenant_name'").fetchone()
            finished = conn.execute("SELECT max(finished_at) FROM sync_runs").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None, None  # unreadable: listed by its file, size and tenant id only
    return (
        name[0] if name else None,
        datetime.fromisoformat(finished[0]) if finished and finished[0] else None,
    )
