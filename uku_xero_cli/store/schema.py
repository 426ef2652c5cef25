"""The store's schema: ordered migrations and the code that applies them.

`MIGRATIONS[i]` takes a store from version i to version i + 1; `schema_version` records each
version applied and when. A migration runs inside one transaction with the version row, so a
store is always at exactly one version. Never edit a released migration: append a new one.
Money columns are TEXT holding a Decimal's digits; timestamps are ISO 8601 UTC text; calendar
dates are `YYYY-MM-DD`. (A future migration that rebuilds a table must switch foreign keys
off first, which SQLite only allows outside a transaction.)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from uku_xero_cli.errors import StoreError

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Sequence

_V1_CORE = """
CREATE TABLE xero_contacts (
    contact_id     TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    email          TEXT,
    company_number TEXT,
    tax_number     TEXT,
    status         TEXT NOT NULL,
    updated_utc    TEXT
);

CREATE TABLE clients (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    email               TEXT,
    registration_number TEXT,
    vat_number          TEXT,
    extra               TEXT NOT NULL DEFAULT '{}',
    origin              TEXT NOT NULL CHECK (origin IN ('uku', 'xero')),
    archived            INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    xero_contact_id     TEXT UNIQUE REFERENCES xero_contacts (contact_id) ON DELETE SET NULL,
    match_method        TEXT,
    matched_at          TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);

CREATE TABLE products (
    item_id            TEXT PRIMARY KEY,
    code               TEXT NOT NULL,
    name               TEXT,
    description        TEXT,
    sales_unit_price   TEXT,
    sales_account_code TEXT,
    sales_tax_type     TEXT,
    is_sold            INTEGER,
    updated_utc        TEXT
);
CREATE INDEX products_code ON products (code);

CREATE TABLE tax_rates (
    tax_type                TEXT PRIMARY KEY,
    name                    TEXT NOT NULL,
    status                  TEXT NOT NULL,
    effective_rate          TEXT,
    report_tax_type         TEXT,
    can_apply_to_assets     INTEGER,
    can_apply_to_equity     INTEGER,
    can_apply_to_expenses   INTEGER,
    can_apply_to_liabilities INTEGER,
    can_apply_to_revenue    INTEGER
);

CREATE TABLE currencies (
    code        TEXT PRIMARY KEY,
    description TEXT
);

CREATE TABLE invoices (
    id                INTEGER PRIMARY KEY,
    invoice_id        TEXT UNIQUE,
    invoice_number    TEXT,
    type              TEXT,
    contact_id        TEXT,
    date              TEXT,
    due_date          TEXT,
    status            TEXT,
    currency_code     TEXT,
    line_amount_types TEXT,
    reference         TEXT,
    sub_total         TEXT,
    total_tax         TEXT,
    total             TEXT,
    amount_due        TEXT,
    amount_paid       TEXT,
    amount_credited   TEXT,
    fully_paid_on     TEXT,
    updated_utc       TEXT
);
CREATE INDEX invoices_status ON invoices (type, status);
CREATE INDEX invoices_date ON invoices (date);

CREATE TABLE payments (
    payment_id TEXT PRIMARY KEY,
    invoice_id TEXT NOT NULL REFERENCES invoices (invoice_id) ON DELETE CASCADE,
    date       TEXT,
    amount     TEXT NOT NULL,
    status     TEXT,
    reference  TEXT
);
CREATE INDEX payments_invoice ON payments (invoice_id);

CREATE TABLE sync_cursors (
    data_set   TEXT PRIMARY KEY,
    cursor     TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE sync_runs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    data_set         TEXT NOT NULL,
    started_at       TEXT NOT NULL,
    finished_at      TEXT,
    fetched          INTEGER NOT NULL DEFAULT 0,
    new              INTEGER NOT NULL DEFAULT 0,
    updated          INTEGER NOT NULL DEFAULT 0,
    unchanged        INTEGER NOT NULL DEFAULT 0,
    skipped_archived INTEGER NOT NULL DEFAULT 0,
    requests         INTEGER NOT NULL DEFAULT 0,
    outcome          TEXT NOT NULL DEFAULT 'running',
    error            TEXT
);
CREATE INDEX sync_runs_data_set ON sync_runs (data_set, id);

CREATE TABLE work_stats (
    month  TEXT NOT NULL CHECK (month GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]'),
    metric TEXT NOT NULL,
    count  INTEGER NOT NULL,
    total  TEXT,
    PRIMARY KEY (month, metric)
);
"""

# Issue 5 (push-invoice): what the store needs to never send an invoice twice.
_V2_PUSHED_INVOICES = """
ALTER TABLE invoices ADD COLUMN uku_number TEXT;
ALTER TABLE invoices ADD COLUMN content_hash TEXT;
ALTER TABLE invoices ADD COLUMN idempotency_key TEXT;
ALTER TABLE invoices ADD COLUMN push_state TEXT;
ALTER TABLE invoices ADD COLUMN pushed_at TEXT;
CREATE UNIQUE INDEX invoices_uku_number ON invoices (uku_number);
"""

# Issue 4 (reload): the documents behind the work statistics, so an incremental reload can
# move a changed document between months (store/work_documents.py).
_V3_WORK_DOCUMENTS = """
CREATE TABLE work_documents (
    document_id TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    month       TEXT NOT NULL,
    metric      TEXT,
    total       TEXT
);
CREATE INDEX work_documents_kind_month ON work_documents (kind, month);
"""

# Incremental matching (sync/match_store.py). `match_queue`: the contacts the next match
# must look at (added or changed, or a link taken from them). `match_state.every_contact` = 1:
# the next match looks at every contact, because a client nobody is linked to was added,
# changed or freed, which may give any contact a candidate (the queue is then not kept: it
# would only repeat all of them). Triggers keep both, so every writer of contacts or clients
# (reload, clients import, push-invoice, later ones) is covered without remembering to. It
# starts at 1: the first match after this migration looks at every contact, as all did before.
_V4_MATCH_STATE = """
CREATE TABLE match_queue (
    contact_id TEXT PRIMARY KEY
) WITHOUT ROWID;

