"""`uku-xero demo`: the whole flow a new user walks, run for real against the built-in emulator.

Everything happens in a throw-away directory (config, data, sample invoices) with the
emulator on a free loopback port. Each step is a real `uku-xero` command run in-process
through the same entry point a shell uses, with the environment pointing at the emulator,
so what is printed is exactly what a user would see. The browser is a stand-in that follows
the emulator's authorize redirect, where consent is automatic.
"""

from __future__ import annotations

import io
import json
import os
import shlex
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from uku_xero_cli.errors import AuthorizationFailed, DemoFailed, error_document

if TYPE_CHECKING:
    from uku_xero_cli.sandbox.app import Sandbox
    from uku_xero_cli.sandbox.config import SandboxConfig

TENANT = "Uku Demo Ltd"
Echo = Callable[[str], None]


@dataclass
class DemoStep:
    """One command of the walk-through (or one thing done inside Xero) and how it ended."""

    command: str
    exit_code: int
    seconds: float
    expected: int = 0
    kind: str = "uku-xero"  # or "xero": done at the emulator, as a person in Xero would
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_code == self.expected

    def to_json(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "kind": self.kind,
            "exit_code": self.exit_code,
            "expected_exit_code": self.expected,
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class DemoReport:
    workdir: Path
    kept: bool
    emulator_url: str = ""
    organisation: str = TENANT
    steps: list[DemoStep] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> DemoStep | None:
        return next((step for step in self.steps if not step.ok), None)

    def failure_message(self) -> str | None:
        step = self.failed
        if step is None:
            return None
        lines = step.stderr.strip().splitlines()
        detail = lines[-1] if lines else "its message is above"
        return (
            f"the demo stopped at `{step.command}`: exit code {step.exit_code} "
            f"(expected {step.expected}); {detail}"
        )

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "ok": self.failed is None,
            "organisation": self.organisation,
            "emulator_url": self.emulator_url,
            "seconds": round(self.seconds, 3),
            "workdir": str(self.workdir) if self.kept else None,
            "steps": [step.to_json() for step in self.steps],
        }
        error = self.outcome_error()
        if error is not None:
            document["error"] = error_document(error)
        return document

    def outcome_error(self) -> DemoFailed | None:
        message = self.failure_message()
        return None if message is None else DemoFailed(message)


def demo_config(port: int, *, strict: bool = False) -> SandboxConfig:
    """A small emulator whose apps accept the redirect URI of `port`. Strict mode (every
    request checked against Xero's OpenAPI spec) needs the `strict` extra, which a plain
    `pip install .` lacks, so the demo leaves it to the tests."""
    from uku_xero_cli.sandbox.config import SandboxConfig

    return SandboxConfig(
        strict=strict,
        contacts=40,
        items=12,
        invoices=200,
        bank_transactions=60,
        credit_notes=12,
        manual_journals=6,
        redirect_uris=[f"http://localhost:{port}/callback"],
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_demo(
    *,
    keep: bool = False,
    echo: Echo | None = None,
    config: SandboxConfig | None = None,
    redirect_port: int | None = None,
) -> DemoReport:
    """Walk the whole flow; stop at the first step that ends with an unexpected exit code.

    With `echo`, each command line and its output go to the terminal as they happen;
    without, every command's output is captured and only the report is returned.
    """
    from uku_xero_cli.sandbox.app import Sandbox
    from uku_xero_cli.sandbox.server import serve_in_thread

    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="uku-xero-demo-"))
    report = DemoReport(workdir=workdir, kept=keep)
    port = redirect_port or free_port()
    try:
        sandbox = Sandbox(config or demo_config(port))
        with serve_in_thread(sandbox) as server:
            report.emulator_url = server.url
            walk = _Walk(sandbox, server.url, workdir, port, report, echo)
            with walk.environment(), _browser_stand_in(), _working_directory(workdir):
                walk.run()
    finally:
        report.seconds = time.monotonic() - started
        if keep:
            _say(echo, f"\n# Kept {workdir} (config/, data/, invoices/). Look around with:")
            _say(
                echo,
                f"#   UKU_XERO_CONFIG_DIR={workdir / 'config'} "
                f"UKU_XERO_DATA_DIR={workdir / 'data'} uku-xero clients",
            )
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return report


