"""Xero's clock, as its answers state it: where the next "changed since" read may start.

Every accounting answer carries the server's time in its envelope (`DateTimeUTC`). A cursor
for the next If-Modified-Since read is reckoned from that clock, never from this machine's,
which may differ from Xero's by minutes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from uku_xero_cli.xero.parse import parse_optional_datetime

if TYPE_CHECKING:
    from uku_xero_cli.xero.endpoints import XeroReader


def server_time(body: Any) -> datetime | None:
    """Xero's clock when it answered: the envelope's `DateTimeUTC`, or None."""
    if not isinstance(body, Mapping):
        return None
    try:
        return parse_optional_datetime(body.get("DateTimeUTC"), what="DateTimeUTC")
    except ValueError:
        return None


class ServerClock:
    """A reader that notes Xero's clock at its first answer (`started`), then passes through.

    A record edited while later pages are read can carry an UpdatedDateUTC newer than an edit
    to a record on a page already read; a cursor at the newest stamp seen would skip that
    earlier edit for good. Nothing changed after the first answer can be older than it, so a
    read's cursor never goes past `started`.
    """

    def __init__(self, client: XeroReader) -> None:
        self._client = client
        self._answered = False
        self.started: datetime | None = None

    def get(self, path: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        body = self._client.get(path, params, **kwargs)
        if not self._answered:
            self._answered = True
            self.started = server_time(body)
        return body

    def url(self, path: str, params: Mapping[str, str]) -> str:
        return self._client.url(path, params)
