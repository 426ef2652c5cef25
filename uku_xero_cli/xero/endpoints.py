"""Thin functions over Xero's accounting endpoints: what reload reads and the lookups
push-invoice and check-paid make.

`collection` yields `Page`s of records decoded with Decimal money (see `parse.loads_xero`);
paged endpoints are walked with `paging.paginate`, the others answer in one page. `since`
becomes `If-Modified-Since` where Xero supports it, so an unchanged organisation costs one
request. Lookups by key (`IDs`, `InvoiceNumbers`, ContactNumber) are cut into batches in one
place, `lookup_batches`, by the length of the URL they make. Reads that need documents' lines
are paged (Xero leaves the lines out of unpaged lists), and reads of invoices and items ask
for four-decimal unit prices. Nothing outside `xero/` builds a query (the batch writes are in
`writes`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any, Protocol

from uku_xero_cli.xero.paging import DEFAULT_PAGE_SIZE, Page, paginate
from uku_xero_cli.xero.parse import where_datetime, where_string


class XeroReader(Protocol):
    """What the endpoints need of the API client (`XeroClient`): one decoded GET, and the
    URL a GET goes to, encoded as sent (lookups are cut by its length)."""

    def get(self, path: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Any: ...

    def url(self, path: str, params: Mapping[str, str]) -> str: ...


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
    page_size: int = DEFAULT_PAGE_SIZE,
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


# unitdp=4: Xero shows unit prices to four decimal places instead of rounding them to two
# (developer.xero.com "Rounding in Xero"), so a price read back equals the price sent.
UNIT_PRICES: Mapping[str, str] = {"unitdp": "4"}

# Sent with every read of a collection. Contacts: archived ones too, so a contact archived
# since the last reload shows up as changed instead of silently vanishing from the answer.
# Invoices and items (their UnitPrice): unit prices to four decimals.
_READ_PARAMS: Mapping[str, Mapping[str, str]] = {
    "Contacts": {"includeArchived": "true"},
    "Invoices": UNIT_PRICES,
    "Items": UNIT_PRICES,
}


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
    params = {"createdByMyApp": "true", **UNIT_PRICES}
    if statuses:
        params["Statuses"] = ",".join(statuses)
    return _paged(client, "Invoices", "Invoices", since=since, params=params, page_size=page_size)


# -- lookups by key ---------------------------------------------------------------------------

# Xero answers 404 to a URL past about 2,048 characters (52 GUIDs in `IDs=` pass, 53 fail:
# XeroAPI/Xero-OpenAPI#534 from Xero-Java#328; xero-node#404; Xero-NetStandard#413). Whether
# the cap is on the query string or the whole URL is not settled (Xero-NetStandard#471 saw a
# whole URL of about 2,091 fail), so the whole URL is kept within it: the stricter reading.
MAX_URL_LENGTH = 2048
# A paged lookup's URL is reckoned with the longest page number `paging.paginate` asks for.
_LONGEST_PAGE = "9" * 6


@dataclass(frozen=True)
class Lookup:
    """A GET of a collection by a list of values that travel in one query parameter, joined
    by `separator` after `piece` made each value's text (`IDs=a,b`, `where=X OR Y`).
    `params` go with every request; `paged` reads page by page (Xero sends the lines of
    documents only then)."""

    path: str
    param: str
    piece: Callable[[str], str] = str
    separator: str = ","
    params: Mapping[str, str] = field(default_factory=dict)
    paged: bool = False

    def text(self, batch: Sequence[str]) -> str:
        return self.separator.join(self.piece(value) for value in batch)

    def query(self, batch: Sequence[str]) -> dict[str, str]:
        return {**self.params, self.param: self.text(batch)}


def records_of(body: Any, key: str) -> list[dict[str, Any]]:
    """The records of collection `key` in an answer (nothing that is not a record)."""
    records = body.get(key) if isinstance(body, Mapping) else None
    return [r for r in records or [] if isinstance(r, dict)]


def lookup_batches(
    client: XeroReader,
    lookup: Lookup,
    values: Sequence[str],
    *,
    limit: int = MAX_URL_LENGTH,
) -> list[list[str]]:
    """`values` cut into the batches a lookup sends, one request each and in order: as many
    values as keep the whole URL (as the client encodes it) within `limit` characters. A
    value too long to fit even alone goes alone. Every lookup is cut here and nowhere else.

    Percent-encoding works character by character, so a batch's URL is the URL with an empty
    value plus the encoded length of each character of its values and separators; each
    distinct character is measured once, through the client's own encoding.
    """
    fixed = dict(lookup.params)
    if lookup.paged:
        fixed.update({"page": _LONGEST_PAGE, "pageSize": str(DEFAULT_PAGE_SIZE)})

    def length(text: str) -> int:
        return len(client.url(lookup.path, {**fixed, lookup.param: text}))

    empty = length("")
    encoded: dict[str, int] = {}

    def measure(text: str) -> int:
        total = 0
        for char in text:
            size = encoded.get(char)
            if size is None:
                size = encoded[char] = length(char) - empty
            total += size
        return total

    separator = measure(lookup.separator)
    room = limit - empty
    batches: list[list[str]] = []
    used = 0
    for value in values:
        cost = measure(lookup.piece(value))
        if batches and used + separator + cost <= room:
            batches[-1].append(value)
            used += separator + cost
        else:
            batches.append([value])
            used = cost
    return batches


def _lookup(client: XeroReader, lookup: Lookup, values: Sequence[str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for batch in lookup_batches(client, lookup, values):
        query = lookup.query(batch)
        if lookup.paged:
            for page in _paged(client, lookup.path, lookup.path, since=None, params=query):
                found.extend(r for r in page.records if isinstance(r, dict))
        else:
            found.extend(records_of(client.get(lookup.path, params=query), lookup.path))
    return found


_INVOICE_IDS = Lookup("Invoices", "IDs", params=UNIT_PRICES)
_INVOICE_NUMBERS = Lookup("Invoices", "InvoiceNumbers", params=UNIT_PRICES)


def invoice_id_requests(client: XeroReader, ids: Sequence[str]) -> int:
    """How many requests `invoices_by_ids` sends for `ids`."""
    return len(lookup_batches(client, _INVOICE_IDS, ids))


def invoices_by_ids(
    client: XeroReader, ids: Sequence[str], *, lines: bool = False
) -> list[dict[str, Any]]:
    """GET /Invoices?IDs=...: whatever Xero answers; callers match records by InvoiceID.
    Without `lines` an unpaged summary (Xero leaves out the line items); with them, paged."""
    return _lookup(client, replace(_INVOICE_IDS, paged=lines), ids)


def invoices_by_numbers(
    client: XeroReader, numbers: Sequence[str], *, lines: bool = False
) -> list[dict[str, Any]]:
    """GET /Invoices?InvoiceNumbers=...: every invoice (and bill) holding one of the numbers,
    whatever its status; callers match records by InvoiceNumber. `lines` as by IDs."""
    return _lookup(client, replace(_INVOICE_NUMBERS, paged=lines), numbers)


def _contact_number_clause(number: str) -> str:
    return f"ContactNumber=={where_string(number)}"


_CONTACT_NUMBERS = Lookup("Contacts", "where", _contact_number_clause, " OR ")


def contacts_by_numbers(client: XeroReader, numbers: Sequence[str]) -> list[dict[str, Any]]:
    """Contacts whose ContactNumber is one of `numbers`, whatever their status."""
    return _lookup(client, _CONTACT_NUMBERS, numbers)


def contacts_found_by(client: XeroReader, text: str) -> list[dict[str, Any]]:
    """GET /Contacts?searchTerm=: contacts whose name, names or email contain `text`."""
    return records_of(client.get("Contacts", params={"searchTerm": text}), "Contacts")