def _say(echo: Echo | None, line: str) -> None:
    if echo is not None:
        echo(line)


class _Walk:
    """The steps, in order, and what each needs from the emulator."""

    def __init__(
        self,
        sandbox: Sandbox,
        url: str,
        workdir: Path,
        port: int,
        report: DemoReport,
        echo: Echo | None,
    ) -> None:
        self.sandbox = sandbox
        self.url = url
        self.workdir = workdir
        self.port = port
        self.report = report
        self.echo = echo
        self.tenant_id = next(o.tenant_id for o in sandbox.state.orgs.values() if o.name == TENANT)

    def variables(self) -> dict[str, str]:
        from uku_xero_cli.sandbox import environment
        from uku_xero_cli.sandbox.config import PUBLIC_CLIENT_ID

        return {
            **environment(self.url, PUBLIC_CLIENT_ID),
            "UKU_XERO_REDIRECT_PORT": str(self.port),
            "UKU_XERO_CONFIG_DIR": str(self.workdir / "config"),
            "UKU_XERO_DATA_DIR": str(self.workdir / "data"),
        }

    @contextmanager
    def environment(self) -> Iterator[None]:
        with _environment(self.variables()):
            yield

    def run(self) -> None:
        say = self.echo
        orgs = ", ".join(o.name for o in self.sandbox.state.orgs.values())
        _say(say, f"# The built-in Xero emulator is serving {orgs} on {self.url}.")
        _say(say, f"# A throw-away config and data directory: {self.workdir}")
        _say(say, "# Every command below runs with:")
        for name, value in self.variables().items():
            _say(say, f"export {name}={shlex.quote(value)}")
        steps: list[tuple[str, Callable[[], bool]]] = [
            (
                "Connect: sign in at Xero (the emulator consents at once) and pick one of two "
                "organisations",
                lambda: self.command("auth", "--tenant", TENANT),
            ),
            ("The organisations this sign-in reaches", lambda: self.command("orgs")),
            ("Load Uku's client list (an export of three clients)", self.import_clients),
            (
                "Import clients, products, tax rates, currencies, invoices and statistics",
                lambda: self.command("reload"),
            ),
            (
                "Uku's client list with its Integration column: matched, or new from Xero",
                lambda: self.command("clients"),
            ),
            ("Monthly work statistics", lambda: self.command("stats", "--months", "6")),
            (
                "Send two Uku invoices to Xero, checked against the imported reference data",
                self.push,
            ),
            ("Meanwhile, in Xero: the clients pay", self.payments),
            ("Read the paid status back", lambda: self.command("check-paid")),
            ("Connection health", lambda: self.command("status")),
            (
                "Disconnect: revoke the token at Xero, keep the imported data",
                lambda: self.command("disconnect", "--yes"),
            ),
        ]
        for number, (title, action) in enumerate(steps, start=1):
            _say(say, f"\n# {number}. {title}")
            if not action():
                return

    def command(self, *args: str) -> bool:
        from uku_xero_cli.cli.app import main

        line = " ".join(["uku-xero", *(shlex.quote(a) for a in args)])
        _say(self.echo, f"$ {line}")
        _flush()
        began = time.monotonic()
        if self.echo is None:
            captured = io.StringIO()
            with redirect_stdout(io.StringIO()), redirect_stderr(captured):
                code = main(list(args))
            message = captured.getvalue()
        else:
            code = main(list(args))
            message = ""
        _flush()
        step = DemoStep(line, code, time.monotonic() - began, stderr=message)
        self.report.steps.append(step)
        return step.ok

    def import_clients(self) -> bool:
        rows = sample_clients(self.sandbox, self.tenant_id)
        (self.workdir / "clients.csv").write_text(clients_csv(rows), encoding="utf-8")
        return self.command("clients", "import", "clients.csv")

    def push(self) -> bool:
        folder = self.workdir / "invoices"
        folder.mkdir()
        names = []
        for number, document in sample_invoices(self.sandbox, self.tenant_id, date.today()):
            path = folder / f"{number}.json"
            path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
            names.append(f"invoices/{path.name}")
        return self.command("push-invoice", *names)

    def payments(self) -> bool:
        """The first invoice paid in full, the second in part, recorded through the
        emulator's admin API as a person would record them in Xero."""
        import httpx

        numbers = [number for number, _ in sample_invoices(self.sandbox, self.tenant_id)]
        for index, number in enumerate(numbers):
            invoice = _invoice_by_number(self.sandbox, self.tenant_id, number)
            if invoice is None:
                failed = f"the emulator holds no invoice {number}"
                _say(self.echo, failed)
                self.report.steps.append(DemoStep(number, 1, 0.0, kind="xero", stderr=failed))
                return False
            due = Decimal(str(invoice["AmountDue"]))
            amount = due if index == 0 else (due / 2).quantize(Decimal("0.01"))
            path = f"/_sandbox/orgs/{self.tenant_id}/invoices/{invoice['InvoiceID']}/payments"
            body = {"amount": str(amount)}
            line = (
                f"curl -s -X POST {self.url}{path} "
                f"-H 'Content-Type: application/json' -d '{json.dumps(body)}'"
            )
            _say(self.echo, f"$ {line}")
            began = time.monotonic()
            answer = httpx.post(self.url + path, json=body, timeout=10)
            step = DemoStep(line, 0 if answer.status_code == 201 else 1, 0.0, kind="xero")
            step.seconds = time.monotonic() - began
            if answer.status_code == 201:
                payment = answer.json()["payment"]
                share = "in full" if index == 0 else "in part"
                _say(
                    self.echo,
                    f"{number} paid {share}: {invoice['CurrencyCode']} {amount} "
                    f"(payment {payment.get('PaymentID', '?')})",
                )
            else:
                step.stderr = f"the emulator answered {answer.status_code}: {answer.text}"
                _say(self.echo, step.stderr)
            self.report.steps.append(step)
            if not step.ok:
                return False
        return True


