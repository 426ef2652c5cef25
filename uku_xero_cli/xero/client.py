"""The one module that sends HTTP to Xero's API (accounting and /connections).

`XeroClient` sets the base URL, timeouts, User-Agent, `Accept: application/json`, the bearer
token (fresh from the token store, refreshed when it has under a minute left or Xero answers
401, once) and `xero-tenant-id`, and turns Xero's error answers into typed errors.

Every request goes through `request()`, and every byte on the wire through `_send()`: that
is where pacing and retries hook in.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from uku_xero_cli import __version__
from uku_xero_cli.errors import (
    AccessRefused,
    MissingScope,
    NetworkError,
    NotFound,
    RateLimited,
    ReauthorizationRequired,
    UkuXeroError,
    XeroAPIError,
    XeroValidationError,
)
from uku_xero_cli.redact import redact, register_secret
from uku_xero_cli.settings import Settings, require_client_id
from uku_xero_cli.tokens import (
    TENANT_GONE,
    CompanyTokens,
    TokenStore,
    reauthorization_required,
)
from uku_xero_cli.trace import Trace, current_trace, traced_send

if TYPE_CHECKING:
    from collections.abc import Mapping

    import httpx

    from uku_xero_cli.oauth.flow import IdentityClient
    from uku_xero_cli.xero.pacing import Pacer
    from uku_xero_cli.xero.retry import RetryPolicy

USER_AGENT = f"uku-xero/{__version__}"
# Sent with every request besides the bearer token and the tenant.
DEFAULT_HEADERS = {"User-Agent": USER_AGENT, "Accept": "application/json"}
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0


@dataclass(frozen=True)
class XeroConnection:
    """One entry of GET /connections: an organisation the token may reach."""

    id: str
    tenant_id: str
    tenant_name: str
    tenant_type: str
    auth_event_id: str | None = None
    created: datetime | None = None
    updated: datetime | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> XeroConnection:
        return cls(
            id=str(data.get("id") or ""),
            tenant_id=str(data.get("tenantId") or ""),
            tenant_name=str(data.get("tenantName") or ""),
            tenant_type=str(data.get("tenantType") or ""),
            auth_event_id=data.get("authEventId"),
            created=_connection_time(data.get("createdDateUtc")),
            updated=_connection_time(data.get("updatedDateUtc")),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "tenant_id": self.tenant_id,
            "tenant_name": self.tenant_name,
            "tenant_type": self.tenant_type,
            "created": self.created,
            "updated": self.updated,
        }


def _connection_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    from uku_xero_cli.xero.parse import parse_optional_datetime

    try:
        return parse_optional_datetime(value, what="connection time")
    except ValueError:
        return None


def validation_messages(body: Any) -> list[str]:
    """Every message of Xero's ValidationException body, in order, without repeats."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key == "ValidationErrors" and isinstance(value, list):
                    found.extend(
                        error["Message"]
                        for error in value
                        if isinstance(error, dict) and isinstance(error.get("Message"), str)
                    )
                else:
                    walk(value)

    walk(body)
    unique = list(dict.fromkeys(found))
    if not unique and isinstance(body, dict) and isinstance(body.get("Message"), str):
        unique = [body["Message"]]
    return unique


