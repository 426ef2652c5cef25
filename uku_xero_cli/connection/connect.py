"""Connecting a company to a Xero organisation: the sign-in (`auth`) and choosing the organisation
(`orgs`). The CLI supplies the person-facing parts (browser, prompt, messages) as callables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from uku_xero_cli.errors import AuthorizationFailed, ReauthorizationRequired, UsageError
from uku_xero_cli.settings import Settings
from uku_xero_cli.tokens import CompanyTokens, TokenStore, utcnow

if TYPE_CHECKING:
    import httpx

    from uku_xero_cli.oauth.flow import AuthorizationRequest
    from uku_xero_cli.xero.client import XeroClient, XeroConnection

Chooser = Callable[[list["XeroConnection"]], "XeroConnection"]
Notify = Callable[[str], None]

WAITING_FOR_BROWSER = "Waiting for the browser"


@dataclass(frozen=True)
class Browser:
    """What takes the user to Xero's sign-in page, and how `auth` says so: `opening` comes
    before the URL, `waiting` before the redirect hint. The words are the browser's own so that
    a stand-in (the demo's) says what it really does."""

    open: Callable[[str], object]
    opening: str = "Opening the browser to sign in to Xero. If it does not open, visit:"
    waiting: str = WAITING_FOR_BROWSER


# Only organisations have an accounting API; Xero lists practice tenants too.
USABLE_TENANT_TYPES = {"ORGANISATION", ""}


@dataclass
class AuthOutcome:
    """What `auth` connected."""

    company: str
    tenant_id: str
    tenant_name: str
    connection_id: str
    scopes: list[str]
    user_name: str | None
    user_email: str | None
    reconnected: bool
    expires_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "company": self.company,
            "state": "connected",
            "organisation": {
                "tenant_id": self.tenant_id,
                "name": self.tenant_name,
                "connection_id": self.connection_id,
            },
            "user": {"name": self.user_name, "email": self.user_email},
            "scopes": self.scopes,
            "access_token_expires_at": self.expires_at,
            "reconnected": self.reconnected,
        }


@dataclass
class OrgsReport:
    """The organisations a company's token reaches, and which one it uses."""

    company: str
    current_tenant_id: str | None
    organisations: list[XeroConnection] = field(default_factory=list)
    changed: bool = False

    @property
    def current(self) -> XeroConnection | None:
        return next((o for o in self.organisations if o.tenant_id == self.current_tenant_id), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "company": self.company,
            "current_tenant_id": self.current_tenant_id,
            "changed": self.changed,
            "organisations": [
                {**org.to_json(), "current": org.tenant_id == self.current_tenant_id}
                for org in self.organisations
            ],
        }


def usable(connections: list[XeroConnection]) -> list[XeroConnection]:
    return [c for c in connections if c.tenant_type.upper() in USABLE_TENANT_TYPES]


def describe(orgs: list[XeroConnection]) -> str:
    return "\n".join(f"  {org.tenant_name}  ({org.tenant_id})" for org in orgs)


def pick_organisation(
    orgs: list[XeroConnection], wanted: str | None, choose: Chooser | None
) -> XeroConnection:
    """`wanted` (tenant id or name), the only one, or the chooser's pick; else UsageError."""
    if wanted is not None:
        key = wanted.strip().casefold()
        for org in orgs:
            if key in (org.tenant_id.casefold(), org.tenant_name.casefold()):
                return org
        raise UsageError(
            f"no organisation {wanted!r} among those this Xero login reaches",
            hint=f"choose one of (name or tenant id):\n{describe(orgs)}",
        )
    if len(orgs) == 1:
        return orgs[0]
    if choose is None:
        raise UsageError(
            f"this Xero login reaches {len(orgs)} organisations; say which with "
            "--tenant ID-or-name",
            hint=f"organisations:\n{describe(orgs)}",
        )
    return choose(orgs)


def _no_organisation(company: str) -> AuthorizationFailed:
    return AuthorizationFailed(
        "this Xero login has no organisation it may connect: nothing was stored",
        hint="check in Xero that the login has access to the organisation (with the standard "
        f"or adviser role), then run `uku-xero auth -c {company}` again",
    )


