"""Xero's clock as one data set's read sees it, so a cursor never skips an edit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from uku_xero_cli.xero import endpoints
from uku_xero_cli.xero.parse import server_time

# Records stamped a moment before Xero's envelope time may still be committing when a page is
# read; the cursor stays this far behind the data set's first answer so they are read next time.
SERVER_TIME_MARGIN = timedelta(seconds=1)


class _ServerClock:
    """The client as one data set sees it: it notes Xero's clock at the data set's first answer.

    A record edited while later pages are read can carry an UpdatedDateUTC newer than an edit
    to a record on a page already read; a cursor at the newest stamp seen would skip that
    earlier edit for good. Nothing changed after the first answer can be older than it.
    """

    def __init__(self, client: endpoints.XeroReader) -> None:
        self._client = client
        self._answered = False
        self.started: datetime | None = None

    def get(self, path: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        body = self._client.get(path, params, **kwargs)
        if not self._answered:
            self._answered = True
            self.started = server_time(body)
        return body
