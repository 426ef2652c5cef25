"""`uku-xero doctor`: every check a support engineer runs on a company, as data.

Each check is a `Check`: its name, whether it passed (ok), only warns (warning), failed, or
could not run because an earlier one failed (skipped), what was found, and for anything not
ok the exact command or setting that fixes it, with `-c NAME`. A failed check carries the
typed error a command would meet for the same cause, so the exit code is what `status`
would give (the worst of them: `errors.ChecksFailed`).

Read-only at Xero except for one token refresh, which proves the refresh token live (and the
client id and secret right): GET /connections (the organisation still connected, Xero's
clock in its Date header) and GET /Organisation (the day's rate-limit headroom). Locally it
reads; the token store still tightens a token file others could read, as every command does.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from uku_xero_cli.errors import (
    AuthorizationFailed,
    ChecksFailed,
    ConfigError,
    DamagedTokenFile,
    MissingScope,
    RateLimited,
    StoreError,
    UkuXeroError,
    error_document,
)
from uku_xero_cli.fsutil import stale_temporaries
from uku_xero_cli.settings import ENDPOINT_DEFAULTS, Settings
from uku_xero_cli.tokens import (
    CompanyTokens,
    TokenStore,
    not_connected,
    reauth_hint,
    reauthorization_required,
)

if TYPE_CHECKING:
    import httpx

    from uku_xero_cli.trace import Event, Exchange
    from uku_xero_cli.xero.client import XeroClient

Status = Literal["ok", "warning", "failed", "skipped"]

# A Xero app's client id: 32 hexadecimal characters, upper case (developer.xero.com/app/manage
# shows them so; e.g. laws-africa/steampipe-plugin-xero config/xero.spc).
CLIENT_ID_SHAPE = re.compile(r"^[0-9A-F]{32}$")
REFRESH_TOKEN_DAYS = 60  # Xero: a refresh token expires after 60 days unused
REFRESH_WARN_DAYS = 7
CLOCK_WARN = 30.0  # seconds of skew worth a word
CLOCK_FAIL = 300.0  # seconds: token expiry and If-Modified-Since reads go wrong
DAY_LIMIT_WARN = 500  # requests left today below which a full reload may not fit
RELOAD_STALE_DAYS = 2
LOCK_STUCK = timedelta(hours=1)


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str | None = None
    # The error a command would meet for the same cause (failed checks only).
    error: UkuXeroError | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "status": self.status,
            "detail": self.detail,
            "fix": self.fix,
        }
        if self.error is not None:
            data["error"] = error_document(self.error)
        return data


def ok(name: str, detail: str) -> Check:
    return Check(name, "ok", detail)


def warning(name: str, detail: str, fix: str | None = None) -> Check:
    return Check(name, "warning", detail, fix)


def failed(
    name: str, error: UkuXeroError, fix: str | None = None, detail: str | None = None
) -> Check:
    return Check(name, "failed", detail or error.message, fix or error.hint, error)


def skipped(name: str, why: str) -> Check:
    return Check(name, "skipped", why)


@dataclass
class DoctorReport:
    company: str
    checks: list[Check]

    def outcome_error(self) -> ChecksFailed | None:
        by_check: dict[str, BaseException] = {
            c.name: c.error for c in self.checks if c.status == "failed" and c.error is not None
        }
        return ChecksFailed(self.company, by_check) if by_check else None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "company": self.company,
            "ok": self.outcome_error() is None,
            "checks": [c.to_json() for c in self.checks],
        }
        error = self.outcome_error()
        if error is not None:
            data["error"] = error_document(error)
        return data


def diagnose(
    settings: Settings,
    company: str,
    *,
    transport: httpx.BaseTransport | None = None,
    now: Callable[[], datetime] | None = None,
) -> DoctorReport:
    """Run every check on `company`, in the order a support engineer reads them."""
    clock = now or (lambda: datetime.now(UTC))
    checks = [*config_checks(settings), *file_checks(settings, company)]
    store = TokenStore(settings)
    record, token_checks = token_file_checks(store, company, clock())
    checks += token_checks
    if record is None:
        checks.append(skipped("Xero", "not checked live: the token checks above failed"))
    else:
        checks += live_checks(settings, store, record, transport)
    checks += store_checks(settings, company, clock())
    checks += lock_checks(settings, store, company, clock())
    return DoctorReport(company, checks)


# -- configuration ---------------------------------------------------------------------------


def _setting_fix(key: str, variable: str, value: str, settings: Settings) -> str:
    return f"set {key} = {value} in {settings.config_file} (or export {variable}={value})"


def config_checks(settings: Settings) -> list[Check]:
    from uku_xero_cli.oauth.loopback import redirect_uri_for

    checks = []
    client_id = settings.client_id
    xero = settings.endpoints.token_url == ENDPOINT_DEFAULTS["token_url"]
    if not client_id:
        checks.append(
            failed(
                "client id",
                ConfigError("no Xero client id configured"),
                _setting_fix("client_id", "XERO_CLIENT_ID", '"<the app\'s client id>"', settings)
                + "; the id is on the app's Configuration page at developer.xero.com",
            )
        )
    elif not xero:
        checks.append(ok("client id", f"{client_id} (not Xero's endpoints: shape not checked)"))
    elif CLIENT_ID_SHAPE.match(client_id):
        checks.append(ok("client id", client_id))
    else:
        checks.append(
            warning(
                "client id",
                f"{client_id!r} does not look like a Xero client id (32 hexadecimal "
                "characters, upper case)",
                "copy the client id again from the app's Configuration page at "
                "developer.xero.com, then "
                + _setting_fix("client_id", "XERO_CLIENT_ID", '"<the client id>"', settings),
            )
        )
    app_type = "Web app (client secret set)" if settings.client_secret else "PKCE app (no secret)"
    checks.append(ok("app type", app_type + ": the token refresh below proves it"))
    port = settings.redirect_port
    uri = redirect_uri_for(port)
    checks.append(ok("redirect URI", f"{uri} (register it for the app at developer.xero.com)"))
    checks.append(_port_check(settings, port))
    return checks


def _port_check(settings: Settings, port: int) -> Check:
    from uku_xero_cli.oauth.loopback import LoopbackServer

    try:
        with LoopbackServer(port, lambda url: url):
            pass
    except UkuXeroError as exc:
        return warning(
            "redirect port",
            f"`auth` could not receive the sign-in: {exc.message}",
            f"stop the program using port {port} (`lsof -i :{port}`), or use another port: "
            + _setting_fix("redirect_port", "UKU_XERO_REDIRECT_PORT", "N", settings)
            + ", and register http://localhost:N/callback for the app",
        )
    return ok("redirect port", f"{port} is free for `auth`")


# -- files -----------------------------------------------------------------------------------


def _mode_check(name: str, path: Path, wanted: int) -> Check | None:
    if not path.exists():
        return None
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        return failed(
            name,
            UkuXeroError(f"{path} is open to other users (mode {mode:04o})"),
            f"chmod {wanted:o} {path}",
        )
    return ok(name, f"{path} ({mode:04o})")


def file_checks(settings: Settings, company: str) -> list[Check]:
    """Permissions of what holds tokens and client data, and temporary token files left by a
    process killed while saving."""
    found = [
        _mode_check("config directory", settings.companies_dir, 0o700),
        _mode_check("token file", settings.token_file(company), 0o600),
        _mode_check("data directory", settings.stores_dir, 0o700),
    ]
    if settings.client_secret:
        found.append(_mode_check("config.toml", settings.config_file, 0o600))
    checks = [c for c in found if c is not None]
    # The same files the company's next token write removes (fsutil: older than a minute).
    leftovers = stale_temporaries(settings.token_file(company))
    if leftovers:
        checks.append(
            warning(
                "temporary token files",
                f"{len(leftovers)} left by a save that was interrupted (they may hold tokens)",
                "rm " + " ".join(str(p) for p in leftovers),
            )
        )
    return checks


# -- tokens ----------------------------------------------------------------------------------


def token_file_checks(
    store: TokenStore, company: str, now: datetime
) -> tuple[CompanyTokens | None, list[Check]]:
    """The token file and the refresh token's age; the record when the company is connected
    and not marked for re-authorization (then the live checks can run)."""
    try:
        record = store.load(company)
    except DamagedTokenFile as exc:
        return None, [failed("token file", exc)]
    if record is None or not record.connected:
        return None, [failed("connection on file", not_connected(company))]
    checks = [ok("connection on file", f"{record.tenant_name} ({record.tenant_id})")]
    if record.needs_reauth and not record.tenant_gone:
        error = reauthorization_required(company, record.reauth_reason)
        return None, [*checks, failed("tokens", error)]
    if record.tenant_gone:
        # The tokens still work: the live checks below show which organisations they reach.
        error = reauthorization_required(company, record.reauth_reason, tenant_gone=True)
        checks.append(failed("tokens", error))
    issued = record.refresh_token_issued_at
    if issued is not None:
        age = (now - issued).total_seconds() / 86400
        left = REFRESH_TOKEN_DAYS - age
        said = f"issued {age:.0f} days ago; Xero ends it after {REFRESH_TOKEN_DAYS} days unused"
        if left <= 0:
            error = reauthorization_required(
                company, f"the refresh token went unused for {age:.0f} days"
            )
            return None, [*checks, failed("refresh token age", error, detail=said)]
        if left < REFRESH_WARN_DAYS:
            checks.append(
                warning(
                    "refresh token age",
                    f"{said}: {left:.0f} days left",
                    f"run any command for the company now, e.g. `uku-xero status -c {company}`, "
                    "and schedule the nightly reload (see Running from cron)",
                )
            )
        else:
            checks.append(ok("refresh token age", f"{said}: {left:.0f} days left"))
    return record, checks


# -- live ------------------------------------------------------------------------------------


@dataclass
class _Answers:
    """What the exchanges of the live checks said: Xero's Date and rate-limit headroom."""

    last: dict[str, tuple[Exchange, datetime]] = field(default_factory=dict)

    def __call__(self, event: Event) -> None:
        from uku_xero_cli.trace import Exchange

        if isinstance(event, Exchange) and event.status is not None:
            path = event.url.split("?")[0].rstrip("/").rsplit("/", 1)[-1].lower()
            self.last[path] = (event, datetime.now(UTC))


