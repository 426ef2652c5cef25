"""Reading collections the way Xero's GET endpoints do: If-Modified-Since, `where`, `order`,
search, paging with Xero's `pagination` object, and the response envelope.

A paged collection read without `page` is a summary: every match at once, no `pagination`
object, and each document's lines sent as an empty list. Sources: a Xero staff answer in
XeroAPI/xero-ruby#9 (Invoices without paging come with `LineItems: []`; `page=1` brings them);
the Invoices docs quoted in calcinai/xero-php#253 (line details only for one invoice by id or
number, or with paging); XeroAPI/xero-node#270 (no upper limit without `page`, 100 with it);
Xero-NetStandard#287/#290 (BankTransactions the same). For CreditNotes and ManualJournals the
`page` parameter of Xero's OpenAPI spec says lines are shown with paging; the unpaged summary
is assumed to leave them out as for the rest.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from uku_xero_cli.sandbox.books.errors import query_error
from uku_xero_cli.sandbox.books.prices import shown, unit_decimals
from uku_xero_cli.sandbox.http import Request, Response
from uku_xero_cli.sandbox.where import (
    Predicate,
    WhereError,
    compile_where,
    spec_resolver,
    value_at,
)
from uku_xero_cli.sandbox.xero_format import (
    envelope_date,
    epoch_ms,
    json_response,
    parse_http_date,
    parse_when,
)

if TYPE_CHECKING:
    from uku_xero_cli.sandbox.app import Sandbox
    from uku_xero_cli.sandbox.data import OrgData, Record
    from uku_xero_cli.sandbox.state import AccessToken, Organisation

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_CACHE_ENTRIES = 16


@dataclass(frozen=True)
class Listing:
    """How one collection is listed."""

    key: str  # the collection's name in the body, e.g. "Contacts"
    type_name: str  # its record schema in the spec, e.g. "Contact"
    records: Callable[[OrgData], dict[str, Record]]
    render: Callable[[OrgData, Record, bool], Record]  # (books, record, summary only)
    paged: bool
    default_order: str | None = None
    search_fields: tuple[str, ...] = ()
    modified_since: bool = True
    # The field holding a document's lines, sent empty when the list is read without `page`.
    lines: str | None = None


def public(record: Mapping[str, Any]) -> Record:
    """The record as Xero sends it: without the emulator's own "_" keys."""
    return {key: value for key, value in record.items() if key[0] != "_"}


def books(org: Organisation) -> OrgData:
    assert org.data is not None, "organisation without books"
    return org.data


def envelope(
    sandbox: Sandbox, request: Request, token: AccessToken, key: str, records: list[Record]
) -> Record:
    """Xero's answer around `records` (copies made for it), their unit prices at the
    precision the request asked for (books/prices.py)."""
    client = sandbox.state.clients.get(token.client_id)
    decimals = unit_decimals(request)
    return {
        "Id": str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": client.name if client else "Xero API",
        "DateTimeUTC": envelope_date(sandbox.clock.now()),
        key: [shown(record, decimals) for record in records],
    }


def flag(request: Request, name: str) -> bool | None:
    value = request.arg(name)
    if value is None or value.strip() == "":
        return None
    return value.strip().lower() == "true"


def id_list(request: Request, name: str) -> list[str] | None:
    """A comma-separated query list (`IDs=a,b`), quotes and blanks dropped."""
    value = request.arg(name)
    if value is None:
        return None
    return [part.strip().strip('"').strip() for part in value.split(",") if part.strip()]


