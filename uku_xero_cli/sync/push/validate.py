"""The checks of push-invoice against the store: the reference data a reload imported from
Xero (currencies, tax rates, items and accounts; every problem is reported, one rejects the
input), and, for a dry run, the organisation the store holds data from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from uku_xero_cli.command_lines import command_line
from uku_xero_cli.errors import InvalidInvoice
from uku_xero_cli.sync.push.problems import Problems

if TYPE_CHECKING:
    from uku_xero_cli.store import Store
    from uku_xero_cli.sync.push.invoice import UkuInvoice
    from uku_xero_cli.tokens import CompanyTokens


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
            company=store_company(store),
            currencies=frozenset(c.code.upper() for c in store.currencies()),
            active_tax_rates={r.tax_type: r.effective_rate or Decimal(0) for r in rates},
            # A rate Xero says cannot apply to revenue would be refused on a sales invoice.
            sales_tax_types=frozenset(
                r.tax_type for r in rates if r.can_apply_to_revenue is not False
            ),
            item_accounts={i.code: i.sales_account_code for i in store.items()},
        )


def store_company(store: Store) -> str:
    # A company's store is `<company>.sqlite` (settings.store_file).
    return store.path.stem


def no_reference_hint(company: str | None) -> str:
    return (
        f"run `{command_line('reload', company)}` first: it imports tax rates, currencies and items"
    )


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


def check_references(
    invoices: Sequence[UkuInvoice],
    reference: ReferenceData | None,
    *,
    draft: bool,
    company: str | None = None,
) -> None:
    """Currency, tax types, items and accounts against what reload imported from Xero.

    `reference` None means the store of `company` holds no reference data yet.
    """
    if reference is None:
        raise InvalidInvoice(
            "the store has no tax rates or currencies from Xero yet; nothing was sent",
            problems=["no reference data imported from Xero"],
            hint=no_reference_hint(company),
        )
    problems = Problems()
    for invoice in invoices:
        where = invoice.where
        if invoice.currency not in reference.currencies:
            known = ", ".join(sorted(reference.currencies)) or "none"
            problems.add(
                where("currency"),
                f"{invoice.currency} is not enabled in the Xero organisation (enabled: {known})",
            )
        if not draft and invoice.due_date is None:
            problems.add(where("due_date"), "required: Xero needs a due date to approve an invoice")
        for index, line in enumerate(invoice.lines):
            path = f"lines[{index}]"
            if line.tax_type is not None:
                if line.tax_type not in reference.active_tax_rates:
                    problems.add(
                        where(f"{path}.tax_type"),
                        f"{line.tax_type} is not an active Xero tax rate",
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
                    problems.add(
                        where(f"{path}.product_code"), f"{line.product_code} is not a Xero item"
                    )
                    continue
                item_account = reference.item_accounts[line.product_code]
            if not draft and line.account_code is None and item_account is None:
                problems.add(
                    where(f"{path}.account_code"),
                    "required: Xero needs a sales account on an issued invoice"
                    + (" (the item has none)" if line.product_code else ""),
                )
    problems.raise_if_any(
        "the invoices do not fit the Xero organisation's data; nothing was sent",
        hint=f"run `{reference.reload_fix()}` if the data changed in Xero since the last reload",
    )


def load_reference(store: Store) -> ReferenceData | None:
    return ReferenceData.from_store(store) if store.has_reference_data() else None


def validate(store: Store, invoices: Sequence[UkuInvoice], *, draft: bool) -> None:
    """The checks against the store's reference data; InvalidInvoice lists every problem."""
    check_references(invoices, load_reference(store), draft=draft, company=store_company(store))


def refuse_other_organisation(store: Store, company: str, known: CompanyTokens | None) -> None:
    """A dry run changes nothing, so it cannot set another organisation's data aside: it
    refuses a store that holds data from an organisation other than the company's."""
    from uku_xero_cli.errors import UsageError

    bound = store.bound_organisation()
    if bound is None or known is None or not known.tenant_id or bound[0] == known.tenant_id:
        return
    raise UsageError(
        f"the store of company '{company}' holds data from organisation "
        f"'{bound[1] or bound[0]}', but the company is now connected to "
        f"'{known.tenant_name or known.tenant_id}'",
        hint=f"run `{command_line('reload', company)}` first: it sets the old organisation's "
        "data aside and imports the new one's",
    )
