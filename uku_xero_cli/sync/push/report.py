"""What push-invoice did: each invoice's result, the requests a dry run would send, and the
error the run ends with (exit 6 when some invoices went through, 2 when none did).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from uku_xero_cli.errors import (
    InvoicesRejected,
    ItemFailure,
    NetworkError,
    PartialFailure,
    UkuXeroError,
    error_document,
)
from uku_xero_cli.sync.push.invoice import money

if TYPE_CHECKING:
    from uku_xero_cli.store.organisation import OrganisationSwitch

# Results that count against the run (exit 6, or 2 when every invoice has one).
FAILED = frozenset({"rejected", "refused", "failed"})
# Sent, but Xero's answer did not say what became of it: not a success either.
UNCONFIRMED = "unconfirmed"
RERUN_HINT = (
    "run push-invoice again: it looks the invoices up in Xero first and never creates a duplicate"
)


class InvoicesUnconfirmed(NetworkError):
    """No invoice of the run is known to have reached Xero; some may have."""

    def __init__(self, message: str, *, failures: list[ItemFailure], hint: str | None = None):
        super().__init__(message, hint=hint)
        self.failures = failures


@dataclass
class InvoiceResult:
    """What push-invoice did with one invoice. `result` is one of: created, updated,
    unchanged, recovered (an earlier unconfirmed attempt had worked), would create,
    would update (dry run), rejected (by Xero), refused (a change Xero no longer allows),
    failed (no Xero contact), unconfirmed (no answer: run again), not sent."""

    number: str
    client: str
    currency: str
    result: str
    total: Decimal | None = None
    xero_number: str | None = None
    invoice_id: str | None = None
    status: str | None = None
    contact: str | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.result in FAILED

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "client": self.client,
            "currency": self.currency,
            "total": money(self.total),
            "result": self.result,
            "xero_number": self.xero_number,
            "invoice_id": self.invoice_id,
            "status": self.status,
            "contact": self.contact,
            "reasons": list(self.reasons),
        }


@dataclass
class PlannedRequest:
    """A request a dry run would send (the exact body, money as exact numbers)."""

    method: str
    path: str
    body: dict[str, Any]


@dataclass
class PushReport:
    results: list[InvoiceResult]
    dry_run: bool = False
    requests: int = 0
    planned: list[PlannedRequest] = field(default_factory=list)
    # Set when the run stopped early (network, rate limit, re-authorization).
    error: UkuXeroError | None = None
    # Set when the company worked with another organisation before this run.
    organisation_changed: OrganisationSwitch | None = None

    def failures(self) -> list[ItemFailure]:
        """Every invoice that did not go through, with its reasons (unconfirmed ones too)."""
        return [
            ItemFailure(r.number, list(r.reasons))
            for r in self.results
            if r.failed or r.result == UNCONFIRMED
        ]

    def outcome_error(self) -> UkuXeroError | None:
        """The error the run ends with: the one that stopped it, else rejections and invoices
        Xero's answer left unconfirmed (exit 6 if any other invoice went through)."""
        if self.error is not None:
            return self.error
        failures = self.failures()
        if not failures:
            return None
        total = len(self.results)
        unconfirmed = sum(1 for r in self.results if r.result == UNCONFIRMED)
        rejected = len(failures) - unconfirmed
        if unconfirmed and len(failures) == total:
            what = "the invoice" if total == 1 else _count(unconfirmed)
            also = (
                f" and {rejected} {'was' if rejected == 1 else 'were'} rejected" if rejected else ""
            )
            return InvoicesUnconfirmed(
                f"Xero did not confirm {what}{also}; run push-invoice again, it will not duplicate",
                failures=failures,
            )
        if len(failures) == total:
            what = "the invoice was" if total == 1 else f"all {total} invoices were"
            return InvoicesRejected(f"{what} rejected; nothing was pushed", failures=failures)
        if not unconfirmed:
            verb = "was" if rejected == 1 else "were"
            return PartialFailure(
                f"{rejected} of {total} invoices {verb} rejected", failures=failures
            )
        verb = "was" if unconfirmed == 1 else "were"
        return PartialFailure(
            f"{unconfirmed} of {total} invoices {verb} not confirmed by Xero"
            + (f" and {rejected} rejected" if rejected else ""),
            failures=failures,
            hint=RERUN_HINT,
        )

    def to_json(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for result in self.results:
            counts[result.result] = counts.get(result.result, 0) + 1
        document: dict[str, Any] = {
            "dry_run": self.dry_run,
            "requests": self.requests,
            "counts": counts,
            "invoices": [r.to_json() for r in self.results],
        }
        if self.organisation_changed is not None:
            document["organisation_changed"] = self.organisation_changed.to_json()
        error = self.outcome_error()
        if error is not None:
            document["error"] = error_document(error)
        return document


def _count(n: int) -> str:
    return "1 invoice" if n == 1 else f"{n} invoices"
