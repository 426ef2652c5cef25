"""Connecting a company to a Xero organisation: the sign-in (`auth`) and choosing the organisation
(`orgs`). The CLI supplies the person-facing parts (browser, prompt, messages) as callables.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from uku_xero_cli.command_lines import auth_again, command_line
from uku_xero_cli.errors import (
    AuthorizationFailed,
    AuthorizationTimeout,
    ReauthorizationRequired,
    UkuXeroError,
    UsageError,
)
from uku_xero_cli.settings import Settings
from uku_xero_cli.tokens import CompanyTokens, TokenStore, utcnow

if TYPE_CHECKING:
    import httpx

    from uku_xero_cli.connection.sign_in_help import SignInHelp
    from uku_xero_cli.oauth.flow import AuthorizationRequest, IdentityClient
    from uku_xero_cli.oauth.loopback import LoopbackServer
    from uku_xero_cli.xero.client import XeroClient, XeroConnection

Chooser = Callable[[list["XeroConnection"]], "XeroConnection"]
Notify = Callable[[str], None]

WAITING_FOR_BROWSER = "Waiting for the browser"
WAITING_FOR_REDIRECT = "Waiting for the sign-in redirect"
CHOOSE_IN_TERMINAL = (
    "Choose the organisation in the terminal, where uku-xero lists them; this page then "
    "shows the outcome."
)


class CannotAsk(Exception):
    """Raised by a chooser that may not ask (no terminal, --no-input): `why` says so. The
    choice then fails as a usage error listing the organisations with the command that picks
    each."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


class BrowserUnavailable(Exception):
    """No browser could be opened; `reason` says why, in words for the person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Browser:
    """What takes the user to Xero's sign-in page, and how `auth` says so: `opening` comes
    before the URL, `waiting` before the redirect hint. The words are the browser's own so that
    a stand-in (the demo's) says what it really does.

    `open(url)` returns False or raises BrowserUnavailable when no browser could be opened;
    the sign-in then goes on without one. It runs beside the wait, not before it: a browser
    (or stand-in) that follows the redirect to the loopback server gets its answer only once
    the sign-in's outcome is known. A typed error it raises (a stand-in's verdict) ends the
    sign-in with that error."""

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

    @property
    def summary(self) -> str:
        """The one line that says what happened: the terminal's first line and the browser's."""
        verb = "Reconnected" if self.reconnected else "Connected"
        return f"{verb} company '{self.company}' to {self.tenant_name}."

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
    """The organisations a company may use, by name: Xero's order of /connections follows
    when each was connected, so the same list would come back in another order after a
    reconnection, and a number chosen from it would mean another organisation."""
    found = [c for c in connections if c.tenant_type.upper() in USABLE_TENANT_TYPES]
    return sorted(found, key=lambda org: (org.tenant_name.casefold(), org.tenant_id))


def describe(orgs: list[XeroConnection], choose_with: Callable[[XeroConnection], str]) -> str:
    """One line per organisation: its name and tenant id, and the command that chooses it."""
    width = max(len(org.tenant_name) for org in orgs)
    return "\n".join(
        f"  {org.tenant_name:<{width}}  ({org.tenant_id})  {choose_with(org)}" for org in orgs
    )


def pick_organisation(
    orgs: list[XeroConnection],
    wanted: str | None,
    choose: Chooser | None,
    choose_with: Callable[[XeroConnection], str],
) -> XeroConnection:
    """`wanted` (tenant id or name), the only one, or the chooser's pick; else UsageError
    listing each organisation with `choose_with(org)`, the command that picks it."""
    if wanted is not None:
        key = wanted.strip().casefold()
        for org in orgs:
            if key in (org.tenant_id.casefold(), org.tenant_name.casefold()):
                return org
        raise UsageError(
            f"no organisation {wanted!r} among those this Xero login reaches",
            hint=f"choose one of them:\n{describe(orgs, choose_with)}",
        )
    if len(orgs) == 1:
        return orgs[0]
    try:
        if choose is None:
            raise CannotAsk(
                f"this Xero login reaches {len(orgs)} organisations and none was chosen"
            )
        return choose(orgs)
    except CannotAsk as exc:
        raise UsageError(
            exc.why, hint=f"choose one of them:\n{describe(orgs, choose_with)}"
        ) from None


def _no_organisation(company: str) -> AuthorizationFailed:
    return AuthorizationFailed(
        "this Xero login has no organisation it may connect: nothing was stored",
        hint="check in Xero that the login has access to the organisation (with the standard "
        f"or adviser role), then run `{auth_again(company)}` again",
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

    With `browser` None the URL is only announced (`--no-browser`). `paste` is a stream on
    which the final redirect URL may be pasted, in either mode, while the loopback server
    listens too. The browser is answered with the outcome once it is known, in the words the
    terminal gets.
    """
    from uku_xero_cli.connection.sign_in_help import SignInHelp
    from uku_xero_cli.oauth import pages
    from uku_xero_cli.oauth.flow import IdentityClient, code_from_redirect
    from uku_xero_cli.oauth.loopback import LoopbackServer

    say = notify or (lambda message: None)
    store = store or TokenStore(settings)
    identity = IdentityClient(settings, company=company, transport=transport)
    pending: list[AuthorizationRequest] = []

    def validate(url: str) -> str:
        return code_from_redirect(pending[0], url, company=company)

    # Closed after the server: the browser is answered first, then has taken its last page.
    with (
        _BrowserOpening(browser, say) as opening,
        LoopbackServer(
            settings.redirect_port if port is None else port, validate, on_ignored=say
        ) as server,
    ):
        request = identity.authorization_request(server.redirect_uri, scopes)
        pending.append(request)
        help_ = SignInHelp(
            company,
            identity.client_id,
            server.redirect_uri,
            server.port,
            timeout,
            pasting=paste is not None,
        )
        if browser is None:
            say(f"Open this address in a browser and sign in to Xero:\n\n{request.url}\n")
            say(help_.waiting(WAITING_FOR_REDIRECT))
        else:
            say(f"{browser.opening}\n\n{request.url}\n")
            say(help_.waiting(browser.waiting))
            opening.start(request.url, server, help_)
        try:
            code = server.wait(timeout, paste=paste, on_bad_paste=say)
        except AuthorizationTimeout as exc:
            hint = help_.timeout_causes(opening.unavailable)
            raise AuthorizationTimeout(exc.message, hint=hint) from None

        def choose_at_terminal(orgs: list[XeroConnection]) -> XeroConnection:
            assert choose is not None
            server.attention(CHOOSE_IN_TERMINAL)
            return choose(orgs)

        outcome = _connect(
            settings,
            company,
            identity,
            request,
            code,
            tenant=tenant,
            choose=None if choose is None else choose_at_terminal,
            store=store,
            transport=transport,
        )
        server.conclude(pages.connected(outcome.summary))
    return outcome


