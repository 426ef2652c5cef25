"""Which local companies share a Xero login or a Xero connection with a company.

Xero keeps one connection per app, user and organisation: two companies connected by the same
Xero user to the same organisation use one connection (the same connection id), and deleting
it cuts off both. Revoking a refresh token removes every connection of its user to the app
(xero-node's README since 4.10.1, `revokeToken`; Xero staff in xero-ruby PR #125), so it cuts
off every company that user connected, whatever the organisation. The token files say who
connected each company (`CompanyTokens.user_id`, the id token's `xero_userid`) and through which
connection; a file that does not record the user may share it with anyone (the harsher case).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from uku_xero_cli.errors import DamagedTokenFile

if TYPE_CHECKING:
    from uku_xero_cli.tokens import CompanyTokens, TokenStore


def holds_live_tokens(record: CompanyTokens) -> bool:
    """Tokens on file that Xero has not refused (a company marked only because its
    organisation's connection is gone still holds working tokens). Only these can be cut off
    by another company's disconnect."""
    return bool(record.refresh_token) and (not record.needs_reauth or record.tenant_gone)


@dataclass(frozen=True)
class Sharing:
    """The other local companies one company's disconnect could cut off, and why."""

    company: str
    user_id: str | None
    # Connected by the same Xero user to the same organisation: one connection for both.
    same_connection: tuple[str, ...] = ()
    # Connected by the same Xero user (any organisation; includes `same_connection`).
    same_user: tuple[str, ...] = ()
    # The Xero user is not recorded for this company or for those: possibly the same one.
    maybe_same_user: tuple[str, ...] = ()

    @property
    def user_known(self) -> bool:
        return self.user_id is not None

    @property
    def shared_user(self) -> tuple[str, ...]:
        """Every company revoking this company's refresh token could cut off."""
        return self.same_user + self.maybe_same_user

    @property
    def alone(self) -> bool:
        return not (self.same_connection or self.shared_user)

    def to_json(self) -> dict[str, Any]:
        return {
            "xero_user_id": self.user_id,
            "same_connection": list(self.same_connection),
            "same_xero_user": list(self.same_user),
            "possibly_same_xero_user": list(self.maybe_same_user),
        }


def sharing_of(record: CompanyTokens, others: Iterable[CompanyTokens]) -> Sharing:
    """Who among `others` shares `record`'s Xero user or connection (only companies holding
    live tokens count: a refused token cannot be cut off again)."""
    same_connection: list[str] = []
    same_user: list[str] = []
    maybe: list[str] = []
    for other in sorted(others, key=lambda r: r.company):
        if other.company == record.company or not holds_live_tokens(other):
            continue
        connection = _connection_match(record, other)
        if record.user_id is not None and other.user_id is not None:
            if other.user_id != record.user_id:
                continue  # another Xero login: its connections and tokens are its own
            same_user.append(other.company)
        elif connection == _SAME:
            same_user.append(other.company)  # one connection id: one user
        else:
            maybe.append(other.company)
        if connection is not None:
            same_connection.append(other.company)
    return Sharing(
        record.company, record.user_id, tuple(same_connection), tuple(same_user), tuple(maybe)
    )


_SAME, _MAYBE = "same", "maybe"


def _connection_match(record: CompanyTokens, other: CompanyTokens) -> str | None:
    """_SAME: both record one connection id; _MAYBE: one organisation, a connection id not on
    file; None: not the same connection."""
    if not record.tenant_id or other.tenant_id != record.tenant_id:
        return None
    if record.connection_id and other.connection_id:
        return _SAME if record.connection_id == other.connection_id else None
    return _MAYBE


def local_records(store: TokenStore) -> list[CompanyTokens]:
    """Every company's token record that can be read (a damaged file holds no usable tokens,
    so it shares nothing that could be cut off)."""
    records = []
    for name in store.companies():
        try:
            record = store.load(name)
        except DamagedTokenFile:
            continue
        if record is not None:
            records.append(record)
    return records


def local_sharing(store: TokenStore, record: CompanyTokens) -> Sharing:
    """`record`'s sharing among the companies configured here."""
    return sharing_of(record, local_records(store))
