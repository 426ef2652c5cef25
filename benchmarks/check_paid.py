"""check-paid: requests to read back 1,000 open invoices (target: at most 12).

1,000 invoices are pushed to the emulator (in-process), then `check-paid` (every open pushed
invoice) runs three times: first with no previous check, then after 100 of them were paid
in Xero, then with nothing changed. Asking by ID alone would take 20 requests (as many IDs
as fit a URL of 2,048 characters: 51 each).

    python benchmarks/check_paid.py [--invoices N]
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import common

from uku_xero_cli.sandbox import accounting
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.settings import Settings
from uku_xero_cli.sync.paid import PaidCheck, PaidReport
from uku_xero_cli.sync.push.file import parse_documents
from uku_xero_cli.sync.push.invoice import InvoiceDocument
from uku_xero_cli.sync.push.job import PushOptions, push_invoices
from uku_xero_cli.sync.reload import ReloadOptions
from uku_xero_cli.sync.reload_companies import reload_company
from uku_xero_cli.xero.client import XeroClient
from uku_xero_cli.xero.endpoints import invoice_id_requests
from uku_xero_cli.xero.writes import WRITE_BATCH

TARGET = 12


def invoice(number: int, today: date) -> dict[str, Any]:
    client = number % 50
    return {
        "number": f"UKU-B-{number:05d}",
        "client": {"id": f"C-{client}", "name": f"Benchmark Client {client} Ltd"},
        "issue_date": today.isoformat(),
        "due_date": (today + timedelta(days=14)).isoformat(),
        "currency": "GBP",
        "lines": [
            {
                "description": "Monthly bookkeeping",
                "quantity": "1",
                "unit_price": "450.00",
                "tax_type": "OUTPUT2",
                "account_code": "200",
            }
        ],
    }


def client_for(settings: Settings, sandbox: Sandbox) -> tuple[XeroClient, common.CountingTransport]:
    transport = common.in_process(sandbox)
    client = XeroClient(
        settings,
        common.COMPANY,
        transport=transport,
        pacer=common.free_pacer(),
        retry=common.no_wait_retry(),
    )
    return client, transport


def check(settings: Settings, sandbox: Sandbox) -> tuple[PaidReport, int, float]:
    from uku_xero_cli.store import open_company_store

    client, transport = client_for(settings, sandbox)
    began = time.perf_counter()
    with client, open_company_store(settings, common.COMPANY) as store:
        report = PaidCheck(store, client).run()
    return report, len(transport.api()), time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1000)
    args = parser.parse_args()
    common.header("check-paid")
    sandbox = common.emulator(contacts=200, invoices=600)
    with common.private_dirs():
        settings = common.connect(sandbox)
        reference = reload_company(
            settings,
            common.COMPANY,
            ReloadOptions(only=("contacts", "items", "tax_rates", "currencies", "accounts")),
            transport=common.in_process(sandbox),
            pacer=common.free_pacer(),
            retry=common.no_wait_retry(),
        )
        assert reference.error is None, reference.error
        today = date.today()
        documents = [
            InvoiceDocument(
                "bench.json",
                json.dumps([invoice(n, today) for n in range(1, args.invoices + 1)]).encode(),
            )
        ]
        client, transport = client_for(settings, sandbox)
        with client:
            pushed = push_invoices(
                settings,
                common.COMPANY,
                parse_documents(documents),
                PushOptions(),
                client=client,
            )
            by_id = invoice_id_requests(client, [r.invoice_id or "" for r in pushed.results])
        assert pushed.error is None, pushed.error
        sent = transport.api()
        lookups = sum(1 for r in sent if r.method == "GET")
        print(
            f"pushed {args.invoices:,} invoices in {len(sent)} requests ({lookups} looking "
            f"their numbers up first, then batches of {WRITE_BATCH}); asking by ID would take "
            f"{by_id} requests per check"
        )
        print(f"  {'check':<34} {'open':>5} {'requests':>9} {'method':<20} {'time':>7}")

        def show(title: str) -> PaidReport:
            report, sent, seconds = check(settings, sandbox)
            flag = "" if sent <= TARGET else f"  (over the target of {TARGET})"
            print(
                f"  {title:<34} {len(report.results):>5} {sent:>9} {report.method:<20} "
                f"{seconds:>6.2f}s{flag}"
            )
            return report

        show("first check, no previous one")
        org = sandbox.state.orgs[sandbox.state.default_user().tenant_ids[0]]
        assert org.data is not None
        paid = 0
        for number in range(1, args.invoices + 1, max(1, args.invoices // 100)):
            accounting.record_payment(
                sandbox, org, f"UKU-B-{number:05d}", Decimal("540.00"), date.today()
            )
            paid += 1
        report = show(f"after {paid} paid in Xero")
        seen = sum(1 for r in report.results if r.state == "paid")
        print(f"  ({seen} of the {paid} payments seen)")
        show("nothing changed")
        print(f"target: at most {TARGET} requests for {args.invoices:,} open invoices")


if __name__ == "__main__":
    main()