def _int_arg(request: Request, name: str) -> int | None:
    value = request.arg(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def page_window(sandbox: Sandbox, request: Request) -> tuple[int, int]:
    """(page, page size): page 1 by default; 100 a page by default and at most 1000."""
    page = max(1, _int_arg(request, "page") or 1)
    size = _int_arg(request, "pageSize") or DEFAULT_PAGE_SIZE
    size = min(max(1, size), MAX_PAGE_SIZE)
    if sandbox.config.ignore_page_size:
        size = DEFAULT_PAGE_SIZE
    return page, size


def modified_since_ms(request: Request) -> int | None:
    moment = parse_http_date(request.header("if-modified-since"))
    return epoch_ms(moment) if moment is not None else None


def _sort_value(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, str):
        if value.startswith("/Date("):
            moment = parse_when(value)
            if moment is not None:
                return (1, epoch_ms(moment))
        return (1, value.casefold())
    return (1, value)


def order_keys(text: str, type_name: str) -> list[tuple[list[str], bool]]:
    """`Name ASC, UpdatedDateUTC DESC` → [(path, descending)]; raises WhereError."""
    resolve = spec_resolver(type_name)
    keys: list[tuple[list[str], bool]] = []
    for part in text.split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC")):
            raise WhereError(f"Invalid order clause '{part.strip()}'")
        path = resolve(words[0].split("."))
        if path is None:
            raise WhereError(f"No property or field '{words[0]}' exists in type '{type_name}'")
        keys.append((path, len(words) == 2 and words[1].upper() == "DESC"))
    return keys


def sort_records(records: list[Record], keys: list[tuple[list[str], bool]]) -> list[Record]:
    # Stable sorts from the last key to the first give a multi-key order with mixed directions.
    for path, descending in reversed(keys):
        records.sort(key=_sort_key(path), reverse=descending)
    return records


def _sort_key(path: list[str]) -> Callable[[Record], tuple[int, Any]]:
    return lambda record: _sort_value(value_at(record, path))


def list_records(
    sandbox: Sandbox,
    request: Request,
    org: Organisation,
    token: AccessToken,
    listing: Listing,
    *,
    filters: list[Predicate] | None = None,
    filter_key: tuple[Any, ...] = (),
    named: bool = False,
) -> Response:
    """Answer a GET on a collection. `filters` are the endpoint's own parameters (IDs,
    Statuses, includeArchived...); `filter_key` identifies them for the result cache; `named`
    says the request picked records by id or number (`IDs`, `InvoiceNumbers`)."""
    data = books(org)
    since = modified_since_ms(request) if listing.modified_since else None
    where_text = request.arg("where")
    order_text = request.arg("order") or listing.default_order
    search = (request.arg("searchTerm") or "").strip().casefold() or None
    summary = bool(flag(request, "summaryOnly"))
    try:
        where = (
            compile_where(where_text, spec_resolver(listing.type_name), listing.type_name)
            if where_text and where_text.strip()
            else None
        )
        order = order_keys(order_text, listing.type_name) if order_text else []
    except WhereError as problem:
        return query_error(str(problem))
    checks = list(filters or [])
    if where is not None:
        checks.append(where)
    if search is not None:
        fields = listing.search_fields
        checks.append(
            lambda record: any(search in str(record.get(name) or "").casefold() for name in fields)
        )
    cache_key = (listing.key, where_text, order_text, search, since, filter_key)
    with sandbox.state.lock:
        rows = data.query_cache.get(cache_key)
        if rows is None:
            rows = [
                record
                for record in listing.records(data).values()
                if (since is None or record["_updated"] > since)
                and all(check(record) for check in checks)
            ]
            sort_records(rows, order)
            data.query_cache[cache_key] = rows
            while len(data.query_cache) > _CACHE_ENTRIES:
                data.query_cache.popitem(last=False)
        paged = listing.paged and request.arg("page") is not None
        if paged:
            page, size = page_window(sandbox, request)
            chosen = rows[(page - 1) * size : page * size]
        else:
            chosen = rows
        rendered = [listing.render(data, record, summary) for record in chosen]
    if listing.lines and not paged and not (named and sandbox.config.id_filters_carry_lines):
        for record in rendered:
            if listing.lines in record:
                record[listing.lines] = []
    body = envelope(sandbox, request, token, listing.key, rendered)
    if paged:
        body = _with_pagination(body, listing.key, page, size, len(rows))
    return json_response(body)


def _with_pagination(body: Record, key: str, page: int, size: int, count: int) -> Record:
    records = body.pop(key)
    body["pagination"] = {
        "page": page,
        "pageSize": size,
        "pageCount": (count + size - 1) // size,
        "itemCount": count,
    }
    body[key] = records
    return body


def single(
    sandbox: Sandbox, request: Request, token: AccessToken, key: str, record: Record | None
) -> Response | None:
    """The envelope around one record, or None when there is none (the caller's 404)."""
    if record is None:
        return None
    return json_response(envelope(sandbox, request, token, key, [record]))
