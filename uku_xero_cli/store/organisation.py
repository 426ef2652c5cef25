"""Which Xero organisation a store holds data of, and which one a company works with now.

Each organisation's data has a store of its own (store/layout.py): its `store_meta` names the
organisation (`tenant_id`, `tenant_name`), recorded when the store is first used, and a store
is never used for another one. The company's own store (`company.sqlite`) records the
organisation the company last worked with (`current_tenant_id`, `current_tenant_name`), so a
job can say that the company moved to another organisation, and whether that one's data was
there already.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from uku_xero_cli.errors import StoreError
from uku_xero_cli.store.db import StoreBase


@dataclass(frozen=True)
class OrganisationSwitch:
    """The company works with another organisation than at its previous job: the earlier
    one's store stays as it is, and this one's is current (`resumed`: it held data already)."""

    old_tenant_id: str
    old_tenant_name: str | None
    new_tenant_id: str
    new_tenant_name: str | None
    store: Path
    kept: Path | None  # the earlier organisation's store, when it has one
    resumed: bool

    def message(self) -> str:
        old = self.old_tenant_name or self.old_tenant_id
        new = self.new_tenant_name or self.new_tenant_id
        now = (
            f"its data from before is current again ({self.store})"
            if self.resumed
            else f"nothing was imported from it yet ({self.store})"
        )
        kept = f", kept in {self.kept}" if self.kept is not None else ""
        return (
            f"organisation changed from '{old}' to '{new}': {now}; the data of '{old}' stays "
            f"as it was{kept}, and comes back when the company switches back"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "from": {"tenant_id": self.old_tenant_id, "tenant_name": self.old_tenant_name},
            "to": {"tenant_id": self.new_tenant_id, "tenant_name": self.new_tenant_name},
            "store": str(self.store),
            "kept": None if self.kept is None else str(self.kept),
            "resumed": self.resumed,
        }


class OrganisationQueries(StoreBase):
    def bound_organisation(self) -> tuple[str, str | None] | None:
        """The (tenant id, name) the store holds data of; None before its first use."""
        return self._meta_pair("tenant_id", "tenant_name")

    def claim_organisation(self, tenant_id: str, tenant_name: str | None) -> None:
        """Record that this store holds `tenant_id`'s data (or check that it does: a store of
        another organisation is never written with this one's)."""
        if not tenant_id:
            raise StoreError("no organisation to claim the store for")
        bound = self.bound_organisation()
        if bound is not None and bound[0] == tenant_id and bound[1] == tenant_name:
            return  # the usual case: nothing to write
        with self.transaction():
            bound = self.bound_organisation()
            if bound is not None and bound[0] != tenant_id:
                raise StoreError(
                    f"{self.path} holds the data of organisation '{bound[1] or bound[0]}', "
                    f"not of {tenant_name or tenant_id}",
                    hint="move the file back to the name of its tenant id",
                )
            self._set_meta("tenant_id", tenant_id)
            if tenant_name:
                self._set_meta("tenant_name", tenant_name)

    # -- the company's store ------------------------------------------------------------------

    def current_organisation(self) -> tuple[str, str | None] | None:
        """The organisation the company last worked with (company store only)."""
        return self._meta_pair("current_tenant_id", "current_tenant_name")

    def make_current(
        self, tenant_id: str, tenant_name: str | None
    ) -> tuple[str, str | None] | None:
        """Record that the company works with `tenant_id` now; the one before (or None)."""
        before = self.current_organisation()
        if before == (tenant_id, tenant_name):
            return before
        with self.transaction():
            before = self.current_organisation()
            self._set_meta("current_tenant_id", tenant_id)
            if tenant_name:
                self._set_meta("current_tenant_name", tenant_name)
            else:
                self._conn.execute("DELETE FROM store_meta WHERE key = 'current_tenant_name'")
        return before

    def _meta_pair(self, id_key: str, name_key: str) -> tuple[str, str | None] | None:
        rows = dict(
            self._conn.execute(
                "SELECT key, value FROM store_meta WHERE key IN (?, ?)", (id_key, name_key)
            ).fetchall()
        )
        if id_key not in rows:
            return None
        return rows[id_key], rows.get(name_key)

    def _set_meta(self, key: str, value: str) -> None:
        self._conn.execute(
            "INSERT INTO store_meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