def live_checks(
    settings: Settings,
    store: TokenStore,
    record: CompanyTokens,
    transport: httpx.BaseTransport | None,
) -> list[Check]:
    from uku_xero_cli.trace import Trace, current_trace
    from uku_xero_cli.xero.client import XeroClient

    company = record.company
    parent = current_trace()
    answers = _Answers()
    trace = Trace([answers, parent.emit], level=parent.level)
    try:
        client = XeroClient(settings, company, store=store, transport=transport, trace=trace)
    except UkuXeroError as exc:  # no client id: nothing can be asked of Xero
        return [failed("token refresh", exc), skipped("Xero", "not checked live: " + str(exc))]
    with client:
        refreshed = _refresh_check(store, client, company)
        if refreshed.status == "failed":
            return [refreshed, skipped("Xero", "not checked live: the token refresh failed")]
        checks = [refreshed, _connection_check(client, record)]
        checks.append(_clock_check(answers))
        if checks[1].status == "ok":
            checks += scope_checks(store.load(company) or record)
            checks.append(_headroom_check(client, answers))
    return checks


def _refresh_check(store: TokenStore, client: XeroClient, company: str) -> Check:
    from uku_xero_cli.oauth.refresh import fresh_tokens

    name = "token refresh"
    try:
        record = fresh_tokens(
            store,
            company,
            identity=lambda: client.identity,
            force=True,
            tenant_gone_ok=True,
            trace=client.trace,
        )
    except AuthorizationFailed as exc:  # invalid_client: the id or secret does not fit
        return failed(
            name,
            ConfigError(f"Xero refused the app's credentials: {exc.message}"),
            "check XERO_CLIENT_ID / client_id; for a PKCE app unset XERO_CLIENT_SECRET and "
            "client_secret, for a Web app set the app's current secret",
        )
    except UkuXeroError as exc:  # invalid_grant, the network, no client id: as is
        return failed(name, exc)
    return ok(
        name,
        "Xero took the refresh token (it is live) and issued an access token good for "
        f"{record.seconds_left() / 60:.0f} min",
    )


