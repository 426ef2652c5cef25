"""Where things live and how the tool is configured.

Settings come from `<config>/config.toml` and the environment; the environment wins.
Nothing here touches the network.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from uku_xero_cli.errors import ConfigError, InvalidCompanyName, UsageError
from uku_xero_cli.xero.pacing import PaceLimits
from uku_xero_cli.xero.scopes import GRANULAR, requested_scopes

APP_NAME = "uku-xero"
DEFAULT_COMPANY = "default"
DEFAULT_REDIRECT_PORT = 8763
# The granular scopes Xero requires of apps created from 2 March 2026 (xero/scopes.py).
DEFAULT_SCOPES = GRANULAR

ENDPOINT_DEFAULTS = {
    "authorize_url": "https://login.xero.com/identity/connect/authorize",
    "token_url": "https://identity.xero.com/connect/token",
    "revoke_url": "https://identity.xero.com/connect/revocation",
    "connections_url": "https://api.xero.com/connections",
    "api_url": "https://api.xero.com/api.xro/2.0",
}

# [limits] keys of config.toml and the variables that override them (Xero's own limits are the
# defaults: 5 in flight and 60 a minute per organisation, 10,000 a minute per app).
LIMIT_ENV = {
    "concurrent": "UKU_XERO_MAX_CONCURRENT",
    "per_minute": "UKU_XERO_MAX_PER_MINUTE",
    "app_per_minute": "UKU_XERO_APP_MAX_PER_MINUTE",
}

COMPANY_RULE = "letters, digits, '-', '_' and '.', at most 64 characters, not starting with '.'"
_COMPANY_RE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}")
# Most a config.toml can hold; anything longer is not one someone wrote by hand.
MAX_CONFIG_BYTES = 1024 * 1024
# A pace limit above this is no limit at all (Xero's own are 5, 60 and 10,000).
MAX_LIMIT = 1_000_000
# OAuth's scope-token characters (RFC 6749 §3.3): printable ASCII but space, '"' and '\'.
_SCOPE_RE = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
# Client ids and secrets as Xero issues them: printable ASCII without spaces.
_CREDENTIAL_RE = re.compile(r"[\x21-\x7e]{1,256}")


@dataclass(frozen=True)
class Endpoints:
    authorize_url: str = ENDPOINT_DEFAULTS["authorize_url"]
    token_url: str = ENDPOINT_DEFAULTS["token_url"]
    revoke_url: str = ENDPOINT_DEFAULTS["revoke_url"]
    connections_url: str = ENDPOINT_DEFAULTS["connections_url"]
    api_url: str = ENDPOINT_DEFAULTS["api_url"]


@dataclass(frozen=True)
class Settings:
    config_dir: Path
    data_dir: Path
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    redirect_port: int = DEFAULT_REDIRECT_PORT
    scopes: str = DEFAULT_SCOPES
    default_company: str | None = None
    endpoints: Endpoints = field(default_factory=Endpoints)
    limits: PaceLimits = field(default_factory=PaceLimits)
    # Where every exchange, refresh and wait is appended as a JSON line (UKU_XERO_LOG).
    log_file: Path | None = None

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def companies_dir(self) -> Path:
        return self.config_dir / "companies"

    @property
    def stores_dir(self) -> Path:
        return self.data_dir / "companies"

    def token_file(self, company: str) -> Path:
        return self.companies_dir / f"{validate_company(company)}.toml"

    def company_data_dir(self, company: str) -> Path:
        """Where the company's Uku-side stores and job locks live (store/layout.py)."""
        return self.stores_dir / validate_company(company)

    def with_changes(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def require_client_id(settings: Settings) -> str:
    """The Xero app's client id, or MissingClientId: the one error for its absence."""
    if settings.client_id:
        return settings.client_id
    from uku_xero_cli.errors import MissingClientId

    raise MissingClientId(
        "no Xero client id configured: set XERO_CLIENT_ID or client_id in config.toml",
        hint="copy the client id of the app from My Apps at developer.xero.com into "
        'config.toml as client_id = "..." (or export XERO_CLIENT_ID)',
    )


def validate_company(name: str, source: str | None = None) -> str:
    """Return `name` if it is a safe company name, else raise InvalidCompanyName (naming
    `source`, the setting it came from, when given)."""
    if not _COMPANY_RE.fullmatch(name) or ".." in name:
        where = f"{source}: " if source else ""
        raise InvalidCompanyName(f"{where}invalid company name {name[:80]!r}: use {COMPANY_RULE}")
    return name


def default_config_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME))


def default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME))


