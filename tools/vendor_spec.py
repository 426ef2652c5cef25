"""Copy Xero's OpenAPI specs from ../shared/xero-openapi into the package as JSON.

The sandbox's strict mode and the fidelity tests read the JSON copy, which loads in a few
milliseconds where the YAML takes seconds. Run again after updating ../shared/xero-openapi:

    python tools/vendor_spec.py [path/to/xero-openapi]
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEST = ROOT / "uku_xero_cli" / "sandbox" / "spec"
SPECS = {"xero_accounting.yaml": "xero_accounting.json", "xero-identity.yaml": "xero_identity.json"}


def main(argv: list[str]) -> int:
    source = Path(argv[1]) if len(argv) > 1 else ROOT.parent / "shared" / "xero-openapi"
    DEST.mkdir(parents=True, exist_ok=True)
    for yaml_name, json_name in SPECS.items():
        spec = yaml.safe_load((source / yaml_name).read_text(encoding="utf-8"))
        text = json.dumps(spec, sort_keys=True, separators=(",", ":"), default=str)
        (DEST / json_name).write_text(text + "\n", encoding="utf-8")
    for name in ("LICENSE", "SOURCE.txt"):
        shutil.copyfile(source / name, DEST / name)
    print(f"vendored {len(SPECS)} specs into {DEST.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