def _connection_check(client: XeroClient, record: CompanyTokens) -> Check:
    """The organisation still among the token's connections (a gone one is not marked in the
    token file here: doctor only diagnoses)."""
    name = "organisation"
    company = record.company
    try:
        connections = client.connections()
    except UkuXeroError as exc:
        return failed(name, exc)
    found = next((c for c in connections if c.tenant_id == record.tenant_id), None)
    if found is None:
        error = reauthorization_required(
            company,
            f"the organisation {record.tenant_name} is no longer connected in Xero "
            "(disconnected there, or the user lost access)",
            tenant_gone=True,
        )
        others = [c.tenant_name for c in connections]
        fix = reauth_hint(company, tenant_gone=bool(others))
        return failed(name, error, fix.replace("NAME", f'"{others[0]}"') if others else fix)
    since = f" since {found.created:%Y-%m-%d}" if found.created else ""
    return ok(name, f"{found.tenant_name} is connected{since} ({len(connections)} in reach)")


def _clock_check(answers: _Answers) -> Check:
    name = "clock"
    seen = answers.last.get("connections")
    if seen is None or seen[0].server_date is None:
        return skipped(name, "Xero's answer carried no Date header")
    exchange, received = seen
    try:
        server = parsedate_to_datetime(exchange.server_date or "")
    except (TypeError, ValueError):
        return skipped(name, f"Xero's Date header {exchange.server_date!r} is not a date")
    # Xero stamped its answer somewhere during the exchange: compare with its middle, and
    # with the middle of the second Date names (it drops the fraction).
    local = received - timedelta(seconds=exchange.seconds / 2)
    skew = (local - server).total_seconds() - 0.5
    said = (
        f"this machine's clock is {abs(skew):.0f} s {'ahead of' if skew > 0 else 'behind'} Xero's"
    )
    if abs(skew) <= CLOCK_WARN:
        return ok(name, f"{said} (Date header)")
    fix = "set the clock right and keep it so: `sudo timedatectl set-ntp true` (Linux)"
    if abs(skew) <= CLOCK_FAIL:
        return warning(name, said, fix)
    return failed(
        name,
        UkuXeroError(f"{said}: token expiry and changed-since reads go wrong"),
        fix,
    )


