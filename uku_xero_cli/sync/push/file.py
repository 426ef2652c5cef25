"""Uku's invoice files: reading the inputs named on the command line (files, standard
input), decoding their JSON with every number a Decimal, and reading each invoice object
(see `fields` for what an invoice may hold). One problem anywhere rejects the whole input.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO

from uku_xero_cli.sync.push.decode import decode_json
from uku_xero_cli.sync.push.fields import read_invoice
from uku_xero_cli.sync.push.invoice import InvoiceDocument, InvoiceReferences, UkuInvoice
from uku_xero_cli.sync.push.problems import Problems

if TYPE_CHECKING:
    from pathlib import Path

STDIN = "-"
MAX_FILE_BYTES = 64 * 1024 * 1024


INVALID_INPUT = "the invoice input is not valid; nothing was sent"


@dataclass
class InvoiceInput:
    """What the inputs hold: the valid invoices, what every invoice object (valid or not)
    names of Xero's reference data, and the problems of their fields. Nothing is raised
    yet: the reference checks (`validate.check_input`) report theirs together with these."""

    invoices: list[UkuInvoice]
    references: list[InvoiceReferences] = field(default_factory=list)
    problems: Problems = field(default_factory=Problems)

    @classmethod
    def of(cls, invoices: Sequence[UkuInvoice]) -> InvoiceInput:
        """Invoices read already (and so valid)."""
        return cls(list(invoices), [invoice.references() for invoice in invoices])


def read_input(documents: Sequence[InvoiceDocument]) -> InvoiceInput:
    """Every invoice object of the inputs, in order, read field by field; problems recorded."""
    found = InvoiceInput([])
    for document in documents:
        try:
            body = decode_json(document.data)
        except ValueError as exc:
            found.problems.add(document.label, str(exc))
            continue
        if isinstance(body, list):
            if not body:
                found.problems.add(document.label, "an empty list: no invoices")
            objects = [(obj, f"[{index}]") for index, obj in enumerate(body)]
        elif isinstance(body, dict):
            objects = [(body, "")]
        else:
            found.problems.add(document.label, "not an invoice object or a list of them")
            continue
        for obj, path in objects:
            invoice, references = read_invoice(found.problems, document.label, obj, path)
            if invoice is not None:
                found.invoices.append(invoice)
            if references is not None:
                found.references.append(references)
    if not documents:
        found.problems.add("", "no invoice files given")
    _check_unique_numbers(found.invoices, found.problems)
    return found


def parse_documents(documents: Sequence[InvoiceDocument]) -> list[UkuInvoice]:
    """Every invoice of the inputs, in order; InvalidInvoice lists every problem of their
    fields (the reference data is not consulted: see `validate.check_input`)."""
    found = read_input(documents)
    found.problems.raise_if_any(INVALID_INPUT)
    return found.invoices


def _check_unique_numbers(invoices: Iterable[UkuInvoice], problems: Problems) -> None:
    seen: dict[str, UkuInvoice] = {}
    for invoice in invoices:
        key = invoice.number.casefold()
        first = seen.setdefault(key, invoice)
        if first is not invoice:
            problems.add(
                invoice.where("number"), f"{invoice.number} is also the number of {first.source}"
            )


def read_documents(
    paths: Sequence[str], stdin: BinaryIO | None = None, *, directory: Path | None = None
) -> list[InvoiceDocument]:
    """The inputs named on the command line (`-` is standard input, read once), relative names
    in `directory` (default: the working directory); a file that cannot be read is a problem
    like any other, reported with the rest under the name it was given."""
    from pathlib import Path

    from uku_xero_cli.fsutil import UnreadableInput, read_bounded, read_limited

    problems = Problems()
    documents: list[InvoiceDocument] = []
    stdin_read = False
    for name in paths:
        label = "<stdin>" if name == STDIN else name
        try:
            if name == STDIN:
                if stdin_read:
                    problems.add(label, "given more than once")
                    continue
                stdin_read = True
                data = read_limited(stdin, MAX_FILE_BYTES) if stdin is not None else b""
            else:
                # A directory or a device (/dev/zero) is refused before a byte is read.
                with Path(directory or "", name).open("rb") as fh:
                    data = read_bounded(fh, MAX_FILE_BYTES)
        except UnreadableInput as exc:
            problems.add(label, str(exc))
            continue
        except OSError as exc:
            problems.add(label, f"cannot read ({exc.strerror or exc})")
            continue
        documents.append(InvoiceDocument(label, data))
    problems.raise_if_any("cannot read the invoice input; nothing was sent")
    return documents
