"""The data sets reload imports from Xero: one record each, the one place that lists them.

Reload's order and reading, `--only` (its names, aliases and help), the summary labels, the
`status` features with their scopes and the shell completions all derive from `REGISTRY`.
Adding a data set is a record here and its store table (a migration); a reference table read
whole (`table=`) needs no loader, query or renderer of its own: its columns drive all three.

`--help` reads this module (the `--only` help), so it imports nothing beyond the standard
library at import time: the loader is a name resolved in `sync/reload/loaders.py` when a
reload runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from uku_xero_cli.store import Store
    from uku_xero_cli.xero.scopes import Feature

# How a loader in sync/reload/loaders.py writes a data set's pages to the store.
LoaderName = Literal["contacts", "items", "tax_rates", "invoices", "dated", "table"]


@dataclass(frozen=True)
class Column:
    """One column of a reference table: where it comes from in Xero's record and how it shows."""

    name: str  # in the store and in --json
    source: str  # the field of Xero's record
    heading: str | None = None  # the listing's column; None: in --json only
    kind: Literal["text", "flag", "time"] = "text"
    wrap: bool = False  # free text: long values continue on further lines in the listing


@dataclass(frozen=True)
class Table:
    """A store table the generic loader fills from a data set read whole; the key first."""

    name: str
    columns: tuple[Column, ...]
    order_by: str  # a column name

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def record(self, row: Sequence[Any]) -> dict[str, Any]:
        """A stored row as the listing and --json show it (flags as booleans)."""
        return {
            c.name: bool(value) if c.kind == "flag" and value is not None else value
            for c, value in zip(self.columns, row, strict=True)
        }


@dataclass(frozen=True)
class DataSet:
    """One data set reload imports: what it is called, how Xero gives it, where it goes."""

    name: str  # reload's name: --only, --json, the store's cursors and runs
    label: str  # the summary table and the progress bars
    collection: str  # Xero's endpoint below the API root, and the key of its answer
    feature: str  # the `status` feature it is part of (that feature needs its scope)
    loader: LoaderName
    aliases: tuple[str, ...] = ()  # other names --only takes
    paged: bool = False
    # Read whole at every reload, dropping what Xero no longer returns; otherwise only what
    # changed since the last reload is read (If-Modified-Since from the data set's cursor).
    whole: bool = False
    dated: bool = False  # documents dated in the --months window, counted in the statistics
    table: Table | None = None  # the reference table loader "table" replaces whole
    # Commands besides reload that work from what it imported (`status` names them when the
    # scope to import it is missing).
    used_by: tuple[str, ...] = ()

    @property
    def incremental(self) -> bool:
        return not self.whole

    @property
    def scope(self) -> str:
        """The granular scope reading it needs (`accounting.settings.read`, ...)."""
        from uku_xero_cli.xero.scopes import read_scope

        return read_scope(self.collection)

    def stored(self, store: Store) -> list[dict[str, Any]]:
        """A reference table's rows as records, in the table's order."""
        assert self.table is not None, f"{self.name} has no reference table"
        rows = store.table_rows(self.table.name, self.table.column_names, self.table.order_by)
        return [self.table.record(row) for row in rows]


_RELOAD_CLIENTS = "reload clients"
_RELOAD_SETTINGS = "reload products and taxes"
_STATS = "stats"

