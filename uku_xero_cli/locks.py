"""Per-company locks across processes: one reload, one push and one token refresh at a time.

A lock is the operating system's lock on a file (filelock), held by a live process and let go
when it ends, so a crashed run never leaves a company locked and removing the file would not
help. Each kind of job has its own file, so a push may run while a reload of the same
company does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING

from uku_xero_cli.errors import LockHeld

if TYPE_CHECKING:
    from pathlib import Path

    from uku_xero_cli.settings import Settings


@contextmanager
def company_lock(path: Path, *, timeout: float | None, busy: str, hint: str) -> Iterator[None]:
    """Hold the lock file at `path`, waiting up to `timeout` seconds for it (0: not at all;
    None: as long as it takes); LockHeld(`busy`, `hint`) when another process keeps it."""
    from filelock import FileLock, Timeout

    from uku_xero_cli.fsutil import ensure_private_dir

    ensure_private_dir(path.parent)
    lock = FileLock(str(path), timeout=-1 if timeout is None else timeout, mode=0o600)
    try:
        lock.acquire()
    except Timeout:
        raise LockHeld(busy, hint=hint) from None
    try:
        yield
    finally:
        lock.release()


def reload_lock_path(settings: Settings, company: str) -> Path:
    return settings.store_file(company).with_suffix(".reload.lock")


def reload_lock(
    settings: Settings, company: str, *, wait: bool = False
) -> AbstractContextManager[None]:
    """Hold the company's reload lock: a second reload fails at once, or queues with `wait`."""
    return company_lock(
        reload_lock_path(settings, company),
        timeout=None if wait else 0,
        busy=f"a reload of company '{company}' is already running",
        hint="wait for it to finish, or pass --wait to queue behind it",
    )


def push_lock_path(settings: Settings, company: str) -> Path:
    return settings.store_file(company).with_suffix(".push.lock")


def push_lock(settings: Settings, company: str) -> AbstractContextManager[None]:
    """One push per company at a time: two runs would race on the same invoices."""
    return company_lock(
        push_lock_path(settings, company),
        timeout=0,
        busy=f"another push-invoice for company '{company}' is running",
        hint="wait for it to finish and run this again",
    )
