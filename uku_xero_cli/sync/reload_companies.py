"""Running reloads for one company or for every connected company.

A company's reload runs in a company session (`session.company_session`) under the
company's reload lock. A failure is kept in the company's `ReloadResult` instead of raised,
so `--all` carries on with the others and reports each company's outcome; Ctrl-C still
stops everything.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from typing import TYPE_CHECKING

from uku_xero_cli.errors import NotConnected, UkuXeroError
from uku_xero_cli.locks import reload_lock
from uku_xero_cli.sync.reload import Progress, ReloadJob, ReloadOptions, ReloadResult

if TYPE_CHECKING:
    import httpx

    from uku_xero_cli.settings import Settings
    from uku_xero_cli.xero.pacing import Pacer
    from uku_xero_cli.xero.retry import RetryPolicy

MAX_PARALLEL = 16


def reload_company(
    settings: Settings,
    company: str,
    options: ReloadOptions,
    *,
    wait: bool = False,
    progress: Progress | None = None,
    transport: httpx.BaseTransport | None = None,
    pacer: Pacer | None = None,
    retry: RetryPolicy | None = None,
) -> ReloadResult:
    """Reload one company; its failure (if any) is in `result.error`."""
    from uku_xero_cli.sync.session import company_session

    try:
        with company_session(
            settings,
            company,
            lock=reload_lock(settings, company, wait=wait),
            transport=transport,
            pacer=pacer,
            retry=retry,
        ) as session:
            job = ReloadJob(
                session.client, session.store, options, company=company, progress=progress
            )
            result = job.run()
            result.organisation_changed = session.organisation_changed
            return result
    except Exception as exc:  # one company's failure must not stop `--all`
        return ReloadResult(company, months=options.window_months(), error=exc)


def connected_companies(settings: Settings) -> list[str]:
    """Companies with a Xero connection on file (needing re-authorization included: their
    reload fails and says so, rather than being silently left out)."""
    from uku_xero_cli.tokens import TokenStore

    store = TokenStore(settings)
    found = []
    for company in store.companies():
        try:
            record = store.load(company)
        except UkuXeroError:
            found.append(company)  # a damaged token file: let its reload report it
            continue
        if record is not None and record.connected:
            found.append(company)
    return found


def reload_all(
    settings: Settings,
    options: ReloadOptions,
    *,
    parallel: int = 1,
    wait: bool = False,
    progress_for: Callable[[str], Progress | None] | None = None,
    transport: httpx.BaseTransport | None = None,
    retry: RetryPolicy | None = None,
) -> list[ReloadResult]:
    """Reload every connected company, `parallel` at a time, in name order.

    All clients share the process-wide pacer, so overlapping companies stay under Xero's
    app-wide minute limit together.
    """
    companies = connected_companies(settings)
    if not companies:
        raise NotConnected(
            "no company is connected to Xero", hint="connect one with `uku-xero auth -c NAME`"
        )
    if not 1 <= parallel <= MAX_PARALLEL:
        from uku_xero_cli.errors import UsageError

        raise UsageError(f"--parallel {parallel}: choose 1-{MAX_PARALLEL}")

    def one(company: str) -> ReloadResult:
        progress = progress_for(company) if progress_for else None
        return reload_company(
            settings,
            company,
            options,
            wait=wait,
            progress=progress,
            transport=transport,
            retry=retry,
        )

    if parallel == 1:
        return [one(company) for company in companies]
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="reload") as pool:
        # Each company runs in a copy of this context: the command's trace goes along.
        running = [pool.submit(copy_context().run, one, company) for company in companies]
        return [each.result() for each in running]
