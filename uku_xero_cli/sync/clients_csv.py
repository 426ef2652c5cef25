"""`clients import FILE.csv`: reading Uku's client list export and loading it into the store.

The file is UTF-8 (a byte-order mark is allowed) with a header row that names at least
`id,name,email,registration_number,vat_number`, in any order and any letter case. Any other
named column is kept: its values go into the client's `extra` (shown with `clients --json`,
never used for matching). A column with a blank header is ignored. Blank lines are skipped.

Every row is checked before anything is written, and every problem is reported with the line
it starts on: a missing id or name, an id used twice, an email that is not one address, a row
with a different number of fields than the header. One problem means nothing is imported. A
re-import updates clients by id and keeps their Xero links; clients missing from the file are
left as they are.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from uku_xero_cli.errors import InvalidInput
from uku_xero_cli.store.models import ClientInput, UpsertCounts

if TYPE_CHECKING:
    from _csv import Reader

    from uku_xero_cli.store import Store

REQUIRED_COLUMNS = ("id", "name", "email", "registration_number", "vat_number")
# Far more than any Uku client list (100,000 clients take about 20 MB).
MAX_FILE_BYTES = 256 * 1024 * 1024
# One address, a dot in the domain, no spaces: the shape, not deliverability.
_EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>.]+")
_MAX_PROBLEMS = 200
# Control characters but tab and line breaks (a quoted field may span lines): a NUL in a
# name would be cut short by C code downstream, the others are never meant.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _control(cell: str) -> str | None:
    """The first control character in `cell`, as U+0000, if it holds one."""
    found = _CONTROL.search(cell)
    return None if found is None else f"U+{ord(found.group()):04X}"


def _column_name(columns: dict[str, int], position: int) -> str:
    for name, pos in columns.items():
        if pos == position:
            return name
    return f"column {position + 1}"


@dataclass(frozen=True, slots=True)
class ClientsImport:
    """What an import did (`path` is what the user gave)."""

    path: str
    rows: int
    counts: UpsertCounts

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.path,
            "rows": self.rows,
            "new": self.counts.new,
            "updated": self.counts.updated,
            "unchanged": self.counts.unchanged,
        }


def _decode(data: bytes) -> tuple[str, list[str]]:
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return "", [f"line {line}: not UTF-8 text (byte {data[exc.start]:#04x})"]


def _header(row: list[str], line: int) -> tuple[dict[str, int], list[str]]:
    columns: dict[str, int] = {}
    problems: list[str] = []
    for position, raw in enumerate(row):
        name = raw.strip().lower()
        if not name:
            continue
        if control := _control(name):
            problems.append(
                f"line {line}: column {position + 1} holds the control character {control}"
            )
            continue
        if name in columns:
            problems.append(f"line {line}: column {name!r} appears twice")
        columns[name] = position
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        problems.append(f"line {line}: the header lacks {', '.join(missing)}")
    return columns, problems


def parse_clients_csv(data: bytes, *, source: str = "the clients file") -> list[ClientInput]:
    """Every client in the file, or InvalidInput listing every problem by line."""
    text, problems = _decode(data)
    if problems:
        raise InvalidInput(f"{source} is not UTF-8; nothing was imported", problems=problems)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)
        if header is None:
            raise InvalidInput(
                f"{source} is empty; nothing was imported",
                problems=[f"line 1: expected the header {','.join(REQUIRED_COLUMNS)}"],
            )
        columns, problems = _header(header, reader.line_num)
        if problems:
            raise InvalidInput(
                f"{source} has a bad header; nothing was imported", problems=problems
            )
        clients, problems = _rows(reader, columns, len(header))
    except csv.Error as exc:
        raise InvalidInput(
            f"{source} is not valid CSV; nothing was imported",
            problems=[f"line {reader.line_num}: {exc}"],
        ) from None
    if problems:
        shown = problems[:_MAX_PROBLEMS]
        if len(problems) > len(shown):
            shown.append(f"... and {len(problems) - len(shown)} more")
        raise InvalidInput(
            f"{source} has {len(problems)} problem(s); nothing was imported",
            problems=shown,
        )
    return clients


def _rows(
    reader: Reader, columns: dict[str, int], width: int
) -> tuple[list[ClientInput], list[str]]:
    extra_columns = [(name, pos) for name, pos in columns.items() if name not in REQUIRED_COLUMNS]
    clients: list[ClientInput] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    line = reader.line_num + 1
    for row in reader:
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != width:
            problems.append(f"line {start}: {len(row)} fields, the header has {width}")
            continue
        values = {name: row[pos].strip() for name, pos in columns.items()}
        row_problems = [
            f"{_column_name(columns, pos)} holds the control character {control}"
            for pos, cell in enumerate(row)
            if (control := _control(cell))
        ]
        client_id, name, email = values["id"], values["name"], values["email"]
        if not client_id:
            row_problems.append("id is missing")
        elif client_id in first_line:
            row_problems.append(f"id {client_id!r} is also on line {first_line[client_id]}")
        else:
            first_line[client_id] = start
        if not name:
            row_problems.append("name is missing")
        if email and not _EMAIL.fullmatch(email):
            row_problems.append(f"email {email!r} is not an email address")
        if row_problems:
            problems.extend(f"line {start}: {p}" for p in row_problems)
            continue
        clients.append(
            ClientInput(
                id=client_id,
                name=name,
                email=email or None,
                registration_number=values["registration_number"] or None,
                vat_number=values["vat_number"] or None,
                extra={col: row[pos].strip() for col, pos in extra_columns},
            )
        )
    return clients, problems


def read_clients_file(path: Path, *, directory: Path | None = None) -> list[ClientInput]:
    """The clients in `path` (relative to `directory`, default the working directory), named
    in messages as given."""
    from uku_xero_cli.fsutil import UnreadableInput, read_bounded

    try:
        with (path if directory is None else directory / path).open("rb") as fh:
            data = read_bounded(fh, MAX_FILE_BYTES)
    except UnreadableInput as exc:
        raise InvalidInput(
            f"{path}: {exc}; give the CSV file of Uku's client list", problems=[]
        ) from None
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot be read ({exc.strerror})", problems=[]) from None
    return parse_clients_csv(data, source=str(path))


def import_clients_csv(store: Store, path: Path, *, directory: Path | None = None) -> ClientsImport:
    """Check the whole file, then write it in one transaction (nothing on any problem)."""
    clients = read_clients_file(path, directory=directory)
    counts = store.import_clients(clients)
    return ClientsImport(path=str(path), rows=len(clients), counts=counts)