class XeroClient:
    """Xero's API on behalf of one company.

    With `access_token` the client uses that token as is (no store, no refresh): `auth` needs
    this for the GET /connections that comes before anything is stored. `trace` receives every
    exchange, refresh and wait (default: the current command's, `trace.current_trace()`).
    """

    def __init__(
        self,
        settings: Settings,
        company: str,
        *,
        store: TokenStore | None = None,
        identity: IdentityClient | None = None,
        transport: httpx.BaseTransport | None = None,
        access_token: str | None = None,
        timeout: float = READ_TIMEOUT,
        pacer: Pacer | None = None,
        retry: RetryPolicy | None = None,
        trace: Trace | None = None,
    ) -> None:
        import httpx

        from uku_xero_cli.xero.pacing import shared_pacer
        from uku_xero_cli.xero.retry import RetryPolicy

        # One pacer per process by default: companies reloaded in parallel share Xero's
        # app-wide minute limit.
        self.pacer = pacer or shared_pacer(settings.limits)
        self.retry = retry or RetryPolicy()
        self.requests_sent = 0
        # Xero's last answer on the wire, for `exchange`: one thread at a time per client.
        self.last_answer: httpx.Response | None = None

        self.settings = settings
        self.company = company
        self.trace = (trace or current_trace()).for_company(company)
        if access_token is None:
            # Checked now, not at the first refresh: without a client id every command that
            # talks to Xero fails the same way, whether or not a token happens to be due.
            require_client_id(settings)
        self.store = store or TokenStore(settings)
        self._identity = identity
        self._transport = transport
        self._fixed_token = access_token
        self._glitch_mark = False  # see TokenStore.forget_glitch_mark
        register_secret(access_token)
        from uku_xero_cli.tls import tls_context

        self.http = httpx.Client(
            transport=transport,
            verify=tls_context(),
            timeout=httpx.Timeout(timeout, connect=CONNECT_TIMEOUT),
            headers=DEFAULT_HEADERS,
        )

    def __enter__(self) -> XeroClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    @property
    def identity(self) -> IdentityClient:
        if self._identity is None:
            from uku_xero_cli.oauth.flow import IdentityClient

            self._identity = IdentityClient(
                self.settings, company=self.company, transport=self._transport, trace=self.trace
            )
        return self._identity

    # -- tokens ---------------------------------------------------------------------------

    def tokens(self, *, rejected: str | None = None) -> CompanyTokens:
        """The company's record with a usable access token (refreshing under the lock)."""
        from uku_xero_cli.oauth.refresh import fresh_tokens

        # The identity client needs a client id, so it is built only when a refresh happens.
        return fresh_tokens(
            self.store,
            self.company,
            identity=lambda: self.identity,
            rejected=rejected,
            trace=self.trace,
        )

    def _credentials(self, rejected: str | None = None) -> tuple[str, str | None]:
        if self._fixed_token is not None:
            return self._fixed_token, None
        record = self.tokens(rejected=rejected)
        assert record.access_token is not None
        self._glitch_mark = record.glitch_mark
        return record.access_token, record.tenant_id

    # -- the request path -----------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        tenant: bool = True,
        content: bytes | None = None,
    ) -> httpx.Response:
        """Send one API request with auth and tenant headers; errors come back typed.

        `url` is absolute or relative to the accounting API base. A 401 refreshes the token
        once and retries; a second 401 is an error of this run, most likely a scope problem
        (`_refused_after_refresh`), and marks nothing. A 401 for a scope the connection lacks
        is MissingScope at once: no refresh, no mark. A 403 (the organisation's connection
        is gone) marks the company needs_reauth.
        `content` is a body already encoded (JSON with exact Decimal money; the caller sets
        Content-Type), for when `json` would have to pass money through a float.
        """
        url = self._absolute(url)
        token, tenant_id = self._credentials()
        for attempt in (1, 2):
            sent = dict(headers or {})
            sent["Authorization"] = f"Bearer {token}"
            if tenant:
                if tenant_id is None:
                    raise XeroAPIError(f"company '{self.company}' has no organisation selected")
                sent["xero-tenant-id"] = tenant_id
            response = self._send(
                method, url, params=params, json=json, headers=sent, content=content
            )
            if (
                response.status_code == 401
                and attempt == 1
                and self._fixed_token is None
                and not _scope_refused(_json_or_none(response))
            ):
                token, tenant_id = self._credentials(rejected=token)
                continue
            break
        self._raise_for_status(response)
        if self._glitch_mark:
            self.store.forget_glitch_mark(self.company)
            self._glitch_mark = False
        return response

    def _absolute(self, url: str) -> str:
        if url.startswith(("http://", "https://")):
            return url
        return f"{self.settings.endpoints.api_url}/{url.lstrip('/')}"

    def url(self, path: str, params: Mapping[str, str] | None = None) -> str:
        """The URL a GET of `path` with `params` goes to, encoded exactly as it is sent."""
        return str(self.http.build_request("GET", self._absolute(path), params=params).url)

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None,
        json: Any,
        headers: dict[str, str],
        content: bytes | None = None,
    ) -> httpx.Response:
        """Put one request on the wire, paced per tenant and retried on 429/5xx/timeouts.

        Transport failures that outlast the retries become NetworkError.
        """
        import httpx

        tenant_id = headers.get("xero-tenant-id")
        trace = self.trace
        attempt = 0

        def put() -> httpx.Response:
            return traced_send(
                trace,
                method,
                url,
                lambda: self.http.request(
                    method, url, params=params, json=json, headers=headers, content=content
                ),
                attempt=attempt,
                params=params,
            )

        def once() -> httpx.Response:
            nonlocal attempt
            attempt += 1
            self.requests_sent += 1
            if tenant_id is None:
                return put()
            with self.pacer.slot(tenant_id, announce_pacing if trace.active else None):
                answer = put()
            self.pacer.observe(tenant_id, answer.headers)
            return answer

        def announce_pacing(reason: str, seconds: float | None) -> AbstractContextManager[None]:
            return trace.waiting("pacing", reason, seconds)

        def hold(seconds: float) -> None:
            if tenant_id is not None:
                self.pacer.hold(tenant_id, seconds)

        def kept() -> httpx.Response:
            self.last_answer = once()
            return self.last_answer

        try:
            return self.retry.run(
                kept,
                hold=hold,
                announce=lambda wait: trace.waiting(
                    "retry-after" if wait.kind == "retry-after" else "backoff",
                    wait.reason,
                    wait.delay,
                    attempt=wait.attempt,
                ),
            )
        except httpx.TimeoutException:
            raise NetworkError(
                f"Xero did not answer {method} {_path(url)} in time",
                hint="check the network and try again",
            ) from None
        except httpx.TransportError as exc:
            raise NetworkError(
                f"cannot reach Xero for {method} {_path(url)} ({redact(str(exc)) or 'error'})",
                hint="check the network and try again",
            ) from None

    def exchange(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
        tenant: bool = True,
    ) -> tuple[httpx.Response, UkuXeroError | None]:
        """Send one request as `request` does and hand back Xero's answer whatever its
        status, with the typed error it stands for (None when it is not an error).

        For `uku-xero api`, which shows Xero's own body and still exits with the error's
        code. Everything `request` does happens here too (refresh, marks, pacing, retries):
        the answer is the last one Xero sent, also when the client gave up on it (the daily
        limit, 5xx after retries, a refused refresh after a 401). An error before any answer
        (not connected, Xero unreachable) is raised.
        """
        self.last_answer = None
        try:
            response = self.request(
                method, url, params=params, headers=headers, content=content, tenant=tenant
            )
        except UkuXeroError as error:
            if self.last_answer is None:
                raise
            return self.last_answer, error
        return response, None

    def _raise_for_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if status < 400:
            return
        body = _json_or_none(response)
        detail = _detail(body)
        method, url = response.request.method, str(response.request.url)
        where = f"{method} {_path(url)}"
        if status == 401 and _scope_refused(body):
            # The token is fine; it just may not make this call. Refreshing would not help,
            # and marking the company would stop the calls its scopes do allow.
            raise self._missing_scope(method, url)
        if status == 401 and self._fixed_token is None:
            raise self._refused_after_refresh(method, url, detail)
        if status in (401, 403):
            reason = (
                f"Xero refused access to the organisation ({status} {detail or 'Forbidden'}): "
                "the connection was removed in Xero or the user lost access"
                if status == 403
                else f"Xero refused the access token ({status} {detail})"
            )
            if status == 403 and self._fixed_token is None:
                # Xero makes this final: the token still works but no longer reaches this
                # organisation, so `orgs --use` can switch without a new sign-in.
                self.store.mark_needs_reauth(self.company, reason, cause=TENANT_GONE)
            raise reauthorization_required(self.company, reason, tenant_gone=status == 403)
        if status == 404:
            raise _not_found(where, url)
        if status == 400 and isinstance(body, dict) and body.get("Type") == "ValidationException":
            messages = validation_messages(body)
            raise XeroValidationError(
                f"Xero rejected {where}: " + "; ".join(messages or ["validation failed"]),
                messages=messages,
                body=body,
            )
        if status == 429:
            retry = response.headers.get("Retry-After")
            raise RateLimited(
                f"Xero's rate limit was reached ({response.headers.get('X-Rate-Limit-Problem')})"
                + (f"; retry in {retry} s" if retry else "")
            )
        if status >= 500:
            raise NetworkError(
                f"Xero answered {status} to {where}", hint="Xero may be having problems; try later"
            )
        raise XeroAPIError(f"Xero answered {status} to {where}: {detail or 'error'}", status=status)

    def _granted_scopes(self) -> list[str]:
        """The scopes the company's connection was granted (those asked for, if unknown)."""
        from uku_xero_cli.xero.scopes import requested_scopes

        granted: list[str] = []
        if self._fixed_token is None:
            try:
                record = self.store.load(self.company)
            except ReauthorizationRequired:
                record = None
            granted = list(record.scopes) if record is not None else []
        return granted or list(requested_scopes(self.settings.scopes))

    def _scope_hint(self, granted: list[str], scope: str | None) -> str:
        from uku_xero_cli.xero.scopes import with_scope

        scopes = with_scope(granted, scope) if scope else " ".join(granted) + " ..."
        return (
            f"to allow it, connect again with the scope: uku-xero auth -c {self.company} "
            f'--scopes "{scopes}"'
        )

    def _missing_scope(self, method: str, url: str) -> MissingScope:
        from uku_xero_cli.xero.scopes import endpoint, needed_scope

        scope = needed_scope(method, url)
        granted = self._granted_scopes()
        lacking = f"the scope {scope}" if scope else "a scope this call needs"
        message = (
            f"Xero refused {endpoint(method, url)} for company '{self.company}': its "
            f"connection was not granted {lacking} (401 AuthorizationUnsuccessful); commands "
            "that need only the granted scopes keep working"
        )
        return MissingScope(message, hint=self._scope_hint(granted, scope))

    def _refused_after_refresh(self, method: str, url: str, detail: str) -> UkuXeroError:
        """A 401 to a freshly refreshed token. Xero answers a missing scope with
        "AuthenticationUnsuccessful" at times, not only "AuthorizationUnsuccessful"
        (XeroAPI/xero-php-oauth2#138), and a 401 also comes from a passing fault at Xero: a
        scope problem is the likely cause, re-authorization is not. Nothing is marked (only
        what Xero makes final marks a company: invalid_grant, a removed connection), so the
        next run that Xero answers goes on as usual."""
        from uku_xero_cli.xero.scopes import effective_scopes, endpoint, needed_scope

        scope = needed_scope(method, url)
        granted = self._granted_scopes()
        message = (
            f"Xero refused {endpoint(method, url)} for company '{self.company}' even with a "
            f"freshly refreshed access token (401 {detail or 'Unauthorized'}): probably a "
            f"scope problem. The call needs {scope or 'a scope uku-xero does not know'}; the "
            f"connection was granted: {' '.join(granted) or 'no scopes'}"
        )
        if scope is not None and scope not in effective_scopes(granted):
            return MissingScope(
                message + ". Commands that need only the granted scopes keep working",
                hint=self._scope_hint(granted, scope),
            )
        return AccessRefused(
            message + ". Those include it, so Xero may have had a passing problem; the company "
            "was not marked",
            status=401,
            hint="run the command again; if Xero keeps refusing, check the app's scopes at "
            "developer.xero.com and the user's access to the organisation, then "
            f"`uku-xero auth -c {self.company}`",
        )

    # -- convenience ----------------------------------------------------------------------

    def get(self, path: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """GET and decode; money comes back as Decimal (`parse.loads_xero`)."""
        from uku_xero_cli.xero.parse import loads_xero

        response = self.request("GET", path, params=params, **kwargs)
        return loads_xero(response.content) if response.content else None

    def connections(self) -> list[XeroConnection]:
        """GET /connections: the organisations this token may reach."""
        response = self.request("GET", self.settings.endpoints.connections_url, tenant=False)
        body = _json_or_none(response)
        if not isinstance(body, list):
            raise XeroAPIError("Xero's /connections answer is not a list", status=200)
        return [XeroConnection.from_json(item) for item in body if isinstance(item, dict)]

    def delete_connection(self, connection_id: str) -> bool:
        """DELETE /connections/{id}: True if removed now, False if it was already gone."""
        url = f"{self.settings.endpoints.connections_url}/{connection_id}"
        try:
            self.request("DELETE", url, tenant=False)
        except NotFound:
            return False
        return True


def _not_found(where: str, url: str) -> NotFound:
    """Xero's 404. To a list read with a query it is not "no such endpoint": Xero answers
    404 to a URL it finds too long (xero/endpoints.py, MAX_URL_LENGTH), whatever it asks."""
    from urllib.parse import urlsplit

    from uku_xero_cli.xero.endpoints import MAX_URL_LENGTH

    if not urlsplit(url).query:
        return NotFound(f"Xero has no {where}", status=404)
    length = len(url)
    why = (
        f"its URL is {length:,} characters, and Xero answers 404 to URLs over about "
        f"{MAX_URL_LENGTH:,}"
        if length > MAX_URL_LENGTH
        else f"Xero answers 404 to a query it cannot serve, such as a URL it finds too long "
        f"(this one is {length:,} characters)"
    )
    return NotFound(
        f"Xero answered 404 (not found) to the query of {where}: {why}",
        status=404,
        hint="this is about the request uku-xero made, not about your data; run the command "
        "again with --verbose and report what it shows",
    )


def _path(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path or "/"


def _json_or_none(response: httpx.Response) -> Any:
    if not response.content:
        return None
    from uku_xero_cli.xero.parse import loads_xero

    try:
        # Error bodies echo the elements sent: their money must stay exact too.
        return loads_xero(response.content)
    except ValueError:
        return None


def _scope_refused(body: Any) -> bool:
    """Xero's 401 for a call outside the granted scopes (an expired or unknown token is
    TokenExpired / AuthenticationUnsuccessful instead)."""
    return isinstance(body, dict) and str(body.get("Detail") or "").startswith(
        "AuthorizationUnsuccessful"
    )


def _detail(body: Any) -> str:
    if isinstance(body, dict):
        for key in ("Detail", "Message", "Title", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return redact(value)
    return ""
