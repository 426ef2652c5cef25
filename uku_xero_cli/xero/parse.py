"""Reading what Xero sends and writing what Xero reads: dates, money and JSON.

Xero writes dates two ways: `/Date(1518685950940+0000)/` (milliseconds since the Unix epoch,
with an optional zone offset saying where the value was recorded) and ISO 8601 text that may
lack a zone (`2019-07-09T23:40:30.1833130`), which Xero means as UTC. Money is always a
`Decimal` and never passes through a binary float: response bodies are decoded with
`loads_xero`, which turns every JSON number with a fraction into a `Decimal`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from email.utils import format_datetime
from functools import lru_cache
from typing import Any

from uku_xero_cli.decimals import LIMITS, MAX_TEXT, bounded_decimal, is_bounded
from uku_xero_cli.errors import XeroAPIError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS_DATE = re.compile(r"/Date\((-?\d{1,15})(?:([+-])(\d{2})(\d{2}))?\)/", re.ASCII)
_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"(Z|[+-]\d{2}(?::?\d{2})?)?",
    re.IGNORECASE | re.ASCII,
)
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?")


class XeroValueError(XeroAPIError, ValueError):
    """A value from Xero (or meant for Xero) that cannot be read as the type it should be."""

    code = "bad_value"


@lru_cache(maxsize=64)
def _offset(sign: str, hours: str, minutes: str | None) -> timezone:
    # Cached: a reload reads hundreds of thousands of dates written with a handful of
    # offsets (nearly all +0000), and building a timezone for each showed in profiles.
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if delta >= timedelta(hours=24):
        raise ValueError("offset out of range")
    if not delta:
        return UTC
    return timezone(-delta if sign == "-" else delta)


def _parse_ms_date(match: re.Match[str]) -> datetime:
    ms, sign, hh, mm = match.groups()
    # The milliseconds count from the epoch in UTC whatever the offset; the offset only
    # says which wall clock the value was recorded on (it matters for calendar dates).
    instant = _EPOCH + timedelta(milliseconds=int(ms))
    if sign is None:
        return instant
    zone = _offset(sign, hh, mm)
    return instant if zone is UTC else instant.astimezone(zone)


def _parse_iso(match: re.Match[str]) -> datetime:
    year, month, day, hh, mi, ss, frac, zone = match.groups()
    # Fractions finer than a microsecond (Xero sends 7 digits) are cut, never rounded up,
    # so a value never moves into the next second.
    micro = int((frac or "0")[:6].ljust(6, "0"))
    tz: timezone = UTC
    if zone and zone.upper() != "Z":
        digits = zone[1:].replace(":", "")
        tz = _offset(zone[0], digits[:2], digits[2:] or None)
    return datetime(
        int(year), int(month), int(day), int(hh or 0), int(mi or 0), int(ss or 0), micro, tz
    )


def _parse_any(value: object, what: str) -> datetime:
    if not isinstance(value, str):
        raise XeroValueError(f"{what}: expected a date, got {type(value).__name__}")
    text = value.strip()
    try:
        if match := _MS_DATE.fullmatch(text):
            return _parse_ms_date(match)
        if match := _ISO.fullmatch(text):
            return _parse_iso(match)
    except (ValueError, OverflowError):
        pass
    raise XeroValueError(f"{what}: {value[:60]!r} is not a date Xero writes")


def parse_datetime(value: object, *, what: str = "date") -> datetime:
    """An aware UTC datetime from either Xero date form; text without a zone is UTC."""
    moment = _parse_any(value, what)
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


def parse_date(value: object, *, what: str = "date") -> date:
    """The calendar date a Xero date stands for, read on the wall clock it was written in.

    `/Date(1518652800000+0000)/` is 2018-02-15; an invoice date written with `+1300` keeps
    its New Zealand day even though that instant falls on the previous day in UTC.
    """
    return _parse_any(value, what).date()


def parse_optional_datetime(value: object, *, what: str = "date") -> datetime | None:
    """`parse_datetime`, with None and empty text meaning "no date"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_datetime(value, what=what)


