"""A company's lifecycle on this machine: forget it, forget one organisation's data, rename it.

Only a company that is not connected can be forgotten (its tokens could still reach Xero:
`disconnect` ends them first); one organisation's data can go unless it is the organisation
a connected company works with. Both wait for no job: the company's reload and push locks
are taken (at once, or LockHeld), and every file goes: token file, stores with their SQLite
companions, lock files, and what the earlier single-file layout left (store/layout.py).
Deleting data is the CLI's to confirm (the plan says what goes first).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from uku_xero_cli.connection.known import unknown_company
from uku_xero_cli.connection.status import configured_companies
from uku_xero_cli.errors import DamagedTokenFile, UsageError
from uku_xero_cli.store.inventory import OrganisationData, organisation_data
from uku_xero_cli.store.layout import SQLITE_COMPANIONS, CompanyFiles

if TYPE_CHECKING:
    from pathlib import Path

    from uku_xero_cli.settings import Settings
    from uku_xero_cli.tokens import CompanyTokens


@dataclass(frozen=True)
class Removal:
    """What `companies remove` deletes (before: the plan; after: what went)."""

    company: str
    organisation: OrganisationData | None  # only this organisation's data (`--org`)
    files: tuple[Path, ...]
    stores: tuple[Path, ...]  # the Uku-side data among `files`: what to confirm
    done: bool = False

    def question(self) -> str:
        org = self.organisation
        if org is None:
            what = f"company '{self.company}' and all its Uku-side data"
        else:
            what = f"the data of '{org.tenant_name or org.tenant_id}' of company '{self.company}'"
        return f"Delete {what} ({len(self.stores)} store(s))?"

    def to_json(self) -> dict[str, Any]:
        return {
            "company": self.company,
            "organisation": None if self.organisation is None else self.organisation.to_json(),
            "removed" if self.done else "to_remove": [str(p) for p in self.files],
            "stores": [str(p) for p in self.stores],
        }


def plan_removal(settings: Settings, company: str, *, organisation: str | None = None) -> Removal:
    """What removing the company (or, with `organisation`, that organisation's data) deletes;
    UsageError when it may not be removed, NotConnected when nothing is known of it."""
    from uku_xero_cli.store.legacy import move_legacy_store

    files = CompanyFiles(settings, company)
    if not files.exists():
        raise unknown_company(company, configured_companies(settings))
    record = _record(settings, company)
    if organisation is None:
        _refuse_connected(company, record)
        every = files.every_file()
        stores = [p for p in every if p.suffix == ".sqlite" or p.name.endswith(".bak")]
        return Removal(company, None, tuple(every), tuple(stores))
    move_legacy_store(files, _tenant(record))  # an earlier layout's stores are listed too
    chosen = _pick_organisation(files, organisation, record)
    sides = [chosen.path.with_name(chosen.path.name + suffix) for suffix in SQLITE_COMPANIONS]
    gone = [chosen.path, *(side for side in sides if side.exists())]
    return Removal(company, chosen, tuple(gone), (chosen.path,))


def remove(settings: Settings, plan: Removal) -> Removal:
    """Delete what `plan` lists, once no job of the company runs."""
    files = CompanyFiles(settings, plan.company)
    with _company_quiet(settings, plan.company):
        if plan.organisation is None:
            _refuse_connected(plan.company, _record(settings, plan.company))  # again, locked
            for path in files.every_file():
                if path != files.token_lock and not path.is_relative_to(files.directory):
                    path.unlink(missing_ok=True)
            shutil.rmtree(files.directory, ignore_errors=True)
        else:
            for path in plan.files:
                path.unlink(missing_ok=True)
    if plan.organisation is None:
        # After letting go of it: the refresh lock is the last file of the company.
        files.token_lock.unlink(missing_ok=True)
    return replace(plan, done=True)


@dataclass
class Renaming:
    old: str
    new: str
    moved: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "moved": [{"from": a, "to": b} for a, b in self.moved],
            "notes": self.notes,
        }


def rename_company(settings: Settings, old: str, new: str) -> Renaming:
    """Give company `old` the name `new`: its token file, its stores and locks move; Xero
    knows nothing of the name, so a connected company stays connected."""
    from uku_xero_cli.store.legacy import move_legacy_store
    from uku_xero_cli.tokens import TokenStore

    source, target = CompanyFiles(settings, old), CompanyFiles(settings, new)
    if old == new:
        raise UsageError(f"company '{old}' already has that name")
    if not source.exists():
        raise unknown_company(old, configured_companies(settings))
    if target.exists():
        raise UsageError(
            f"company '{new}' exists already: nothing was renamed",
            hint=f"pick another name, or remove it first with `uku-xero companies remove {new}`",
        )
    renaming = Renaming(old, new)
    tokens = TokenStore(settings)
    with tokens.lock(old), _company_quiet(settings, old):
        move_legacy_store(source, _tenant(_record(settings, old)))
        if source.directory.is_dir():
            os.replace(source.directory, target.directory)
            renaming.moved.append((str(source.directory), str(target.directory)))
        record = tokens.load(old)
        if record is not None:
            tokens.save(replace(record, company=new))
            source.token_file.unlink()
            renaming.moved.append((str(source.token_file), str(target.token_file)))
    source.token_lock.unlink(missing_ok=True)
    if settings.default_company == old:
        renaming.notes.append(
            f"config.toml still names '{old}' as default_company: change it to '{new}'"
        )
    return renaming


@contextmanager
def _company_quiet(settings: Settings, company: str) -> Iterator[None]:
    """No reload and no push of the company runs meanwhile (LockHeld at once otherwise)."""
    from uku_xero_cli.locks import push_lock, reload_lock

    with ExitStack() as stack:
        stack.enter_context(reload_lock(settings, company))
        stack.enter_context(push_lock(settings, company))
        yield


def _record(settings: Settings, company: str) -> CompanyTokens | None:
    """The company's token record; a damaged one may hold live tokens, and which
    organisation is current cannot be told: nothing is removed until it is cleared."""
    from uku_xero_cli.tokens import TokenStore

    try:
        return TokenStore(settings).load(company)
    except DamagedTokenFile:
        raise UsageError(
            f"the token file of company '{company}' is damaged and may hold live tokens: "
            "nothing was removed",
            hint=f"clear it with `uku-xero disconnect -c {company} --yes`",
        ) from None


def _refuse_connected(company: str, record: CompanyTokens | None) -> None:
    if record is not None and (record.tenant_id or record.refresh_token):
        raise UsageError(
            f"company '{company}' is connected to Xero: disconnect it first; nothing was removed",
            hint=f"uku-xero disconnect -c {company}",
        )


def _tenant(record: CompanyTokens | None) -> tuple[str, str | None] | None:
    if record is None or not record.tenant_id:
        return None
    return record.tenant_id, record.tenant_name


def _pick_organisation(
    files: CompanyFiles, wanted: str, record: CompanyTokens | None
) -> OrganisationData:
    current = record.tenant_id if record is not None else None
    stores = organisation_data(files, current)
    key = wanted.strip().casefold()
    chosen = next(
        (
            org
            for org in stores
            if key in (org.tenant_id.casefold(), (org.tenant_name or "").casefold())
        ),
        None,
    )
    if chosen is None:
        listed = "\n".join(f"  {o.tenant_name or '-'}  ({o.tenant_id})" for o in stores)
        raise UsageError(
            f"company '{files.company}' has no data of organisation {wanted!r}",
            hint=f"it has data of (name or tenant id):\n{listed}" if stores else None,
        )
    if chosen.current and record is not None and record.refresh_token:
        raise UsageError(
            f"company '{files.company}' works with {chosen.tenant_name or chosen.tenant_id} now: "
            "its data stays while it is connected to it",
            hint=f"switch first with `uku-xero orgs -c {files.company} --use OTHER`, or "
            f"`uku-xero disconnect -c {files.company}`",
        )
    return chosen
