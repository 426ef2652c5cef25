"""Records the store reads and writes, and how each is built from Xero's JSON.

The `from_xero` constructors take one element of a Xero answer decoded with
`uku_xero_cli.xero.parse.loads_xero` (numbers with fractions as Decimal) and keep only what
the tool uses; money is Decimal, timestamps are aware UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from uku_xero_cli.xero.parse import (
    parse_optional_date,
    parse_optional_datetime,
    parse_optional_money,
)

Origin = Literal["uku", "xero"]
# How a client got its Xero link. `contact_id` is never stored: an existing link keeps the
# method it was made with. `new_client`: the client was created from an unmatched contact;
# `created_in_xero`: the contact was created in Xero for this client (push-invoice).
MatchMethod = Literal[
    "registration_number", "tax_number", "email", "name", "new_client", "created_in_xero"
]
RunOutcome = Literal["running", "ok", "failed", "interrupted"]
PushState = Literal["pending", "pushed", "rejected"]
# Records with a field named `date` need another name for the type.
Day = date


def _text(obj: Mapping[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _flag(obj: Mapping[str, Any], key: str) -> bool | None:
    value = obj.get(key)
    return None if value is None else bool(value)


def _required(obj: Mapping[str, Any], key: str, what: str) -> str:
    value = _text(obj, key)
    if value is None:
        from uku_xero_cli.xero.parse import XeroValueError

        raise XeroValueError(f"{what} without {key}")
    return value


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    """What one write did to a data set."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(
            self.new + other.new,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
            self.removed + other.removed,
        )


@dataclass(frozen=True, slots=True)
class XeroContact:
    contact_id: str
    name: str
    email: str | None = None
    company_number: str | None = None
    tax_number: str | None = None
    status: str = "ACTIVE"
    updated_utc: datetime | None = None

    @property
    def archived(self) -> bool:
        return self.status != "ACTIVE"

    @classmethod
    def from_xero(cls, obj: Mapping[str, Any]) -> XeroContact:
        contact_id = _required(obj, "ContactID", "contact")
        return cls(
            contact_id=contact_id,
            name=_text(obj, "Name") or contact_id,
            email=_text(obj, "EmailAddress"),
            company_number=_text(obj, "CompanyNumber"),
            tax_number=_text(obj, "TaxNumber"),
            status=(_text(obj, "ContactStatus") or "ACTIVE").upper(),
            updated_utc=parse_optional_datetime(obj.get("UpdatedDateUTC"), what="UpdatedDateUTC"),
        )


@dataclass(frozen=True, slots=True)
class ClientInput:
    """One client of Uku's own list, as `clients import` reads it."""

    id: str
    name: str
    email: str | None = None
    registration_number: str | None = None
    vat_number: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ClientRecord:
    """A client with its Integration column (the linked Xero contact and how it was matched)."""

    id: str
    name: str
    email: str | None
    registration_number: str | None
    vat_number: str | None
    extra: Mapping[str, str]
    origin: Origin
    archived: bool
    xero_contact_id: str | None
    match_method: str | None
    matched_at: datetime | None
    contact_name: str | None = None
    contact_status: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "registration_number": self.registration_number,
            "vat_number": self.vat_number,
            "extra": dict(self.extra),
            "origin": self.origin,
            "archived": self.archived,
            "integration": None
            if self.xero_contact_id is None
            else {
                "contact_id": self.xero_contact_id,
                "contact_name": self.contact_name,
                "contact_status": self.contact_status,
                "match_method": self.match_method,
                "matched_at": self.matched_at.isoformat() if self.matched_at else None,
            },
        }


@dataclass(frozen=True, slots=True)
class Item:
    item_id: str
    code: str
    name: str | None = None
    description: str | None = None
    sales_unit_price: Decimal | None = None
    sales_account_code: str | None = None
    sales_tax_type: str | None = None
    is_sold: bool | None = None
    updated_utc: datetime | None = None

    @classmethod
    def from_xero(cls, obj: Mapping[str, Any]) -> Item:
        sales = obj.get("SalesDetails") or {}
        return cls(
            item_id=_required(obj, "ItemID", "item"),
            code=_required(obj, "Code", "item"),
            name=_text(obj, "Name"),
            description=_text(obj, "Description"),
            sales_unit_price=parse_optional_money(sales.get("UnitPrice"), what="UnitPrice"),
            sales_account_code=_text(sales, "AccountCode"),
            sales_tax_type=_text(sales, "TaxType"),
            is_sold=_flag(obj, "IsSold"),
            updated_utc=parse_optional_datetime(obj.get("UpdatedDateUTC"), what="UpdatedDateUTC"),
        )


