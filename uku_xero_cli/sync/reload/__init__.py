"""The reload job: bring one company's Xero data into its Uku-side store.

Data sets (sync/datasets.py) run one after another, each in one store transaction that also
moves its cursor, so a reload stopped anywhere (Ctrl-C, a network failure, Xero's daily
limit, a kill) leaves every data set either as it was or wholly updated, and the next run
picks up from the last committed cursor. A data set's pages are downloaded to a private
staging file first, so the store's write lock is held only for the short write at the end,
never while Xero is being read. Incremental by default: a data set with a cursor asks Xero
only for what changed since (If-Modified-Since), so an unchanged organisation costs one
request per data set; the unpaged ones Xero deletes from are read whole every time.

Modules: options (what to reload), results (what it did), job (the run), loaders and work
(writing each kind of data set). The reload lock is `locks.reload_lock`; Xero's clock for
cursors is `xero.clock.ServerClock`.
"""

from uku_xero_cli.locks import reload_lock
from uku_xero_cli.locks import reload_lock_path as lock_path
from uku_xero_cli.sync.datasets import NAMES as DATA_SETS
from uku_xero_cli.sync.datasets import parse_only
from uku_xero_cli.sync.reload.job import SERVER_TIME_MARGIN, ReloadClient, ReloadJob
from uku_xero_cli.sync.reload.options import DEFAULT_MONTHS, ReloadOptions
from uku_xero_cli.sync.reload.results import DataSetResult, NoProgress, Progress, ReloadResult
from uku_xero_cli.sync.reload.work import ID_FIELDS, load_stats, work_document

__all__ = [
    "DATA_SETS",
    "DEFAULT_MONTHS",
    "ID_FIELDS",
    "SERVER_TIME_MARGIN",
    "DataSetResult",
    "NoProgress",
    "Progress",
    "ReloadClient",
    "ReloadJob",
    "ReloadOptions",
    "ReloadResult",
    "load_stats",
    "lock_path",
    "parse_only",
    "reload_lock",
    "work_document",
]