CREATE TABLE match_state (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO match_state (name, value) VALUES ('every_contact', 1);

CREATE TRIGGER match_contact_added AFTER INSERT ON xero_contacts
WHEN (SELECT value FROM match_state WHERE name = 'every_contact') = 0
BEGIN
    INSERT OR IGNORE INTO match_queue (contact_id) VALUES (NEW.contact_id);
END;

CREATE TRIGGER match_contact_changed
AFTER UPDATE OF name, email, company_number, tax_number, status ON xero_contacts
WHEN (SELECT value FROM match_state WHERE name = 'every_contact') = 0 AND (
    OLD.name IS NOT NEW.name OR OLD.email IS NOT NEW.email
    OR OLD.company_number IS NOT NEW.company_number OR OLD.tax_number IS NOT NEW.tax_number
    OR OLD.status IS NOT NEW.status)
BEGIN
    INSERT OR IGNORE INTO match_queue (contact_id) VALUES (NEW.contact_id);
END;

CREATE TRIGGER match_client_added AFTER INSERT ON clients
WHEN NEW.xero_contact_id IS NULL
BEGIN
    UPDATE match_state SET value = 1 WHERE name = 'every_contact';
END;

CREATE TRIGGER match_client_changed
AFTER UPDATE OF name, email, registration_number, vat_number, origin, xero_contact_id ON clients
WHEN NEW.xero_contact_id IS NULL AND (
    OLD.xero_contact_id IS NOT NULL OR OLD.name IS NOT NEW.name OR OLD.email IS NOT NEW.email
    OR OLD.registration_number IS NOT NEW.registration_number
    OR OLD.vat_number IS NOT NEW.vat_number OR OLD.origin IS NOT NEW.origin)
BEGIN
    UPDATE match_state SET value = 1 WHERE name = 'every_contact';
END;

CREATE TRIGGER match_client_unlinked AFTER UPDATE OF xero_contact_id ON clients
WHEN (SELECT value FROM match_state WHERE name = 'every_contact') = 0
    AND OLD.xero_contact_id IS NOT NULL AND OLD.xero_contact_id IS NOT NEW.xero_contact_id
BEGIN
    INSERT OR IGNORE INTO match_queue (contact_id) VALUES (OLD.xero_contact_id);
END;

CREATE TRIGGER match_client_deleted AFTER DELETE ON clients
WHEN (SELECT value FROM match_state WHERE name = 'every_contact') = 0
    AND OLD.xero_contact_id IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO match_queue (contact_id) VALUES (OLD.xero_contact_id);
END;
"""

# A store holds one Xero organisation's data (store/organisation.py): `tenant_id` and
# `tenant_name` are recorded at its first use, so it is never used for another one. A store
# older than this has no tenant recorded: store/legacy.py gives it the company's organisation.
# The company's own store keeps the organisation it works with under `current_tenant_*`.
_V5_STORE_META = """
CREATE TABLE store_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

# Issue 12: Xero's chart of accounts (the "accounts" data set of sync/datasets.py, whose
# columns these are), read whole at every reload; push-invoice checks account codes with it.
_V6_ACCOUNTS = """
CREATE TABLE accounts (
    account_id                 TEXT PRIMARY KEY,
    code                       TEXT,
    name                       TEXT,
    type                       TEXT,
    tax_type                   TEXT,
    status                     TEXT,
    class                      TEXT,
    enable_payments_to_account INTEGER,
    updated_utc                TEXT
);
CREATE INDEX accounts_code ON accounts (code);
"""

MIGRATIONS: tuple[str, ...] = (
    _V1_CORE,
    _V2_PUSHED_INVOICES,
    _V3_WORK_DOCUMENTS,
    _V4_MATCH_STATE,
    _V5_STORE_META,
    _V6_ACCOUNTS,
)
LATEST_VERSION = len(MIGRATIONS)


def split_statements(script: str) -> list[str]:
    """Split a script into statements (executescript would commit the open transaction)."""
    import sqlite3

    statements: list[str] = []
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n\t;"):
                statements.append(pending.strip())
            pending = ""
    if pending.strip(" \n\t;"):
        raise ValueError(f"unterminated SQL statement: {pending.strip()[:60]!r}")
    return statements


def current_version(conn: sqlite3.Connection) -> int:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if not exists:
        return 0
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection, migrations: Sequence[str] = MIGRATIONS) -> int:
    """Bring the store up to `len(migrations)`; returns the version it is at afterwards.

    `conn` must be in autocommit mode (isolation_level=None): this function owns the
    transaction, and a failed migration leaves the store at the version it had.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        version = current_version(conn)
        if version > len(migrations):
            raise StoreError(
                f"the store is at schema version {version}, newer than this uku-xero "
                f"understands ({len(migrations)})",
                hint="upgrade uku-xero to use this store",
            )
        applied_at = datetime.now(UTC).isoformat(timespec="seconds")
        for number in range(version + 1, len(migrations) + 1):
            for statement in split_statements(migrations[number - 1]):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                (number, applied_at),
            )
            version = number
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return version
