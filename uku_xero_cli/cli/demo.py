"""`uku-xero demo`: the whole flow a new user walks, run for real against the built-in emulator.

Everything happens in a throw-away directory (config, data, sample files) with the emulator on
a free loopback port. Each step is a real `uku-xero` command run in-process through the entry
point the demo is given (the one a shell runs), in surroundings of its own: the emulator's
variables instead of the user's XERO_* and UKU_XERO_* settings, the throw-away directory as
working directory, and the browser it is given (`demo_cmd` gives `emulator_consent()`). The
process's environment, working directory and module globals never change, so whoever runs the
demo, and every other thread, sees them as they were.

What the demo needs to know of "Xero" (its organisations, two contacts to base Uku's client
list on, what an invoice still owes) it asks the emulator's admin API over HTTP, as a person
looking inside Xero would; the payments are recorded there too.

A command's messages (its stderr) are part of the transcript: they go to the demo's stdout
as they happen, between that command's line and the next step, so a pipe or a file keeps each
with its own step whether or not stderr goes there too.
"""

from __future__ import annotations

import io
import json
import shlex
import shutil
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from uku_xero_cli.cli.surroundings import Surroundings
from uku_xero_cli.errors import AuthorizationFailed, DemoFailed, error_document

if TYPE_CHECKING:
    import httpx

    from uku_xero_cli.connection.connect import Browser
    from uku_xero_cli.sandbox.config import SandboxConfig

TENANT = "Uku Demo Ltd"
SAMPLE_NUMBERS = ("UKU-DEMO-0001", "UKU-DEMO-0002")
CENT = Decimal("0.01")  # the sample invoices are in GBP
# The user's own settings, which must not reach the demo's commands.
USER_SETTINGS = ("XERO_", "UKU_XERO_")
# The CLI's entry point: `cli.app.main`, handed over by `demo_cmd`.
Entry = Callable[[list[str], Surroundings], int]


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


def emulator_consent() -> Browser:
    """The demo's browser: a stand-in that follows the authorize redirect to the loopback
    callback, as the browser of a consenting user does. The emulator consents at once, so no
    page is shown and no browser is opened; `auth` says so instead of "Opening the browser"."""
    from uku_xero_cli.connection.connect import Browser

    def follow_sign_in(url: str) -> bool:
        from uku_xero_cli.sandbox.browser import follow

        status = follow(url)
        if status >= 400:
            raise AuthorizationFailed(
                f"the demo's browser stand-in ended on HTTP {status} instead of the sign-in "
                "redirect"
            )
        return True

    return Browser(
        follow_sign_in,
        opening="Signing in at the emulator, which consents at once (no browser is opened):",
        waiting="Following the sign-in redirect",
    )


def run_demo(
    entry: Entry,
    browser: Browser,
    surroundings: Surroundings,
    *,
    keep: bool = False,
    transcript: bool = True,
    config: SandboxConfig | None = None,
    redirect_port: int | None = None,
) -> DemoReport:
    """Walk the whole flow; stop at the first step that ends with an unexpected exit code.

    `surroundings` are the demo's own: the environment its steps start from and, with
    `transcript`, where each command line and everything the command prints go as they
    happen. Without `transcript`, every command's output is captured and only the report is
    returned.
    """
    from uku_xero_cli.sandbox.app import Sandbox
    from uku_xero_cli.sandbox.server import serve_in_thread

    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="uku-xero-demo-"))
    report = DemoReport(workdir=workdir, kept=keep)
    say = _Transcript(surroundings.stdout if transcript else None)
    port = redirect_port or free_port()
    try:
        sandbox = Sandbox(config or demo_config(port))
        with serve_in_thread(sandbox) as server:
            report.emulator_url = server.url
            walk = _Walk(entry, browser, surroundings, server.url, workdir, port, report, say)
            walk.run()
    finally:
        report.seconds = time.monotonic() - started
        if keep:
            say(f"\n# Kept {workdir} (config/, data/, invoices/, clients.csv). Look around with:")
            say(
                f"#   UKU_XERO_CONFIG_DIR={workdir / 'config'} "
                f"UKU_XERO_DATA_DIR={workdir / 'data'} uku-xero clients"
            )
        else:
            shutil.rmtree(workdir, ignore_errors=True)
            say(
                f"\n# Removed {workdir} with everything in it (config, data, sample files); "
                "`uku-xero demo --keep` keeps it."
            )
    return report


