"""The per-company token store: file format, permissions, atomicity, locking."""

from __future__ import annotations

import stat
import subprocess
import sys
import threading
import time
import tomllib
from datetime import UTC, datetime, timedelta

import pytest

from uku_xero_cli.errors import LockHeld, NotConnected, ReauthorizationRequired
from uku_xero_cli.redact import redact
from uku_xero_cli.settings import load_settings
from uku_xero_cli.tokens import CompanyTokens, TokenStore


def record(company: str = "acme", **changes: object) -> CompanyTokens:
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    values: dict[str, object] = {
        "company": company,
        "tenant_id": "0f3c2a9e-1111-4222-8333-444455556666",
        "tenant_name": "Demo Company (UK)",
        "tenant_type": "ORGANISATION",
        "connection_id": "7d1b0c62-aaaa-4bbb-8ccc-dddd0000eeee",
        "access_token": "access-token-value-0001",
        "refresh_token": "refresh-token-value-0001",
        "expires_at": now + timedelta(minutes=30),
        "scopes": ["offline_access", "accounting.invoices"],
        "user_name": "Kadri Tamm",
        "user_email": "kadri@example.com",
        "connected_at": now,
        "refreshed_at": None,
    }
    values.update(changes)
    return CompanyTokens(**values)  # type: ignore[arg-type]


@pytest.fixture
def store() -> TokenStore:
    return TokenStore(load_settings())


def test_saved_record_reads_back_identically(store: TokenStore) -> None:
    saved = record()
    store.save(saved)
    assert store.load("acme") == saved


def test_token_file_is_toml_with_the_documented_fields(store: TokenStore) -> None:
    store.save(record(needs_reauth=True, reauth_reason="invalid_grant"))
    data = tomllib.loads(store.path("acme").read_text())
    assert data["tenant"] == {
        "id": "0f3c2a9e-1111-4222-8333-444455556666",
        "name": "Demo Company (UK)",
        "type": "ORGANISATION",
        "connection_id": "7d1b0c62-aaaa-4bbb-8ccc-dddd0000eeee",
    }
    assert data["token"]["refresh_token"] == "refresh-token-value-0001"
    assert data["token"]["expires_at"] == datetime(2026, 5, 1, 12, 30, tzinfo=UTC)
    assert data["user"] == {"name": "Kadri Tamm", "email": "kadri@example.com"}
    assert data["state"]["needs_reauth"] is True
    assert data["state"]["reauth_reason"] == "invalid_grant"


def test_token_file_is_0600_in_a_0700_directory(store: TokenStore) -> None:
    store.save(record())
    assert stat.S_IMODE(store.path("acme").stat().st_mode) == 0o600
    assert stat.S_IMODE(store.directory.stat().st_mode) == 0o700


def test_a_file_others_can_read_is_tightened_with_a_warning(store: TokenStore) -> None:
    store.save(record())
    store.path("acme").chmod(0o644)
    seen: list[str] = []
    loaded = TokenStore(store.settings, warn=seen.append).load("acme")
    assert loaded is not None
    assert stat.S_IMODE(store.path("acme").stat().st_mode) == 0o600
    assert len(seen) == 1 and "readable by other users" in seen[0] and "0644" in seen[0]


def test_a_private_file_gives_no_warning(store: TokenStore) -> None:
    store.save(record())
    store.load("acme")
    assert store.warnings == []


def test_missing_file_is_none_and_not_connected(store: TokenStore) -> None:
    assert store.load("acme") is None
    with pytest.raises(NotConnected, match="not connected"):
        store.load_connected("acme")


def test_needs_reauth_record_raises_with_the_reason(store: TokenStore) -> None:
    store.save(record())
    store.mark_needs_reauth("acme", "Xero refused the refresh token (invalid_grant)")
    with pytest.raises(ReauthorizationRequired) as caught:
        store.load_connected("acme")
    assert "invalid_grant" in caught.value.message
    assert caught.value.hint == "run `uku-xero auth -c acme`"


def test_damaged_file_asks_for_reauthorization(store: TokenStore) -> None:
    store.save(record())
    store.path("acme").write_text("tenant = [unclosed")
    with pytest.raises(ReauthorizationRequired, match="damaged"):
        store.load("acme")


def test_cleared_record_keeps_the_company_but_no_connection(store: TokenStore) -> None:
    store.save(record().cleared())
    loaded = store.load("acme")
    assert loaded is not None and not loaded.connected
    assert loaded.tenant_id is None and loaded.refresh_token is None
    assert loaded.disconnected_at is not None
    assert "refresh-token" not in store.path("acme").read_text()


def test_loaded_tokens_are_registered_as_secrets(store: TokenStore) -> None:
    store.save(record(access_token="a-distinct-access-token-9z", refresh_token="rt-9z-distinct"))
    store.load("acme")
    assert redact("got a-distinct-access-token-9z and rt-9z-distinct") == "got *** and ***"


def test_record_repr_has_no_tokens() -> None:
    assert "access-token-value" not in repr(record())
    assert "refresh-token-value" not in repr(record())


def test_companies_lists_token_files_but_not_temporary_ones(store: TokenStore) -> None:
    store.save(record("beta"))
    store.save(record("acme"))
    (store.directory / ".acme.toml.abc.tmp").write_text("partial")
    assert store.companies() == ["acme", "beta"]


def test_lock_held_elsewhere_times_out_with_lock_held(store: TokenStore) -> None:
    taken = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with store.lock("acme"):
            taken.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    taken.wait(5)
    try:
        with pytest.raises(LockHeld, match="another uku-xero process"), store.lock("acme", 0.2):
            pass
    finally:
        release.set()
        holder.join()
    assert store.lock_path("acme") == store.directory / "acme.lock"


_SAVE_LOOP = """
import sys
from datetime import UTC, datetime
from uku_xero_cli.settings import load_settings
from uku_xero_cli.tokens import CompanyTokens, TokenStore
store = TokenStore(load_settings())
n = 0
print("ready", flush=True)
while True:
    n += 1
    store.save(CompanyTokens(company="acme", tenant_id=f"tenant-{n}",
        access_token=f"access-{n}-" + "x" * 4000, refresh_token=f"refresh-{n}",
        connected_at=datetime.now(UTC)))
"""


def test_a_process_killed_while_saving_leaves_a_whole_token_file(store: TokenStore) -> None:
    for delay in (0.05, 0.15, 0.3):
        proc = subprocess.Popen([sys.executable, "-c", _SAVE_LOOP], stdout=subprocess.PIPE)
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
        time.sleep(delay)
        proc.kill()
        proc.wait()
        loaded = store.load("acme")
        assert loaded is not None and loaded.tenant_id is not None
        n = loaded.tenant_id.removeprefix("tenant-")
        assert loaded.access_token == f"access-{n}-" + "x" * 4000
        assert loaded.refresh_token == f"refresh-{n}"
    assert store.companies() == ["acme"]
