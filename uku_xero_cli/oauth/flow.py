"""The only HTTP to Xero's identity service: authorize URL, code exchange, refresh, revoke.

Authlib's framework-independent pieces build and parse the OAuth messages (grant URI, token
request bodies, client authentication, PKCE, revocation); our own httpx client sends them, so
the transport can be swapped for the emulator in tests.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from uku_xero_cli import __version__
from uku_xero_cli.command_lines import auth_again
from uku_xero_cli.errors import (
    AuthorizationDenied,
    AuthorizationFailed,
    NetworkError,
    ReauthorizationRequired,
    StateMismatch,
    XeroAPIError,
)
from uku_xero_cli.redact import redact, register_secret
from uku_xero_cli.settings import Settings, require_client_id
from uku_xero_cli.trace import Trace, current_trace, traced_send

if TYPE_CHECKING:
    import httpx

    from uku_xero_cli.xero.retry import RetryPolicy

USER_AGENT = f"uku-xero/{__version__}"
DEFAULT_TIMEOUT = 30.0
_REFRESH = "the token refresh"

# Longest error description shown: Xero's are a sentence; anything longer is not for a person.
_DESCRIPTION_LIMIT = 300


def _error_hint(error: str, company: str | None) -> str | None:
    """What an OAuth error most likely means for a Xero app, said so a support engineer can
    act; the command to run again names the company."""
    again = auth_again(company or "NAME")
    hints = {
        "invalid_scope": "the app may not have these scopes enabled: check the scopes of the "
        "app at developer.xero.com; an app still on the broad accounting.transactions scope "
        'needs `scopes = "broad"` in config.toml (or --scopes broad)',
        "unauthorized_client": "check that http://localhost:<port>/callback is registered as "
        "a redirect URI of the app at developer.xero.com and that the app may use these scopes",
        "invalid_grant": f"the authorization code expired or was already used: run `{again}` again",
        "invalid_client": "Xero did not accept the client id (or secret): check XERO_CLIENT_ID "
        "and XERO_CLIENT_SECRET (leave the secret unset for a PKCE app)",
        # RFC 6749 section 4.1.2.1: the two errors that mean the trouble is Xero's, not ours.
        "server_error": f"Xero had a problem on its side: wait a few minutes, then run "
        f"`{again}` again",
        "temporarily_unavailable": f"Xero is busy or down for maintenance: wait a few minutes, "
        f"then run `{again}` again",
    }
    return hints.get(error)


def printable(text: str, limit: int = _DESCRIPTION_LIMIT) -> str:
    """Text from outside (a redirect's `error_description`) made safe for a terminal: control
    characters, which could move the cursor or recolour what follows, become spaces; runs of
    whitespace close up; past `limit` characters it is cut."""
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class AuthorizationRequest:
    """One authorize round trip: what was sent, and the secrets needed to finish it."""

    url: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str = field(repr=False)
    code_verifier: str = field(repr=False)
    nonce: str = field(repr=False)


@dataclass(frozen=True)
class TokenAnswer:
    """A successful token endpoint answer, with the id_token's display claims."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: datetime
    scopes: tuple[str, ...]
    user_id: str | None = None  # the id token's `xero_userid`: the Xero login
    user_name: str | None = None
    user_email: str | None = None
    nonce: str | None = field(default=None, repr=False)


def id_token_claims(id_token: str | None) -> dict[str, Any]:
    """The payload of a JWT, decoded without checking its signature.

    Who authorized the connection (shown) and which Xero login that is (what `disconnect` may
    end at Xero): the token came straight from the token endpoint over TLS, and nothing it
    says grants access to anything.
    """
    if not id_token or id_token.count(".") < 2:
        return {}
    payload = id_token.split(".")[1]
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(raw)
    except (ValueError, json.JSONDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def _claim(claims: dict[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) and value else None


def _oauth_error_message(error: str, description: str | None, what: str) -> str:
    text = f"{what}: {printable(error, 64)}"
    if description and printable(description):
        text += f" ({redact(printable(description))})"
    return text


def code_from_redirect(
    request: AuthorizationRequest, url: str, *, company: str | None = None
) -> str:
    """The authorization code of the redirect to `url`, after checking it belongs to us.

    A missing or different `state` is StateMismatch, checked first: whatever else such a
    redirect says (a code, or an error) is not this sign-in's. A redirect of this sign-in with
    `error` ends the flow with that error.
    """
    from urllib.parse import parse_qs, urlsplit

    from authlib.oauth2.rfc6749.errors import MismatchingStateException, MissingCodeException
    from authlib.oauth2.rfc6749.parameters import parse_authorization_code_response

    params = {key: values[-1] for key, values in parse_qs(urlsplit(url).query).items()}
    if params.get("state") != request.state:
        raise not_this_sign_in(company)
    error = params.get("error")
    if error:
        message = _oauth_error_message(
            error, params.get("error_description"), "Xero did not authorize the connection"
        )
        if error == "access_denied":
            raise AuthorizationDenied(
                "the Xero consent was declined (access_denied): nothing was connected",
                hint=f"run `{auth_again(company or 'NAME')}` again and choose Allow access",
            )
        raise AuthorizationFailed(message, hint=_error_hint(error, company))
    try:
        parsed = parse_authorization_code_response(url, state=request.state)
    except MismatchingStateException:
        raise not_this_sign_in(company) from None
    except MissingCodeException:
        raise AuthorizationFailed("the redirect from Xero carries no authorization code") from None
    code = str(parsed["code"])
    register_secret(code)
    return code


def not_this_sign_in(company: str | None) -> StateMismatch:
    """A redirect whose `state` is not the one this sign-in sent (an older tab, another
    sign-in, or a forged page): it is not used, and the sign-in goes on waiting."""
    return StateMismatch(
        "this sign-in link is not from the sign-in uku-xero is waiting for (an older tab, or "
        "another sign-in): it was not used",
        hint="use the newest sign-in tab, or close the old ones and run "
        f"`{auth_again(company or 'NAME')}` again",
    )


class IdentityClient:
    """Talks to the authorize, token and revocation endpoints configured in `settings`.

    `company` names the company in the commands its errors suggest. `trace` receives every
    exchange and wait (default: the current command's); token endpoint bodies reach it only
    redacted (trace.safe_body).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        company: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        now: Callable[[], datetime] | None = None,
        retry: RetryPolicy | None = None,
        trace: Trace | None = None,
    ) -> None:
        self.settings = settings
        self.company = company
        self.client_id = require_client_id(settings)
        self.client_secret = settings.client_secret
        register_secret(self.client_secret)
        self._transport = transport
        self._timeout = timeout
        self._now = now or (lambda: datetime.now(UTC))
        # A refresh lost to a 5xx or a timeout is safe to send again: Xero accepts the same
        # refresh token for 30 minutes after its first use.
        if retry is None:
            from uku_xero_cli.xero.retry import RetryPolicy

            retry = RetryPolicy(attempts=3, base_delay=0.5, max_delay=4.0)
        self._retry = retry
        self.trace = trace or current_trace()

    def authorization_request(
        self, redirect_uri: str, scopes: str | None = None
    ) -> AuthorizationRequest:
        """A fresh authorize URL with PKCE (S256), a random state and an OpenID nonce."""
        from authlib.common.security import generate_token
        from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
        from authlib.oauth2.rfc7636 import create_s256_code_challenge

        from uku_xero_cli.xero.scopes import requested_scopes

        scope_list = requested_scopes(scopes or self.settings.scopes)
        state = generate_token(32)
        # 64 characters from the unreserved set: inside PKCE's 43-128 range.
        verifier = generate_token(64)
        nonce = generate_token(24)
        register_secret(verifier)
        url = prepare_grant_uri(
            self.settings.endpoints.authorize_url,
            self.client_id,
            "code",
            redirect_uri=redirect_uri,
            scope=list(scope_list),
            state=state,
            code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method="S256",
            nonce=nonce,
        )
        return AuthorizationRequest(url, redirect_uri, scope_list, state, verifier, nonce)

    def exchange_code(self, request: AuthorizationRequest, code: str) -> TokenAnswer:
        """Trade the authorization code (with its PKCE verifier) for tokens."""
        from authlib.oauth2.rfc6749.parameters import prepare_token_request

        body = prepare_token_request(
            "authorization_code",
            redirect_uri=request.redirect_uri,
            code=code,
            code_verifier=request.code_verifier,
        )
        answer = self._token_call(body, "the authorization code exchange", request.scopes)
        if answer.nonce is not None and answer.nonce != request.nonce:
            raise AuthorizationFailed("the id_token's nonce does not match this sign-in")
        return answer

    def refresh(self, refresh_token: str) -> TokenAnswer:
        """Rotate the refresh token. invalid_grant → ReauthorizationRequired."""
        from authlib.oauth2.rfc6749.parameters import prepare_token_request

        register_secret(refresh_token)
        body = prepare_token_request("refresh_token", refresh_token=refresh_token)
        return self._token_call(body, _REFRESH, ())

    def revoke(self, token: str, token_type_hint: str = "refresh_token") -> None:
        """Revoke a token at Xero (RFC 7009). Revoking a refresh token also ends its grant."""
        from authlib.oauth2.rfc7009 import prepare_revoke_token_request

        register_secret(token)
        body, headers = prepare_revoke_token_request(token, token_type_hint)
        response = self._post(self.settings.endpoints.revoke_url, body, headers, "revocation")
        if response.status_code >= 400:
            self._raise_oauth_error(response, "the token revocation")

    # -- one place that sends: client authentication, User-Agent, timeouts, error mapping --

    def _token_call(self, body: str, what: str, requested: tuple[str, ...]) -> TokenAnswer:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        response = self._post(self.settings.endpoints.token_url, body, headers, what)
        if response.status_code != 200:
            self._raise_oauth_error(response, what)
        try:
            data = response.json()
            access = data["access_token"]
        except (ValueError, KeyError, TypeError):
            raise XeroAPIError(
                f"{what}: Xero's answer carries no access token", status=response.status_code
            ) from None
        refresh = data.get("refresh_token")
        register_secret(access)
        register_secret(refresh)
        register_secret(data.get("id_token"))
        try:
            lifetime = int(data.get("expires_in", 1800))
        except (TypeError, ValueError):
            lifetime = 1800
        scope = data.get("scope")
        scopes = tuple(scope.split()) if isinstance(scope, str) else requested
        claims = id_token_claims(data.get("id_token"))
        name = claims.get("name") or " ".join(
            part for part in (claims.get("given_name"), claims.get("family_name")) if part
        )
        return TokenAnswer(
            access_token=access,
            refresh_token=refresh if isinstance(refresh, str) and refresh else None,
            expires_at=self._now() + timedelta(seconds=lifetime),
            scopes=scopes,
            # Xero names its login in `xero_userid`; `sub` is another value (the claims of
            # XeroIdToken in xero-node's src/XeroClient.ts).
            user_id=_claim(claims, "xero_userid"),
            user_name=name or None,
            user_email=claims.get("email") or claims.get("preferred_username"),
            nonce=claims.get("nonce"),
        )

    def _post(self, url: str, body: str, headers: dict[str, str], what: str) -> httpx.Response:
        import httpx
        from authlib.oauth2.auth import ClientAuth

        from uku_xero_cli.tls import tls_context

        method = "client_secret_basic" if self.client_secret else "none"
        auth = ClientAuth(self.client_id, self.client_secret, method)
        headers = {**headers, "Accept": "application/json", "User-Agent": USER_AGENT}
        url, headers, body = auth.prepare("POST", url, headers, body)
        content = body.encode("utf-8")
        trace = self.trace
        attempt = 0

        def once(client: httpx.Client) -> httpx.Response:
            nonlocal attempt
            attempt += 1
            return traced_send(
                trace,
                "POST",
                url,
                lambda: client.post(url, content=content, headers=headers),
                attempt=attempt,
            )

        try:
            with httpx.Client(
                transport=self._transport, verify=tls_context(), timeout=self._timeout
            ) as client:
                response = self._retry.run(
                    lambda: once(client),
                    announce=lambda wait: trace.waiting(
                        "backoff", f"{what}: {wait.reason}", wait.delay, attempt=wait.attempt
                    ),
                )
        except NetworkError as exc:
            raise NetworkError(
                f"{what}: Xero's identity service failed ({exc.message})",
                hint="try again later; nothing stored was changed",
            ) from None
        except httpx.TimeoutException:
            raise NetworkError(
                f"{what}: Xero's identity service did not answer within {self._timeout:.0f} s",
                hint="try again; nothing stored was changed",
            ) from None
        except httpx.TransportError as exc:
            raise NetworkError(
                f"{what}: cannot reach Xero's identity service ({redact(str(exc)) or 'error'})",
                hint="check the network and try again; nothing stored was changed",
            ) from None
        if response.status_code >= 500:
            raise NetworkError(
                f"{what}: Xero's identity service answered {response.status_code}",
                hint="try again in a minute; nothing stored was changed",
            )
        return response

    def _raise_oauth_error(self, response: httpx.Response, what: str) -> None:
        try:
            data = response.json()
        except ValueError:
            data = {}
        error = data.get("error") if isinstance(data, dict) else None
        description = data.get("error_description") if isinstance(data, dict) else None
        if not isinstance(error, str):
            raise XeroAPIError(
                f"{what}: Xero answered HTTP {response.status_code}", status=response.status_code
            )
        message = _oauth_error_message(error, description, f"{what} was refused")
        if error == "invalid_grant" and what == _REFRESH:
            raise ReauthorizationRequired(
                f"{message}: the refresh token was revoked, expired or already used"
            )
        raise AuthorizationFailed(message, hint=_error_hint(error, self.company))