def _read_config(path: Path) -> dict[str, Any]:
    import tomllib

    from uku_xero_cli.fsutil import UnreadableInput, read_bounded

    try:
        with path.open("rb") as fh:
            data = read_bounded(fh, MAX_CONFIG_BYTES)
    except FileNotFoundError:
        return {}
    except UnreadableInput as exc:
        raise ConfigError(f"{path}: {exc}; config.toml must be a TOML file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {exc.start}); config.toml must be UTF-8 TOML"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def _shown(value: Any) -> str:
    """A setting's value in a message: short, and never a control character."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _whole_number(value: Any, source: str, low: int, high: int, what: str) -> int:
    """A whole number from `low` to `high`: a TOML integer, or decimal digits (environment);
    never a boolean (TOML's `true` is not 1) and never a fraction (8763.7 is not 8763)."""
    allowed = f"{what}: a whole number from {low:,} to {high:,}"
    if isinstance(value, str):
        text = value.strip()
        number = int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        number = None
    if number is None or not low <= number <= high:
        raise ConfigError(f"{source}: {_shown(value)} is not allowed; use {allowed}")
    return number


def _port(value: Any, source: str) -> int:
    # 0 would pick a random port, and a random redirect URI is never registered with Xero.
    return _whole_number(value, source, 1, 65535, "the redirect port")


def _text(value: Any, source: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{source}: expected text, got {type(value).__name__}")
    return value


def _credential(value: Any, source: str) -> str | None:
    """A client id or secret: printable ASCII without spaces, as Xero issues them (HTTP Basic
    and form encoding take nothing else). The value itself is never shown."""
    text = _text(value, source).strip()
    if text and not _CREDENTIAL_RE.fullmatch(text):
        raise ConfigError(
            f"{source}: not a Xero credential; use the value Xero shows for the app "
            "(printable ASCII without spaces, at most 256 characters)"
        )
    return text or None


def _scopes(value: Any, source: str) -> str | None:
    text = _text(value, source)
    scopes = text.split()
    bad = [scope for scope in scopes if not _SCOPE_RE.fullmatch(scope)]
    if bad:
        raise ConfigError(
            f"{source}: {_shown(bad[0])} is not an OAuth scope; use space-separated scopes "
            "such as 'offline_access accounting.contacts'"
        )
    return " ".join(scopes) or None


def _url(value: Any, source: str) -> str:
    """An http(s) URL with a host, as httpx will need it; the trailing '/' dropped."""
    from urllib.parse import urlsplit

    text = _text(value, source).strip()
    allowed = "use an http:// or https:// URL with a host, e.g. https://api.xero.com/api.xro/2.0"
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not one
        usable = (
            parts.scheme in ("http", "https")
            and bool(parts.hostname)
            and text.isascii()
            and text.isprintable()
            and " " not in text
        )
    except ValueError:
        usable = False
    if not usable:
        raise ConfigError(f"{source}: {_shown(text)} is not allowed; {allowed}")
    return text.rstrip("/")


def _limit(value: Any, source: str) -> int:
    return _whole_number(value, source, 1, MAX_LIMIT, "a pace limit")


def _directory(path: Path, source: str) -> Path:
    """A directory uku-xero may use: one that exists, or one it can create (its nearest
    existing parent is a directory). `/dev/null` or a file is refused here, not later."""
    try:
        existing = path
        while not existing.exists() and existing.parent != existing:
            existing = existing.parent
        usable = existing.is_dir()
    except OSError as exc:
        raise ConfigError(f"{source}: {path} cannot be used ({exc.strerror})") from None
    if not usable:
        from uku_xero_cli.fsutil import file_kind

        kind = file_kind(existing.stat().st_mode)
        why = f"is {kind}" if existing == path else f"cannot be made: {existing} is {kind}"
        raise ConfigError(f"{source}: {path} {why}; use the path of a directory")
    return path


def _limits(raw: Mapping[str, Any], env: Mapping[str, str], name: str) -> PaceLimits:
    table = raw.get("limits", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{name}: [limits] must be a table")
    values: dict[str, int] = {}
    for key, env_name in LIMIT_ENV.items():
        if env.get(env_name):
            values[key] = _limit(env[env_name], env_name)
        elif key in table:
            values[key] = _limit(table[key], f"{name}: limits.{key}")
    return PaceLimits(**values)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read config.toml and the environment into Settings (environment wins). Every value is
    checked here, once: a bad one is a ConfigError naming the setting and what is allowed."""
    env = os.environ if env is None else env
    if env.get("UKU_XERO_CONFIG_DIR"):
        config_dir = _directory(Path(env["UKU_XERO_CONFIG_DIR"]), "UKU_XERO_CONFIG_DIR")
    else:
        config_dir = _directory(default_config_dir(), "the config directory")
    if env.get("UKU_XERO_DATA_DIR"):
        data_dir = _directory(Path(env["UKU_XERO_DATA_DIR"]), "UKU_XERO_DATA_DIR")
    else:
        data_dir = _directory(default_data_dir(), "the data directory")
    path = config_dir / "config.toml"
    raw = _read_config(path)

    def pick(key: str, env_name: str) -> tuple[Any, str] | None:
        if env.get(env_name):
            return env[env_name], env_name
        if key in raw:
            return raw[key], f"{path}: {key}"
        return None

    values: dict[str, Any] = {}
    for key, env_name in (("client_id", "XERO_CLIENT_ID"), ("client_secret", "XERO_CLIENT_SECRET")):
        if (found := pick(key, env_name)) is not None:
            values[key] = _credential(*found)
    if (found := pick("scopes", "UKU_XERO_SCOPES")) is not None:
        scopes = _scopes(*found)
        if scopes is not None:
            # A preset (`granular`, `broad`) stands for its scopes from here on.
            values["scopes"] = " ".join(requested_scopes(scopes))
    if (found := pick("redirect_port", "UKU_XERO_REDIRECT_PORT")) is not None:
        values["redirect_port"] = _port(*found)
    if (found := pick("log_file", "UKU_XERO_LOG")) is not None:
        log_file = _text(*found).strip()
        if log_file:
            values["log_file"] = Path(log_file).expanduser()
    if "default_company" in raw:
        source = f"{path}: default_company"
        values["default_company"] = validate_company(_text(raw["default_company"], source), source)

    table = raw.get("endpoints", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [endpoints] must be a table")
    urls = {}
    for key in ENDPOINT_DEFAULTS:
        env_name = f"UKU_XERO_{key.upper()}"
        if env.get(env_name):
            urls[key] = _url(env[env_name], env_name)
        elif key in table:
            urls[key] = _url(table[key], f"{path}: endpoints.{key}")
    return Settings(
        config_dir=config_dir,
        data_dir=data_dir,
        endpoints=Endpoints(**urls),
        limits=_limits(raw, env, str(path)),
        **values,
    )


def default_company(
    settings: Settings, env: Mapping[str, str], configured: Sequence[str] = ()
) -> str | None:
    """The company a command acts on without --company: UKU_XERO_COMPANY, then
    default_company in config.toml, then `default`, but only while `default` is configured
    or nothing is (`configured`: the companies that exist). None: companies exist and none is
    the default, so guessing one would act on the wrong company."""
    if env.get("UKU_XERO_COMPANY"):
        return validate_company(env["UKU_XERO_COMPANY"], "UKU_XERO_COMPANY")
    if settings.default_company:
        return settings.default_company
    if configured and DEFAULT_COMPANY not in configured:
        return None
    return DEFAULT_COMPANY


def resolve_company(
    flag: str | None,
    settings: Settings,
    env: Mapping[str, str] | None = None,
    *,
    configured: Callable[[], Sequence[str]] | None = None,
) -> str:
    """--company, else `default_company(...)`; UsageError naming the companies when there is
    no default to fall back on. `configured` lists the existing companies (asked only when
    neither --company, UKU_XERO_COMPANY nor default_company names one)."""
    env = os.environ if env is None else env
    # An empty --company is a mistake to point out, not a request for the default.
    if flag is not None:
        return validate_company(flag, "--company")
    if env.get("UKU_XERO_COMPANY") or settings.default_company or configured is None:
        name = default_company(settings, env)
    else:
        known = configured()
        name = default_company(settings, env, known)
        if name is None:
            which = "one company" if len(known) == 1 else "several companies"
            raise UsageError(
                f"no company given and no default: {which} configured ({', '.join(known)})",
                hint='pass -c NAME, or set default_company = "NAME" in config.toml '
                "(or UKU_XERO_COMPANY)",
            )
    assert name is not None  # without `configured` there is always a default
    return name


def write_config(settings_dir: Path, values: Mapping[str, Any]) -> Path:
    """Merge `values` into config.toml atomically (used by `config`-style commands and tests)."""
    import tomli_w

    from uku_xero_cli.fsutil import atomic_write

    path = settings_dir / "config.toml"
    merged = _read_config(path)
    merged.update(values)
    atomic_write(path, tomli_w.dumps(merged).encode(), mode=0o600)
    return path
