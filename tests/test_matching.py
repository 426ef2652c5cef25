"""Matching Xero contacts to Uku clients: each rule, their order, ambiguity, new clients."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from uku_xero_cli.store import ClientInput, ClientRecord, Store, XeroContact
from uku_xero_cli.sync.matching import (
    Ambiguity,
    Link,
    Rule,
    match_contacts,
    normalise_name,
    normalise_tax_number,
)


def client(
    client_id: str,
    name: str = "",
    *,
    email: str | None = None,
    reg: str | None = None,
    vat: str | None = None,
    linked_to: str | None = None,
    origin: str = "uku",
) -> ClientRecord:
    return ClientRecord(
        id=client_id,
        name=name or f"Client {client_id}",
        email=email,
        registration_number=reg,
        vat_number=vat,
        extra={},
        origin=origin,  # type: ignore[arg-type]
        archived=False,
        xero_contact_id=linked_to,
        match_method="email" if linked_to else None,
        matched_at=None,
    )


def contact(
    contact_id: str,
    name: str = "",
    *,
    email: str | None = None,
    reg: str | None = None,
    tax: str | None = None,
    status: str = "ACTIVE",
) -> XeroContact:
    return XeroContact(
        contact_id=contact_id,
        name=name or f"Contact {contact_id}",
        email=email,
        company_number=reg,
        tax_number=tax,
        status=status,
    )


def test_existing_link_by_contact_id_is_kept_whatever_else_matches() -> None:
    clients = [client("C-1", linked_to="x-1"), client("C-2", email="ap@acme.test")]
    result = match_contacts([contact("x-1", email="ap@acme.test")], clients)
    assert result.kept == 1
    assert result.links == [] and result.new_clients == [] and result.ambiguities == []


def test_registration_number_matches_ignoring_spaces_and_case() -> None:
    result = match_contacts([contact("x-1", reg="sc 123-456")], [client("C-1", reg="SC123456")])
    assert result.links == [Link("x-1", "C-1", "registration_number")]


@pytest.mark.parametrize(
    ("xero", "uku"),
    [
        ("GB 123 4567 89", "123456789"),
        ("123456789", "GB123456789"),
        ("gb123456789", "GB-123.456.789"),
        ("EL123456789", "GR123456789"),
        ("EE100931558", "ee 100 931 558"),
    ],
)
def test_tax_number_matches_with_or_without_country_prefix(xero: str, uku: str) -> None:
    result = match_contacts([contact("x-1", tax=xero)], [client("C-1", vat=uku)])
    assert result.links == [Link("x-1", "C-1", "tax_number")]


def test_tax_numbers_of_different_countries_do_not_match() -> None:
    result = match_contacts([contact("x-1", tax="GB123456789")], [client("C-1", vat="EE123456789")])
    assert result.links == []
    assert [n.client_id for n in result.new_clients] == ["xero:x-1"]


def test_email_matches_case_insensitively_and_trimmed() -> None:
    result = match_contacts(
        [contact("x-1", email="  AP@Acme.Test ")], [client("C-1", email="ap@acme.test")]
    )
    assert result.links == [Link("x-1", "C-1", "email")]


@pytest.mark.parametrize(
    ("xero", "uku"),
    [
        ("ACME LIMITED", "Acme Ltd"),
        ("Acme Ltd.", "acme"),
        ("Põhja Ehitus OÜ", "Pohja  Ehitus"),
        ("Tallinn Tools AS", "tallinn tools"),
        ("Smith & Sons, L.L.C.", "smith and sons"),
        ("O'Brien Consulting GmbH", "OBrien Consulting"),
        ("Blue Sky Pty Ltd", "Blue Sky"),
    ],
)
def test_name_matches_after_normalisation(xero: str, uku: str) -> None:
    result = match_contacts([contact("x-1", xero)], [client("C-1", uku)])
    assert result.links == [Link("x-1", "C-1", "name")]


def test_a_name_that_is_only_a_legal_form_is_kept() -> None:
    assert normalise_name("AS") == "as"
    assert normalise_name(" ... ") is None


def test_tax_number_normalisation() -> None:
    assert normalise_tax_number("GB 123 456 789") == ("GB", "123456789")
    assert normalise_tax_number("NZ 123") == (None, "NZ123")
    assert normalise_tax_number(" - ") is None


def test_rules_apply_in_order_registration_before_tax_before_email_before_name() -> None:
    contacts = [contact("x-1", "Acme", email="a@acme.test", reg="111", tax="GB999")]
    clients = [
        client("by-name", "Acme"),
        client("by-email", email="a@acme.test"),
        client("by-tax", vat="999"),
        client("by-reg", reg="111"),
    ]
    assert match_contacts(contacts, clients).links == [Link("x-1", "by-reg", "registration_number")]
    assert match_contacts(contacts, clients[:3]).links == [Link("x-1", "by-tax", "tax_number")]
    assert match_contacts(contacts, clients[:2]).links == [Link("x-1", "by-email", "email")]
    assert match_contacts(contacts, clients[:1]).links == [Link("x-1", "by-name", "name")]


def test_a_stronger_rule_for_one_contact_wins_over_a_weaker_rule_for_another() -> None:
    # Both contacts point at C-1; the registration number is the better evidence, whatever
    # order the contacts come in.
    clients = [client("C-1", "Acme", reg="111", email="a@acme.test")]
    for contacts in (
        [contact("weak", email="a@acme.test"), contact("strong", reg="111")],
        [contact("strong", reg="111"), contact("weak", email="a@acme.test")],
    ):
        result = match_contacts(contacts, clients)
        assert result.links == [Link("strong", "C-1", "registration_number")]
        assert [n.contact.contact_id for n in result.new_clients] == ["weak"]


@pytest.mark.parametrize(
    ("rule", "make_contact", "make_client"),
    [
        ("registration_number", {"reg": "111"}, {"reg": "111"}),
        ("tax_number", {"tax": "GB999"}, {"vat": "999"}),
        ("email", {"email": "a@acme.test"}, {"email": "A@acme.test"}),
        ("name", {"name": "Acme Ltd"}, {"name": "ACME"}),
    ],
)
def test_two_clients_for_one_contact_is_ambiguous_and_not_tried_further(
    rule: Rule, make_contact: dict[str, str], make_client: dict[str, str]
) -> None:
    contacts = [contact("x-1", **make_contact)]
    # A weaker rule would single out C-3, but an ambiguous rule stops the search.
    clients = [
        client("C-1", **make_client),
        client("C-2", **make_client),
    ]
    if rule != "name":
        clients.append(client("C-3", contacts[0].name))
    result = match_contacts(contacts, clients)
    assert result.links == [] and result.new_clients == []
    assert result.ambiguities == [Ambiguity("x-1", contacts[0].name, rule, ("C-1", "C-2"))]


def test_two_contacts_claiming_one_client_are_both_ambiguous() -> None:
    contacts = [contact("x-1", email="a@acme.test"), contact("x-2", email="a@acme.test")]
    result = match_contacts(contacts, [client("C-1", email="a@acme.test")])
    assert result.links == [] and result.new_clients == []
    assert result.ambiguities == [
        Ambiguity("x-1", "Contact x-1", "email", ("C-1",), ("x-2",)),
        Ambiguity("x-2", "Contact x-2", "email", ("C-1",), ("x-1",)),
    ]


def test_an_already_linked_client_is_not_a_candidate() -> None:
    clients = [
        client("C-1", email="a@acme.test", linked_to="x-9"),
        client("C-2", email="a@acme.test"),
    ]
    result = match_contacts([contact("x-9"), contact("x-1", email="a@acme.test")], clients)
    assert result.kept == 1
    assert result.links == [Link("x-1", "C-2", "email")]


def test_a_contact_whose_only_candidate_is_taken_falls_to_the_next_rule() -> None:
    clients = [client("C-1", "Acme", email="a@acme.test", linked_to="x-9"), client("C-2", "Acme")]
    result = match_contacts([contact("x-1", "Acme Ltd", email="a@acme.test")], clients)
    assert result.links == [Link("x-1", "C-2", "name")]


def test_unmatched_contacts_become_new_clients() -> None:
    result = match_contacts([contact("x-1", "Nobody Ltd")], [client("C-1", "Somebody")])
    assert result.links == []
    assert [(n.client_id, n.contact.name) for n in result.new_clients] == [
        ("xero:x-1", "Nobody Ltd")
    ]


def test_archived_contacts_neither_match_nor_become_clients() -> None:
    result = match_contacts([contact("x-1", "Acme", status="ARCHIVED")], [client("C-1", "Acme")])
    assert result.links == [] and result.new_clients == [] and result.kept == 0


def test_a_placeholder_link_moves_to_an_uku_client_that_matches() -> None:
    clients = [
        client("xero:x-1", "Acme", linked_to="x-1", origin="xero"),
        client("C-17", "ACME LIMITED", reg="111"),
    ]
    result = match_contacts([contact("x-1", "Acme", reg="111")], clients)
    assert result.links == [Link("x-1", "C-17", "registration_number", replaces="xero:x-1")]
    assert result.kept == 0 and result.new_clients == []


def test_a_placeholder_link_stays_when_no_uku_client_matches() -> None:
    clients = [
        client("xero:x-1", "Acme", linked_to="x-1", origin="xero"),
        client("xero:x-2", "Acme", origin="xero"),
    ]
    result = match_contacts([contact("x-1", "Acme")], clients)
    assert result.kept == 1 and result.links == [] and result.new_clients == []


def test_match_result_is_written_to_the_store(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.sqlite") as store:
        contacts = [
            contact("x-1", "Acme Ltd"),
            contact("x-2", "Beta", email="b@beta.test"),
            contact("x-3", "Gamma"),
            contact("x-4", "Delta", email="d@delta.test"),
        ]
        store.upsert_contacts(contacts)
        store.import_clients(
            [
                ClientInput("C-1", "ACME"),
                ClientInput("C-4a", "D", email="d@delta.test"),
                ClientInput("C-4b", "D2", email="d@delta.test"),
            ]
        )
        with store.transaction():
            result = match_contacts(store.active_contacts(), store.list_clients())
            store.apply_matches(result)
        assert [a.contact_id for a in result.ambiguities] == ["x-4"]

        by_id = {c.id: c for c in store.list_clients()}
        assert by_id["C-1"].xero_contact_id == "x-1" and by_id["C-1"].match_method == "name"
        assert by_id["xero:x-2"].origin == "xero"
        assert by_id["xero:x-2"].email == "b@beta.test"
        assert by_id["xero:x-2"].match_method == "new_client"
        assert by_id["xero:x-3"].xero_contact_id == "x-3"
        assert by_id["C-4a"].xero_contact_id is None and "xero:x-4" not in by_id

        # Uku's list arrives later with Beta in it: the placeholder gives way.
        store.import_clients([ClientInput("C-2", "Beta", email="B@beta.test")])
        with store.transaction():
            again = match_contacts(store.active_contacts(), store.list_clients())
            store.apply_matches(again)
        assert again.links == [Link("x-2", "C-2", "email", replaces="xero:x-2")]
        by_id = {c.id: c for c in store.list_clients()}
        assert "xero:x-2" not in by_id and by_id["C-2"].xero_contact_id == "x-2"

        # Nothing new: a third run changes nothing.
        third = match_contacts(store.active_contacts(), store.list_clients())
        assert third.links == [] and third.new_clients == []
        assert third.kept == 3 and len(third.ambiguities) == 1


def test_matching_is_linear_for_large_lists() -> None:
    n = 20_000
    clients = [
        client(f"C-{i}", f"Firm {i} Ltd", email=f"ap{i}@firm.test", reg=f"R{i}") for i in range(n)
    ]
    contacts = [contact(f"x-{i}", f"FIRM {i}", email=f"AP{i}@firm.test") for i in range(n)]
    started = time.perf_counter()
    result = match_contacts(contacts, clients)
    elapsed = time.perf_counter() - started
    assert len(result.links) == n and all(link.method == "email" for link in result.links)
    # Quadratic matching would take minutes here; linear takes well under a second.
    assert elapsed < 5
