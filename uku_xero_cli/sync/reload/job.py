"""The reload job: each data set asked for, read from Xero, then written in one transaction."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, cast

from uku_xero_cli.errors import UkuXeroError
from uku_xero_cli.redact import redact
from uku_xero_cli.store.models import UpsertCounts
from uku_xero_cli.sync.datasets import BY_NAME, DataSet
from uku_xero_cli.sync.reload.loaders import LOADERS, Load
from uku_xero_cli.sync.reload.options import ReloadOptions
from uku_xero_cli.sync.reload.results import DataSetResult, NoProgress, Progress, ReloadResult
from uku_xero_cli.sync.reload.work import WINDOW_SUFFIX
from uku_xero_cli.sync.staging import PageStaging
from uku_xero_cli.xero import endpoints
from uku_xero_cli.xero.clock import ServerClock
from uku_xero_cli.xero.parse import parse_optional_datetime

if TYPE_CHECKING:
    from uku_xero_cli.store import Store
    from uku_xero_cli.store.models import RunOutcome
    from uku_xero_cli.xero.paging import Page


# Records stamped a moment before Xero's envelope time may still be committing when a page is
# read; the cursor stays this far behind the data set's first answer so they are read next time.
SERVER_TIME_MARGIN = timedelta(seconds=1)


class ReloadClient(endpoints.XeroReader, Protocol):
    """What reload needs of `XeroClient`: GETs and a count of requests put on the wire."""

    @property
    def requests_sent(self) -> int: ...


def _newest(current: datetime | None, record: Mapping[str, Any]) -> datetime | None:
    seen = parse_optional_datetime(record.get("UpdatedDateUTC"), what="UpdatedDateUTC")
    if seen is None:
        return current
    return seen if current is None or seen > current else current


class _Run:
    """One data set being reloaded: pages in, counts and newest timestamp out."""

    def __init__(
        self, client: ReloadClient, name: str, incremental: bool, on_page: Callable[[Page], None]
    ) -> None:
        self.result = DataSetResult(name, incremental=incremental)
        self.newest: datetime | None = None
        self.client = ServerClock(client)
        self._on_page = on_page

    @property
    def cursor(self) -> datetime | None:
        """Where the next incremental read starts: the newest stamp seen, but never past the
        server's time at this data set's first request (less a margin)."""
        started = self.client.started
        if self.newest is None or started is None:
            return self.newest
        return min(self.newest, started - SERVER_TIME_MARGIN)

    def pages(self, source: Iterable[Page]) -> Iterator[Page]:
        for page in source:
            self.result.pages += 1
            self.result.fetched += len(page.records)
            for record in page.records:
                self.newest = _newest(self.newest, record)
            self._on_page(page)
            yield page
            del page


class ReloadJob:
    """Reloads one company: `ReloadJob(client, store, options).run()` → ReloadResult.

    The caller holds the company's reload lock (`locks.reload_lock`) for the whole run, with
    the store already bound to the organisation the client reads (`session.company_session`).
    """

    def __init__(
        self,
        client: ReloadClient,
        store: Store,
        options: ReloadOptions | None = None,
        *,
        company: str = "",
        progress: Progress | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.store = store
        self.options = options or ReloadOptions()
        self.company = company
        self.progress = progress or NoProgress()
        self._clock = clock
        self.months = self.options.window_months()
        self.window_start = date(int(self.months[0][:4]), int(self.months[0][5:]), 1)

    def run(self) -> ReloadResult:
        """Every data set asked for, stopping at the first failure (recorded, not raised)."""
        started = self._clock()
        result = ReloadResult(self.company, months=self.months)
        try:
            self.store.mark_abandoned_runs()
            for name in self.options.data_sets:
                result.data_sets.append(self._data_set(BY_NAME[name], result))
        except (UkuXeroError, OSError, ValueError) as exc:
            result.error = exc
        finally:
            result.seconds = self._clock() - started
        return result

    # -- one data set -----------------------------------------------------------------------

    def _since(self, data_set: DataSet) -> datetime | None:
        """If-Modified-Since for this read; None reads everything Xero has."""
        if self.options.full or data_set.whole:
            return None
        since = self.store.cursor(data_set.name)
        if since is not None and data_set.dated:
            covered = self.store.cursor(data_set.name + WINDOW_SUFFIX)
            wanted = datetime(*self.window_start.timetuple()[:3], tzinfo=UTC)
            if covered is None or covered > wanted:
                return None
        return since

    def _data_set(self, data_set: DataSet, outcome: ReloadResult) -> DataSetResult:
        name = data_set.name
        since = self._since(data_set)
        run_id = self.store.start_sync_run(name)
        self.progress.started(name)
        run = _Run(
            self.client,
            name,
            since is not None,
            lambda page: self.progress.page(name, page, run.result.fetched),
        )
        before = self.client.requests_sent
        started = self._clock()
        status = "failed"
        try:
            # Download first, apply after: the store's write lock is held only while the
            # pages already on disk are written, never while Xero is being read.
            with PageStaging() as staging:
                for page in run.pages(self._source(data_set, since, run)):
                    staging.add(page)
                    del page
                with self.store.transaction():
                    load = Load(
                        self.store,
                        data_set,
                        run.result,
                        outcome,
                        read_whole=since is None,
                        full=self.options.full,
                        months=self.months,
                        window_start=self.window_start,
                    )
                    LOADERS[data_set.loader](load, staging.pages())
                    if data_set.incremental and run.cursor is not None:
                        self.store.set_cursor(name, run.cursor)
            status = "ok"
        except KeyboardInterrupt:
            status = "interrupted"
            raise
        except BaseException as exc:
            run.result.error = redact(str(exc)) or type(exc).__name__
            raise
        finally:
            result = run.result
            result.outcome = status
            result.requests = self.client.requests_sent - before
            result.seconds = self._clock() - started
            self.store.finish_sync_run(
                run_id,
                outcome=cast("RunOutcome", status),
                counts=UpsertCounts(result.new, result.updated, result.unchanged),
                fetched=result.fetched,
                skipped_archived=result.skipped_archived,
                requests=result.requests,
                error=result.error,
            )
            if status != "ok":
                outcome.data_sets.append(result)
            self.progress.finished(result)
        return result

    def _source(self, data_set: DataSet, since: datetime | None, run: _Run) -> Iterator[Page]:
        return endpoints.collection(
            run.client,
            data_set.collection,
            paged=data_set.paged,
            since=since,
            window=endpoints.Window(self.window_start) if data_set.dated else None,
            page_size=self.options.page_size,
        )
