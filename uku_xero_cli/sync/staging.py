"""Pages of one data set held on disk while they download, away from the company's store.

Holding the store's write lock for a whole download would make every other command that writes
(push-invoice, check-paid, clients import) wait and then give up while a long reload runs. So a
data set is first read into a private temporary SQLite file (SQLite removes it on close), and
only then applied to the store in one short transaction. Memory stays flat: pages go to disk
as they come and are read back one at a time.
"""

from __future__ import annotations

import pickle
import sqlite3
from collections.abc import Iterator
from types import TracebackType

from uku_xero_cli.xero.paging import Page


class PageStaging:
    """`add` pages in the order they come; `pages()` gives them back in that order."""

    def __init__(self) -> None:
        # "" opens a temporary on-disk database private to this connection.
        self._db = sqlite3.connect("", isolation_level=None)
        self._db.execute(
            "CREATE TABLE page (seq INTEGER PRIMARY KEY, number INTEGER NOT NULL,"
            " page_count INTEGER, item_count INTEGER, records BLOB NOT NULL)"
        )
        self.count = 0

    def __enter__(self) -> PageStaging:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def add(self, page: Page) -> None:
        # Pickle keeps the Decimal money exact; the file is ours alone and gone on close.
        blob = pickle.dumps(page.records, protocol=pickle.HIGHEST_PROTOCOL)
        self._db.execute(
            "INSERT INTO page (number, page_count, item_count, records) VALUES (?, ?, ?, ?)",
            (page.number, page.page_count, page.item_count, blob),
        )
        self.count += 1

    def pages(self) -> Iterator[Page]:
        rows = self._db.execute(
            "SELECT number, page_count, item_count, records FROM page ORDER BY seq"
        )
        for number, page_count, item_count, blob in rows:
            yield Page(number, pickle.loads(blob), page_count, item_count)
