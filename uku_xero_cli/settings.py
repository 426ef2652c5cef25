"""Where things live and how the tool is configured.

Settings come from `<config>/config.toml` and the environment; the environment wins.
Nothing here touches the network.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from uku_xero_cli.errors import ConfigError, InvalidCompanyName
from uku_xero_cli.xero.pacing import PaceLimits

APP_NAME = "uku-xero"
DEFAULT_COMPANY = "default"
DEFAULT_REDIRECT_PORT = 8763
# The granular scopes Xero requires of apps created from 2 March 2026.
DEFAULT_SCOPES = (
    "offline_access openid profile email accounting.contacts accounting.settings "
    "accounting.invoices accounting.payments accounting.banktransactions.read "
    "accounting.manualjournals.read"
)

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
_COMPANY_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")


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

    def store_file(self, company: str) -> Path:
        return self.stores_dir / f"{validate_company(company)}.sqlite"

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


def validate_company(name: str) -> str:
    """Return `name` if it is a safe company name, else raise InvalidCompanyName."""
    if not _COMPANY_RE.match(name) or ".." in name:
        raise InvalidCompanyName(f"invalid company name {name!r}: use {COMPANY_RULE}")
    return name


def default_config_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME))


def default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME))


def _read_config(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None


def _port(value: Any, source: str) -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{source}: {value!r} is not a port number") from None
    # 0 would pick a random port, and a random redirect URI is never registered with Xero.
    if not 1 <= port <= 65535:
        raise ConfigError(f"{source}: {port} is outside 1-65535")
    return port


def _text(value: Any, source: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{source}: expected text, got {type(value).__name__}")
    return value


def _limit(value: Any, source: str) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"{source}: {value!r} is not a whole number")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{source}: {value!r} is not a whole number") from None
    if number < 1 or (isinstance(value, float) and value != number):
        raise ConfigError(f"{source}: {value!r} must be a whole number of at least 1")
    return number


def _limits(raw: Mapping[str, Any], env: Mapping[str, str], name: str) -> PaceLimits:
    table = raw.get("limits", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{name}: [limits] must be a table")
    values: dict[str, int] = {}
    for key, env_name in LIMIT_ENV.items():
        if env.get(env_name):
            values[key] = _limit(env[env_name].strip(), env_name)
        elif key in table:
            values[key] = _limit(table[key], f"{name}: limits.{key}")
    return PaceLimits(**values)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read config.toml and the environment into Settings (environment wins)."""
    env = os.environ if env is None else env
    config_dir = Path(env["UKU_XERO_CONFIG_DIR"]) if env.get("UKU_XERO_CONFIG_DIR") else None
    data_dir = Path(env["UKU_XERO_DATA_DIR"]) if env.get("UKU_XERO_DATA_DIR") else None
    config_dir = config_dir or default_config_dir()
    data_dir = data_dir or default_data_dir()
    path = config_dir / "config.toml"
    raw = _read_config(path)

    def pick(key: str, env_name: str) -> tuple[Any, str] | None:
        if env.get(env_name):
            return env[env_name], env_name
        if key in raw:
            return raw[key], f"{path.name}: {key}"
        return None

    values: dict[str, Any] = {}
    for key, env_name in (
        ("client_id", "XERO_CLIENT_ID"),
        ("client_secret", "XERO_CLIENT_SECRET"),
        ("scopes", "UKU_XERO_SCOPES"),
    ):
        found = pick(key, env_name)
        if found is not None:
            values[key] = _text(*found).strip() or None
    if (found := pick("redirect_port", "UKU_XERO_REDIRECT_PORT")) is not None:
        values["redirect_port"] = _port(*found)
    if (found := pick("log_file", "UKU_XERO_LOG")) is not None:
        log_file = _text(*found).strip()
        if log_file:
            values["log_file"] = Path(log_file).expanduser()
    if "default_company" in raw:
        values["default_company"] = validate_company(
            _text(raw["default_company"], f"{path.name}: default_company")
        )
    if values.get("scopes") is None:
        values.pop("scopes", None)

    table = raw.get("endpoints", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path.name}: [endpoints] must be a table")
    urls = {}
    for key in ENDPOINT_DEFAULTS:
        env_name = f"UKU_XERO_{key.upper()}"
        if env.get(env_name):
            urls[key] = env[env_name]
        elif key in table:
            urls[key] = _text(table[key], f"{path.name}: endpoints.{key}")
    for key, url in urls.items():
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"{key}: {url!r} is not an http(s) URL")
    return Settings(
        config_dir=config_dir,
        data_dir=data_dir,
        endpoints=Endpoints(**{k: v.rstrip("/") for k, v in urls.items()}),
        limits=_limits(raw, env, path.name),
        **values,
    )


def resolve_company(
    flag: str | None, settings: Settings, env: Mapping[str, str] | None = None
) -> str:
    """--company, then UKU_XERO_COMPANY, then default_company in config.toml, then 'default'."""
    env = os.environ if env is None else env
    # An empty --company is a mistake to point out, not a request for the default.
    if flag is not None:
        name = flag
    else:
        name = env.get("UKU_XERO_COMPANY") or settings.default_company or DEFAULT_COMPANY
    return validate_company(name)


def write_config(settings_dir: Path, values: Mapping[str, Any]) -> Path:
    """Merge `values` into config.toml atomically (used by `config`-style commands and tests)."""
    import tomli_w

    from uku_xero_cli.fsutil import atomic_write

    path = settings_dir / "config.toml"
    merged = _read_config(path)
    merged.update(values)
    atomic_write(path, tomli_w.dumps(merged).encode(), mode=0o600)
    return path
