"""The per-company reload lock: one reload of a company at a time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from uku_xero_cli.errors import LockHeld

if TYPE_CHECKING:
    from uku_xero_cli.settings import Settings


def lock_path(settings: Settings, company: str) -> Path:
    return settings.store_file(company).with_suffix(".reload.lock")


@contextmanager
def reload_lock(settings: Settings, company: str, *, wait: bool = False) -> Iterator[None]:
    """Hold the company's reload lock: a second reload fails at once, or queues with `wait`."""
    from filelock import FileLock, Timeout

    from uku_xero_cli.fsutil import ensure_private_dir

    path = lock_path(settings, company)
    ensure_private_dir(path.parent)
    lock = FileLock(str(path), timeout=-1 if wait else 0)
    try:
        lock.acquire()
    except Timeout:
        raise LockHeld(
            f"a reload of company '{company}' is already running",
            hint="wait for it to finish, or pass --wait to queue behind it",
        ) from None
    try:
        yield
    finally:
        lock.release()
