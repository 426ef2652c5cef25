"""Thin functions over Xero's accounting endpoints: what reload reads and the lookups
push-invoice and check-paid make.

`collection` yields `Page`s of records decoded with Decimal money (see `parse.loads_xero`);
paged endpoints are walked with `paging.paginate`, the others answer in one page. `since`
becomes `If-Modified-Since` where Xero supports it, so an unchanged organisation costs one
request. Lookups by key (`IDs`, `InvoiceNumbers`, ContactNumber) are cut into batches in one
place, `lookup_batches`. Nothing outside `xero/` builds a query (the batch writes are in
`writes`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from uku_xero_cli.xero.paging import DEFAULT_PAGE_SIZE, Page, paginate
from uku_xero_cli.xero.parse import where_datetime, where_string


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


# -- what this app created --------------------------------------------------------------------


def invoices_by_this_app(
    client: XeroReader,
    *,
    since: datetime | None = None,
    statuses: Sequence[str] = (),
    page_size: int = DEFAULT_PAGE_SIZE,
) -> Iterator[Page]:
    """The invoices this app created (`createdByMyApp`), every type; only those in
    `statuses` when given, and only those changed since `since` when given."""
    params = {"createdByMyApp": "true"}
    if statuses:
        params["Statuses"] = ",".join(statuses)
    return _paged(client, "Invoices", "Invoices", since=since, params=params, page_size=page_size)


# -- lookups by key ---------------------------------------------------------------------------

# A lookup's values travel in the URL, whose length Xero's servers cap: at most this many
# values a request.
LOOKUP_BATCH = 50
# The `where` text of a lookup by ContactNumber stays short enough for the URL it goes in.
WHERE_BUDGET = 1200


def records_of(body: Any, key: str) -> list[dict[str, Any]]:
    """The records of collection `key` in an answer (nothing that is not a record)."""
    records = body.get(key) if isinstance(body, Mapping) else None
    return [r for r in records or [] if isinstance(r, dict)]


def lookup_batches(
    values: Sequence[str],
    render: Callable[[Sequence[str]], str] = ",".join,
    *,
    budget: int | None = None,
) -> list[list[str]]:
    """`values` cut into the batches a lookup sends, one request each and in order: at most
    LOOKUP_BATCH values, and with `budget` at most that many characters of `render(batch)`
    (the text that goes in the URL). Every lookup is cut here and nowhere else."""
    batches: list[list[str]] = []
    for value in values:
        last = batches[-1] if batches else None
        if (
            last is None
            or len(last) >= LOOKUP_BATCH
            or (budget is not None and len(render([*last, value])) > budget)
        ):
            batches.append([value])
        else:
            last.append(value)
    return batches


def _lookup(
    client: XeroReader,
    path: str,
    param: str,
    values: Sequence[str],
    render: Callable[[Sequence[str]], str] = ",".join,
    *,
    budget: int | None = None,
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for batch in lookup_batches(values, render, budget=budget):
        found.extend(records_of(client.get(path, params={param: render(batch)}), path))
    return found


def invoices_by_ids(client: XeroReader, ids: Sequence[str]) -> list[dict[str, Any]]:
    """GET /Invoices?IDs=...: whatever Xero answers; callers match records by InvoiceID."""
    return _lookup(client, "Invoices", "IDs", ids)


def invoices_by_numbers(client: XeroReader, numbers: Sequence[str]) -> list[dict[str, Any]]:
    """GET /Invoices?InvoiceNumbers=...: every invoice (and bill) holding one of the numbers,
    whatever its status; callers match records by InvoiceNumber."""
    return _lookup(client, "Invoices", "InvoiceNumbers", numbers)


def _any_contact_number(numbers: Sequence[str]) -> str:
    return " OR ".join(f"ContactNumber=={where_string(n)}" for n in numbers)


def contacts_by_numbers(client: XeroReader, numbers: Sequence[str]) -> list[dict[str, Any]]:
    """Contacts whose ContactNumber is one of `numbers`, whatever their status."""
    return _lookup(client, "Contacts", "where", numbers, _any_contact_number, budget=WHERE_BUDGET)


def contacts_found_by(client: XeroReader, text: str) -> list[dict[str, Any]]:
    """GET /Contacts?searchTerm=: contacts whose name, names or email contain `text`."""
    return records_of(client.get("Contacts", params={"searchTerm": text}), "Contacts")