@dataclass(frozen=True, slots=True)
class TaxRate:
    tax_type: str
    name: str
    status: str
    effective_rate: Decimal | None = None
    report_tax_type: str | None = None
    can_apply_to_assets: bool | None = None
    can_apply_to_equity: bool | None = None
    can_apply_to_expenses: bool | None = None
    can_apply_to_liabilities: bool | None = None
    can_apply_to_revenue: bool | None = None

    @property
    def active(self) -> bool:
        return self.status == "ACTIVE"

    @classmethod
    def from_xero(cls, obj: Mapping[str, Any]) -> TaxRate:
        tax_type = _required(obj, "TaxType", "tax rate")
        return cls(
            tax_type=tax_type,
            name=_text(obj, "Name") or tax_type,
            status=(_text(obj, "Status") or "ACTIVE").upper(),
            effective_rate=parse_optional_money(obj.get("EffectiveRate"), what="EffectiveRate"),
            report_tax_type=_text(obj, "ReportTaxType"),
            can_apply_to_assets=_flag(obj, "CanApplyToAssets"),
            can_apply_to_equity=_flag(obj, "CanApplyToEquity"),
            can_apply_to_expenses=_flag(obj, "CanApplyToExpenses"),
            can_apply_to_liabilities=_flag(obj, "CanApplyToLiabilities"),
            can_apply_to_revenue=_flag(obj, "CanApplyToRevenue"),
        )


@dataclass(frozen=True, slots=True)
class Currency:
    """A currency enabled in the organisation (reload writes them through the registry's
    generic reference table: sync/datasets.py)."""

    code: str
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Payment:
    payment_id: str
    invoice_id: str
    amount: Decimal
    date: Day | None = None
    status: str | None = None
    reference: str | None = None

    @classmethod
    def from_xero(cls, obj: Mapping[str, Any], *, invoice_id: str) -> Payment:
        amount = parse_optional_money(obj.get("Amount"), what="Payment Amount")
        return cls(
            payment_id=_required(obj, "PaymentID", "payment"),
            invoice_id=invoice_id,
            amount=Decimal(0) if amount is None else amount,
            date=parse_optional_date(obj.get("Date"), what="Payment Date"),
            status=_text(obj, "Status"),
            reference=_text(obj, "Reference"),
        )


@dataclass(frozen=True, slots=True)
class Invoice:
    """An invoice as Xero has it. `payments` is None when the answer did not list them."""

    invoice_id: str
    invoice_number: str | None = None
    type: str | None = None
    contact_id: str | None = None
    date: Day | None = None
    due_date: Day | None = None
    status: str | None = None
    currency_code: str | None = None
    line_amount_types: str | None = None
    reference: str | None = None
    sub_total: Decimal | None = None
    total_tax: Decimal | None = None
    total: Decimal | None = None
    amount_due: Decimal | None = None
    amount_paid: Decimal | None = None
    amount_credited: Decimal | None = None
    fully_paid_on: Day | None = None
    updated_utc: datetime | None = None
    payments: tuple[Payment, ...] | None = None

    @classmethod
    def from_xero(cls, obj: Mapping[str, Any]) -> Invoice:
        invoice_id = _required(obj, "InvoiceID", "invoice")
        contact = obj.get("Contact") or {}
        raw_payments = obj.get("Payments")
        payments = (
            None
            if raw_payments is None
            else tuple(Payment.from_xero(p, invoice_id=invoice_id) for p in raw_payments)
        )

        def money(key: str) -> Decimal | None:
            return parse_optional_money(obj.get(key), what=key)

        return cls(
            invoice_id=invoice_id,
            invoice_number=_text(obj, "InvoiceNumber"),
            type=_text(obj, "Type"),
            contact_id=_text(contact, "ContactID"),
            date=parse_optional_date(obj.get("Date") or obj.get("DateString"), what="Date"),
            due_date=parse_optional_date(
                obj.get("DueDate") or obj.get("DueDateString"), what="DueDate"
            ),
            status=_text(obj, "Status"),
            currency_code=_text(obj, "CurrencyCode"),
            line_amount_types=_text(obj, "LineAmountTypes"),
            reference=_text(obj, "Reference"),
            sub_total=money("SubTotal"),
            total_tax=money("TotalTax"),
            total=money("Total"),
            amount_due=money("AmountDue"),
            amount_paid=money("AmountPaid"),
            amount_credited=money("AmountCredited"),
            fully_paid_on=parse_optional_date(obj.get("FullyPaidOnDate"), what="FullyPaidOnDate"),
            updated_utc=parse_optional_datetime(obj.get("UpdatedDateUTC"), what="UpdatedDateUTC"),
            payments=payments,
        )


@dataclass(frozen=True, slots=True)
class PushRecord:
    """What the store knows about one Uku invoice sent to Xero."""

    uku_number: str
    content_hash: str | None
    idempotency_key: str | None
    push_state: str | None
    pushed_at: datetime | None
    invoice_id: str | None
    invoice_number: str | None
    status: str | None


@dataclass(frozen=True, slots=True)
class SyncRun:
    id: int
    data_set: str
    started_at: datetime
    finished_at: datetime | None
    fetched: int
    new: int
    updated: int
    unchanged: int
    skipped_archived: int
    requests: int
    outcome: str
    error: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "data_set": self.data_set,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "fetched": self.fetched,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped_archived": self.skipped_archived,
            "requests": self.requests,
            "outcome": self.outcome,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class WorkStat:
    """One metric for one calendar month (`month` is `YYYY-MM`)."""

    month: str
    metric: str
    count: int
    total: Decimal | None = None


@dataclass(frozen=True, slots=True)
class AwaitingPayment:
    """Sales invoices Xero has issued and not yet seen paid in full."""

    count: int
    due_by_currency: Mapping[str, Decimal]
