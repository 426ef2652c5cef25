"""`uku-xero reload` over loopback HTTP: summary, JSON, exit codes, lock, --all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import CliResult
from tests.connected import connect_company, point_at
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.server import RunningServer
from uku_xero_cli.settings import load_settings
from uku_xero_cli.store import open_company_store
from uku_xero_cli.sync.reload import reload_lock
from uku_xero_cli.tokens import CompanyTokens, TokenStore

Cli = Callable[..., CliResult]


@pytest.fixture
def xero(sandbox_server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> RunningServer:
    point_at(sandbox_server, monkeypatch)
    return sandbox_server


def document(result: CliResult) -> dict[str, Any]:
    data = result.json()
    assert isinstance(data, dict)
    return data


def test_reload_prints_a_summary_per_data_set_and_exits_0(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox)
    result = cli("reload", "-c", "acme")
    assert result.exit_code == 0, result.stderr
    for label in ("clients (contacts)", "products (items)", "tax rates", "manual journals"):
        assert label in result.stdout
    assert "skipped archived" in result.stdout
    assert "Clients matched:" in result.stdout
    assert result.stderr == ""  # no progress bars off a terminal


def test_reload_json_gives_the_same_figures(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox)
    first = document(cli("reload", "-c", "acme", "--json"))
    assert first["ok"] is True and first["error"] is None
    contacts = first["data_sets"][0]
    assert contacts["data_set"] == "contacts" and contacts["mode"] == "full"
    assert contacts["new"] > 0 and contacts["requests"] == 1
    again = cli("reload", "-c", "acme", "--json", "--only", "contacts,items")
    assert again.exit_code == 0
    figures = document(again)["data_sets"]
    assert [(d["data_set"], d["mode"], d["requests"], d["new"]) for d in figures] == [
        ("contacts", "incremental", 1, 0),
        ("items", "full", 1, 0),
    ]


def test_quiet_prints_nothing_on_success(cli: Cli, xero: RunningServer, sandbox: Sandbox) -> None:
    connect_company(sandbox)
    result = cli("reload", "-c", "acme", "--quiet", "--only", "currencies")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_the_daily_limit_exits_5_and_says_when_it_resets(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox)
    sandbox.limits.force("day", count=1, retry_after=3 * 3600)
    result = cli("reload", "-c", "acme")
    assert result.exit_code == 5
    assert "daily request limit" in result.stderr and "resets at" in result.stderr
    assert "in 3 h 0 min" in result.stderr
    with open_company_store(load_settings(), "acme") as db:
        assert db.active_contacts() == [] and db.cursors() == {}

    sandbox.limits.force("day", count=1, retry_after=3600)
    data = document(cli("reload", "-c", "acme", "--json"))
    assert data["error"]["code"] == "rate_limited"
    assert data["error"]["retry_at"]


def test_a_reload_while_another_runs_exits_1_at_once(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox)
    with reload_lock(load_settings(), "acme"):
        result = cli("reload", "-c", "acme")
    assert result.exit_code == 1
    assert "a reload of company 'acme' is already running" in result.stderr
    assert "--wait" in result.stderr
    assert sandbox.log.count(path_prefix="/api.xro") == 0


def test_all_reloads_every_company_and_exits_with_the_worst_code(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox, "acme", org_index=0)
    connect_company(sandbox, "beta", org_index=1)
    broken = connect_company(sandbox, "zulu", org_index=0, expires_in=-60)
    TokenStore(load_settings()).save(
        CompanyTokens(**{**broken.__dict__, "refresh_token": "revoked-long-ago"})
    )
    result = cli("reload", "--all", "--parallel", "2", "--only", "currencies")
    assert result.exit_code == 4
    assert "Reload of every connected company" in result.stdout
    assert "error: company 'zulu'" in result.stderr and "uku-xero auth -c zulu" in result.stderr
    assert result.stderr.count("company 'zulu'") == 1  # named once, not once per layer

    data = document(cli("reload", "--all", "--json", "--only", "currencies"))
    assert [(c["company"], c["ok"]) for c in data["companies"]] == [
        ("acme", True),
        ("beta", True),
        ("zulu", False),
    ]
    assert data["companies"][2]["error"]["code"] == "reauth_required"
    assert "zulu" in data["error"]["message"]


def test_a_company_without_a_connection_exits_3(cli: Cli, xero: RunningServer) -> None:
    result = cli("reload", "-c", "nobody")
    assert result.exit_code == 3
    assert "no company 'nobody'" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--only", "contacts,widgets"), "unknown data set 'widgets'"),
        (("--parallel", "3"), "--parallel goes with --all"),
        (("--months", "0"), "--months"),
    ],
)
def test_bad_options_exit_2(cli: Cli, args: tuple[str, ...], message: str) -> None:
    result = cli("reload", "-c", "acme", *args)
    assert result.exit_code == 2
    assert message in result.stderr


# -- progress on a terminal ------------------------------------------------------------------------


class FakeBar:
    """Records what RichProgress asks of Rich's progress display."""

    def __init__(self) -> None:
        self.tasks: dict[int, dict[str, Any]] = {}
        self.updates: list[tuple[int, dict[str, Any]]] = []

    def add_task(self, description: str, **fields: Any) -> int:
        task = len(self.tasks)
        self.tasks[task] = {"description": description, **fields}
        return task

    def update(self, task: int, **fields: Any) -> None:
        self.updates.append((task, fields))
        self.tasks[task].update(fields)


