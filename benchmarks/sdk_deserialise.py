"""The official xero-python SDK deserialising recorded pages; run by throughput.py with the
Python of a separate environment that has the SDK (never this project's):

    python -m venv /tmp/bench-venv && /tmp/bench-venv/bin/pip install xero-python
    /tmp/bench-venv/bin/python benchmarks/sdk_deserialise.py PAGES_DIR [--repeat 3]

PAGES_DIR holds `Contacts-*.json` and `Invoices-*.json`, each one answer body as Xero sent
it. For each kind, prints the records deserialised and the best time of `--repeat` runs
over all its pages, as one JSON line. Only the standard library and the SDK are imported.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any


class _Answer:
    """What ApiClient.deserialize reads from a REST response: its text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.data = text


def main() -> None:
    from xero_python.accounting import AccountingApi
    from xero_python.api_client import ApiClient, Configuration
    from xero_python.api_client.oauth2 import OAuth2Token

    parser = argparse.ArgumentParser()
    parser.add_argument("pages", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    client = ApiClient(
        Configuration(oauth2_token=OAuth2Token(client_id="bench", client_secret="bench")),
        pool_threads=1,
    )
    finder = AccountingApi(client).get_model_finder()
    figures: dict[str, Any] = {}
    for kind in ("Contacts", "Invoices"):
        texts = [p.read_text(encoding="utf-8") for p in sorted(args.pages.glob(f"{kind}-*.json"))]
        best = float("inf")
        records = 0
        for _ in range(args.repeat):
            began = time.perf_counter()
            records = 0
            for text in texts:
                answer = client.deserialize(_Answer(text), kind, finder)
                records += len(getattr(answer, kind.lower()) or [])
            best = min(best, time.perf_counter() - began)
        figures[kind.lower()] = {"records": records, "seconds": best, "pages": len(texts)}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
