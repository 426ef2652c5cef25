"""One company's working session with Xero, as reload, push-invoice and check-paid run it.

The company's tokens must show a connection; then its lock (if the job has one) is taken,
the store of the organisation the tokens reach opened (each organisation has its own: when
the company worked with another one before, `warn` is told at once that this one's data is
current now and the other's kept), and a Xero client opened. This is the one place a job's
store is chosen, so reload, push-invoice and check-paid always see the records of the
organisation the company is connected to. Everything opened here is closed when the session
ends, whatever happens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from uku_xero_cli.settings import Settings
    from uku_xero_cli.store import Store
    from uku_xero_cli.store.organisation import OrganisationSwitch
    from uku_xero_cli.tokens import CompanyTokens
    from uku_xero_cli.xero.client import XeroClient
    from uku_xero_cli.xero.pacing import Pacer
    from uku_xero_cli.xero.retry import RetryPolicy


@dataclass(frozen=True)
class CompanySession:
    """What a job runs with: the connection on file, the bound store and a Xero client."""

    tokens: CompanyTokens
    store: Store
    client: XeroClient
    # Set when the company worked with another organisation at its previous job.
    organisation_changed: OrganisationSwitch | None

    @property
    def tenant_id(self) -> str:
        assert self.tokens.tenant_id is not None  # a connected record has one
        return self.tokens.tenant_id


@contextmanager
def company_session(
    settings: Settings,
    company: str,
    *,
    lock: AbstractContextManager[None] | None = None,
    store: Store | None = None,
    client: XeroClient | None = None,
    transport: httpx.BaseTransport | None = None,
    pacer: Pacer | None = None,
    retry: RetryPolicy | None = None,
    warn: Callable[[str], None] | None = None,
) -> Iterator[CompanySession]:
    """Run a job for `company` inside `with company_session(...) as session:`.

    `store` and `client`, when given, are used as they are and left open (the store must be
    the organisation's: StoreError if it holds another's). Raises
    NotConnected or ReauthorizationRequired before anything is written, LockHeld when `lock`
    is held elsewhere.
    """
    from uku_xero_cli.store.opening import open_organisation_store
    from uku_xero_cli.tokens import TokenStore
    from uku_xero_cli.xero.client import XeroClient

    tokens = TokenStore(settings)
    # Before the lock and the store: a company never connected gets neither file.
    record = tokens.load_connected(company)
    with ExitStack() as stack:
        if lock is not None:
            stack.enter_context(lock)
            # Read again under the lock: a run queued behind another may have waited while
            # `orgs --use` moved the company to another organisation.
            record = tokens.load_connected(company)
        assert record.tenant_id is not None
        change = None
        if store is None:
            opened, change = open_organisation_store(
                settings, company, record.tenant_id, record.tenant_name
            )
            store = stack.enter_context(opened)
        else:
            store.claim_organisation(record.tenant_id, record.tenant_name)
        if change is not None and warn is not None:
            warn(change.message())
        if client is None:
            client = stack.enter_context(
                XeroClient(
                    settings, company, store=tokens, transport=transport, pacer=pacer, retry=retry
                )
            )
        yield CompanySession(record, store, client, change)