def _invoice_by_number(sandbox: Sandbox, tenant_id: str, number: str) -> dict[str, Any] | None:
    organisation = sandbox.state.orgs[tenant_id]
    assert organisation.data is not None
    with sandbox.state.lock:
        invoice_id = organisation.data.invoice_numbers.get(number.casefold())
        if invoice_id is None:
            return None
        return dict(organisation.data.invoices[invoice_id])


def _known_contacts(sandbox: Sandbox, tenant_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two active contacts the organisation already has in Xero: a company with a
    registration number no other contact shares, and a person with an email of their own."""
    data = sandbox.state.orgs[tenant_id].data
    assert data is not None
    active = [data.contacts[contact_id] for contact_id in data.contact_names.values()]
    numbers = [c.get("CompanyNumber") for c in data.contacts.values()]
    emails = [str(c.get("EmailAddress", "")).casefold() for c in data.contacts.values()]
    company = next(
        c for c in active if c.get("CompanyNumber") and numbers.count(c["CompanyNumber"]) == 1
    )
    person = next(
        c
        for c in active
        if c is not company
        and not c.get("CompanyNumber")
        and c.get("EmailAddress")
        and emails.count(str(c["EmailAddress"]).casefold()) == 1
    )
    return company, person


def sample_clients(sandbox: Sandbox, tenant_id: str) -> list[dict[str, str]]:
    """Uku's client list as its export has it: two clients Xero knows under slightly
    different details, and one Xero has never seen."""
    company, person = _known_contacts(sandbox, tenant_id)
    return [
        {
            "id": "C-1001",
            "name": str(company["Name"]).upper(),
            "email": "",
            "registration_number": str(company["CompanyNumber"]),
            "vat_number": "",
        },
        {
            "id": "C-1002",
            "name": f"{person['Name']} (sole trader)",
            "email": str(person["EmailAddress"]).upper(),
            "registration_number": "",
            "vat_number": "",
        },
        {
            "id": "C-1003",
            "name": "Harbour Lane Bakery Ltd",
            "email": "accounts@harbourlane.example",
            "registration_number": "11223344",
            "vat_number": "GB112233445",
        },
    ]


def clients_csv(clients: list[dict[str, str]]) -> str:
    import csv

    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(clients[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(clients)
    return text.getvalue()


def _client(row: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in row.items() if value}


def sample_invoices(
    sandbox: Sandbox, tenant_id: str, today: date | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """Two Uku invoices that fit the demo organisation's reference data (GBP, UK VAT rates,
    the firm's items, the Sales account): one for a client linked to its Xero contact by the
    reload, one for the client Xero has never seen."""
    known, _, new = sample_clients(sandbox, tenant_id)
    issued = today or date.today()
    due = issued + timedelta(days=14)
    first = {
        "number": "UKU-DEMO-0001",
        "client": _client(known),
        "issue_date": issued.isoformat(),
        "due_date": due.isoformat(),
        "currency": "GBP",
        "amounts_are": "exclusive",
        "reference": "Monthly bookkeeping and payroll",
        "lines": [
            {
                "description": "Monthly bookkeeping",
                "quantity": "1",
                "unit_price": "450.00",
                "product_code": "BOOK",
                "tax_type": "OUTPUT2",
                "account_code": "200",
            },
            {
                "description": "Payroll, per employee",
                "quantity": "6",
                "unit_price": "12.50",
                "product_code": "PAYROLL",
                "tax_type": "OUTPUT2",
                "account_code": "200",
            },
        ],
    }
    second = {
        "number": "UKU-DEMO-0002",
        "client": _client(new),
        "issue_date": issued.isoformat(),
        "due_date": due.isoformat(),
        "currency": "GBP",
        "reference": "Year-end",
        "lines": [
            {
                "description": "Annual accounts",
                "quantity": "1",
                "unit_price": "1200.00",
                "product_code": "ACCS",
                "tax_type": "OUTPUT2",
            },
            {
                "description": "Advisory, per hour",
                "quantity": "2.5",
                "unit_price": "120.00",
                "product_code": "ADVISORY",
                "tax_type": "OUTPUT2",
                "discount_percent": "10",
            },
        ],
    }
    return [("UKU-DEMO-0001", first), ("UKU-DEMO-0002", second)]


def _flush() -> None:
    sys.stdout.flush()
    sys.stderr.flush()


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """Only the demo's settings: the user's own XERO_* and UKU_XERO_* are set aside, and
    everything is put back afterwards."""
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith(("XERO_", "UKU_XERO_")):
            del os.environ[name]
    os.environ.update(values)
    try:
        yield
    finally:
        for name in set(os.environ) - set(saved):
            del os.environ[name]
        for name, value in saved.items():
            if os.environ.get(name) != value:
                os.environ[name] = value


@contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    # The commands name invoice files relative to the demo directory, as a user in it would.
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


@contextmanager
def _browser_stand_in() -> Iterator[None]:
    """`auth` opens the browser through `auth_cmd.open_browser`; the stand-in follows the
    authorize redirect to the loopback callback instead, as a consenting user's browser does."""
    from uku_xero_cli.cli import auth_cmd
    from uku_xero_cli.sandbox.browser import follow

    def open_browser(url: str) -> bool:
        status = follow(url)
        if status >= 400:
            raise AuthorizationFailed(
                f"the demo's browser stand-in ended on HTTP {status} instead of the sign-in "
                "redirect"
            )
        return True

    original = auth_cmd.open_browser
    auth_cmd.open_browser = open_browser
    try:
        yield
    finally:
        auth_cmd.open_browser = original
