"""Store queries for clients and imported Xero contacts (the Integration column).

Writes compare against what is stored and touch only rows that changed, so the counts a
reload reports (new / updated / unchanged) are true, and an unchanged organisation costs
no writes.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from uku_xero_cli.errors import StoreError
from uku_xero_cli.store.db import StoreBase, time_text, time_value, utc_now
from uku_xero_cli.store.models import ClientInput, ClientRecord, UpsertCounts, XeroContact

if TYPE_CHECKING:
    from uku_xero_cli.sync.matching import MatchResult

_CONTACT_COLUMNS = (
    "contact_id",
    "name",
    "email",
    "company_number",
    "tax_number",
    "status",
    "updated_utc",
)
_CONTACT_SELECT = ", ".join(_CONTACT_COLUMNS)
_IMPORT_COLUMNS = ("id", "name", "email", "registration_number", "vat_number", "extra", "origin")
_CLIENT_SELECT = """
SELECT c.id, c.name, c.email, c.registration_number, c.vat_number, c.extra, c.origin,
       c.archived, c.xero_contact_id, c.match_method, c.matched_at, x.name, x.status
FROM clients AS c LEFT JOIN xero_contacts AS x ON x.contact_id = c.xero_contact_id
"""


def _extra_text(extra: Mapping[str, str]) -> str:
    return json.dumps(dict(extra), sort_keys=True, ensure_ascii=False)


def _client(row: Sequence[Any]) -> ClientRecord:
    return ClientRecord(
        id=row[0],
        name=row[1],
        email=row[2],
        registration_number=row[3],
        vat_number=row[4],
        extra=json.loads(row[5]),
        origin=row[6],
        archived=bool(row[7]),
        xero_contact_id=row[8],
        match_method=row[9],
        matched_at=time_value(row[10]),
        contact_name=row[11],
        contact_status=row[12],
    )


def _contact(row: Sequence[Any]) -> XeroContact:
    return XeroContact(
        contact_id=row[0],
        name=row[1],
        email=row[2],
        company_number=row[3],
        tax_number=row[4],
        status=row[5],
        updated_utc=time_value(row[6]),
    )


class ClientQueries(StoreBase):
    def upsert_contacts(self, contacts: Iterable[XeroContact]) -> UpsertCounts:
        """Write Xero contacts as given (archived ones included); a later duplicate wins."""
        rows = {
            c.contact_id: (
                c.contact_id,
                c.name,
                c.email,
                c.company_number,
                c.tax_number,
                c.status,
                time_text(c.updated_utc),
            )
            for c in contacts
        }
        return self._upsert_rows("xero_contacts", _CONTACT_COLUMNS, rows)

    def known_contact_ids(self, contact_ids: Collection[str]) -> set[str]:
        """Which of these contacts the store already holds."""
        return set(self._stored_rows("xero_contacts", ("contact_id",), contact_ids))

    def active_contacts(self) -> list[XeroContact]:
        rows = self._conn.execute(
            f"SELECT {_CONTACT_SELECT} FROM xero_contacts WHERE status = 'ACTIVE'"
            " ORDER BY contact_id"
        )
        return [_contact(row) for row in rows]

    def contact(self, contact_id: str) -> XeroContact | None:
        rows = self._query(
            f"SELECT {_CONTACT_SELECT} FROM xero_contacts WHERE contact_id = ?", (contact_id,)
        )
        return _contact(rows[0]) if rows else None

    def mark_archived(
        self, contact_ids: Iterable[str], *, archived: bool = True, now: datetime | None = None
    ) -> int:
        """Set the archived flag of the clients linked to these contacts; returns how many
        clients changed. Links and history stay."""
        stamp = time_text(now or utc_now())
        flag = int(archived)
        params = [(flag, stamp, cid, flag) for cid in set(contact_ids)]
        with self.transaction():
            before = self._conn.total_changes
            self._conn.executemany(
                "UPDATE clients SET archived = ?, updated_at = ?"
                " WHERE xero_contact_id = ? AND archived != ?",
                params,
            )
            return self._conn.total_changes - before

    def list_clients(
        self, *, unmatched_only: bool = False, include_archived: bool = True
    ) -> list[ClientRecord]:
        """Clients with their Integration column, by name (case-insensitive), then id."""
        where = []
        if unmatched_only:
            where.append("c.xero_contact_id IS NULL")
        if not include_archived:
            where.append("c.archived = 0")
        sql = _CLIENT_SELECT
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY c.name COLLATE NOCASE, c.id"
        return [_client(row) for row in self._conn.execute(sql)]

    def client(self, client_id: str) -> ClientRecord | None:
        rows = self._query(_CLIENT_SELECT + " WHERE c.id = ?", (client_id,))
        return _client(rows[0]) if rows else None

    def client_for_contact(self, contact_id: str) -> ClientRecord | None:
        rows = self._query(_CLIENT_SELECT + " WHERE c.xero_contact_id = ?", (contact_id,))
        return _client(rows[0]) if rows else None

    def link_client(
        self, client_id: str, contact_id: str, method: str, *, now: datetime | None = None
    ) -> None:
        """Link one unlinked client to a stored contact (push-invoice after creating one)."""
        stamp = time_text(now or utc_now())
        with self.transaction():
            if self.contact(contact_id) is None:
                raise StoreError(f"contact {contact_id!r} is not in the store")
            cursor = self._conn.execute(
                "UPDATE clients SET xero_contact_id = ?, match_method = ?, matched_at = ?,"
                " updated_at = ? WHERE id = ? AND xero_contact_id IS NULL",
                (contact_id, method, stamp, stamp, client_id),
            )
            if cursor.rowcount != 1:
                raise StoreError(f"client {client_id!r} is unknown or already linked")

    def uku_client_list(self) -> list[ClientInput]:
        """Uku's own clients (origin `uku`) as `clients import` gave them, without their links:
        what another store of the company is given (store/opening.py)."""
        rows = self._query(
            "SELECT id, name, email, registration_number, vat_number, extra FROM clients"
            " WHERE origin = 'uku' ORDER BY id"
        )
        return [ClientInput(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]

    def import_clients(
        self, clients: Sequence[ClientInput], *, now: datetime | None = None
    ) -> UpsertCounts:
        """Insert or update Uku clients by id; their Integration links are kept."""
        stamp = time_text(now or utc_now())
        rows = {
            c.id: (
                c.id,
                c.name,
                c.email,
                c.registration_number,
                c.vat_number,
                _extra_text(c.extra),
                "uku",
            )
            for c in clients
        }
        with self.transaction():
            stored = self._stored_rows("clients", _IMPORT_COLUMNS, rows)
            new = [(*row, stamp, stamp) for key, row in rows.items() if key not in stored]
            changed = [
                (*row[1:], stamp, row[0])
                for key, row in rows.items()
                if key in stored and stored[key] != row
            ]
            self._conn.executemany(
                "INSERT INTO clients (id, name, email, registration_number, vat_number, extra,"
                " origin, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                new,
            )
            self._conn.executemany(
                "UPDATE clients SET name = ?, email = ?, registration_number = ?,"
                " vat_number = ?, extra = ?, origin = ?, updated_at = ? WHERE id = ?",
                changed,
            )
        return UpsertCounts(
            new=len(new), updated=len(changed), unchanged=len(rows) - len(new) - len(changed)
        )

    def apply_matches(self, result: MatchResult, *, now: datetime | None = None) -> None:
        """Write what matching decided: moved links, new links, and clients made from contacts.

        Call it in the same transaction as the `list_clients` the result was computed from.
        """
        stamp = time_text(now or utc_now())
        with self.transaction():
            # A placeholder client made from a contact gives way to the Uku client the
            # contact now matches.
            retired = [(link.replaces,) for link in result.links if link.replaces]
            self._conn.executemany("DELETE FROM clients WHERE id = ? AND origin = 'xero'", retired)
            self._conn.executemany(
                "UPDATE clients SET xero_contact_id = NULL, match_method = NULL,"
                " matched_at = NULL WHERE id = ?",
                retired,
            )
            links = [
                (link.contact_id, link.method, stamp, stamp, link.client_id)
                for link in result.links
            ]
            linked = self._conn.executemany(
                "UPDATE clients SET xero_contact_id = ?, match_method = ?, matched_at = ?,"
                " updated_at = ? WHERE id = ? AND xero_contact_id IS NULL",
                links,
            )
            if linked.rowcount != len(links):
                raise StoreError(
                    "clients changed while matching ran; nothing was linked",
                    hint="run the reload again",
                )
            self._insert_contact_clients(
                [(new.client_id, new.contact) for new in result.new_clients], stamp
            )

    def add_clients_from_contacts(
        self, contacts: Sequence[XeroContact], *, now: datetime | None = None
    ) -> int:
        """Make a client (origin `xero`) for each contact no client matches; returns how many.

        For matching in the store, which decides these without building a `MatchResult`.
        """
        from uku_xero_cli.sync.matching import new_client_id

        made = [(new_client_id(c.contact_id), c) for c in contacts]
        with self.transaction():
            return self._insert_contact_clients(made, time_text(now or utc_now()))

    def _insert_contact_clients(
        self, made: Sequence[tuple[str, XeroContact]], stamp: str | None
    ) -> int:
        cursor = self._conn.executemany(
            "INSERT INTO clients (id, name, email, registration_number, vat_number, origin,"
            " xero_contact_id, match_method, matched_at, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, 'xero', ?, 'new_client', ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET xero_contact_id = excluded.xero_contact_id,"
            " match_method = excluded.match_method, matched_at = excluded.matched_at,"
            " updated_at = excluded.updated_at WHERE clients.xero_contact_id IS NULL",
            [
                (
                    client_id,
                    contact.name,
                    contact.email,
                    contact.company_number,
                    contact.tax_number,
                    contact.contact_id,
                    stamp,
                    stamp,
                    stamp,
                )
                for client_id, contact in made
            ],
        )
        # rowcount, not total_changes: the latter would count what triggers write too.
        return cursor.rowcount
