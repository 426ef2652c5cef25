"""The per-company token store: file format, permissions, atomicity, locking."""

from __future__ import annotations

import signal
import stat
import subprocess
import sys
import threading
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


# A child process that saves a new record and dies at a chosen point of the write.
_DIE_WHILE_SAVING = """
import os, resource, signal, sys
from datetime import UTC, datetime
from uku_xero_cli.settings import load_settings
from uku_xero_cli.tokens import CompanyTokens, TokenStore

if sys.argv[1] == "mid-write":
    # The kernel kills the process once a file it writes passes 2,000 bytes: wherever that
    # write goes, it stops half-way.
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))
else:
    os.replace = lambda *args, **kwargs: os._exit(9)  # written in full, never renamed
TokenStore(load_settings()).save(CompanyTokens(company="acme", tenant_id="tenant-new",
    access_token="access-new-" + "x" * 4000, refresh_token="refresh-new",
    connected_at=datetime.now(UTC)))
"""


@pytest.mark.parametrize("when", ["mid-write", "before-rename"])
def test_a_process_killed_while_saving_leaves_the_previous_token_file_whole(
    store: TokenStore, when: str
) -> None:
    previous = record(access_token="access-old-" + "y" * 4000, refresh_token="refresh-old")
    store.save(previous)
    child = subprocess.run(
        [sys.executable, "-c", _DIE_WHILE_SAVING, when], capture_output=True, timeout=60
    )
    assert child.returncode in (9, -signal.SIGXFSZ), child.stderr  # it died, not finished
    assert store.load("acme") == previous
    leftovers = [p for p in store.directory.iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) == 1 and leftovers[0].name.startswith(".acme.toml.")
    if when == "mid-write":
        assert leftovers[0].stat().st_size == 2000  # the new record, cut off
    assert store.companies() == ["acme"]


def test_a_token_directory_others_can_enter_is_tightened_with_a_warning(
    store: TokenStore,
) -> None:
    store.save(record())
    store.directory.chmod(0o755)
    seen: list[str] = []
    reader = TokenStore(store.settings, warn=seen.append)
    assert reader.load("acme") is not None
    assert stat.S_IMODE(store.directory.stat().st_mode) == 0o700
    assert len(seen) == 1 and "open to other users" in seen[0] and "0755" in seen[0]
    reader.load("acme")
    assert len(seen) == 1  # said once