class _Transcript:
    """The demo's own lines, on its stdout; nothing when its output is not a transcript."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream

    def __call__(self, line: str) -> None:
        if self.stream is not None:
            print(line, file=self.stream, flush=True)


class _Walk:
    """The steps, in order, and what each needs from the emulator."""

    def __init__(
        self,
        entry: Entry,
        browser: Browser,
        surroundings: Surroundings,
        url: str,
        workdir: Path,
        port: int,
        report: DemoReport,
        say: _Transcript,
    ) -> None:
        self.entry = entry
        self.browser = browser
        self.surroundings = surroundings
        self.url = url
        self.workdir = workdir
        self.port = port
        self.report = report
        self.say = say
        self.tenant_id = ""
        self.clients: list[dict[str, str]] = []

    def variables(self) -> dict[str, str]:
        from uku_xero_cli.sandbox import environment
        from uku_xero_cli.sandbox.config import PUBLIC_CLIENT_ID

        return {
            **environment(self.url, PUBLIC_CLIENT_ID),
            "UKU_XERO_REDIRECT_PORT": str(self.port),
            "UKU_XERO_CONFIG_DIR": str(self.workdir / "config"),
            "UKU_XERO_DATA_DIR": str(self.workdir / "data"),
        }

    def step_surroundings(self) -> Surroundings:
        """A step's surroundings: the demo's environment without the user's own settings and
        with the emulator's, the throw-away directory, the stand-in browser; its output in the
        transcript (stderr too, see the module's docstring) or captured."""
        own = self.surroundings
        environ = {k: v for k, v in own.environ.items() if not k.startswith(USER_SETTINGS)}
        environ.update(self.variables())
        if self.say.stream is not None:
            stdout: TextIO = self.say.stream
            stderr: TextIO = self.say.stream
        else:
            stdout, stderr = io.StringIO(), io.StringIO()
        return Surroundings(environ, self.workdir, own.stdin, stdout, stderr, self.browser)

    def run(self) -> None:
        import httpx

        say = self.say
        with httpx.Client(base_url=f"{self.url}/_sandbox", timeout=10) as admin:
            orgs = _answer(admin.get("/orgs"))["orgs"]
            self.tenant_id = next(o["tenantId"] for o in orgs if o["name"] == TENANT)
            names = ", ".join(o["name"] for o in orgs)
            say(f"# The built-in Xero emulator is serving {names} on {self.url}.")
            ending = "kept at the end" if self.report.kept else "removed at the end unless --keep"
            say(f"# A throw-away config and data directory: {self.workdir} ({ending})")
            say("# Every command below runs with:")
            for name, value in self.variables().items():
                say(f"export {name}={shlex.quote(value)}")
            steps: list[tuple[str, Callable[[], bool]]] = [
                (
                    "Connect: sign in at Xero (the emulator consents at once: no browser "
                    "needed); of the two organisations this login reaches, --tenant picks one "
                    "as a script would (at a terminal, auth without it asks)",
                    lambda: self.command("auth", "--tenant", TENANT),
                ),
                ("The organisations this sign-in reaches", lambda: self.command("orgs")),
                (
                    "Load Uku's client list (an export of three clients)",
                    lambda: self.import_clients(admin),
                ),
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
                ("Meanwhile, in Xero: the clients pay", lambda: self.payments(admin)),
                ("Read the paid status back", lambda: self.command("check-paid")),
                ("Connection health", lambda: self.command("status")),
                (
                    "Disconnect: revoke the token at Xero, keep the imported data (here in the "
                    "throw-away directory)",
                    lambda: self.command("disconnect", "--yes"),
                ),
            ]
            for number, (title, action) in enumerate(steps, start=1):
                say(f"\n# {number}. {title}")
                if not action():
                    return

    def command(self, *args: str) -> bool:
        line = " ".join(["uku-xero", *(shlex.quote(a) for a in args)])
        self.say(f"$ {line}")
        around = self.step_surroundings()
        began = time.monotonic()
        code = self.entry(list(args), around)
        around.stdout.flush()
        around.stderr.flush()
        message = around.stderr.getvalue() if isinstance(around.stderr, io.StringIO) else ""
        step = DemoStep(line, code, time.monotonic() - began, stderr=message)
        self.report.steps.append(step)
        return step.ok

    def import_clients(self, admin: httpx.Client) -> bool:
        contacts = _answer(admin.get(f"/orgs/{self.tenant_id}/contacts"))["Contacts"]
        self.clients = sample_clients(contacts)
        (self.workdir / "clients.csv").write_text(clients_csv(self.clients), encoding="utf-8")
        return self.command("clients", "import", "clients.csv")

    def push(self) -> bool:
        folder = self.workdir / "invoices"
        folder.mkdir()
        names = []
        for number, document in sample_invoices(self.clients, date.today()):
            path = folder / f"{number}.json"
            path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
            names.append(f"invoices/{path.name}")
        return self.command("push-invoice", *names)

    def payments(self, admin: httpx.Client) -> bool:
        """The first invoice paid in full, the second in part, recorded through the
        emulator's admin API as a person would record them in Xero."""
        for index, number in enumerate(SAMPLE_NUMBERS):
            path = f"/orgs/{self.tenant_id}/invoices/{number}"
            found = admin.get(path)
            if found.status_code != 200:
                failed = f"the emulator holds no invoice {number} ({found.status_code})"
                self.say(failed)
                self.report.steps.append(DemoStep(number, 1, 0.0, kind="xero", stderr=failed))
                return False
            invoice = found.json(parse_float=Decimal)["invoice"]
            due = Decimal(invoice["AmountDue"]).quantize(CENT)
            amount = due if index == 0 else (due / 2).quantize(CENT)
            body = {"amount": str(amount)}
            line = (
                f"curl -s -X POST {self.url}/_sandbox{path}/payments "
                f"-H 'Content-Type: application/json' -d '{json.dumps(body)}'"
            )
            self.say(f"$ {line}")
            began = time.monotonic()
            answer = admin.post(f"{path}/payments", json=body)
            step = DemoStep(line, 0 if answer.status_code == 201 else 1, 0.0, kind="xero")
            step.seconds = time.monotonic() - began
            if answer.status_code == 201:
                payment = answer.json()["payment"]
                share = "in full" if index == 0 else "in part"
                self.say(
                    f"{number} paid {share}: {invoice['CurrencyCode']} {amount} "
                    f"(payment {payment.get('PaymentID', '?')})"
                )
            else:
                step.stderr = f"the emulator answered {answer.status_code}: {answer.text}"
                self.say(step.stderr)
            self.report.steps.append(step)
            if not step.ok:
                return False
        return True


def _answer(response: httpx.Response) -> Any:
    """The admin API's JSON answer; anything else stops the demo with what it said."""
    response.raise_for_status()
    return response.json()


def _known_contacts(contacts: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two active contacts the organisation already has in Xero: a company with a
    registration number no other contact shares, and a person with an email of their own."""
    active = [c for c in contacts if c.get("ContactStatus") == "ACTIVE"]
    numbers = [c.get("CompanyNumber") for c in contacts]
    emails = [str(c.get("EmailAddress", "")).casefold() for c in contacts]
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


def sample_clients(contacts: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Uku's client list as its export has it: two clients Xero knows (among `contacts`, as
    Xero shows them) under slightly different details, and one Xero has never seen."""
    company, person = _known_contacts(contacts)
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
    clients: list[dict[str, str]], today: date | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """Two Uku invoices that fit the demo organisation's reference data (GBP, UK VAT rates,
    the firm's items, the Sales account): one for a client of `clients` (`sample_clients`)
    linked to its Xero contact by the reload, one for the client Xero has never seen."""
    known, _, new = clients
    issued = today or date.today()
    due = issued + timedelta(days=14)
    first = {
        "number": SAMPLE_NUMBERS[0],
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
        "number": SAMPLE_NUMBERS[1],
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
    return [(SAMPLE_NUMBERS[0], first), (SAMPLE_NUMBERS[1], second)]
