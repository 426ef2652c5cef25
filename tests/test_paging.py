"""Paging follows Xero's pagination metadata and never trusts the page size it asked for."""

from __future__ import annotations

from typing import Any

import pytest

from uku_xero_cli.errors import XeroAPIError
from uku_xero_cli.xero.paging import paginate


class Server:
    """A paged collection of `total` records; optionally ignoring pageSize or metadata."""

    def __init__(self, total: int, *, cap: int | None = None, metadata: bool = True) -> None:
        self.records = [{"ContactID": str(i)} for i in range(total)]
        self.cap = cap
        self.metadata = metadata
        self.asked: list[tuple[int, int]] = []

    def __call__(self, page: int, size: int) -> dict[str, Any]:
        self.asked.append((page, size))
        size = self.cap or size
        chunk = self.records[(page - 1) * size : page * size]
        body: dict[str, Any] = {"Contacts": chunk}
        if self.metadata:
            body["pagination"] = {
                "page": page,
                "pageSize": size,
                "pageCount": -(-len(self.records) // size),
                "itemCount": len(self.records),
            }
        return body


def collect(server: Server, page_size: int = 1000) -> list[dict[str, Any]]:
    return [r for page in paginate(server, "Contacts", page_size=page_size) for r in page.records]


def test_metadata_means_exactly_page_count_requests() -> None:
    server = Server(2500)
    assert len(collect(server)) == 2500
    assert server.asked == [(1, 1000), (2, 1000), (3, 1000)]


def test_an_exact_multiple_needs_no_extra_request() -> None:
    server = Server(2000)
    assert len(collect(server)) == 2000
    assert len(server.asked) == 2


def test_a_server_that_ignores_page_size_is_still_read_completely() -> None:
    server = Server(450, cap=100)
    records = collect(server)
    assert [r["ContactID"] for r in records] == [str(i) for i in range(450)]
    assert len(server.asked) == 5


def test_ignored_page_size_without_metadata_reads_on_to_an_empty_page() -> None:
    server = Server(450, cap=100, metadata=False)
    assert len(collect(server)) == 450
    assert len(server.asked) == 6


def test_without_metadata_a_short_page_ends_only_after_a_full_one() -> None:
    server = Server(2500, metadata=False)
    assert len(collect(server)) == 2500
    assert len(server.asked) == 3


def test_without_metadata_one_short_first_page_is_not_trusted() -> None:
    server = Server(60, metadata=False)
    assert len(collect(server)) == 60
    assert len(server.asked) == 2


def test_an_empty_collection_costs_one_request() -> None:
    server = Server(0)
    assert collect(server) == []
    assert server.asked == [(1, 1000)]


def test_item_count_overrides_a_page_count_from_an_ignored_page_size() -> None:
    def lying(page: int, size: int) -> dict[str, Any]:
        chunk = [{"ContactID": f"{page}-{i}"} for i in range(100)] if page <= 3 else []
        return {"Contacts": chunk, "pagination": {"pageCount": 1, "itemCount": 300}}

    assert sum(len(p.records) for p in paginate(lying, "Contacts")) == 300


def test_pages_are_yielded_one_at_a_time() -> None:
    server = Server(3000)
    pages = paginate(server, "Contacts")
    first = next(pages)
    assert (first.number, first.page_count, first.item_count) == (1, 3, 3000)
    assert len(server.asked) == 1


def test_the_page_size_is_configurable_and_bounded() -> None:
    server = Server(250)
    assert len(collect(server, page_size=100)) == 250
    assert server.asked[0] == (1, 100)
    with pytest.raises(ValueError):
        next(paginate(server, "Contacts", page_size=1001))


def test_an_answer_without_a_list_is_an_error() -> None:
    with pytest.raises(XeroAPIError):
        next(paginate(lambda page, size: {"Contacts": {"oops": 1}}, "Contacts"))


def test_a_server_that_never_stops_is_cut_off() -> None:
    def endless(page: int, size: int) -> dict[str, Any]:
        return {"Contacts": [{"ContactID": str(page)}] * size}

    with pytest.raises(XeroAPIError):
        list(paginate(endless, "Contacts", page_size=10, max_pages=5))