def parse_optional_date(value: object, *, what: str = "date") -> date | None:
    """`parse_date`, with None and empty text meaning "no date"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_date(value, what=what)


def parse_money(value: object, *, what: str = "amount") -> Decimal:
    """A finite Decimal from JSON text, an integer or a Decimal.

    A float is accepted only as a last resort for callers that decoded JSON without
    `loads_xero`: it is read through its shortest repr (0.1 → Decimal("0.1")), which is the
    number the JSON text held, never the binary expansion of the float.
    """
    if isinstance(value, bool):
        raise XeroValueError(f"{what}: expected a number, got a boolean")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        # Decimal() alone would also take "1_000", "NaN" and non-ASCII digits.
        text = value.strip()
        if len(text) > MAX_TEXT or not _NUMBER.fullmatch(text):
            raise XeroValueError(f"{what}: {value[:40]!r} is not a number")
        bounded = bounded_decimal(text)
        result = Decimal("NaN") if bounded is None else bounded
    else:
        raise XeroValueError(f"{what}: expected a number, got {type(value).__name__}")
    if not is_bounded(result):
        raise XeroValueError(f"{what}: {str(value)[:40]} is not a number in range ({LIMITS})")
    return result


def parse_optional_money(value: object, *, what: str = "amount") -> Decimal | None:
    """`parse_money`, with None and empty text meaning "no amount"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_money(value, what=what)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"not JSON ({name} is not a number)")


def _bounded_float(text: str) -> Decimal:
    value = bounded_decimal(text)
    if value is None:
        raise ValueError(
            f"not JSON this tool reads (the number {text[:40]} is out of range: {LIMITS})"
        )
    return value


def _bounded_int(text: str) -> int:
    # Python's int() of a long text is slow (and refused beyond 4,300 digits).
    if len(text) > MAX_TEXT:
        raise ValueError(
            f"not JSON this tool reads (a number {len(text)} digits long is out of range)"
        )
    return int(text)


def loads_exact(data: bytes | str) -> Any:
    """Decode JSON with every number that has a fraction or exponent as a Decimal, each
    bounded (`uku_xero_cli.decimals`) before anything computes with it; the ValueError says
    why a text is not JSON (`not JSON (Expecting value: line 1 column 1)`)."""
    try:
        return json.loads(
            data,
            parse_float=_bounded_float,
            parse_int=_bounded_int,
            parse_constant=_reject_constant,
        )
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg}: line {exc.lineno} column {exc.colno})") from None
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 JSON") from None
    except RecursionError:
        raise ValueError("not JSON (nested too deeply)") from None


def loads_xero(data: bytes | str) -> Any:
    """Decode a Xero JSON body as `loads_exact` does; XeroValueError when it cannot be."""
    try:
        return loads_exact(data)
    except ValueError as exc:
        raise XeroValueError(f"Xero sent a body that is {exc}") from None


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def format_http_date(moment: datetime) -> str:
    """RFC 1123 text for `If-Modified-Since`, e.g. `Thu, 15 Feb 2018 09:12:30 GMT`.

    HTTP dates have whole seconds, so the fraction is dropped: asking from the start of the
    second can only fetch a record again, never miss one. A naive datetime is taken as UTC.
    """
    return format_datetime(_as_utc(moment).replace(microsecond=0), usegmt=True)


def format_ms_date(moment: datetime) -> str:
    """`/Date(ms+0000)/` for a datetime (naive is UTC), to the millisecond, floored."""
    delta = _as_utc(moment) - _EPOCH
    ms = delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000
    return f"/Date({ms}+0000)/"


def where_datetime(day: date) -> str:
    """A date literal for a Xero `where` filter: `DateTime(2025,11,01)`."""
    return f"DateTime({day.year:04d},{day.month:02d},{day.day:02d})"


def where_string(text: str) -> str:
    """A string literal for a Xero `where` filter: `"O'Brien \\"Ltd\\""`."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_utc(moment: datetime) -> str:
    """ISO 8601 UTC text with microseconds, the form the store keeps timestamps in."""
    return _as_utc(moment).isoformat(timespec="microseconds")


def _encode(value: Any, out: list[str], indent: int | None, depth: int) -> None:
    def newline(level: int) -> str:
        return "" if indent is None else "\n" + " " * (indent * level)

    colon = ":" if indent is None else ": "
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a finite amount: {value}")
        # Plain digits: Xero reads a JSON number, and no float ever held it.
        out.append(format(value, "f"))
    elif value is None or isinstance(value, bool | str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, Mapping | list | tuple):
        is_map = isinstance(value, Mapping)
        items = list(value.items()) if isinstance(value, Mapping) else list(value)
        out.append("{" if is_map else "[")
        for index, item in enumerate(items):
            if index:
                out.append(",")
            out.append(newline(depth + 1))
            if is_map:
                out.append(json.dumps(str(item[0]), ensure_ascii=False) + colon)
                item = item[1]
            _encode(item, out, indent, depth + 1)
        if items:
            out.append(newline(depth))
        out.append("}" if is_map else "]")
    else:
        raise TypeError(f"{type(value).__name__} does not go into a Xero request")


def encode_json(value: Any, *, indent: int | None = None) -> str:
    """JSON text with every Decimal written as the exact number it holds."""
    out: list[str] = []
    _encode(value, out, indent, 0)
    return "".join(out)
