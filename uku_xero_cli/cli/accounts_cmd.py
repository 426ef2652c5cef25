"""`uku-xero accounts`: Xero's chart of accounts as the last reload imported it."""

from __future__ import annotations

from uku_xero_cli.cli.context import command_context
from uku_xero_cli.cli.options import Company, Json, Verbose


def accounts(company: Company = None, json_output: Json = False, verbose: Verbose = False) -> None:
    """Xero's chart of accounts as imported: code, name, type, tax type and status.

    push-invoice accepts only the ACTIVE account codes listed here.

    Example:  uku-xero accounts -c acme --json
    """
    ctx = command_context(company, json_mode=json_output, verbose=verbose)
    out = ctx.out
    with out.guard():
        from uku_xero_cli.cli.read_store import open_existing_store
        from uku_xero_cli.sync.datasets import ACCOUNTS

        records, as_of = [], None
        found = open_existing_store(ctx.settings, ctx.company)
        if found is not None:
            with found as store:
                records = ACCOUNTS.stored(store)
                last = store.last_runs(outcome="ok").get(ACCOUNTS.name)
                as_of = last.finished_at if last else None
    if out.json_mode:
        out.json({"company": ctx.company, "as_of": as_of, "accounts": records})
        return
    from uku_xero_cli.cli.render.format import record_table

    assert ACCOUNTS.table is not None
    title = f"Chart of accounts of '{ctx.company}' ({len(records)})"
    out.print(record_table(title, ACCOUNTS.table, records))
    if as_of is None:
        out.info(f"No accounts yet: run `uku-xero reload -c {ctx.company} --only accounts`.")
