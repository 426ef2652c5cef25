"""Matching in the store looks only at what changed, and decides exactly what matching every
contact against every client would have decided."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uku_xero_cli.errors import StoreError
from uku_xero_cli.store import ClientInput, Store, XeroContact
from uku_xero_cli.store.schema import MIGRATIONS, migrate
from uku_xero_cli.sync.match_store import match_in_store
from uku_xero_cli.sync.matching import MatchResult, match_contacts


def contact(
    contact_id: str,
    name: str,
    *,
    email: str | None = None,
    reg: str | None = None,
    tax: str | None = None,
    status: str = "ACTIVE",
) -> XeroContact:
    return XeroContact(contact_id, name, email, reg, tax, status)


def match_everything(store: Store) -> MatchResult:
    """How matching worked before it was incremental: every contact against every client."""
    with store.transaction():
        result = match_contacts(store.active_contacts(), store.list_clients())
        store.apply_matches(result)
    return result


def links(store: Store) -> set[tuple[str, str, str | None, str | None]]:
    return {(c.id, c.origin, c.xero_contact_id, c.match_method) for c in store.list_clients()}


def outcome(result: MatchResult) -> dict[str, Any]:
    return {
        "kept": result.kept,
        "links": sorted((k.contact_id, k.client_id, k.method, k.replaces) for k in result.links),
        "new": result.new_client_count,
        "ambiguous": sorted(
            (a.contact_id, a.rule, a.candidate_ids, a.rival_contact_ids) for a in result.ambiguities
        ),
    }


@contextmanager
def two_stores() -> Iterator[tuple[Store, Store]]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        Store.open(Path(tmp) / "a.sqlite") as a,
        Store.open(Path(tmp) / "b.sqlite") as b,
    ):
        yield a, b


# Small pools, so that contacts and clients often share keys (and so are ambiguous).
NAMES = ["Acme Ltd", "ACME", "Beta", "Gamma OÜ", "Delta"]
EMAILS = [None, "a@x.test", "b@x.test", "A@X.test "]
NUMBERS = [None, "111", "GB 222", "222"]
contacts_st = st.builds(
    contact,
    st.sampled_from(["x-1", "x-2", "x-3", "x-4", "x-5", "x-6"]),
    st.sampled_from(NAMES),
    email=st.sampled_from(EMAILS),
    reg=st.sampled_from(NUMBERS),
    tax=st.sampled_from(NUMBERS),
    status=st.sampled_from(["ACTIVE", "ACTIVE", "ACTIVE", "ARCHIVED"]),
)
clients_st = st.builds(
    ClientInput,
    st.sampled_from(["U-1", "U-2", "U-3", "U-4"]),
    st.sampled_from(NAMES),
    email=st.sampled_from(EMAILS),
    registration_number=st.sampled_from(NUMBERS),
    vat_number=st.sampled_from(NUMBERS),
)
steps_st = st.lists(
    st.one_of(
        st.tuples(st.just("contacts"), st.lists(contacts_st, min_size=1, max_size=4)),
        st.tuples(st.just("clients"), st.lists(clients_st, min_size=1, max_size=3)),
        st.tuples(
            st.just("link"),
            st.sampled_from(["U-1", "U-2", "U-3", "U-4"]),
            st.sampled_from(["x-1", "x-2", "x-3"]),
        ),
        st.tuples(st.just("match")),
    ),
    min_size=1,
    max_size=12,
)


def apply_step(store: Store, step: tuple[Any, ...]) -> None:
    kind = step[0]
    if kind == "contacts":
        store.upsert_contacts(step[1])
    elif kind == "clients":
        store.import_clients(step[1])
    elif kind == "link" and store.client_for_contact(step[2]) is None:
        # push-invoice links a client to a contact nobody is linked to.
        # Unknown client, one already linked, or a contact not stored yet: nothing to link.
        with suppress(StoreError):
            store.link_client(step[1], step[2], "created_in_xero")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps_st)
def test_incremental_matching_decides_what_matching_everything_decides(
    steps: list[tuple[Any, ...]],
) -> None:
    with two_stores() as (incremental, everything):
        for step in [*steps, ("match",)]:
            if step[0] == "match":
                ours, theirs = match_in_store(incremental), match_everything(everything)
                assert outcome(ours) == outcome(theirs)
                assert links(incremental) == links(everything)
            else:
                apply_step(incremental, step)
                apply_step(everything, step)


def test_nothing_changed_means_no_contact_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(tmp_path / "s.sqlite") as store:
        store.upsert_contacts([contact(f"x-{i}", f"Firm {i}") for i in range(50)])
        store.import_clients([ClientInput("U-1", "Firm 7")])
        first = match_in_store(store)
        assert (first.kept, len(first.links), first.new_client_count) == (0, 1, 49)

        read: list[bool] = []
        original = Store.contacts_to_match

        def spy(self: Store, **kwargs: Any) -> Any:
            read.append(kwargs["every"])
            return original(self, **kwargs)

        monkeypatch.setattr(Store, "contacts_to_match", spy)
        again = match_in_store(store)
        assert read == []
        assert outcome(again) == {"kept": 50, "links": [], "new": 0, "ambiguous": []}


def test_a_changed_contact_alone_is_matched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(tmp_path / "s.sqlite") as store:
        store.upsert_contacts([contact(f"x-{i}", f"Firm {i}") for i in range(50)])
        match_in_store(store)
        store.upsert_contacts([contact("x-3", "Firm 3 Renamed"), contact("x-new", "Newcomer")])

        seen: list[str] = []
        original = Store.contacts_to_match

        def spy(self: Store, **kwargs: Any) -> Any:
            page = original(self, **kwargs)
            seen.extend(c.contact_id for c, _ in page)
            return page

        monkeypatch.setattr(Store, "contacts_to_match", spy)
        result = match_in_store(store)
        # x-3 keeps its placeholder (no Uku client could take it); x-new becomes a client.
        assert seen == ["x-new"]
        assert (result.kept, result.new_client_count) == (50, 1)


def test_an_imported_client_takes_over_a_placeholder_whose_contact_did_not_change(
    tmp_path: Path,
) -> None:
    with Store.open(tmp_path / "s.sqlite") as store:
        store.upsert_contacts([contact("x-1", "Acme Ltd"), contact("x-2", "Beta")])
        match_in_store(store)
        store.import_clients([ClientInput("U-1", "ACME")])
        result = match_in_store(store)
        assert [(k.contact_id, k.client_id, k.replaces) for k in result.links] == [
            ("x-1", "U-1", "xero:x-1")
        ]
        assert (store.client("U-1") or pytest.fail()).xero_contact_id == "x-1"
        assert store.client("xero:x-1") is None


def test_an_ambiguous_contact_is_linked_once_its_rival_changes(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.sqlite") as store:
        store.import_clients([ClientInput("U-1", "Uku name", email="ap@acme.test")])
        store.upsert_contacts(
            [
                contact("x-1", "Acme", email="ap@acme.test"),
                contact("x-2", "Acme Trading", email="ap@acme.test"),
            ]
        )
        first = match_in_store(store)
        assert sorted(a.contact_id for a in first.ambiguities) == ["x-1", "x-2"]
        # Still reported while nothing changes.
        again = match_in_store(store)
        assert sorted(a.contact_id for a in again.ambiguities) == ["x-1", "x-2"]

        store.upsert_contacts([contact("x-2", "Acme Trading", email="sales@acme.test")])
        settled = match_in_store(store)
        assert [(k.contact_id, k.client_id) for k in settled.links] == [("x-1", "U-1")]
        assert settled.ambiguities == []


def test_a_linked_contact_is_never_linked_elsewhere(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.sqlite") as store:
        store.upsert_contacts([contact("x-1", "Acme")])
        store.import_clients([ClientInput("U-1", "Acme")])
        assert [k.client_id for k in match_in_store(store).links] == ["U-1"]
        # A better match by registration number turns up later: the link stays.
        store.import_clients([ClientInput("U-2", "Other", registration_number="123")])
        store.upsert_contacts([contact("x-1", "Acme", reg="123")])
        result = match_in_store(store, everything=True)
        assert result.links == [] and result.kept == 1
        assert (store.client("U-1") or pytest.fail()).xero_contact_id == "x-1"


def test_a_store_from_before_incremental_matching_is_matched_whole_once(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, MIGRATIONS[:3])
    conn.execute(
        "INSERT INTO xero_contacts (contact_id, name, status) VALUES ('x-1', 'Acme', 'ACTIVE')"
    )
    conn.execute(
        "INSERT INTO clients (id, name, origin, created_at, updated_at)"
        " VALUES ('U-1', 'ACME Ltd', 'uku', 'then', 'then')"
    )
    conn.close()
    with Store.open(path) as store:
        result = match_in_store(store)
        assert [(k.contact_id, k.client_id, k.method) for k in result.links] == [
            ("x-1", "U-1", "name")
        ]
