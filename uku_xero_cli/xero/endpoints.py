"""Thin functions over Xero's accounting endpoints that reload reads.

`collection` yields `Page`s of records decoded with Decimal money (see `parse.loads_xero`);
paged endpoints are walked with `paging.paginate`, the others answer in one page. `since`
becomes `If-Modified-Since` where Xero supports it, so an unchanged organisation costs one
request.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from uku_xero_cli.xero.paging import DEFAULT_PAGE_SIZE, Page, paginate
from uku_xero_cli.xero.parse import where_datetime


class XeroReader(Protocol):
    """What the endpoints need of the API client (`XeroClient.get`): one decoded GET."""

    def get(self, path: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class Window:
    """Documents dated from `start` (inclusive) are read; None reads every date."""

    start: date | None = None

    def where(self) -> str | None:
        return f"Date>={where_datetime(self.start)}" if self.start else None


def if_modified_since(moment: datetime) -> str:
    """The header value Xero's spec takes: ISO 8601 UTC to the millisecond, floored.

    Flooring can only fetch the newest record again, never skip one changed in the same
    millisecond.
    """
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _headers(since: datetime | None) -> dict[str, str]:
    return {"If-Modified-Since": if_modified_since(since)} if since is not None else {}


def _paged(
    client: XeroReader,
    path: str,
    key: str,
    *,
    since: datetime | None,
    params: Mapping[str, str],
    page_size: int,
) -> Iterator[Page]:
    headers = _headers(since)

    def fetch(page: int, size: int) -> Mapping[str, Any]:
        query = {**params, "page": str(page), "pageSize": str(size)}
        body = client.get(path, params=query, headers=headers)
        return body if isinstance(body, Mapping) else {}

    return paginate(fetch, key, page_size=page_size)


def _whole(
    client: XeroReader,
    path: str,
    key: str,
    *,
    since: datetime | None = None,
    params: Mapping[str, str] | None = None,
) -> Iterator[Page]:
    body = client.get(path, params=dict(params or {}), headers=_headers(since))
    records = body.get(key) if isinstance(body, Mapping) else None
    yield Page(1, list(records or []), 1, len(records or []))


# Sent with every read of a collection. Contacts: archived ones too, so a contact archived
# since the last reload shows up as changed instead of silently vanishing from the answer.
_READ_PARAMS: Mapping[str, Mapping[str, str]] = {"Contacts": {"includeArchived": "true"}}


def collection(
    client: XeroReader,
    name: str,
    *,
    paged: bool = False,
    since: datetime | None = None,
    window: Window | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> Iterator[Page]:
    """Every record of the collection `name` (`Contacts`, `Items`, ...; also the key of its
    answer); changed since `since` only, and dated in `window` only, when given. A paged
    collection is walked page by page; any other answers whole in one page."""
    params = dict(_READ_PARAMS.get(name, {}))
    where = window.where() if window is not None else None
    if where:
        params["where"] = where
    if paged:
        return _paged(client, name, name, since=since, params=params, page_size=page_size)
    return _whole(client, name, name, since=since, params=params)