def authorize(
    settings: Settings,
    company: str,
    *,
    port: int | None = None,
    timeout: float = 300.0,
    scopes: str | None = None,
    browser: Browser | None = None,
    paste: TextIO | None = None,
    tenant: str | None = None,
    choose: Chooser | None = None,
    notify: Notify | None = None,
    store: TokenStore | None = None,
    transport: httpx.BaseTransport | None = None,
) -> AuthOutcome:
    """Sign in at Xero in the browser, pick the organisation and store the connection.

    With `browser` None the URL is only announced (`--no-browser`); `paste` is a stream
    on which the final redirect URL may be pasted instead of reaching the loopback server.
    """
    from uku_xero_cli.oauth.flow import IdentityClient, code_from_redirect
    from uku_xero_cli.oauth.loopback import LoopbackServer, unregistered_hint
    from uku_xero_cli.xero.client import XeroClient

    say = notify or (lambda message: None)
    store = store or TokenStore(settings)
    identity = IdentityClient(settings, transport=transport)
    pending: list[AuthorizationRequest] = []

    def validate(url: str) -> str:
        return code_from_redirect(pending[0], url)

    with LoopbackServer(
        settings.redirect_port if port is None else port, validate, on_ignored=say
    ) as server:
        request = identity.authorization_request(server.redirect_uri, scopes)
        pending.append(request)
        if browser is None:
            say(f"Open this address in a browser and sign in to Xero:\n\n{request.url}\n")
            if paste is not None:
                say(
                    "Waiting for the redirect. If the browser runs on another machine, paste "
                    f"the address it ends on (starting with {server.redirect_uri}) here."
                )
        else:
            say(f"{browser.opening}\n\n{request.url}\n")
        # Said before the browser opens: a refused redirect URI never comes back to us.
        waiting = WAITING_FOR_BROWSER if browser is None else browser.waiting
        say(f"{waiting}; {unregistered_hint(server.port)}.")
        if browser is not None:
            browser.open(request.url)
        code = server.wait(timeout, paste=paste, on_bad_paste=say)
    answer = identity.exchange_code(request, code)
    if not answer.refresh_token:
        raise AuthorizationFailed(
            "Xero sent no refresh token because the scopes lack offline_access (without it "
            "the connection would end after 30 minutes): nothing was stored",
            hint="include offline_access in --scopes (or `scopes` in config.toml, "
            f"UKU_XERO_SCOPES) and run `uku-xero auth -c {company}` again",
        )
    with XeroClient(
        settings, company, store=store, transport=transport, access_token=answer.access_token
    ) as client:
        orgs = usable(client.connections())
    if not orgs:
        raise _no_organisation(company)
    chosen = pick_organisation(orgs, tenant, choose)
    with store.lock(company):
        try:
            previous = store.load(company)
        except ReauthorizationRequired:
            previous = None  # a damaged token file is exactly what a new sign-in replaces
        now = utcnow()
        store.save(
            CompanyTokens(
                company=company,
                tenant_id=chosen.tenant_id,
                tenant_name=chosen.tenant_name,
                tenant_type=chosen.tenant_type or None,
                connection_id=chosen.id,
                auth_event_id=chosen.auth_event_id,
                access_token=answer.access_token,
                refresh_token=answer.refresh_token,
                expires_at=answer.expires_at,
                scopes=list(answer.scopes),
                user_id=answer.user_id,
                user_name=answer.user_name,
                user_email=answer.user_email,
                connected_at=now,
            )
        )
    return AuthOutcome(
        company=company,
        tenant_id=chosen.tenant_id,
        tenant_name=chosen.tenant_name,
        connection_id=chosen.id,
        scopes=list(answer.scopes),
        user_name=answer.user_name,
        user_email=answer.user_email,
        reconnected=previous is not None and previous.connected,
        expires_at=answer.expires_at,
    )


def organisations(
    settings: Settings,
    company: str,
    *,
    use: str | None = None,
    choose: Chooser | None = None,
    store: TokenStore | None = None,
    transport: httpx.BaseTransport | None = None,
) -> OrgsReport:
    """The organisations the company's token reaches; with `use` or `choose`, switch to one.

    Also for a company marked because its organisation's connection is gone: its tokens still
    list the others, and switching to one clears the mark.
    """
    store = store or TokenStore(settings)
    with _orgs_client(settings, company, store, transport) as client:
        orgs = usable(client.connections())
    record = store.load_connected(company, tenant_gone_ok=True)
    report = OrgsReport(company, record.tenant_id, orgs)
    if use is None and choose is None:
        return report
    if not orgs:
        raise _no_organisation(company)
    chosen = pick_organisation(orgs, use, choose)
    with store.lock(company):
        # Re-read under the lock: a refresh in another process may have rotated the tokens.
        record = store.load_connected(company, tenant_gone_ok=True)
        store.save(
            record.with_tenant(
                chosen.tenant_id, chosen.tenant_name, chosen.tenant_type or None, chosen.id
            )
        )
    report.changed = chosen.tenant_id != report.current_tenant_id
    report.current_tenant_id = chosen.tenant_id
    return report


def _orgs_client(
    settings: Settings,
    company: str,
    store: TokenStore,
    transport: httpx.BaseTransport | None,
) -> XeroClient:
    from uku_xero_cli.oauth.flow import IdentityClient
    from uku_xero_cli.oauth.refresh import fresh_tokens
    from uku_xero_cli.xero.client import XeroClient

    record = store.load_connected(company, tenant_gone_ok=True)
    if not record.tenant_gone:
        return XeroClient(settings, company, store=store, transport=transport)
    # The client's own token handling refuses a marked company, so it gets the token as is;
    # a refusal of it then tells nothing new about the organisation that is gone.
    record = fresh_tokens(
        store,
        company,
        identity=lambda: IdentityClient(settings, transport=transport),
        tenant_gone_ok=True,
    )
    return XeroClient(
        settings, company, store=store, transport=transport, access_token=record.access_token
    )
