"""The checks of push-invoice against the store: the reference data a reload imported from
Xero (currencies, tax rates, items and accounts; every problem is reported, one rejects the
input), read from the store of the organisation the company works with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from uku_xero_cli.command_lines import command_line
from uku_xero_cli.sync.push.file import INVALID_INPUT
from uku_xero_cli.sync.push.invoice import InvoiceReferences, LineReferences, UkuInvoice
from uku_xero_cli.sync.push.problems import Problems

if TYPE_CHECKING:
    from uku_xero_cli.settings import Settings
    from uku_xero_cli.store import Store
    from uku_xero_cli.sync.push.file import InvoiceInput


@dataclass(frozen=True)
class ReferenceData:
    """What the checks need from the store, read once."""

    currencies: frozenset[str]
    active_tax_rates: Mapping[str, Decimal]
    sales_tax_types: frozenset[str]
    item_accounts: Mapping[str, str | None]  # item code → its sales account code
    # Casefolded account code → its status; None: the chart of accounts was never imported.
    accounts: Mapping[str, str] | None = None
    # The company whose store this is: the fix commands name it (None only where a test
    # builds reference data by hand).
    company: str | None = None

    def reload_fix(self, *args: str) -> str:
        return command_line("reload", self.company, *args)

    @classmethod
    def from_store(cls, store: Store) -> ReferenceData:
        from uku_xero_cli.sync.datasets import ACCOUNTS

        rates = store.tax_rates(active_only=True)
        chart = {a["code"].casefold(): a["status"] for a in ACCOUNTS.stored(store) if a["code"]}
        return cls(
            accounts=chart or None,
            company=store.company,
            currencies=frozenset(c.code.upper() for c in store.currencies()),
            active_tax_rates={r.tax_type: r.effective_rate or Decimal(0) for r in rates},
            # A rate Xero says cannot apply to revenue would be refused on a sales invoice.
            sales_tax_types=frozenset(
                r.tax_type for r in rates if r.can_apply_to_revenue is not False
            ),
            item_accounts={i.code: i.sales_account_code for i in store.items()},
        )


def no_reference_hint(company: str | None) -> str:
    return (
        f"run `{command_line('reload', company)}` first: it imports tax rates, currencies and items"
    )


NO_REFERENCE_SUMMARY = "the store has no tax rates or currencies from Xero yet; nothing was sent"


def _account_problem(code: str | None, reference: ReferenceData) -> str | None:
    """Why a line's account code would not do: Xero refuses a line whose account is archived
    or deleted (Re-Leased's guide to Xero sync errors, "Account code has been archived or
    deleted"), so the code must be an ACTIVE account of the imported chart."""
    if code is None:
        return None
    if reference.accounts is None:
        return (
            f"{code} cannot be checked: Xero's chart of accounts was not imported yet "
            f"(run `{reference.reload_fix('--only', 'accounts')}`)"
        )
    status = reference.accounts.get(code.casefold())
    if status is None:
        return f"{code} is not an account in Xero's chart of accounts"
    return None if status == "ACTIVE" else f"{code} is {status} in Xero's chart of accounts"


REFERENCE_SUMMARY = "the invoices do not fit the Xero organisation's data; nothing was sent"
NO_REFERENCE = "no reference data imported from Xero"


def reference_problems(
    invoices: Sequence[UkuInvoice | InvoiceReferences],
    reference: ReferenceData | None,
    *,
    draft: bool,
) -> Problems:
    """Currency, tax types, items and accounts against what reload imported from Xero, for
    valid invoices and for what the invalid ones name (`InvoiceReferences`). `reference`
    None means the store holds no reference data yet: one problem says so."""
    problems = Problems()
    if reference is None:
        problems.add("", NO_REFERENCE)
        return problems
    for each in invoices:
        refs = each.references() if isinstance(each, UkuInvoice) else each
        where = refs.where
        if refs.currency is not None and refs.currency not in reference.currencies:
            known = ", ".join(sorted(reference.currencies)) or "none"
            problems.add(
                where("currency"),
                f"{refs.currency} is not enabled in the Xero organisation (enabled: {known})",
            )
        if not draft and refs.due_date_missing:
            problems.add(where("due_date"), "required: Xero needs a due date to approve an invoice")
        for index, line in enumerate(refs.lines):
            if line is not None:
                _line_problems(problems, reference, line, where, f"lines[{index}]", draft=draft)
    return problems


def _line_problems(
    problems: Problems,
    reference: ReferenceData,
    line: LineReferences,
    where: Callable[[str], str],
    path: str,
    *,
    draft: bool,
) -> None:
    if line.tax_type is not None:
        if line.tax_type not in reference.active_tax_rates:
            problems.add(
                where(f"{path}.tax_type"), f"{line.tax_type} is not an active Xero tax rate"
            )
        elif line.tax_type not in reference.sales_tax_types:
            problems.add(
                where(f"{path}.tax_type"),
                f"{line.tax_type} cannot be used on sales (revenue) in Xero",
            )
    account_problem = _account_problem(line.account_code, reference)
    if account_problem is not None:
        problems.add(where(f"{path}.account_code"), account_problem)
    item_account: str | None = None
    if line.product_code is not None:
        if line.product_code not in reference.item_accounts:
            problems.add(where(f"{path}.product_code"), f"{line.product_code} is not a Xero item")
            return
        item_account = reference.item_accounts[line.product_code]
    if not draft and line.needs_account and line.account_code is None and item_account is None:
        problems.add(
            where(f"{path}.account_code"),
            "required: Xero needs a sales account on an issued invoice"
            + (" (the item has none)" if line.product_code else ""),
        )


def raise_input_problems(
    fields: Problems, references: Problems, *, company: str | None = None
) -> None:
    """InvalidInvoice with every problem of the input: its fields' first, then what the
    reference data says of it; the summary and hint say which kind there is."""
    if not fields.items and not references.items:
        return
    no_reference = NO_REFERENCE in references.items
    if not fields.items:
        summary = NO_REFERENCE_SUMMARY if no_reference else REFERENCE_SUMMARY
    else:
        summary = INVALID_INPUT
    hint = None
    if references.items:
        hint = (
            no_reference_hint(company)
            if no_reference
            else f"run `{command_line('reload', company)}` if the data changed in Xero since "
            "the last reload"
        )
    combined = Problems()
    combined.extend(fields)
    combined.extend(references)
    combined.raise_if_any(summary, hint=hint)


def check_references(
    invoices: Sequence[UkuInvoice | InvoiceReferences],
    reference: ReferenceData | None,
    *,
    draft: bool,
    company: str | None = None,
) -> None:
    """`reference_problems`, raised as InvalidInvoice when there are any."""
    raise_input_problems(
        Problems(), reference_problems(invoices, reference, draft=draft), company=company
    )


def load_reference(store: Store) -> ReferenceData | None:
    return ReferenceData.from_store(store) if store.has_reference_data() else None


def validate(store: Store, invoices: Sequence[UkuInvoice], *, draft: bool) -> None:
    """The checks against the store's reference data; InvalidInvoice lists every problem."""
    check_references(invoices, load_reference(store), draft=draft, company=store.company)


def check_input(
    settings: Settings,
    company: str,
    found: InvoiceInput,
    *,
    draft: bool,
    store: Store | None = None,
) -> list[UkuInvoice]:
    """The valid invoices, or InvalidInvoice with every problem of the input at once: its
    fields', and what the reference data the last reload imported says of every invoice
    object, valid or not (a bad date and an unknown currency in one run).

    Nothing is opened for writing: the store of the organisation the company works with is
    read if it exists (`store`, when given, is used instead) and never created; every
    organisation has a store of its own (store/opening.py), so it holds no other's data.
    """
    from uku_xero_cli.store.opening import open_existing_store

    db = store if store is not None else open_existing_store(settings, company)
    try:
        reference = load_reference(db) if db is not None else None
        references = reference_problems(found.references, reference, draft=draft)
    finally:
        if store is None and db is not None:
            db.close()
    raise_input_problems(found.problems, references, company=company)
    return found.invoices
