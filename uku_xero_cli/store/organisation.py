"""Which Xero organisation a store holds data from, and setting it aside on a switch.

A company can be moved to another organisation (`orgs --use`, or `auth` picking another).
Everything a store imported from or pushed to the old one (contacts, reference data,
invoices, cursors, statistics, links) would otherwise be mixed with the new one's: the next
reload would continue from the old cursors, and push-invoice would reuse the old contacts.
So the first sync job for another organisation copies the whole store to a backup next to
it, then clears that data in one transaction. The Uku clients stay (their links go), and so
does the sync history.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from uku_xero_cli.errors import StoreError
from uku_xero_cli.store.db import StoreBase, time_text, utc_now
from uku_xero_cli.store.schema import IMPORTED_TABLES

_UNSAFE = re.compile(r"[^A-Za-z0-9-]")


@dataclass(frozen=True)
class OrganisationChange:
    """What binding a store to another organisation did (for the user to be told)."""

    old_tenant_id: str
    old_tenant_name: str | None
    new_tenant_id: str
    new_tenant_name: str | None
    backup: Path
    cleared: dict[str, int] = field(default_factory=dict)

    def message(self) -> str:
        old = self.old_tenant_name or self.old_tenant_id
        new = self.new_tenant_name or self.new_tenant_id
        return (
            f"organisation changed from '{old}' to '{new}': data imported from '{old}' was "
            f"set aside in {self.backup}; Uku clients kept (links cleared)"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "from": {"tenant_id": self.old_tenant_id, "tenant_name": self.old_tenant_name},
            "to": {"tenant_id": self.new_tenant_id, "tenant_name": self.new_tenant_name},
            "backup": str(self.backup),
            "cleared": dict(self.cleared),
        }


class OrganisationQueries(StoreBase):
    def bound_organisation(self) -> tuple[str, str | None] | None:
        """The (tenant id, name) the store holds data from; None before the first job."""
        rows = dict(
            self._conn.execute(
                "SELECT key, value FROM store_meta WHERE key IN ('tenant_id', 'tenant_name')"
            ).fetchall()
        )
        if "tenant_id" not in rows:
            return None
        return rows["tenant_id"], rows.get("tenant_name")

    def bind_organisation(
        self, tenant_id: str, tenant_name: str | None
    ) -> OrganisationChange | None:
        """Make the store hold `tenant_id`'s data; None unless another organisation's was set
        aside (backup written first, then cleared in one transaction)."""
        import sqlite3

        if not tenant_id:
            raise StoreError("no organisation to bind the store to")
        if self.in_transaction:
            raise StoreError("bind the store to an organisation outside any transaction")
        try:
            # One write transaction from the check to the end, so two jobs cannot both
            # decide to switch, and nothing is written between the backup and the clearing.
            with self.transaction():
                bound = self.bound_organisation()
                if bound is not None and bound[0] == tenant_id:
                    if tenant_name and bound[1] != tenant_name:
                        self._set_meta("tenant_name", tenant_name)
                    return None
                if bound is None:
                    self._record(tenant_id, tenant_name)
                    return None
                backup = self._backup(bound[0])
                cleared = self._clear_organisation_data()
                self._record(tenant_id, tenant_name)
        except sqlite3.Error as exc:
            raise StoreError(
                f"{self.path}: cannot set aside the previous organisation's data ({exc})",
                hint="nothing was cleared; the store is as it was",
            ) from None
        return OrganisationChange(
            old_tenant_id=bound[0],
            old_tenant_name=bound[1],
            new_tenant_id=tenant_id,
            new_tenant_name=tenant_name,
            backup=backup,
            cleared=cleared,
        )

    def _set_meta(self, key: str, value: str) -> None:
        self._conn.execute(
            "INSERT INTO store_meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def _record(self, tenant_id: str, tenant_name: str | None) -> None:
        self._set_meta("tenant_id", tenant_id)
        if tenant_name:
            self._set_meta("tenant_name", tenant_name)
        else:
            self._conn.execute("DELETE FROM store_meta WHERE key = 'tenant_name'")

    def _backup_path(self, old_tenant_id: str) -> Path:
        stem = f"{self.path.name}.{_UNSAFE.sub('_', old_tenant_id)}"
        candidate = self.path.with_name(f"{stem}.bak")
        number = 2
        # Switching back and forth: an earlier backup of the same organisation is kept.
        while candidate.exists():
            candidate = self.path.with_name(f"{stem}.{number}.bak")
            number += 1
        return candidate

    def _backup(self, old_tenant_id: str) -> Path:
        """A consistent copy of the whole store; call inside a write transaction that has
        written nothing yet."""
        import sqlite3

        path = self._backup_path(old_tenant_id)
        try:
            # Client details are personal data: the copy is private like the store.
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except OSError as exc:
            raise StoreError(f"{path}: cannot write the backup ({exc.strerror})") from None
        # Read through a second connection: SQLite cannot back up from the connection that
        # holds the write lock. In WAL mode it still reads, and sees the committed store,
        # which no other writer can change while the lock is held.
        source = sqlite3.connect(self.path)
        target = sqlite3.connect(path)
        try:
            source.backup(target)
        except sqlite3.Error:
            target.close()
            path.unlink(missing_ok=True)
            raise
        finally:
            source.close()
        target.close()
        return path

    def _clear_organisation_data(self) -> dict[str, int]:
        conn = self._conn
        cleared: dict[str, int] = {}
        stamp = time_text(utc_now())
        cleared["links"] = conn.execute(
            "UPDATE clients SET xero_contact_id = NULL, match_method = NULL, matched_at = NULL,"
            " archived = 0, updated_at = ? WHERE origin = 'uku'"
            " AND (xero_contact_id IS NOT NULL OR archived != 0)",
            (stamp,),
        ).rowcount
        cleared["xero_clients"] = conn.execute("DELETE FROM clients WHERE origin = 'xero'").rowcount
        for table in IMPORTED_TABLES:
            cleared[table] = conn.execute(f"DELETE FROM {table}").rowcount
        # Every contact the next reload brings is new: the next match looks at all of them.
        conn.execute("DELETE FROM match_queue")
        conn.execute(
            "INSERT INTO match_state (name, value) VALUES ('every_contact', 1)"
            " ON CONFLICT (name) DO UPDATE SET value = 1"
        )
        return cleared
