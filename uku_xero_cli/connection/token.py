"""`uku-xero token`: the company's access token, valid long enough for the call it goes into.

The token is refreshed like any other (under the company's lock, the rotated refresh token on
disk first), only earlier: when it has under TOKEN_MARGIN left, so that a curl started with it
is not refused half-way. The refresh token is never part of what is handed out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from uku_xero_cli.settings import Settings

# Xero's access tokens live 30 minutes; one handed out has at least 5 of them left.
TOKEN_MARGIN = 300.0


@dataclass(frozen=True)
class IssuedToken:
    """An access token for the company's organisation and when it expires."""

    company: str
    access_token: str
    tenant_id: str
    tenant_name: str | None
    expires_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "company": self.company,
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_at": self.expires_at,
            "tenant_id": self.tenant_id,
            "tenant_name": self.tenant_name,
        }


def issue_token(settings: Settings, company: str, *, margin: float = TOKEN_MARGIN) -> IssuedToken:
    """The company's access token, refreshed first when it has under `margin` seconds left.

    NotConnected / ReauthorizationRequired as for any command; a refused refresh marks the
    company as needing re-authorization.
    """
    from uku_xero_cli.oauth.refresh import fresh_tokens
    from uku_xero_cli.tokens import TokenStore

    record = fresh_tokens(TokenStore(settings), company, margin=margin)
    # A connected record with a fresh token has all three.
    assert record.access_token and record.tenant_id and record.expires_at
    return IssuedToken(
        company, record.access_token, record.tenant_id, record.tenant_name, record.expires_at
    )
