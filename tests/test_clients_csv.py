"""`clients import FILE.csv`: good files, every class of bad row, and all-or-nothing import."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from uku_xero_cli.cli.exit_codes import ExitCode, exit_code_for
from uku_xero_cli.errors import InvalidInput
from uku_xero_cli.store import ClientInput, Store, UpsertCounts, XeroContact
from uku_xero_cli.sync.clients_csv import import_clients_csv, parse_clients_csv

HEADER = "id,name,email,registration_number,vat_number"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "store.sqlite") as opened:
        yield opened


def write(tmp_path: Path, text: str, *, bom: bool = False) -> Path:
    path = tmp_path / "clients.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


def problems_of(data: bytes) -> list[str]:
    with pytest.raises(InvalidInput) as info:
        parse_clients_csv(data)
    return info.value.problems


def test_a_good_file_is_imported(tmp_path: Path, store: Store) -> None:
    path = write(
        tmp_path,
        f'{HEADER}\r\nC-1,"Acme, Ltd",ap@acme.example,12345678,GB123456789\r\nC-2,Beta OÜ,,,\r\n',
    )
    result = import_clients_csv(store, path)
    assert result.counts == UpsertCounts(new=2) and result.rows == 2
    acme = store.client("C-1")
    assert acme is not None
    assert (acme.name, acme.email, acme.registration_number, acme.vat_number) == (
        "Acme, Ltd",
        "ap@acme.example",
        "12345678",
        "GB123456789",
    )
    assert acme.origin == "uku"
    beta = store.client("C-2")
    assert beta is not None and beta.name == "Beta OÜ" and beta.email is None


def test_a_byte_order_mark_is_accepted(tmp_path: Path, store: Store) -> None:
    path = write(tmp_path, f"{HEADER}\nC-1,Acme,,,\n", bom=True)
    assert import_clients_csv(store, path).counts == UpsertCounts(new=1)
    assert store.client("C-1") is not None


def test_columns_may_come_in_any_order_and_case() -> None:
    data = b"Name, VAT_NUMBER ,id,email,registration_number\nAcme,EE1,C-1,a@b.example,\n"
    assert parse_clients_csv(data) == [
        ClientInput("C-1", "Acme", email="a@b.example", vat_number="EE1")
    ]


def test_extra_named_columns_are_kept_and_blank_named_ones_ignored() -> None:
    data = f"{HEADER},Segment,\nC-1,Acme,,,,retail,junk\n".encode()
    [client] = parse_clients_csv(data)
    assert client.extra == {"segment": "retail"}


def test_blank_lines_are_skipped_and_quoted_newlines_kept() -> None:
    data = f'{HEADER}\n\nC-1,"Acme\nGroup",,,\n\nC-2,Beta,,,\n'.encode()
    assert [c.name for c in parse_clients_csv(data)] == ["Acme\nGroup", "Beta"]


def test_missing_header_columns_are_reported() -> None:
    assert problems_of(b"id,name,email\nC-1,Acme,\n") == [
        "line 1: the header lacks registration_number, vat_number"
    ]


def test_an_empty_file_is_reported() -> None:
    assert problems_of(b"") == [f"line 1: expected the header {HEADER}"]


def test_each_bad_row_is_reported_by_its_line() -> None:
    data = (
        f"{HEADER}\n"
        "C-1,Acme,,,\n"  # line 2: fine
        ",No Id,,,\n"  # line 3
        "C-3,,,,\n"  # line 4
        "C-1,Again,,,\n"  # line 5
        "C-5,Bad Mail,not-an-email,,\n"  # line 6
        "C-6,Two Mails,a@b.example;c@d.example,,\n"  # line 7
        "C-7,Short,,\n"  # line 8
        'C-8,"Multi\nline",,,,\n'  # lines 9-10, one field too many
        "C-9,Fine,ok@fine.example,,\n"  # line 11
    ).encode()
    assert problems_of(data) == [
        "line 3: id is missing",
        "line 4: name is missing",
        "line 5: id 'C-1' is also on line 2",
        "line 6: email 'not-an-email' is not an email address",
        "line 7: email 'a@b.example;c@d.example' is not an email address",
        "line 8: 4 fields, the header has 5",
        "line 9: 6 fields, the header has 5",
    ]


def test_text_that_is_not_utf8_is_reported_with_its_line() -> None:
    data = f"{HEADER}\nC-1,Acme,,,\n".encode() + b"C-2,M\xfcller,,,\n"
    assert problems_of(data) == ["line 3: not UTF-8 text (byte 0xfc)"]


def test_nothing_is_imported_when_any_row_is_bad(tmp_path: Path, store: Store) -> None:
    store.import_clients([ClientInput("C-1", "Acme")])
    path = write(tmp_path, f"{HEADER}\nC-1,Acme Renamed,,,\nC-2,New,,,\nC-3,,,,\n")
    with pytest.raises(InvalidInput) as info:
        import_clients_csv(store, path)
    assert exit_code_for(info.value) == ExitCode.USAGE
    assert "line 4: name is missing" in str(info.value)
    assert str(path) in str(info.value) and "nothing was imported" in str(info.value)
    assert [(c.id, c.name) for c in store.list_clients()] == [("C-1", "Acme")]


def test_reimport_updates_by_id_and_keeps_links(tmp_path: Path, store: Store) -> None:
    store.upsert_contacts([XeroContact("x-1", "Acme in Xero")])
    import_clients_csv(store, write(tmp_path, f"{HEADER}\nC-1,Acme,,,\n"))
    store.link_client("C-1", "x-1", "name")

    result = import_clients_csv(
        store, write(tmp_path, f"{HEADER}\nC-1,Acme Group,ap@acme.example,,\nC-2,Beta,,,\n")
    )
    assert result.counts == UpsertCounts(new=1, updated=1)
    acme = store.client("C-1")
    assert acme is not None and acme.name == "Acme Group" and acme.xero_contact_id == "x-1"


def test_an_unreadable_file_is_bad_input(tmp_path: Path, store: Store) -> None:
    with pytest.raises(InvalidInput, match="cannot be read"):
        import_clients_csv(store, tmp_path / "missing.csv")