def scope_checks(record: CompanyTokens) -> list[Check]:
    """What each command needs against what was granted (xero/scopes.py's feature table)."""
    from uku_xero_cli.xero.scopes import missing_scopes, with_scope

    company = record.company
    lacking = [(f, missing) for f, missing in missing_scopes(record.scopes) if missing]
    if not lacking:
        return [ok("scopes", "the granted scopes cover every command")]
    checks = []
    for feature, missing in lacking:
        scopes = record.scopes
        for scope in missing:
            scopes = with_scope(scopes, scope).split()
        checks.append(
            warning(
                f"scopes: {feature.name}",
                f"cannot {feature.what}: not granted {', '.join(missing)}",
                f'uku-xero auth -c {company} --scopes "{" ".join(scopes)}" (with the scope '
                "enabled for the app at developer.xero.com)",
            )
        )
    return checks


def _headroom_check(client: XeroClient, answers: _Answers) -> Check:
    name = "rate limit today"
    try:
        client.get("Organisation")
    except RateLimited as exc:
        return failed(name, exc)
    except MissingScope:
        return skipped(name, "GET /Organisation needs accounting.settings.read, not granted")
    except UkuXeroError as exc:
        return warning(name, f"not known: {exc.message}")
    seen = answers.last.get("organisation")
    left = seen[0].limits.get("day") if seen else None
    if left is None:
        return skipped(name, "Xero's answer did not say (no X-DayLimit-Remaining)")
    said = f"{left} requests left today for this organisation (X-DayLimit-Remaining)"
    if left < DAY_LIMIT_WARN:
        return warning(
            name,
            said,
            f"leave a full reload for tomorrow; `uku-xero reload -c {client.company}` (without "
            "--full) asks only for what changed",
        )
    return ok(name, said)


# -- the Uku-side store ----------------------------------------------------------------------