def test_terminal_progress_moves_with_every_page_and_knows_the_total_from_xero() -> None:
    from uku_xero_cli.cli.reload_cmd import RichProgress
    from uku_xero_cli.sync.reload import DataSetResult
    from uku_xero_cli.xero.paging import Page

    bar = FakeBar()
    progress = RichProgress(bar, "acme")  # type: ignore[arg-type]
    progress.started("contacts")
    progress.started("items")
    (contacts, items) = (0, 1)
    assert bar.tasks[contacts]["description"] == "acme: clients (contacts)"
    assert (bar.tasks[contacts]["total"], bar.tasks[contacts]["pages"]) == (None, 0)

    progress.page("contacts", Page(1, [{}] * 20, page_count=3, item_count=45), 20)
    progress.page("contacts", Page(2, [{}] * 20, page_count=3, item_count=45), 40)
    assert bar.updates == [
        (contacts, {"completed": 20, "total": 45, "pages": 1}),
        (contacts, {"completed": 40, "total": 45, "pages": 2}),
    ]
    # A server that says nothing about the whole leaves the total open (no ETA, no made-up bar).
    progress.page("items", Page(1, [{}] * 7), 7)
    assert bar.updates[-1] == (items, {"completed": 7, "total": None, "pages": 1})

    progress.page("contacts", Page(3, [{}] * 5, page_count=3, item_count=45), 45)
    progress.finished(DataSetResult("contacts", fetched=45, pages=3))
    assert bar.tasks[contacts] | {"description": None} == {
        "description": None,
        "total": 45,
        "completed": 45,
        "pages": 3,
    }
    progress.finished(DataSetResult("items"))  # nothing fetched: the bar still ends full
    assert (bar.tasks[items]["completed"], bar.tasks[items]["total"]) == (1, 1)


def test_terminal_progress_drives_a_real_rich_display(sandbox: Sandbox) -> None:
    import io

    import httpx
    from rich.console import Console
    from rich.progress import Progress

    from uku_xero_cli.cli.reload_cmd import RichProgress
    from uku_xero_cli.sync.reload import ReloadOptions
    from uku_xero_cli.sync.reload_companies import reload_company
    from uku_xero_cli.xero.retry import RetryPolicy

    connect_company(sandbox)
    bar = Progress(console=Console(file=io.StringIO(), force_terminal=True, width=120))
    seen: list[tuple[float, float | None]] = []

    class Watching(RichProgress):
        def page(self, data_set: str, page: Any, fetched: int) -> None:
            super().page(data_set, page, fetched)
            task = self.bar.tasks[self.tasks[data_set]]
            seen.append((task.completed, task.total))

    result = reload_company(
        load_settings(),
        "acme",
        ReloadOptions(only=("contacts",), page_size=20),
        progress=Watching(bar, "acme"),
        transport=httpx.WSGITransport(app=sandbox),
        retry=RetryPolicy(sleep=lambda _: None),
    )
    assert result.ok, result.error
    total = len(sandbox.state.orgs[sandbox.state.default_user().tenant_ids[0]].data.contacts)
    assert seen == [(20, total), (40, total), (total, total)]


def test_the_summary_reports_two_uku_clients_sharing_a_contacts_email(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect_company(sandbox)
    contacts = list(
        sandbox.state.orgs[sandbox.state.default_user().tenant_ids[0]].data.contacts.values()
    )
    emails = [c.get("EmailAddress") for c in contacts]
    contact = next(
        c
        for c in contacts
        if c["ContactStatus"] == "ACTIVE"
        and c.get("EmailAddress")
        and emails.count(c["EmailAddress"]) == 1
    )
    email = contact["EmailAddress"]
    csv = tmp_path / "clients.csv"
    csv.write_text(
        "id,name,email,registration_number,vat_number\n"
        f"U-1,First Uku Client,{email},,\nU-2,Second Uku Client,{email.upper()},,\n",
        encoding="utf-8",
    )
    assert cli("clients", "import", "-c", "acme", str(csv)).exit_code == 0

    monkeypatch.setenv("COLUMNS", "300")
    shown = cli("reload", "-c", "acme", "--only", "contacts")
    assert shown.exit_code == 0, shown.stderr
    row = next(line for line in shown.stdout.splitlines() if contact["Name"] in line)
    assert "U-1, U-2" in row and "email" in row
    assert "1 ambiguous contact" in shown.stdout

    as_json = document(cli("reload", "-c", "acme", "--only", "contacts", "--full", "--json"))
    (ambiguous,) = as_json["matching"]["ambiguous"]
    assert ambiguous["contact_id"] == contact["ContactID"]
    assert (ambiguous["rule"], ambiguous["candidates"]) == ("email", ["U-1", "U-2"])
    with open_company_store(load_settings(), "acme") as db:
        assert db.client_for_contact(contact["ContactID"]) is None
        linked = {c.id: c.xero_contact_id for c in db.list_clients() if c.id in ("U-1", "U-2")}
    assert linked == {"U-1": None, "U-2": None}
