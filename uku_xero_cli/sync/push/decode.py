"""Decoding an invoice file's JSON: every number an exact Decimal, bounded before anything
computes with it (see `uku_xero_cli.decimals`), and every object keeping note of the keys it
was given twice. Field by field reading is `fields`' work.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from uku_xero_cli.decimals import bounded_decimal


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


@dataclass(frozen=True, slots=True)
class OutOfRange:
    """A JSON number too long or too large or small to read exactly (see `decimals`); the
    field that holds it reports it by its path, and nothing ever computes with it."""

    text: str

    def __str__(self) -> str:
        return self.text if len(self.text) <= 24 else f"{self.text[:12]}...{self.text[-8:]}"


class JsonObject(dict[str, Any]):
    """A JSON object as read, with the keys it held more than once (JSON's last-wins would
    otherwise hide the first value without a word)."""

    duplicates: tuple[str, ...] = ()


def _number(text: str) -> Decimal | OutOfRange:
    value = bounded_decimal(text)
    return OutOfRange(text) if value is None else value


def _object(pairs: list[tuple[str, Any]]) -> JsonObject:
    obj = JsonObject(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        twice: dict[str, None] = {}
        for key, _ in pairs:
            if key in seen:
                twice[key] = None
            seen.add(key)
        obj.duplicates = tuple(twice)
    return obj


def decode_json(data: bytes) -> Any:
    """JSON with every number an exact, bounded Decimal (never a float; an `OutOfRange` when
    it cannot be one) and every object a `JsonObject`; raises ValueError with a readable
    reason."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(
            text,
            parse_float=_number,
            parse_int=_number,
            parse_constant=_reject_constant,
            object_pairs_hook=_object,
        )
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise ValueError(f"not valid JSON ({where}: {exc.msg})") from None
    except RecursionError:
        raise ValueError("not valid JSON (nested too deeply)") from None
