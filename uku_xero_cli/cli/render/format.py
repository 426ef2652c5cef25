"""How values and tables look on a terminal, the same in every render module: money with
thousands separators, moments as `2026-11-25 18:18 UTC`, and tables that leave out their
least important columns on a narrow terminal instead of cutting the ones that matter.

Human output only: `--json` keeps ISO 8601 timestamps and plain decimals, and never comes
through here.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, JustifyMethod, RenderableType, RenderResult
    from rich.text import TextType

    from uku_xero_cli.sync.datasets import Table as RecordTable

MISSING = "-"
_UNLIMITED = 10_000


def money(
    value: Decimal | str | None, currency: str | None = None, *, missing: str = MISSING
) -> str:
    """`3,770.63`, or `GBP 3,770.63` with a currency: thousands separators and at least two
    decimals, never rounded (a third decimal Xero holds is shown)."""
    if value is None:
        return missing
    try:
        number = value if isinstance(value, Decimal) else Decimal(value)
    except InvalidOperation:
        return str(value)
    exponent = number.as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) and exponent < 0 else 2
    text = f"{number:,.{places}f}"
    return f"{currency} {text}" if currency else text


def moment(value: datetime | str | None, *, missing: str = MISSING) -> str:
    """A timestamp (aware datetime, or the ISO 8601 text the store keeps) to the minute, in
    UTC: `2026-11-25 18:18 UTC`. Naive values are taken as UTC."""
    if value is None or value == "":
        return missing
    try:
        when = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    except ValueError:
        return str(value)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class Col:
    """A column of a `FittedTable`.

    `key`: never left out, and never wrapped or cut. `drop`: above 0, the column may be left
    out on a narrow terminal, the highest first. `fold`: long values continue on further
    lines (free text); any other column keeps its values on one line.
    """

    header: str
    justify: JustifyMethod = "left"
    key: bool = False
    drop: int = 0
    fold: bool = False


class FittedTable:
    """A table that fits the terminal it is printed on.

    When its columns do not fit side by side, headers break at their spaces; if that is not
    enough, columns are left out by `Col.drop` until every value left has room (folding
    columns may still wrap), and the caption names what is not shown. On a wide terminal it
    is the plain table.
    """

    def __init__(self, title: TextType, columns: Sequence[Col]) -> None:
        self.title = title
        self.columns = list(columns)
        self._rows: list[tuple[RenderableType, ...] | None] = []

    def add_row(self, *cells: RenderableType) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} cells for {len(self.columns)} columns")
        self._rows.append(cells)

    def add_section(self) -> None:
        self._rows.append(None)

    def _widest_cell(self, index: int) -> int:
        cells = [row[index] for row in self._rows if row is not None]
        texts = [c.plain if isinstance(c, Text) else c for c in cells]
        return max(
            (len(line) for t in texts if isinstance(t, str) for line in t.splitlines()),
            default=0,
        )

    def _header(self, index: int, compact: bool) -> str:
        header = self.columns[index].header
        if not compact:
            return header
        # Broken at spaces only as far as the values below it are narrower.
        lines = textwrap.wrap(
            header,
            max(self._widest_cell(index), 1),
            break_long_words=False,
            break_on_hyphens=False,
        )
        return "\n".join(lines)

    def table(
        self,
        keep: Sequence[int] | None = None,
        *,
        compact: bool = False,
        widths: Mapping[int, int] | None = None,
    ) -> Table:
        """The Rich table with the columns `keep` (all by default); `compact`: headers
        broken at their spaces; `widths`: fixed widths of some columns, by index."""
        chosen = range(len(self.columns)) if keep is None else keep
        left_out = [c.header for i, c in enumerate(self.columns) if i not in chosen]
        caption = f"Not shown at this width: {', '.join(left_out)}." if left_out else None
        table = Table(
            title=self.title, title_justify="left", caption=caption, caption_justify="left"
        )
        for index in chosen:
            col = self.columns[index]
            header = self._header(index, compact)
            widest = max(self._widest_cell(index), *(len(line) for line in header.split("\n")))
            table.add_column(
                header,
                justify=col.justify,
                no_wrap=not col.fold,
                overflow="fold" if col.fold else "ellipsis",
                min_width=widest if col.key else None,
                width=(widths or {}).get(index),
            )
        for row in self._rows:
            if row is None:
                table.add_section()
            else:
                table.add_row(*(row[i] for i in chosen))
        return table

    def _fitted(self, console: Console, options: ConsoleOptions) -> Table:
        width = options.max_width
        # Measured as if the terminal were unlimited: Rich clamps a measurement to the width.
        unlimited = options.update_width(_UNLIMITED)

        def measure(table: Table) -> Measurement:
            return Measurement.get(console, unlimited, table)

        full = self.table()
        fits = measure(full)
        if fits.maximum <= width or fits.minimum <= width:
            # Whole, or only folding columns need to wrap: Rich narrows the widest of them.
            return full
        keep = list(range(len(self.columns)))
        droppable = sorted(
            (i for i, c in enumerate(self.columns) if c.drop > 0 and not c.key),
            key=lambda i: (-self.columns[i].drop, -i),
        )
        while True:
            table = self.table(keep, compact=True)
            if not droppable or measure(table).minimum <= width:
                break
            keep.remove(droppable.pop(0))
        if measure(table).maximum <= width:
            return table
        return self._share_out(console, unlimited, keep, width) or table

    def _share_out(
        self, console: Console, unlimited: ConsoleOptions, keep: Sequence[int], width: int
    ) -> Table | None:
        """The table with its folding columns given the room left: each at least its longest
        word, then the room shared out evenly, a column never getting more than it needs,
        so short ones stay whole. (Rich alone, at its last resort, can leave a long column
        narrower than a short one.)"""
        folding = [i for i in keep if self.columns[i].fold]
        if not folding:
            return None
        ranges: dict[int, Measurement] = {}
        for i in folding:
            cells = [self._header(i, True), *(row[i] for row in self._rows if row is not None)]
            found = [Measurement.get(console, unlimited, cell) for cell in cells]
            ranges[i] = Measurement(max(m.minimum for m in found), max(m.maximum for m in found))
        narrowest = {i: r.minimum for i, r in ranges.items()}
        spare = (
            width
            - Measurement.get(
                console, unlimited, self.table(keep, compact=True, widths=narrowest)
            ).maximum
        )
        if spare < 0:
            return None
        wanted = {i: r.maximum - r.minimum for i, r in ranges.items()}
        shared = dict(narrowest)
        waiting = sorted(folding, key=lambda i: wanted[i])
        while waiting:
            i = waiting.pop(0)
            extra = min(wanted[i], spare // (len(waiting) + 1))
            shared[i] += extra
            spare -= extra
        return self.table(keep, compact=True, widths=shared)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self._fitted(console, options)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self._fitted(console, options))


def record_table(
    title: str, spec: RecordTable, records: Sequence[Mapping[str, object]]
) -> FittedTable:
    """A reference table's records under the columns its spec gives a heading, in order: the
    first never left out, the last ones left out first on a narrow terminal, free text
    wrapped; flags as yes/no, moments as `moment` shows them."""
    shown = [c for c in spec.columns if c.heading is not None]
    table = FittedTable(
        Text(title),
        [Col(c.heading or c.name, key=i == 0, drop=i, fold=c.wrap) for i, c in enumerate(shown)],
    )
    for record in records:
        cells: list[RenderableType] = []
        for column in shown:
            value = record.get(column.name)
            if value is None:
                cells.append(MISSING)
            elif column.kind == "flag":
                cells.append("yes" if value else "no")
            elif column.kind == "time":
                cells.append(moment(str(value)))
            else:
                cells.append(Text(str(value)))  # from Xero: never read as markup
        table.add_row(*cells)
    return table
