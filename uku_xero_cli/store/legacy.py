"""Moving a company's files from the single-file layout into its directory (store/layout.py).

Earlier versions kept one store per company, `<data>/companies/<company>.sqlite`, bound to one
organisation (its `store_meta.tenant_id`), and a switch of organisation copied it aside to
`<company>.sqlite.<tenant>[.N].bak` before clearing that organisation's data. Now:

- the store becomes the store of the organisation it holds, `<company>/<tenant>.sqlite`. One
  never bound holds the data of the organisation the token file names; with none named (a
  company never connected) it holds Uku's client list only, and becomes `company.sqlite`;
- the newest copy set aside of each other organisation becomes that organisation's store, so
  switching back finds its data again (older copies stay where they are);
- `company.sqlite` gets Uku's client list from the store, and the organisation as current;
- the old lock files go: the new ones live in the directory.

Stores are renamed with their -wal/-shm companions, never copied or rewritten, so nothing is
lost however large they are. A lock keeps two processes from doing it at once: the first to
take it moves the files, the next finds nothing left to move.
"""

from __future__ import annotations

import os
import re
from contextlib import suppress
from typing import TYPE_CHECKING

from uku_xero_cli.errors import StoreError
from uku_xero_cli.store.layout import SQLITE_COMPANIONS, CompanyFiles

if TYPE_CHECKING:
    from pathlib import Path

Organisation = tuple[str, str | None]


def move_legacy_store(files: CompanyFiles, tenant: Organisation | None) -> None:
    """Move what the single-file layout left of the company, if anything. `tenant` is the
    organisation its token file names (for a store from before stores were bound)."""
    if not files.has_legacy_store:
        return
    from uku_xero_cli.locks import company_lock

    # A name no company can have (they never start with '.'); removed once done.
    lock = files.settings.stores_dir / f".{files.company}.migrate.lock"
    try:
        with company_lock(
            lock,
            timeout=60,
            busy=f"another uku-xero process is moving the store of company '{files.company}'",
            hint="run the command again in a minute",
        ):
            if files.has_legacy_store:
                _move(files, tenant)
    finally:
        with suppress(OSError):
            lock.unlink()


def _move(files: CompanyFiles, tenant: Organisation | None) -> None:
    from uku_xero_cli.fsutil import ensure_private_dir

    directory = files.directory
    if directory.exists() and not directory.is_dir():
        raise StoreError(
            f"{directory} is a file where the stores of company '{files.company}' go",
            hint="move that file away, then run the command again",
        )
    ensure_private_dir(directory)
    main = files.legacy_store
    current: Organisation | None = None
    if main.exists():
        current = bound_organisation(main) or tenant
        target = files.company_store if current is None else files.organisation_store(current[0])
        _rename_store(main, target)
    for tenant_id, backup in _newest_backups(files).items():
        target = files.organisation_store(tenant_id)
        if not target.exists():
            _rename_store(backup, target)
    if current is not None and not files.company_store.exists():
        _make_company_store(files, current)
    for name in (f"{files.company}.reload.lock", f"{files.company}.push.lock"):
        with suppress(OSError):
            (files.settings.stores_dir / name).unlink()


def _make_company_store(files: CompanyFiles, current: Organisation) -> None:
    from uku_xero_cli.store import Store

    with Store.open(files.organisation_store(current[0]), company=files.company) as moved:
        moved.claim_organisation(*current)  # a store from before binding learns its own
        clients = moved.uku_client_list()
    with Store.open(files.company_store, company=files.company) as company:
        company.import_clients(clients)
        company.make_current(*current)


def bound_organisation(path: Path) -> Organisation | None:
    """The organisation a store of the old layout was bound to, read without migrating it."""
    import sqlite3

    try:
        # mode=rw: never create a file; closing the only connection folds the WAL in.
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True)
        try:
            if not conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'store_meta'"
            ).fetchone():
                return None
            rows = dict(
                conn.execute(
                    "SELECT key, value FROM store_meta WHERE key IN ('tenant_id', 'tenant_name')"
                ).fetchall()
            )
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: not a uku-xero store ({exc})") from None
    return (rows["tenant_id"], rows.get("tenant_name")) if "tenant_id" in rows else None


def _newest_backups(files: CompanyFiles) -> dict[str, Path]:
    """tenant id → the latest copy set aside of that organisation (`.bak` is the first,
    `.2.bak` the next, ...)."""
    number = re.compile(r"\.(\d+)\.bak$")
    newest: dict[str, tuple[int, Path]] = {}
    for backup in files.legacy_backups():
        bound = bound_organisation(backup)
        if bound is None:
            continue  # not a copy of a bound store: left where it is
        found = number.search(backup.name)
        rank = int(found.group(1)) if found else 1
        if bound[0] not in newest or newest[bound[0]][0] < rank:
            newest[bound[0]] = (rank, backup)
    return {tenant_id: path for tenant_id, (_rank, path) in newest.items()}


def _rename_store(source: Path, target: Path) -> None:
    if target.exists():
        raise StoreError(
            f"cannot move {source} to {target}: both exist",
            hint=f"uku-xero uses {target}; move {source} away if it is an older copy",
        )
    # The companions first: a store must never be found without its write-ahead log.
    for suffix in SQLITE_COMPANIONS:
        side = source.with_name(source.name + suffix)
        if side.exists():
            os.replace(side, target.with_name(target.name + suffix))
    os.replace(source, target)