class _BrowserOpening:
    """The browser, opened in a thread of its own beside the wait: a browser (or stand-in)
    that follows the redirect to the loopback server is answered only once the outcome is
    known, so the wait must not sit behind it. Leaving the `with` block gives it a moment to
    take its last page."""

    LAST_PAGE_SECONDS = 5.0

    def __init__(self, browser: Browser | None, say: Notify) -> None:
        self.browser = browser
        self.say = say
        self.unavailable: str | None = None  # why no browser could be opened
        self._thread: threading.Thread | None = None

    def __enter__(self) -> _BrowserOpening:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread is not None:
            self._thread.join(self.LAST_PAGE_SECONDS)

    def start(self, url: str, server: LoopbackServer[str], help_: SignInHelp) -> None:
        def run() -> None:
            assert self.browser is not None
            try:
                opened = self.browser.open(url)
            except BrowserUnavailable as exc:
                reason = exc.reason
            except UkuXeroError as exc:  # a stand-in browser's verdict on the sign-in
                server.abandon(exc)
                return
            except Exception as exc:  # webbrowser.Error, OSError: the browser did not start
                reason = f"{type(exc).__name__}: {exc}"
            else:
                if opened is not False:
                    return
                reason = "no browser program was found; BROWSER names one"
            self.unavailable = reason
            self.say(help_.no_browser(reason))

        self._thread = threading.Thread(target=run, name="browser", daemon=True)
        self._thread.start()


def _connect(
    settings: Settings,
    company: str,
    identity: IdentityClient,
    request: AuthorizationRequest,
    code: str,
    *,
    tenant: str | None,
    choose: Chooser | None,
    store: TokenStore,
    transport: httpx.BaseTransport | None,
) -> AuthOutcome:
    """Exchange the code, choose the organisation and store the connection."""
    from uku_xero_cli.xero.client import XeroClient

    answer = identity.exchange_code(request, code)
    if not answer.refresh_token:
        raise AuthorizationFailed(
            "Xero sent no refresh token because the scopes lack offline_access (without it "
            "the connection would end after 30 minutes): nothing was stored",
            hint="include offline_access in --scopes (or `scopes` in config.toml, "
            f"UKU_XERO_SCOPES) and run `{auth_again(company)}` again",
        )
    with XeroClient(
        settings, company, store=store, transport=transport, access_token=answer.access_token
    ) as client:
        orgs = usable(client.connections())
    if not orgs:
        raise _no_organisation(company)
    chosen = pick_organisation(
        orgs,
        tenant,
        choose,
        lambda org: auth_again(company, "--tenant", org.tenant_name),
    )
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
    chosen = pick_organisation(
        orgs, use, choose, lambda org: command_line("orgs", company, "--use", org.tenant_name)
    )
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
        identity=lambda: IdentityClient(settings, company=company, transport=transport),
        tenant_gone_ok=True,
    )
    return XeroClient(
        settings, company, store=store, transport=transport, access_token=record.access_token
    )
