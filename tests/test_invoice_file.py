"""The invoice file: shape and money rules, problems by field path, and the checks against the
reference data a reload imported. Nothing here talks to Xero."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.invoice_helpers import invoice
from uku_xero_cli.errors import InvalidInvoice
from uku_xero_cli.store import Currency, Item, Store, TaxRate
from uku_xero_cli.sync.datasets import ACCOUNTS
from uku_xero_cli.sync.push.file import parse_documents, read_documents
from uku_xero_cli.sync.push.invoice import InvoiceDocument, UkuInvoice
from uku_xero_cli.sync.push.validate import ReferenceData, check_references, load_reference

PRODUCT_EXAMPLE = """{
  "number": "UKU-2026-0042",
  "client": {"id": "C-17", "name": "Acme Ltd", "email": "ap@acme.example",
             "registration_number": "12345678", "vat_number": "GB123456789"},
  "issue_date": "2026-11-01",
  "due_date": "2026-11-15",
  "currency": "EUR",
  "amounts_are": "exclusive",
  "reference": "November bookkeeping",
  "lines": [
    {"description": "Monthly bookkeeping", "quantity": "1", "unit_price": "450.00",
     "product_code": "BOOK", "tax_type": "OUTPUT2", "account_code": "200", "discount_percent": "0"}
  ]
}"""


def parse(*bodies: Any, label: str = "inv.json") -> list[UkuInvoice]:
    documents = [
        InvoiceDocument(
            label if len(bodies) == 1 else f"{n}-{label}",
            body if isinstance(body, bytes) else json.dumps(body).encode(),
        )
        for n, body in enumerate(bodies)
    ]
    return parse_documents(documents)


def problems_of(*bodies: Any, label: str = "inv.json") -> list[str]:
    with pytest.raises(InvalidInvoice) as caught:
        parse(*bodies, label=label)
    return caught.value.problems


def line(**changes: Any) -> dict[str, Any]:
    base = {"description": "Work", "quantity": "1", "unit_price": "10.00", "account_code": "200"}
    base.update(changes)
    return base


# -- shape ---------------------------------------------------------------------------------


def test_the_product_brief_example_reads_with_exact_decimals_and_dates() -> None:
    [found] = parse(PRODUCT_EXAMPLE.encode())
    assert found.number == "UKU-2026-0042"
    assert found.client.vat_number == "GB123456789"
    assert found.issue_date == date(2026, 11, 1) and found.due_date == date(2026, 11, 15)
    assert found.currency == "EUR" and found.line_amount_types == "Exclusive"
    assert found.lines[0].unit_price == Decimal("450.00")
    assert found.lines[0].quantity == Decimal("1")
    assert found.lines[0].product_code == "BOOK" and found.lines[0].tax_type == "OUTPUT2"


def test_optional_fields_may_be_left_out_and_amounts_are_defaults_to_exclusive() -> None:
    body = invoice(lines=[{"description": "x", "quantity": 1, "unit_price": 5}])
    for key in ("due_date", "reference", "amounts_are"):
        del body[key]
    [found] = parse(body)
    assert found.amounts_are == "exclusive" and found.due_date is None
    assert found.reference is None and found.lines[0].discount_percent is None


def test_json_numbers_become_decimals_without_passing_through_a_float() -> None:
    text = (
        json.dumps(invoice())
        .replace('"450.00"', "0.1")
        .replace('"quantity": "1"', '"quantity": 1234567.0001')
    )
    [found] = parse(text.encode())
    assert found.lines[0].unit_price == Decimal("0.1")
    assert str(found.lines[0].unit_price) == "0.1"
    assert found.lines[0].quantity == Decimal("1234567.0001")


def test_the_same_amount_spelled_differently_is_the_same_content() -> None:
    a = parse(invoice(lines=[line(unit_price="450")]))[0]
    b = parse(invoice(lines=[line(unit_price="450.00")]))[0]
    c = parse(json.dumps(invoice(lines=[line()])).replace('"10.00"', "450.000").encode())[0]
    assert a.canonical() == b.canonical() == c.canonical()


def test_every_shape_problem_is_listed_with_its_field_path() -> None:
    body = {
        "number": "",
        "client": {"id": 17, "email": "two@a.example, b@b.example"},
        "issue_date": "2026-02-30",
        "due_date": "1 Dec 2026",
        "currency": "EURO",
        "amounts_are": "gross",
        "reference": "x" * 256,
        "lines": [
            line(),
            line(quantity="0"),
            line(unit_price="abc", discount_percent="100.5"),
            "not a line",
            {"quantity": "1.00001", "unit_price": "-1"},
        ],
    }
    assert problems_of(body) == [
        "inv.json: number: required (empty)",
        "inv.json: client.id: not text",
        "inv.json: client.name: required",
        "inv.json: client.email: not one email address",
        "inv.json: issue_date: 2026-02-30 is not a calendar date",
        "inv.json: due_date: not a date (YYYY-MM-DD)",
        "inv.json: currency: not a three-letter currency code",
        "inv.json: amounts_are: must be exclusive, inclusive or no_tax",
        "inv.json: reference: longer than 255 characters",
        "inv.json: lines[1].quantity: must be greater than 0",
        "inv.json: lines[2].unit_price: not a number",
        "inv.json: lines[2].discount_percent: must be at most 100",
        "inv.json: lines[3]: not an object",
        "inv.json: lines[4].description: required",
        "inv.json: lines[4].quantity: at most 4 decimal places",
        "inv.json: lines[4].unit_price: must be at least 0",
    ]


def test_a_missing_field_and_an_empty_line_list_are_problems() -> None:
    assert problems_of({"lines": []}) == [
        "inv.json: number: required",
        "inv.json: client: required",
        "inv.json: issue_date: required",
        "inv.json: currency: required",
        "inv.json: lines: at least one line is required",
    ]
    assert problems_of(invoice(lines=None)) == ["inv.json: lines: required"]
    assert problems_of(invoice(lines={"a": 1})) == ["inv.json: lines: not a list"]
    assert problems_of(invoice(client="Acme")) == ["inv.json: client: not an object"]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"quantity": "-2"}, "quantity: must be greater than 0"),
        ({"quantity": "1000000000"}, "quantity: must be below 1,000,000,000"),
        ({"unit_price": "1000000000000"}, "unit_price: must be below 1,000,000,000,000"),
        ({"unit_price": "1.23456"}, "unit_price: at most 4 decimal places"),
        ({"unit_price": "1e3"}, "unit_price: not a number"),
        ({"unit_price": "NaN"}, "unit_price: not a number"),
        ({"unit_price": True}, "unit_price: not a number"),
        ({"unit_price": "１２"}, "unit_price: not a number"),
        ({"discount_percent": "-1"}, "discount_percent: must be at least 0"),
        ({"discount_percent": "12.345"}, "discount_percent: at most 2 decimal places"),
        ({"description": ""}, "description: required (empty)"),
        ({"description": "a\x00b"}, "description: contains control characters"),
        ({"product_code": 12}, "product_code: not text"),
        ({"account_code": "12345678901"}, "account_code: longer than 10 characters"),
    ],
)
def test_line_values_outside_what_is_allowed_are_refused(
    changes: dict[str, Any], problem: str
) -> None:
    assert problems_of(invoice(lines=[line(**changes)])) == [f"inv.json: lines[0].{problem}"]


HUGE_EXPONENTS = ["1e-2000000", "1e-999999999", "1E+999999999"]
OUT_OF_RANGE = "is out of range (at most 40 digits, between 1e-40 and 1e+40)"


@pytest.mark.parametrize("field", ["quantity", "unit_price", "discount_percent"])
@pytest.mark.parametrize("number", HUGE_EXPONENTS)
def test_a_huge_exponent_is_refused_before_any_arithmetic(field: str, number: str) -> None:
    # As a JSON number it is out of range; Decimal's normalize() would have made 0 of the
    # first two (no decimal places, so accepted) and a gigabyte of digits of their text.
    text = json.dumps(invoice(lines=[line(**{field: "HUGE"})])).replace('"HUGE"', number)
    assert problems_of(text.encode()) == [f"inv.json: lines[0].{field}: {number} {OUT_OF_RANGE}"]
    # As text it is not a number at all: text amounts are plain digits.
    assert problems_of(invoice(lines=[line(**{field: number})])) == [
        f"inv.json: lines[0].{field}: not a number"
    ]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"quantity": "-0"}, "quantity: -0 is a negative zero: write 0"),
        ({"unit_price": "-0.00"}, "unit_price: -0.00 is a negative zero: write 0"),
        ({"discount_percent": "-0"}, "discount_percent: -0 is a negative zero: write 0"),
        # 40 digits: more than the default context's 28, so normalize() would round it to 1.
        ({"quantity": "1." + "0" * 38 + "1"}, "quantity: at most 4 decimal places"),
        ({"unit_price": "1" * 101}, "unit_price: not a number"),
    ],
)
def test_negative_zero_and_too_many_digits_are_refused(
    changes: dict[str, Any], problem: str
) -> None:
    assert problems_of(invoice(lines=[line(**changes)])) == [f"inv.json: lines[0].{problem}"]


def test_a_key_given_twice_is_refused_by_its_path_not_last_wins() -> None:
    text = json.dumps(invoice(lines=[line()]))
    text = text.replace('"currency": "GBP"', '"currency": "GBP", "currency": "EUR"')
    text = text.replace('"quantity": "1"', '"quantity": "1", "quantity": "100"')
    text = text.replace('"name": "Brand', '"name": "x", "name": "Brand')
    assert problems_of(text.encode()) == [
        "inv.json: currency: given more than once",
        "inv.json: client.name: given more than once",
        "inv.json: lines[0].quantity: given more than once",
    ]


def test_the_edges_of_what_is_allowed_are_accepted() -> None:
    lines = [
        line(quantity="0.0001", unit_price="0"),
        line(quantity="999999999.9999", unit_price="999999999999.9999"),
        line(discount_percent="100"),
        line(discount_percent="12.50", unit_price="1.10000"),
    ]
    [found] = parse(invoice(lines=lines))
    assert found.lines[1].unit_price == Decimal("999999999999.9999")
    assert found.lines[2].discount_percent == Decimal("100")


@pytest.mark.parametrize("text", ["2026-11-1", "20261101", "2026-W44-1", "2026-11-01T00:00:00"])
def test_dates_must_be_written_yyyy_mm_dd(text: str) -> None:
    assert problems_of(invoice(issue_date=text)) == [
        "inv.json: issue_date: not a date (YYYY-MM-DD)"
    ]


def test_a_due_date_before_the_issue_date_is_refused() -> None:
    assert problems_of(invoice(issue_date="2026-11-15", due_date="2026-11-01")) == [
        "inv.json: due_date: 2026-11-01 is before issue_date 2026-11-15"
    ]


def test_a_list_file_names_each_invoice_by_its_index() -> None:
    body = [invoice("A-1"), invoice("A-2", lines=[line(unit_price="x")]), 7]
    assert problems_of(body, label="batch.json") == [
        "batch.json: [1].lines[0].unit_price: not a number",
        "batch.json: [2]: not an invoice object",
    ]


def test_numbers_must_be_unique_across_all_inputs_and_free_of_commas() -> None:
    assert problems_of(invoice("A-1"), [invoice("a-1")]) == [
        "1-inv.json: [0].number: a-1 is also the number of 0-inv.json"
    ]
    assert problems_of(invoice("A,1")) == ["inv.json: number: may not contain a comma"]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"{", "inv.json: not valid JSON (line 1, column 2: "),
        (b'{"number": NaN}', "inv.json: NaN is not a number JSON allows"),
        (b"\xff\xfe{}", "inv.json: not UTF-8 text (byte 0)"),
        (b"[]", "inv.json: an empty list: no invoices"),
        (b'"an invoice"', "inv.json: not an invoice object or a list of them"),
        (b"[" * 100_000, "inv.json: not valid JSON (nested too deeply)"),
    ],
)
def test_a_file_that_is_not_invoice_json_is_one_clear_problem(data: bytes, problem: str) -> None:
    [found] = problems_of(data)
    assert found.startswith(problem)


def test_a_byte_order_mark_and_huge_integers_are_fine() -> None:
    body = json.dumps(invoice(lines=[line(quantity=1)])).encode()
    [found] = parse(b"\xef\xbb\xbf" + body)
    assert found.lines[0].quantity == 1
    # Python's int() refuses 5000 digits; the file's numbers never go through it, and a number
    # that long is refused by its length before anything computes with it.
    huge = json.dumps(invoice(lines=[line(quantity="HUGE")])).replace('"HUGE"', "9" * 5000)
    assert problems_of(huge.encode()) == [
        "inv.json: lines[0].quantity: 999999999999...99999999 is out of range (at most 40 "
        "digits, between 1e-40 and 1e+40)"
    ]


def test_reading_files_reports_each_unreadable_one_and_reads_stdin_once(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(invoice()), encoding="utf-8")
    with pytest.raises(InvalidInvoice) as caught:
        read_documents([str(good), str(tmp_path / "missing.json"), "-", "-"], io.BytesIO(b"{}"))
    assert caught.value.problems == [
        f"{tmp_path / 'missing.json'}: cannot read (No such file or directory)",
        "<stdin>: given more than once",
    ]
    documents = read_documents([str(good), "-"], io.BytesIO(b"[]"))
    assert [d.label for d in documents] == [str(good), "<stdin>"]


# -- reference data ---------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store.open(tmp_path / "store.sqlite")
    opened.replace_currencies([Currency("GBP"), Currency("EUR")])
    opened.replace_tax_rates(
        [
            TaxRate(
                "OUTPUT2", "20% (VAT on Income)", "ACTIVE", Decimal(20), can_apply_to_revenue=True
            ),
            TaxRate(
                "INPUT2", "20% (VAT on Expenses)", "ACTIVE", Decimal(20), can_apply_to_revenue=False
            ),
            TaxRate("OLDVAT", "17.5%", "DELETED", Decimal("17.5"), can_apply_to_revenue=True),
        ]
    )
    opened.upsert_items(
        [
            Item("i-1", "BOOK", "Bookkeeping", sales_account_code="200"),
            Item("i-2", "NOACC", "No account"),
        ]
    )
    assert ACCOUNTS.table is not None
    opened.replace_table(
        "accounts",
        ACCOUNTS.table.column_names,
        [
            ("a-1", "200", "Sales", "REVENUE", "OUTPUT2", "ACTIVE", "REVENUE", 0, None),
            ("a-2", "SALES2", "Old sales", "REVENUE", "OUTPUT2", "ARCHIVED", "REVENUE", 0, None),
        ],
    )
    return opened


def check(store: Store, body: dict[str, Any], *, draft: bool = False) -> list[str]:
    found = parse(body)
    try:
        check_references(found, load_reference(store), draft=draft)
    except InvalidInvoice as exc:
        return exc.problems
    return []


def test_an_invoice_that_fits_the_imported_data_passes(store: Store) -> None:
    lines = [line(product_code="BOOK", tax_type="OUTPUT2", account_code=None)]
    assert check(store, invoice(lines=lines)) == []


def test_every_reference_problem_is_listed_by_field_path(store: Store) -> None:
    body = invoice(
        currency="usd",
        lines=[
            line(tax_type="OUTPUT9"),
            line(tax_type="OLDVAT"),
            line(tax_type="INPUT2"),
            line(product_code="NOPE"),
            line(product_code="NOACC", account_code=None),
            line(account_code=None),
        ],
    )
    assert check(store, body) == [
        "inv.json: currency: USD is not enabled in the Xero organisation (enabled: EUR, GBP)",
        "inv.json: lines[0].tax_type: OUTPUT9 is not an active Xero tax rate",
        "inv.json: lines[1].tax_type: OLDVAT is not an active Xero tax rate",
        "inv.json: lines[2].tax_type: INPUT2 cannot be used on sales (revenue) in Xero",
        "inv.json: lines[3].product_code: NOPE is not a Xero item",
        "inv.json: lines[4].account_code: required: Xero needs a sales account on an issued "
        "invoice (the item has none)",
        "inv.json: lines[5].account_code: required: Xero needs a sales account on an issued "
        "invoice",
    ]


def test_an_account_code_must_be_an_active_account_of_the_imported_chart(store: Store) -> None:
    body = invoice(
        lines=[
            line(account_code="200"),
            line(account_code="sales2"),
            line(account_code="999"),
            line(account_code="Sales2", product_code="BOOK"),
        ]
    )
    assert check(store, body) == [
        "inv.json: lines[1].account_code: sales2 is ARCHIVED in Xero's chart of accounts",
        "inv.json: lines[2].account_code: 999 is not an account in Xero's chart of accounts",
        "inv.json: lines[3].account_code: Sales2 is ARCHIVED in Xero's chart of accounts",
    ]


def test_without_an_imported_chart_an_account_code_says_how_to_import_it(tmp_path: Path) -> None:
    with Store.open(tmp_path / "acme.sqlite", company="acme") as old:
        old.replace_currencies([Currency("GBP")])
        old.replace_tax_rates([TaxRate("OUTPUT2", "20%", "ACTIVE", Decimal(20))])
        assert check(old, invoice(lines=[line(), line(account_code=None)])) == [
            "inv.json: lines[0].account_code: 200 cannot be checked: Xero's chart of accounts "
            "was not imported yet (run `uku-xero reload -c acme --only accounts`)",
            "inv.json: lines[1].account_code: required: Xero needs a sales account on an "
            "issued invoice",
        ]


def test_an_issued_invoice_needs_a_due_date_and_a_draft_needs_neither_it_nor_accounts(
    store: Store,
) -> None:
    body = invoice(lines=[line(account_code=None)])
    del body["due_date"]
    assert check(store, body) == [
        "inv.json: due_date: required: Xero needs a due date to approve an invoice",
        "inv.json: lines[0].account_code: required: Xero needs a sales account on an issued "
        "invoice",
    ]
    assert check(store, body, draft=True) == []


def test_without_reference_data_the_message_says_to_run_reload(tmp_path: Path) -> None:
    with Store.open(tmp_path / "empty.sqlite") as empty, pytest.raises(InvalidInvoice) as caught:
        check_references(parse(invoice()), load_reference(empty), draft=False)
    assert caught.value.problems == ["no reference data imported from Xero"]
    assert caught.value.hint is not None and "uku-xero reload" in caught.value.hint
    # A user reads message and hint together: the advice is there once.
    assert f"{caught.value.message}\n{caught.value.hint}".count("uku-xero reload") == 1


# -- fuzzing -----------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(["1", "0.5", "-3", "2026-11-01", "GBP", "exclusive", ""]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)
FIELD_PATHS = [
    ("number",),
    ("client",),
    ("client", "id"),
    ("client", "name"),
    ("client", "email"),
    ("issue_date",),
    ("due_date",),
    ("currency",),
    ("amounts_are",),
    ("reference",),
    ("lines",),
    ("lines", 0),
    ("lines", 0, "quantity"),
    ("lines", 0, "unit_price"),
    ("lines", 0, "discount_percent"),
    ("lines", 0, "description"),
    ("lines", 0, "tax_type"),
]


@st.composite
def mutated_invoices(draw: st.DrawFn) -> bytes:
    body = invoice()
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(FIELD_PATHS))
        target: Any = body
        for key in path[:-1]:
            if isinstance(target, dict):
                target = target.get(key)
            elif isinstance(target, list) and isinstance(key, int) and len(target) > key:
                target = target[key]
            else:
                target = None
        if isinstance(target, dict):
            if draw(st.booleans()):
                target.pop(path[-1], None)
            else:
                target[path[-1]] = draw(JSON_VALUES)
        elif isinstance(target, list) and target:
            target[0] = draw(JSON_VALUES)
    return json.dumps(body).encode()


# Mutations known to make an invoice invalid, each with the one problem it must cause: the
# field path (within the invoice) and how the reason begins. A group is one part of the
# invoice; two mutations of one group would interfere (a missing `lines` hides its lines'
# problems, an unknown product skips the line's account check), so a case takes at most one
# from each group. The library's parse_documents reports shape problems alone, so its cases
# are one kind or the other; push-invoice reports both kinds at once (MIXED_BREAKS).
MISSING = object()
LONG = "x" * 256
SHAPE_BREAKS: dict[str, list[tuple[tuple[Any, ...], Any, str]]] = {
    "number": [
        (("number",), MISSING, "required"),
        (("number",), 42, "not text"),
        (("number",), "  ", "required (empty)"),
        (("number",), "UKU-1,UKU-2", "may not contain a comma"),
        (("number",), LONG, "longer than 255 characters"),
    ],
    "client": [
        (("client",), MISSING, "required"),
        (("client",), ["C-1"], "not an object"),
        (("client", "id"), MISSING, "required"),
        (("client", "id"), 17, "not text"),
        (("client", "name"), "", "required (empty)"),
        (("client", "name"), "Bad\x07Name", "contains control characters"),
        (("client", "email"), "not-an-email", "not one email address"),
        (("client", "vat_number"), "G" * 51, "longer than 50 characters"),
    ],
    "issue_date": [
        (("issue_date",), MISSING, "required"),
        (("issue_date",), "01/11/2026", "not a date (YYYY-MM-DD)"),
        (("issue_date",), "2026-02-30", "2026-02-30 is not a calendar date"),
        (("issue_date",), "1899-12-31", "before 1900"),
    ],
    "due_date": [
        (("due_date",), "15.11.2026", "not a date (YYYY-MM-DD)"),
        (("due_date",), 20261115, "not a date (YYYY-MM-DD)"),
    ],
    "currency": [
        (("currency",), MISSING, "required"),
        (("currency",), "EURO", "not a three-letter currency code"),
        (("currency",), 978, "not text"),
    ],
    "amounts_are": [
        (("amounts_are",), "net", "must be exclusive, inclusive or no_tax"),
        (("amounts_are",), "Exclusive", "must be exclusive, inclusive or no_tax"),
    ],
    "reference": [
        (("reference",), 12, "not text"),
        (("reference",), LONG, "longer than 255 characters"),
    ],
    "lines": [
        (("lines",), MISSING, "required"),
        (("lines",), {"description": "x"}, "not a list"),
        (("lines",), [], "at least one line is required"),
        (("lines", 0), "one line", "not an object"),
    ],
    "quantity": [
        (("lines", 0, "quantity"), MISSING, "required"),
        (("lines", 0, "quantity"), "0", "must be greater than 0"),
        (("lines", 0, "quantity"), "ten", "not a number"),
        (("lines", 0, "quantity"), True, "not a number"),
        (("lines", 0, "quantity"), "1.23456", "at most 4 decimal places"),
        (("lines", 0, "quantity"), "1000000000", "must be below 1,000,000,000"),
    ],
    "unit_price": [
        (("lines", 0, "unit_price"), "-0.01", "must be at least 0"),
        (("lines", 0, "unit_price"), "1e3", "not a number"),
        (("lines", 0, "unit_price"), "0.00001", "at most 4 decimal places"),
    ],
    "discount": [
        (("lines", 0, "discount_percent"), "100.5", "must be at most 100"),
        (("lines", 0, "discount_percent"), "2.125", "at most 2 decimal places"),
        (("lines", 0, "discount_percent"), "-1", "must be at least 0"),
    ],
    "description": [
        (("lines", 0, "description"), MISSING, "required"),
        (("lines", 0, "description"), "   ", "required (empty)"),
        (("lines", 0, "description"), ["text"], "not text"),
    ],
    "codes": [
        (("lines", 0, "tax_type"), 2, "not text"),
        (("lines", 0, "account_code"), "12345678901", "longer than 10 characters"),
        (("lines", 0, "product_code"), "P" * 31, "longer than 30 characters"),
    ],
}
LINE_GROUPS = {"quantity", "unit_price", "discount", "description", "codes"}
# Against reference data with GBP (not JPY), OUTPUT2 (not OUTPUT9) and no item NO-SUCH-ITEM.
REFERENCE_BREAKS: dict[str, list[tuple[tuple[Any, ...], Any, str]]] = {
    "currency": [(("currency",), "JPY", "JPY is not enabled in the Xero organisation")],
    "due_date": [(("due_date",), MISSING, "required: Xero needs a due date")],
    "tax_type": [(("lines", 0, "tax_type"), "OUTPUT9", "OUTPUT9 is not an active Xero tax rate")],
    "line": [
        (("lines", 0, "product_code"), "NO-SUCH-ITEM", "NO-SUCH-ITEM is not a Xero item"),
        (("lines", 0, "account_code"), MISSING, "required: Xero needs a sales account"),
        (("lines", 0, "account_code"), "999", "999 is not an account in Xero's chart"),
    ],
}


@dataclass
class BrokenInput:
    """An invalid input and the problems it must be reported with, as {path: reason start}
    (paths without the input's label)."""

    data: bytes
    expected: dict[str, str]


def _field_path(prefix: str, path: tuple[Any, ...]) -> str:
    text = prefix
    for key in path:
        if isinstance(key, int):
            text += f"[{key}]"
        else:
            text = f"{text}.{key}" if text else key
    return text


def _set(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    target: Any = body
    for key in path[:-1]:
        target = target[key]
    if value is MISSING:
        del target[path[-1]]
    else:
        target[path[-1]] = value


# Both kinds at once, as push-invoice checks them (validate.check_input): one group per field,
# so the codes of a line (shape and reference breaks alike) are one group.
MIXED_BREAKS = {
    name: SHAPE_BREAKS.get(name, []) + REFERENCE_BREAKS.get(name, [])
    for name in {*SHAPE_BREAKS, *REFERENCE_BREAKS} - {"tax_type", "line"}
}
MIXED_BREAKS["codes"] = (
    SHAPE_BREAKS["codes"] + REFERENCE_BREAKS["tax_type"] + REFERENCE_BREAKS["line"]
)


@st.composite
def broken_inputs(draw: st.DrawFn, *, mixed: bool = False) -> BrokenInput:
    """A valid invoice (alone, or after a valid one in a list) broken in 1-4 known ways: of
    its shape or of its reference data, or (`mixed`) of both at once."""
    breaks = MIXED_BREAKS if mixed else draw(st.sampled_from([SHAPE_BREAKS, REFERENCE_BREAKS]))
    groups = draw(st.lists(st.sampled_from(sorted(breaks)), min_size=1, max_size=4, unique=True))
    if "lines" in groups:
        # Without a usable list of lines there is no line to find problems in.
        groups = [g for g in groups if g not in LINE_GROUPS | {"tax_type", "line"}]
    in_list = draw(st.booleans())
    body = invoice("UKU-BROKEN")
    expected: dict[str, str] = {}
    for group in groups:
        path, value, reason = draw(st.sampled_from(breaks[group]))
        _set(body, path, value)
        expected[_field_path("[1]" if in_list else "", path)] = reason
    document: Any = [invoice("UKU-FINE"), body] if in_list else body
    return BrokenInput(json.dumps(document).encode(), expected)


def reported(problems: list[str], label: str) -> dict[str, str]:
    """`label: path: reason` problems as {path: reason}."""
    found: dict[str, str] = {}
    for problem in problems:
        assert problem.startswith(f"{label}: "), problem
        path, _, reason = problem[len(label) + 2 :].partition(": ")
        assert path not in found, problems
        found[path] = reason
    return found


def assert_reported_exactly(problems: list[str], label: str, case: BrokenInput) -> None:
    found = reported(problems, label)
    assert set(found) == set(case.expected), (problems, case.expected)
    for path, reason in case.expected.items():
        assert found[path].startswith(reason), (path, found[path], reason)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=broken_inputs())
def test_known_breakages_are_reported_at_their_field_paths(case: BrokenInput) -> None:
    reference = ReferenceData(
        currencies=frozenset({"GBP", "EUR"}),
        active_tax_rates={"OUTPUT2": Decimal(20)},
        sales_tax_types=frozenset({"OUTPUT2"}),
        item_accounts={"BOOK": "200"},
        accounts={"200": "ACTIVE"},
    )
    with pytest.raises(InvalidInvoice) as caught:
        check_references(
            parse_documents([InvoiceDocument("b.json", case.data)]), reference, draft=False
        )
    assert_reported_exactly(caught.value.problems, "b.json", case)


def _parse_or_reject(data: bytes) -> None:
    try:
        parse_documents([InvoiceDocument("fuzz.json", data)])
    except InvalidInvoice as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_invoices())
def test_fuzzed_invoices_are_read_or_rejected_never_crash(data: bytes) -> None:
    _parse_or_reject(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200) | JSON_VALUES.map(lambda v: json.dumps(v).encode()))
def test_arbitrary_bytes_and_json_are_read_or_rejected_never_crash(data: bytes) -> None:
    _parse_or_reject(data)
