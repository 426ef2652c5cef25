"""A fresh access token for a company, refreshing under the company's lock when needed.

Xero rotates the refresh token on every refresh, and a rotated-away token works only for a
30-minute grace period. So refreshes are serialised across processes: after taking the lock a
process re-reads the token file and refreshes only if no other process already did, and the
new refresh token is on disk (atomically, fsync'd) before the new access token is used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from uku_xero_cli.errors import ReauthorizationRequired, UkuXeroError
from uku_xero_cli.tokens import CompanyTokens, TokenStore, reauthorization_required
from uku_xero_cli.trace import Refresh, Trace, current_trace, tracing

if TYPE_CHECKING:
    from uku_xero_cli.oauth.flow import IdentityClient, TokenAnswer

# Refresh a little early so a token cannot expire between the check and Xero reading it.
REFRESH_MARGIN = 60.0
INVALID_GRANT_REASON = (
    "Xero refused the refresh token (invalid_grant): it was revoked, expired after 60 days "
    "unused, or rotated by a refresh whose answer was lost more than 30 minutes ago"
)


def needs_refresh(
    record: CompanyTokens,
    *,
    rejected: str | None = None,
    now: datetime | None = None,
    margin: float = REFRESH_MARGIN,
) -> bool:
    """True if the stored access token is missing, has less than `margin` seconds left, or is
    the one Xero refused."""
    return refresh_reason(record, rejected=rejected, now=now, margin=margin) is not None


def refresh_reason(
    record: CompanyTokens,
    *,
    rejected: str | None = None,
    now: datetime | None = None,
    margin: float = REFRESH_MARGIN,
) -> str | None:
    """Why the access token must be refreshed, for a person reading -v; None if it need not."""
    if not record.access_token:
        return "no access token on file"
    if rejected is not None and record.access_token == rejected:
        return "Xero answered 401 to the access token"
    left = record.seconds_left(now)
    if left >= margin:
        return None
    if left <= 0:
        return f"the access token expired {-left:.0f} s ago"
    return f"the access token expires in {left:.0f} s (under {margin:.0f} s left)"


def apply_refresh(record: CompanyTokens, answer: TokenAnswer) -> CompanyTokens:
    return replace(
        record,
        access_token=answer.access_token,
        # Xero always rotates; should an answer lack the new one, the old one stays valid.
        refresh_token=answer.refresh_token or record.refresh_token,
        expires_at=answer.expires_at,
        scopes=list(answer.scopes) or record.scopes,
        # An id token on a refresh (the emulator sends one; Xero's documentation does not
        # say) records the Xero login of a token file from before it was kept.
        user_id=record.user_id or answer.user_id,
        # A mark stays: only a company whose organisation is gone (tokens fine) gets here.
        refreshed_at=datetime.now(UTC).replace(microsecond=0),
    )


def fresh_tokens(
    store: TokenStore,
    company: str,
    *,
    identity: Callable[[], IdentityClient] | None = None,
    rejected: str | None = None,
    tenant_gone_ok: bool = False,
    margin: float = REFRESH_MARGIN,
    force: bool = False,
    trace: Trace | None = None,
) -> CompanyTokens:
    """The company's record with an access token good for at least `margin` seconds
    (REFRESH_MARGIN by default; `uku-xero token` hands out one that outlives a curl).

    `identity` builds the identity client when a refresh is due (default: from settings).
    `rejected` is an access token Xero just answered 401 to: it is refreshed even if its
    expiry says otherwise, unless another process already replaced it.
    A network failure leaves the stored tokens untouched (NetworkError); invalid_grant marks
    the company needs_reauth and raises ReauthorizationRequired. `tenant_gone_ok` as in
    `TokenStore.load_connected`. `force` refreshes whatever the expiry says (`doctor` proves
    the refresh token live). Each refresh, and why, goes to `trace` (default: the current
    command's).
    """
    trace = (trace or current_trace()).for_company(company)
    record = store.load_connected(company, tenant_gone_ok=tenant_gone_ok)
    if force:
        rejected = record.access_token or rejected
    due = refresh_reason(record, rejected=rejected, margin=margin)
    if due is None:
        return record
    reason = "asked to (doctor)" if force else due
    # The lock reports its wait to the current trace: make that this refresh's.
    with tracing(trace), store.lock(company):
        record = store.load_connected(company, tenant_gone_ok=tenant_gone_ok)
        if not needs_refresh(record, rejected=rejected, margin=margin):
            # Another process refreshed while this one waited for the lock.
            trace.emit(Refresh(reason, "done elsewhere"))
            return record
        trace.emit(Refresh(reason, "started"))
        if identity is None:
            from uku_xero_cli.oauth.flow import IdentityClient

            client = IdentityClient(store.settings, company=company, trace=trace)
        else:
            client = identity()
        assert record.refresh_token is not None
        try:
            answer = client.refresh(record.refresh_token)
        except ReauthorizationRequired:
            trace.emit(Refresh(INVALID_GRANT_REASON, "refused"))
            store.save(record.with_reauth(INVALID_GRANT_REASON))
            raise reauthorization_required(company, INVALID_GRANT_REASON) from None
        except UkuXeroError as exc:
            trace.emit(Refresh(exc.message, "failed"))
            raise
        record = apply_refresh(record, answer)
        store.save(record)
        trace.emit(Refresh(reason, "refreshed", expires_in=record.seconds_left()))
        return record
