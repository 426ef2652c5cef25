"""Walking Xero's paged collections one page at a time, so memory stays flat.

Xero answers paged endpoints with `pagination {page, pageSize, pageCount, itemCount}`. When
that is present it decides how many pages there are. Without it, only an empty page proves the
end: a short page proves it only once a full page showed that the server honours the pageSize
asked for (some servers answer 100 a page whatever is asked).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from uku_xero_cli.errors import XeroAPIError

DEFAULT_PAGE_SIZE = 1000
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class Page:
    """One page of a collection: its records and what the server said about the whole."""

    number: int
    records: list[dict[str, Any]]
    page_count: int | None = None
    item_count: int | None = None


def _metadata(body: Mapping[str, Any]) -> tuple[int | None, int | None]:
    meta = body.get("pagination") or body.get("Pagination")
    if not isinstance(meta, Mapping):
        return None, None

    def number(*keys: str) -> int | None:
        for key in keys:
            value = meta.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
        return None

    return number("pageCount", "PageCount"), number("itemCount", "ItemCount")


def paginate(
    fetch: Callable[[int, int], Mapping[str, Any]],
    key: str,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    max_pages: int = 100_000,
) -> Iterator[Page]:
    """Yield the pages of collection `key` (e.g. "Contacts") that `fetch(page, size)` returns.

    `fetch` gets the 1-based page number and the page size to ask for and returns the decoded
    body. `max_pages` guards against a server that never stops answering full pages.
    """
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page size must be 1-{MAX_PAGE_SIZE}, not {page_size}")
    seen = 0
    honours_size = False
    for number in range(1, max_pages + 1):
        body = fetch(number, page_size)
        records = body.get(key) or []
        if not isinstance(records, list):
            raise XeroAPIError(f"{key}: Xero's answer holds no list of records")
        page_count, item_count = _metadata(body)
        count = len(records)
        seen += count
        if not records:
            return
        page = Page(number, records, page_count, item_count)
        # Let go of this page before the next is fetched: the consumer holds it while it
        # needs it, and two pages alive at once are what a reload's peak memory is made of.
        del body, records
        yield page
        del page
        if count >= page_size:
            honours_size = True
        if page_count is not None or item_count is not None:
            more_pages = page_count is not None and number < page_count
            # itemCount catches a pageCount computed from a page size the server then ignored.
            more_items = item_count is not None and seen < item_count
            if not (more_pages or more_items):
                return
        elif honours_size and count < page_size:
            return
    raise XeroAPIError(f"{key}: more than {max_pages} pages; giving up")
