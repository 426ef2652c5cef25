"""Store queries for sync bookkeeping: cursors, sync runs and monthly work statistics.

A cursor is the newest UpdatedDateUTC seen for a data set. Set it inside the transaction
that writes the data set, so it moves only if the data it stands for was committed. A sync
run's start and finish are committed on their own, so a failed or interrupted run is on record.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from uku_xero_cli.errors import StoreError
from uku_xero_cli.store.db import StoreBase, money_text, money_value, time_text, time_value
from uku_xero_cli.store.db import utc_now as _now
from uku_xero_cli.store.models import RunOutcome, SyncRun, UpsertCounts, WorkStat

_RUN_COLUMNS = (
    "id, data_set, started_at, finished_at, fetched, new, updated, unchanged,"
    " skipped_archived, requests, outcome, error"
)


def _run(row: Sequence[Any]) -> SyncRun:
    started = time_value(row[2])
    assert started is not None  # NOT NULL in the schema
    return SyncRun(
        id=row[0],
        data_set=row[1],
        started_at=started,
        finished_at=time_value(row[3]),
        fetched=row[4],
        new=row[5],
        updated=row[6],
        unchanged=row[7],
        skipped_archived=row[8],
        requests=row[9],
        outcome=row[10],
        error=row[11],
    )


class RunQueries(StoreBase):
    def cursor(self, data_set: str) -> datetime | None:
        rows = self._query("SELECT cursor FROM sync_cursors WHERE data_set = ?", (data_set,))
        return time_value(rows[0][0]) if rows else None

    def cursors(self) -> dict[str, datetime]:
        rows = self._conn.execute("SELECT data_set, cursor FROM sync_cursors")
        return {name: value for name, text in rows if (value := time_value(text))}

    def set_cursor(self, data_set: str, value: datetime, *, now: datetime | None = None) -> None:
        """Move the cursor; must run inside the transaction that wrote the data set."""
        if not self.in_transaction:
            raise StoreError("a cursor moves only together with the data it stands for")
        self._conn.execute(
            "INSERT INTO sync_cursors (data_set, cursor, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (data_set) DO UPDATE SET cursor = excluded.cursor,"
            " updated_at = excluded.updated_at",
            (data_set, time_text(value), time_text(now or _now())),
        )

    def clear_cursors(self, data_sets: Iterable[str] | None = None) -> None:
        with self.transaction():
            if data_sets is None:
                self._conn.execute("DELETE FROM sync_cursors")
            else:
                self._conn.executemany(
                    "DELETE FROM sync_cursors WHERE data_set = ?", [(d,) for d in data_sets]
                )

    def start_sync_run(self, data_set: str, *, now: datetime | None = None) -> int:
        """Record that a data set's sync began; returns the run id. Commits at once."""
        if self.in_transaction:
            raise StoreError("start a sync run outside the data set's transaction")
        with self.transaction():
            cursor = self._conn.execute(
                "INSERT INTO sync_runs (data_set, started_at) VALUES (?, ?)",
                (data_set, time_text(now or _now())),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def finish_sync_run(
        self,
        run_id: int,
        *,
        outcome: RunOutcome,
        counts: UpsertCounts | None = None,
        fetched: int = 0,
        skipped_archived: int = 0,
        requests: int = 0,
        error: str | None = None,
        now: datetime | None = None,
    ) -> SyncRun:
        """Record how a run ended. On failure pass `error` (already free of secrets)."""
        counts = counts or UpsertCounts()
        with self.transaction():
            cursor = self._conn.execute(
                "UPDATE sync_runs SET finished_at = ?, fetched = ?, new = ?, updated = ?,"
                " unchanged = ?, skipped_archived = ?, requests = ?, outcome = ?, error = ?"
                " WHERE id = ?",
                (
                    time_text(now or _now()),
                    fetched,
                    counts.new,
                    counts.updated,
                    counts.unchanged,
                    skipped_archived,
                    requests,
                    outcome,
                    error,
                    run_id,
                ),
            )
            if cursor.rowcount != 1:
                raise StoreError(f"no sync run {run_id}")
            rows = self._query(f"SELECT {_RUN_COLUMNS} FROM sync_runs WHERE id = ?", (run_id,))
        return _run(rows[0])

    def mark_abandoned_runs(self, *, now: datetime | None = None) -> int:
        """Runs still `running` belong to a process that died: call this holding the reload
        lock, before starting new runs. Returns how many were marked `interrupted`."""
        with self.transaction():
            cursor = self._conn.execute(
                "UPDATE sync_runs SET outcome = 'interrupted', finished_at = ?,"
                " error = coalesce(error, 'the process ended before the run finished')"
                " WHERE outcome = 'running'",
                (time_text(now or _now()),),
            )
        return cursor.rowcount

    def last_runs(self, *, outcome: RunOutcome | None = None) -> dict[str, SyncRun]:
        """The latest run of each data set (optionally: the latest with that outcome)."""
        where = "WHERE outcome = ?" if outcome else ""
        params = (outcome,) if outcome else ()
        sql = (
            f"SELECT {_RUN_COLUMNS} FROM sync_runs WHERE id IN"
            f" (SELECT max(id) FROM sync_runs {where} GROUP BY data_set) ORDER BY data_set"
        )
        return {row[1]: _run(row) for row in self._conn.execute(sql, params)}

    def sync_runs(self, *, limit: int = 100) -> list[SyncRun]:
        """The most recent runs, newest first."""
        rows = self._query(
            f"SELECT {_RUN_COLUMNS} FROM sync_runs ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [_run(row) for row in rows]

    def write_work_stats(self, months: Iterable[str], stats: Iterable[WorkStat]) -> None:
        """Replace the statistics of every month in `months` (the reload's window) with
        `stats`; a month in the window with no rows ends up empty."""
        window = sorted(set(months))
        rows = [(s.month, s.metric, s.count, money_text(s.total)) for s in stats]
        outside = sorted({r[0] for r in rows} - set(window))
        if outside:
            raise StoreError(f"statistics for months outside the window: {', '.join(outside)}")
        with self.transaction():
            self._conn.executemany("DELETE FROM work_stats WHERE month = ?", [(m,) for m in window])
            self._conn.executemany(
                "INSERT INTO work_stats (month, metric, count, total) VALUES (?, ?, ?, ?)", rows
            )

    def work_stats(self, *, since_month: str | None = None) -> list[WorkStat]:
        """Statistics by month then metric; `since_month` (`YYYY-MM`) is inclusive."""
        sql = "SELECT month, metric, count, total FROM work_stats"
        params: tuple[str, ...] = ()
        if since_month:
            sql += " WHERE month >= ?"
            params = (since_month,)
        rows = self._query(sql + " ORDER BY month, metric", params)
        return [
            WorkStat(month=r[0], metric=r[1], count=r[2], total=money_value(r[3])) for r in rows
        ]
