"""The per-company token store: `<config>/companies/<company>.toml`.

One TOML file per company holds the Xero connection (tenant, connection id), the OAuth tokens
and the state of the connection. Files are 0600 in a 0700 directory and are replaced
atomically, so a reader (or a process killed mid-write) sees a whole old or a whole new file.
A per-company lock file serialises refreshes across processes.
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from uku_xero_cli.errors import (
    ConfigError,
    DamagedTokenFile,
    InvalidCompanyName,
    NotConnected,
    ReauthorizationRequired,
)
from uku_xero_cli.fsutil import (
    UnreadableInput,
    atomic_write,
    ensure_private_dir,
    file_kind,
    read_limited,
    remove_stale_temporaries,
)
from uku_xero_cli.redact import register_secret
from uku_xero_cli.settings import Settings, validate_company

FORMAT_VERSION = 1
# Far more than a token file holds (a few KB); a larger one is not ours.
MAX_TOKEN_FILE_BYTES = 1024 * 1024
# Long enough to wait out another process's refresh (one HTTP round trip with its timeout).
DEFAULT_LOCK_TIMEOUT = 60.0

Warn = Callable[[str], None]

# Why a company needs re-authorization: Xero refused its tokens, or only the organisation's
# connection is gone (the tokens still work, so `orgs --use` can move to another one).
TOKEN_REFUSED = "token"
TENANT_GONE = "tenant"
# Earlier versions also marked a company after two 401s in a row, with this reason. A 401 is
# not final at Xero (a passing fault, or a scope the call lacks), so such a mark is read as
# none, and the next answer Xero gives the company removes it from the file (XeroClient).
_GLITCH_REASON = "Xero refused a freshly refreshed access token"


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def reauth_hint(company: str, *, tenant_gone: bool = False) -> str:
    hint = f"run `uku-xero auth -c {company}`"
    if tenant_gone:
        hint += f", or switch to another organisation with `uku-xero orgs -c {company} --use NAME`"
    return hint


def not_connected(company: str) -> NotConnected:
    """The error of a company without a Xero connection: what `status` reports and what every
    command needing the connection raises."""
    return NotConnected(
        f"company '{company}' is not connected to Xero",
        hint=f"connect it with `uku-xero auth -c {company}`",
    )


def reauthorization_required(
    company: str, reason: str | None, *, tenant_gone: bool = False
) -> ReauthorizationRequired:
    """The error of a company whose tokens Xero refused (or whose organisation is gone)."""
    return ReauthorizationRequired(
        f"company '{company}' needs re-authorization: {reason or 'Xero refused the stored tokens'}",
        hint=reauth_hint(company, tenant_gone=tenant_gone),
    )


@dataclass
class CompanyTokens:
    """Everything the token file holds for one company. Tokens never leave via repr."""

    company: str
    tenant_id: str | None = None
    tenant_name: str | None = None
    tenant_type: str | None = None
    connection_id: str | None = None
    # The Xero sign-in (auth event) the tokens come from: Xero's `authEventId` of the connection.
    auth_event_id: str | None = None
    access_token: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None
    scopes: list[str] = field(default_factory=list)
    # The Xero login that authorized (the id token's `xero_userid`): Xero keeps one connection
    # per app, user and organisation, and revoking a refresh token removes every connection of
    # its user, so this says which local companies one disconnect can reach. None: not
    # recorded (a token file from before it was), which counts as possibly shared.
    user_id: str | None = None
    user_name: str | None = None
    user_email: str | None = None
    connected_at: datetime | None = None
    refreshed_at: datetime | None = None
    disconnected_at: datetime | None = None
    needs_reauth: bool = False
    reauth_reason: str | None = None
    reauth_cause: str | None = None  # TOKEN_REFUSED or TENANT_GONE; None reads as the first
    # The file holds a mark an earlier version left after two 401s, read as no mark.
    glitch_mark: bool = field(default=False, compare=False)

    @property
    def connected(self) -> bool:
        """A tenant and a refresh token are on file (they may still be refused by Xero)."""
        return bool(self.tenant_id and self.refresh_token)

    @property
    def refresh_token_issued_at(self) -> datetime | None:
        """Every refresh rotates the refresh token, so its age counts from the last one."""
        return self.refreshed_at or self.connected_at

    def seconds_left(self, now: datetime | None = None) -> float:
        if self.expires_at is None or not self.access_token:
            return 0.0
        return (self.expires_at - (now or datetime.now(UTC))).total_seconds()

    def cleared(self, when: datetime | None = None) -> CompanyTokens:
        """The record after `disconnect`: the company stays known, the connection is gone."""
        return CompanyTokens(company=self.company, disconnected_at=when or utcnow())

    @property
    def tenant_gone(self) -> bool:
        """Marked only because the organisation's connection is gone: the tokens still work."""
        return self.needs_reauth and self.reauth_cause == TENANT_GONE

    def with_reauth(self, reason: str, cause: str = TOKEN_REFUSED) -> CompanyTokens:
        return replace(self, needs_reauth=True, reauth_reason=reason, reauth_cause=cause)

    def with_tenant(
        self, tenant_id: str, name: str, tenant_type: str | None, connection_id: str
    ) -> CompanyTokens:
        """Switched to another organisation of the same sign-in: a gone one no longer matters."""
        return replace(
            self,
            tenant_id=tenant_id,
            tenant_name=name,
            tenant_type=tenant_type,
            connection_id=connection_id,
            needs_reauth=False if self.tenant_gone else self.needs_reauth,
            reauth_reason=None if self.tenant_gone else self.reauth_reason,
            reauth_cause=None if self.tenant_gone else self.reauth_cause,
        )

    def to_toml(self) -> dict[str, Any]:
        data: dict[str, Any] = {"format": FORMAT_VERSION, "company": self.company}
        data["tenant"] = _drop_none(
            {
                "id": self.tenant_id,
                "name": self.tenant_name,
                "type": self.tenant_type,
                "connection_id": self.connection_id,
                "auth_event_id": self.auth_event_id,
            }
        )
        data["token"] = _drop_none(
            {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_at": self.expires_at,
                "scopes": list(self.scopes),
                "refreshed_at": self.refreshed_at,
            }
        )
        data["user"] = _drop_none(
            {"id": self.user_id, "name": self.user_name, "email": self.user_email}
        )
        data["state"] = _drop_none(
            {
                "connected_at": self.connected_at,
                "disconnected_at": self.disconnected_at,
                "needs_reauth": self.needs_reauth,
                "reauth_reason": self.reauth_reason,
                "reauth_cause": self.reauth_cause,
            }
        )
        return data

    @classmethod
    def from_toml(cls, company: str, data: dict[str, Any]) -> CompanyTokens:
        """The record a token file holds; ValueError (saying what is wrong) for one no run of
        uku-xero writes: a connection without its refresh token (or the reverse), or a
        state that is not true or false."""
        tenant = _table(data, "tenant")
        token = _table(data, "token")
        user = _table(data, "user")
        state = _table(data, "state")
        scopes = token.get("scopes", [])
        needs_reauth = state.get("needs_reauth", False)
        if not isinstance(needs_reauth, bool):
            raise ValueError("state.needs_reauth is not true or false")
        has_tenant = _str(tenant.get("id")) is not None
        has_refresh = _str(token.get("refresh_token")) is not None
        if has_tenant != has_refresh:
            raise ValueError("no refresh token" if has_tenant else "no organisation (tenant id)")
        reason = _str(state.get("reauth_reason"))
        cause = _str(state.get("reauth_cause"))
        glitch = (
            needs_reauth
            and cause in (None, TOKEN_REFUSED)
            and (reason or "").startswith(_GLITCH_REASON)
        )
        if glitch:
            needs_reauth, reason, cause = False, None, None
        return cls(
            company=company,
            tenant_id=_str(tenant.get("id")),
            tenant_name=_str(tenant.get("name")),
            tenant_type=_str(tenant.get("type")),
            connection_id=_str(tenant.get("connection_id")),
            auth_event_id=_str(tenant.get("auth_event_id")),
            access_token=_str(token.get("access_token")),
            refresh_token=_str(token.get("refresh_token")),
            expires_at=_when(token.get("expires_at")),
            scopes=[s for s in scopes if isinstance(s, str)] if isinstance(scopes, list) else [],
            refreshed_at=_when(token.get("refreshed_at")),
            user_id=_str(user.get("id")),
            user_name=_str(user.get("name")),
            user_email=_str(user.get("email")),
            connected_at=_when(state.get("connected_at")),
            disconnected_at=_when(state.get("disconnected_at")),
            needs_reauth=needs_reauth,
            reauth_reason=reason,
            reauth_cause=cause,
            glitch_mark=glitch,
        )


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _when(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    # TOML keeps the offset we wrote; a hand-edited local time is taken as UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class TokenStore:
    """Reads and writes company token files under `settings.companies_dir`.

    `warn` receives problems worth telling the user that do not stop the command (a token
    file others could read, tightened to 0600). The CLI passes its stderr printer.
    """

    def __init__(self, settings: Settings, *, warn: Warn | None = None) -> None:
        self.settings = settings
        self.directory = settings.companies_dir
        self._warn = warn
        self.warnings: list[str] = []
        self._directory_checked = False
        # The last record read of each company, by the file's identity: every request reads
        # the token file (another process may have rotated the tokens), and parsing it again
        # only when it was replaced keeps that to a stat (a file is never rewritten in place).
        self._parsed: dict[str, tuple[tuple[int, ...], CompanyTokens]] = {}

    def path(self, company: str) -> Path:
        return self.settings.token_file(company)

    def lock_path(self, company: str) -> Path:
        return self.directory / f"{validate_company(company)}.lock"

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        if self._warn is not None:
            self._warn(message)

    def companies(self) -> list[str]:
        """Companies with a token file, sorted by name."""
        if not self.directory.is_dir():
            return []
        names = []
        for path in self.directory.glob("*.toml"):
            if path.name.startswith("."):
                continue  # a temporary file left by a process killed mid-write
            try:
                names.append(validate_company(path.stem))
            except InvalidCompanyName:
                continue
        return sorted(names)

    def load(self, company: str) -> CompanyTokens | None:
        """The company's record, or None when it has no token file. DamagedTokenFile when
        the file cannot be read as one; ConfigError when the path is not a file at all."""
        path = self.path(company)
        try:
            # Non-blocking: a pipe put there must not hang the command (it is refused below).
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
        kind = file_kind(os.fstat(fd).st_mode)
        if kind != "a regular file":
            os.close(fd)
            raise ConfigError(
                f"{path}: {kind}, not a token file; move it away: company '{company}' "
                "keeps its tokens there"
            )
        with os.fdopen(fd, "rb") as fh:
            self._tighten_directory()
            version = self._tighten(path, fh.fileno())
            known = self._parsed.get(company)
            if known is not None and known[0] == version:
                return replace(known[1])
            try:
                raw = read_limited(fh, MAX_TOKEN_FILE_BYTES)
            except UnreadableInput as exc:
                raise self._damaged(company, path, str(exc)) from None
        try:
            data = tomllib.loads(raw.decode("utf-8"))
            record = CompanyTokens.from_toml(company, data)
        except UnicodeDecodeError:
            raise self._damaged(company, path, "not UTF-8 text") from None
        except tomllib.TOMLDecodeError:
            raise self._damaged(company, path, "not valid TOML") from None
        except ValueError as exc:
            raise self._damaged(company, path, str(exc)) from None
        register_secret(record.access_token)
        register_secret(record.refresh_token)
        self._parsed[company] = (version, record)
        return replace(record)

    @staticmethod
    def _damaged(company: str, path: Path, why: str) -> DamagedTokenFile:
        return DamagedTokenFile(
            f"the token file of company '{company}' ({path}) is damaged: {why}",
            hint=f"{reauth_hint(company)} to replace it, or `uku-xero disconnect -c "
            f"{company} --yes` to clear it",
        )

    def load_connected(self, company: str, *, tenant_gone_ok: bool = False) -> CompanyTokens:
        """The record of a connected company; NotConnected or ReauthorizationRequired if not.

        With `tenant_gone_ok` a company marked only because its organisation's connection is
        gone is returned (still marked): its tokens can list and pick the other organisations.
        """
        record = self.load(company)
        if record is None or not record.connected:
            raise not_connected(company)
        if record.needs_reauth and not (tenant_gone_ok and record.tenant_gone):
            raise reauthorization_required(
                company, record.reauth_reason, tenant_gone=record.tenant_gone
            )
        return record

    def save(self, record: CompanyTokens) -> None:
        """Write the record atomically (temporary file, fsync, rename) with mode 0600."""
        import tomli_w

        register_secret(record.access_token)
        register_secret(record.refresh_token)
        ensure_private_dir(self.directory)
        payload = tomli_w.dumps(record.to_toml()).encode("utf-8")
        path = self.path(record.company)
        atomic_write(path, payload, mode=0o600)
        # A process killed mid-write leaves its temporary copy, refresh token and all.
        remove_stale_temporaries(path)

    def mark_needs_reauth(
        self, company: str, reason: str, *, cause: str = TOKEN_REFUSED
    ) -> CompanyTokens | None:
        """Record that Xero refused the company's tokens or connection, and why."""
        with self.lock(company):
            record = self.load(company)
            if record is None:
                return None
            record = record.with_reauth(reason, cause)
            self.save(record)
            return record

    def forget_glitch_mark(self, company: str) -> None:
        """Rewrite the file without the mark an earlier version left after two 401s (see
        `_GLITCH_REASON`), once Xero has answered the company again."""
        with self.lock(company):
            record = self.load(company)
            if record is not None and record.glitch_mark:
                self.save(record)

    def lock(
        self, company: str, timeout: float = DEFAULT_LOCK_TIMEOUT
    ) -> AbstractContextManager[None]:
        """Hold the company's cross-process lock (`<company>.lock`)."""
        from uku_xero_cli.locks import company_lock

        return company_lock(
            self.lock_path(company),
            timeout=timeout,
            busy=f"another uku-xero process has held the lock of company '{company}' for "
            f"{timeout:.0f} s",
            # The lock is the OS's lock on that file, held by a live process: it ends with
            # the process, so removing the file would not help.
            hint="wait for the other uku-xero command of this company to finish "
            "(ps aux | grep uku-xero), then run this one again",
            waiting=f"another uku-xero process is refreshing the token of company '{company}'",
            company=company,
        )

    def _tighten_directory(self) -> None:
        """A companies/ directory others may enter lets them see which companies exist and,
        with a token file's mode loosened, read it: 0700, with a warning, once per store."""
        if self._directory_checked:
            return
        self._directory_checked = True
        mode = stat.S_IMODE(self.directory.stat().st_mode)
        if mode & 0o077:
            self.directory.chmod(0o700)
            self.warn(f"{self.directory} was open to other users (mode {mode:04o}); it is now 0700")

    def _tighten(self, path: Path, fd: int) -> tuple[int, ...]:
        """Make the open token file 0600 (with a warning) if others could read it; returns
        what identifies this version of the file."""
        found = os.fstat(fd)
        mode = found.st_mode
        version = (found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns)
        if mode & 0o077:
            os.fchmod(fd, stat.S_IMODE(mode) & 0o600)
            self.warn(
                f"{path} was readable by other users (mode {stat.S_IMODE(mode):04o}); "
                "it is now 0600. Treat its tokens as exposed if others used this machine"
            )
        return version
