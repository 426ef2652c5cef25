"""Store queries for matching only what may have changed (sync/match_store.py).

The schema's triggers (migration 4) keep the bookkeeping: `match_queue` holds the contacts
added or changed since the last match and those whose client was unlinked or deleted;
`match_state`'s `every_contact` says a client nobody is linked to was added, changed or
freed, which can give any contact a candidate. Matching puts the contacts it left ambiguous
back in the queue, so they are tried again with whatever changes next.
"""

from __future__ import annotations

from collections.abc import Iterable

from uku_xero_cli.store.clients import _CONTACT_COLUMNS, _contact
from uku_xero_cli.store.db import StoreBase
from uku_xero_cli.store.models import XeroContact

_SCOPE_COLUMNS = ", ".join(f"x.{c}" for c in _CONTACT_COLUMNS)


class MatchStateQueries(StoreBase):
    def match_every_contact(self) -> bool:
        """Whether the next match must look at every contact (a free client changed)."""
        row = self._conn.execute(
            "SELECT value FROM match_state WHERE name = 'every_contact'"
        ).fetchone()
        return row is None or bool(row[0])

    def contacts_waiting_for_match(self) -> bool:
        return self._conn.execute("SELECT 1 FROM match_queue LIMIT 1").fetchone() is not None

    def contacts_to_match(
        self, *, every: bool, provisional: bool, after: str = "", limit: int = 1000
    ) -> list[tuple[XeroContact, str | None]]:
        """Active contacts that may match a client, by ContactID after `after`, each with the
        placeholder client it is provisionally linked to (None: not linked at all).

        `every`: all of them, not only the queued ones. `provisional`: include contacts
        linked to a placeholder (only worth it when some unlinked Uku client could take
        them). A contact linked to an Uku client is never among them: that link stays.
        """
        if every:
            source, key = "xero_contacts AS x", "x.contact_id"
        else:
            # Walked in the queue's order, so a short queue costs little in a large store.
            source = "match_queue AS q JOIN xero_contacts AS x ON x.contact_id = q.contact_id"
            key = "q.contact_id"
        rows = self._conn.execute(
            f"SELECT {_SCOPE_COLUMNS}, c.id FROM {source}"
            " LEFT JOIN clients AS c ON c.xero_contact_id = x.contact_id"
            f" WHERE x.status = 'ACTIVE' AND {key} > ?"
            " AND (c.id IS NULL OR (? AND c.origin = 'xero'))"
            f" ORDER BY {key} LIMIT ?",
            (after, int(provisional), limit),
        )
        return [(_contact(row), row[-1]) for row in rows]

    def linked_active_contacts(self) -> int:
        """How many active contacts have a client linked (what matching reports as kept)."""
        # Linked clients counted from the link's index, less the few linked contacts that
        # are not active: a join over every client would cost several times as much.
        linked = self._conn.execute("SELECT count(xero_contact_id) FROM clients").fetchone()
        inactive = self._conn.execute(
            "SELECT count(*) FROM xero_contacts AS x WHERE x.status != 'ACTIVE'"
            " AND EXISTS (SELECT 1 FROM clients AS c WHERE c.xero_contact_id = x.contact_id)"
        ).fetchone()
        return int(linked[0]) - int(inactive[0])

    def finish_match(self, ambiguous: Iterable[str]) -> None:
        """After a match: only the ambiguous contacts wait for the next one."""
        with self.transaction():
            self._conn.execute("DELETE FROM match_queue")
            self._conn.executemany(
                "INSERT OR IGNORE INTO match_queue (contact_id) VALUES (?)",
                [(contact_id,) for contact_id in ambiguous],
            )
            self._conn.execute("UPDATE match_state SET value = 0 WHERE name = 'every_contact'")
