"""Opening a company's SQLite store, its transactions, and the column conversions.

One file per organisation of a company, and one for the company's client list
(store/layout.py). The connection runs in autocommit mode and `transaction()` issues
BEGIN IMMEDIATE / COMMIT itself, so a data set and its cursor are written together or not at
all: an exception, Ctrl-C or a killed process leaves the previous data in place (WAL keeps
readers such as `status` unblocked while a reload writes).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from uku_xero_cli.errors import LockHeld, StoreError
from uku_xero_cli.xero.parse import format_utc

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Collection, Mapping, Sequence

    from uku_xero_cli.store.models import UpsertCounts

DEFAULT_BUSY_TIMEOUT = 10.0
# Above this many keys one scan of a table is cheaper than looking keys up in chunks.
_SCAN_THRESHOLD = 2000
_CHUNK = 500


def money_text(value: Decimal | None) -> str | None:
    """A Decimal as plain digits (never exponent notation); reads back equal."""
    if value is None:
        return None
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {value}")
    return format(value, "f")


def money_value(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def time_text(moment: datetime | None) -> str | None:
    return None if moment is None else format_utc(moment)


def time_value(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def date_text(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def date_value(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def flag_value(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _create_private(path: Path) -> None:
    from uku_xero_cli.fsutil import ensure_private_dir

    ensure_private_dir(path.parent)
    # Client details are personal data: create the file 0600 before SQLite opens it (SQLite
    # gives its -wal and -shm files the same mode).
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(fd)


class StoreBase:
    """The connection and its transactions; the query mixins build on this."""

    def __init__(self, conn: sqlite3.Connection, path: Path, company: str | None = None) -> None:
        self._conn = conn
        self.path = path
        # The company the store belongs to (its directory's name in store/layout.py).
        self.company = company or path.parent.name
        self._depth = 0

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        migrations: Sequence[str] | None = None,
        company: str | None = None,
    ) -> Self:
        """Open (creating if needed) the store at `path` and bring its schema up to date."""
        import sqlite3

        from uku_xero_cli.store.schema import MIGRATIONS, migrate

        try:
            _create_private(path)
        except OSError as exc:
            raise StoreError(f"{path}: cannot create the store ({exc.strerror})") from None
        try:
            conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open the store ({exc})") from None
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"{path}: the store cannot use write-ahead logging ({mode})")
            # NORMAL is safe in WAL mode: a crash can lose the last commit but never
            # leaves a half-applied one.
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            migrate(conn, MIGRATIONS if migrations is None else migrations)
        except sqlite3.OperationalError as exc:
            conn.close()
            if "locked" in str(exc) or "busy" in str(exc):
                raise LockHeld(f"{path}: the store is busy in another process") from None
            raise StoreError(f"{path}: cannot use the store ({exc})") from None
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"{path}: not a uku-xero store ({exc})") from None
        except BaseException:
            conn.close()
            raise
        return cls(conn, path, company)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction (BEGIN IMMEDIATE); nested calls join the outer one.

        Anything raised inside, KeyboardInterrupt included, rolls the whole of it back.
        """
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        import sqlite3

        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise LockHeld(
                f"{self.path}: the store is busy in another process ({exc})",
                hint="wait for the other uku-xero command to finish",
            ) from None
        self._depth = 1
        try:
            yield
            self._conn.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise
        finally:
            self._depth = 0

    def _stored_rows(
        self, table: str, columns: Sequence[str], keys: Collection[Any]
    ) -> dict[Any, tuple[Any, ...]]:
        """Stored rows (tuples of `columns`, the key column first) for the given keys."""
        if not keys:
            return {}
        select = ", ".join(columns)
        if len(keys) > _SCAN_THRESHOLD:
            rows = self._conn.execute(f"SELECT {select} FROM {table}")
            return {row[0]: tuple(row) for row in rows if row[0] in keys}
        found: dict[Any, tuple[Any, ...]] = {}
        ordered = list(keys)
        for start in range(0, len(ordered), _CHUNK):
            chunk = ordered[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT {select} FROM {table} WHERE {columns[0]} IN ({marks})"
            found.update((row[0], tuple(row)) for row in self._conn.execute(sql, chunk))
        return found

    def _upsert_rows(
        self,
        table: str,
        columns: Sequence[str],
        rows: Mapping[Any, tuple[Any, ...]],
        *,
        replace: bool = False,
    ) -> UpsertCounts:
        """Write `rows` (key → values of `columns`, key first), touching only what differs.

        With `replace`, stored rows whose key is not in `rows` are deleted: the data set
        was fetched whole.
        """
        from uku_xero_cli.store.models import UpsertCounts

        key = columns[0]
        with self.transaction():
            if replace:
                stored = {
                    row[0]: tuple(row)
                    for row in self._conn.execute(f"SELECT {', '.join(columns)} FROM {table}")
                }
            else:
                stored = self._stored_rows(table, columns, rows)
            new = [row for k, row in rows.items() if k not in stored]
            changed = [(*row[1:], row[0]) for k, row in rows.items() if stored.get(k, row) != row]
            gone = [(k,) for k in stored if k not in rows] if replace else []
            marks = ", ".join("?" * len(columns))
            self._conn.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", new
            )
            updates = ", ".join(f"{c} = ?" for c in columns[1:])
            self._conn.executemany(f"UPDATE {table} SET {updates} WHERE {key} = ?", changed)
            self._conn.executemany(f"DELETE FROM {table} WHERE {key} = ?", gone)
        return UpsertCounts(
            new=len(new),
            updated=len(changed),
            unchanged=len(rows) - len(new) - len(changed),
            removed=len(gone),
        )

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._conn.execute(sql, params).fetchall()

    def schema_version(self) -> int:
        from uku_xero_cli.store.schema import current_version

        return current_version(self._conn)

    def pragma(self, name: str) -> Any:
        """One PRAGMA's value (for `status` and tests): journal_mode, foreign_keys, ..."""
        if not name.isidentifier():
            raise ValueError(f"not a pragma name: {name!r}")
        return self._conn.execute(f"PRAGMA {name}").fetchone()[0]