def store_checks(settings: Settings, company: str, now: datetime) -> list[Check]:
    """The store of the organisation the company works with (store/opening.py)."""
    from uku_xero_cli.store.layout import CompanyFiles
    from uku_xero_cli.store.opening import current_tenant

    files = CompanyFiles(settings, company)
    try:
        tenant = current_tenant(settings, company)  # moves an earlier layout's store in first
    except UkuXeroError as exc:
        return [failed("store", exc)]  # its hint says what to move
    path = files.company_store if tenant is None else files.organisation_store(tenant[0])
    if not path.exists():
        return [warning("store", f"{path} does not exist yet", f"uku-xero reload -c {company}")]
    problem = _quick_check(path)
    if problem is not None:
        error = StoreError(f"the store {path} is damaged: {problem}")
        fix = f"mv {path} {path}.damaged && uku-xero reload -c {company} --full"
        return [failed("store", error, fix)]
    checks = [ok("store", f"{path} (quick_check ok)")]
    return checks + reload_checks(settings, company, now)


def _quick_check(path: Path) -> str | None:
    """None if SQLite finds the file sound, else what it found (read-only)."""
    import sqlite3
    from contextlib import closing

    try:
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as conn:
            rows = [str(row[0]) for row in conn.execute("PRAGMA quick_check")]
    except sqlite3.Error as exc:
        return str(exc)
    return None if rows == ["ok"] else "; ".join(rows[:3])


def reload_checks(settings: Settings, company: str, now: datetime) -> list[Check]:
    """The last reload of each data set (sync/datasets.py's registry)."""
    from uku_xero_cli.store import open_company_store
    from uku_xero_cli.sync.datasets import REGISTRY

    try:
        with open_company_store(settings, company) as store:
            runs = store.last_runs()
    except (UkuXeroError, OSError) as exc:
        return [warning("reloads", f"not readable: {exc}", f"uku-xero reload -c {company}")]
    checks = []
    for data_set in REGISTRY:
        name = f"reload: {data_set.label}"
        again = f"uku-xero reload -c {company} --only {data_set.name}"
        run = runs.get(data_set.name)
        if run is None:
            checks.append(warning(name, "never reloaded", again))
            continue
        when = run.finished_at or run.started_at
        age = now - when
        ago = _ago(age)
        if run.outcome != "ok":
            error = f": {run.error}" if run.error else ""
            checks.append(warning(name, f"the last reload, {ago}, was {run.outcome}{error}", again))
        elif age > timedelta(days=RELOAD_STALE_DAYS):
            checks.append(
                warning(
                    name,
                    f"last reloaded {ago}",
                    f"uku-xero reload -c {company} (and check the cron job: Running from cron)",
                )
            )
        else:
            checks.append(ok(name, f"reloaded {ago} ({run.fetched} fetched)"))
    return checks


def _ago(age: timedelta) -> str:
    seconds = max(age.total_seconds(), 0)
    if seconds < 3600:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} days ago"


# -- locks -----------------------------------------------------------------------------------


def lock_checks(settings: Settings, store: TokenStore, company: str, now: datetime) -> list[Check]:
    """Each of the company's locks: free, or held by which process since when."""
    from uku_xero_cli.locks import lock_is_held, push_lock_path, read_holder, reload_lock_path

    checks = []
    for kind, path in (
        ("reload", reload_lock_path(settings, company)),
        ("push", push_lock_path(settings, company)),
        ("token", store.lock_path(company)),
    ):
        name = f"lock: {kind}"
        holder = read_holder(path)
        if not lock_is_held(path):
            note = (
                f" (pid {holder.pid}, which held it, ended without letting go: harmless)"
                if holder is not None
                else ""
            )
            checks.append(ok(name, f"free{note}"))
            continue
        if holder is None:
            checks.append(
                warning(name, f"held by another process ({path})", "ps aux | grep uku-xero")
            )
            continue
        held = now - holder.since
        said = f"held by pid {holder.pid} ({holder.command}) for {_ago(held).removesuffix(' ago')}"
        if held > LOCK_STUCK:
            checks.append(
                warning(
                    name,
                    said,
                    f"if pid {holder.pid} is stuck, stop it: kill {holder.pid} (the lock ends "
                    "with it)",
                )
            )
        else:
            checks.append(ok(name, said))
    return checks