REGISTRY: tuple[DataSet, ...] = (
    DataSet(
        "contacts",
        "clients (contacts)",
        "Contacts",
        _RELOAD_CLIENTS,
        "contacts",
        aliases=("clients",),
        paged=True,
        used_by=("clients", "push-invoice"),
    ),
    # Xero deletes items outright (DELETE /Items/{ItemID}): an If-Modified-Since read never
    # sees one go, and unpaged, a whole read costs the same one request.
    DataSet(
        "items",
        "products (items)",
        "Items",
        _RELOAD_SETTINGS,
        "items",
        aliases=("products",),
        whole=True,
        used_by=("push-invoice",),
    ),
    # Xero takes no If-Modified-Since on tax rates and currencies.
    DataSet(
        "tax_rates",
        "tax rates",
        "TaxRates",
        _RELOAD_SETTINGS,
        "tax_rates",
        whole=True,
        used_by=("push-invoice",),
    ),
    DataSet(
        "currencies",
        "currencies",
        "Currencies",
        _RELOAD_SETTINGS,
        "table",
        whole=True,
        used_by=("push-invoice",),
        table=Table(
            "currencies",
            (Column("code", "Code", "code"), Column("description", "Description", "description")),
            order_by="code",
        ),
    ),
    # Xero's chart of accounts: unpaged, and Xero deletes an account nothing uses outright
    # (DELETE /Accounts/{AccountID}), so it is read whole like items. push-invoice checks
    # each line's account_code against it.
    DataSet(
        "accounts",
        "chart of accounts",
        "Accounts",
        _RELOAD_SETTINGS,
        "table",
        aliases=("chart_of_accounts",),
        whole=True,
        used_by=("accounts", "push-invoice"),
        table=Table(
            "accounts",
            (
                Column("account_id", "AccountID"),
                Column("code", "Code", "code"),
                Column("name", "Name", "name", wrap=True),
                Column("type", "Type", "type"),
                Column("tax_type", "TaxType", "tax type"),
                Column("status", "Status", "status"),
                Column("class", "Class"),
                Column("enable_payments_to_account", "EnablePaymentsToAccount", kind="flag"),
                Column("updated_utc", "UpdatedDateUTC", kind="time"),
            ),
            order_by="code",
        ),
    ),
    DataSet(
        "invoices",
        "invoices",
        "Invoices",
        "reload invoices",
        "invoices",
        paged=True,
        dated=True,
        used_by=("stats",),
    ),
    DataSet(
        "credit_notes",
        "credit notes",
        "CreditNotes",
        _STATS,
        "dated",
        paged=True,
        dated=True,
        used_by=("stats",),
    ),
    DataSet(
        "bank_transactions",
        "bank transactions",
        "BankTransactions",
        _STATS,
        "dated",
        paged=True,
        dated=True,
        used_by=("stats",),
    ),
    DataSet(
        "manual_journals",
        "manual journals",
        "ManualJournals",
        _STATS,
        "dated",
        paged=True,
        dated=True,
        used_by=("stats",),
    ),
)
NAMES: tuple[str, ...] = tuple(d.name for d in REGISTRY)
BY_NAME: Mapping[str, DataSet] = {d.name: d for d in REGISTRY}
ACCOUNTS = BY_NAME["accounts"]
DATED: tuple[str, ...] = tuple(d.name for d in REGISTRY if d.dated)
LABELS: Mapping[str, str] = {d.name: d.label for d in REGISTRY}
ONLY_HELP = f"Comma-separated data sets: {', '.join(NAMES)}."


def _key(name: str) -> str:
    return name.strip().lower().replace("-", "").replace("_", "")


_BY_KEY = {_key(alias): d.name for d in REGISTRY for alias in (d.name, *d.aliases)}


def parse_only(text: str | None) -> tuple[str, ...] | None:
    """`--only contacts,products` → the data sets in reload order; unknown names are refused.

    Names and aliases match whatever their case, `-` or `_` (`tax-rates`, `TaxRates`)."""
    if text is None:
        return None
    from uku_xero_cli.errors import UsageError

    names = set()
    for raw in text.split(","):
        if not raw.strip():
            continue
        name = _BY_KEY.get(_key(raw))
        if name is None:
            raise UsageError(
                f"--only: unknown data set {raw.strip()!r}; choose from {', '.join(NAMES)}"
            )
        names.add(name)
    if not names:
        raise UsageError(f"--only: name at least one of {', '.join(NAMES)}")
    return tuple(n for n in NAMES if n in names)


def _joined(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def features() -> list[Feature]:
    """The `status` features reload's data sets make up, each needing their read scopes and
    blocking the reload of those data sets and the commands that use them."""
    from uku_xero_cli.xero.scopes import Feature

    groups: dict[str, list[DataSet]] = {}
    for data_set in REGISTRY:
        groups.setdefault(data_set.feature, []).append(data_set)
    return [
        Feature(
            name,
            tuple(dict.fromkeys(d.scope for d in sets)),
            "import " + _joined([d.label for d in sets]),
            (
                f"reload --only {','.join(d.name for d in sets)}",
                *dict.fromkeys(command for d in sets for command in d.used_by),
            ),
        )
        for name, sets in groups.items()
    ]
