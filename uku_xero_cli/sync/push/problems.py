"""Problems found in invoice input: every one collected, each named by where it is
(`inv.json: lines[2].unit_price: not a number`), then reported together as one error.
"""

from __future__ import annotations

from uku_xero_cli.errors import InvalidInvoice

MAX_PROBLEMS = 200


class Problems:
    """The problems of one input, up to MAX_PROBLEMS of them (the rest are counted)."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.dropped = 0

    def add(self, where: str, message: str) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(f"{where}: {message}" if where else message)
        else:
            self.dropped += 1

    def extend(self, other: Problems) -> None:
        for item in other.items:
            self.add("", item)
        self.dropped += other.dropped

    def raise_if_any(self, summary: str, hint: str | None = None) -> None:
        if not self.items:
            return
        problems = list(self.items)
        if self.dropped:
            problems.append(f"... and {self.dropped} more")
        raise InvalidInvoice(summary, problems=problems, hint=hint)


def join_path(base: str, key: str) -> str:
    """A field's path under `base`: `[2]` then `lines[0]` then `tax_type` give
    `[2].lines[0].tax_type`."""
    if key.startswith("["):
        return f"{base}{key}"
    return f"{base}.{key}" if base else key
