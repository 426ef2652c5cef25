"""What a reload is asked to do: which data sets, how far back, how big the pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from uku_xero_cli.errors import UsageError
from uku_xero_cli.sync import stats
from uku_xero_cli.sync.datasets import NAMES
from uku_xero_cli.xero.paging import DEFAULT_PAGE_SIZE

DEFAULT_MONTHS = 12


@dataclass(frozen=True)
class ReloadOptions:
    full: bool = False
    only: tuple[str, ...] | None = None  # data set names (`datasets.parse_only`)
    months: int = DEFAULT_MONTHS
    page_size: int = DEFAULT_PAGE_SIZE
    today: date | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.months <= 240:
            raise UsageError(f"--months {self.months}: choose 1-240")
        if not 1 <= self.page_size <= 1000:
            raise UsageError(f"--page-size {self.page_size}: choose 1-1000")

    @property
    def data_sets(self) -> tuple[str, ...]:
        return self.only or NAMES

    def window_months(self) -> list[str]:
        return stats.window_months(self.today or datetime.now(UTC).date(), self.months)
