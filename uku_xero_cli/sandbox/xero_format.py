"""Xero's wire formats: `/Date(ms+0000)/` dates, money as Decimal, and JSON bodies."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from typing import Any

from uku_xero_cli.sandbox.http import Response

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CENT = Decimal("0.01")
_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def to_utc(moment: date | datetime) -> datetime:
    """A date as midnight UTC, a naive datetime as UTC, an aware one converted to UTC."""
    if not isinstance(moment, datetime):
        return datetime.combine(moment, time(), tzinfo=UTC)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def epoch_ms(moment: date | datetime) -> int:
    return (to_utc(moment) - EPOCH) // timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def ms_date(moment: date | datetime) -> str:
    """Xero's record date form, e.g. `/Date(1518685950940+0000)/`."""
    return f"/Date({epoch_ms(moment)}+0000)/"


def envelope_date(moment: datetime) -> str:
    # Xero's response envelope leaves the offset out of DateTimeUTC.
    return f"/Date({epoch_ms(moment)})/"


def date_string(day: date) -> str:
    """The companion `DateString` Xero sends next to `Date`: local midnight, no zone."""
    return f"{day.isoformat()}T00:00:00"


def parse_ms_date(text: str) -> datetime | None:
    found = _MS_DATE.match(text.strip())
    if found is None:
        return None
    moment = from_ms(int(found.group(1)))
    if found.group(2):
        sign = 1 if found.group(2)[0] == "+" else -1
        hours, minutes = int(found.group(2)[1:3]), int(found.group(2)[3:5])
        # The offset says which local wall-clock time the value names, not a shift of the
        # instant: Xero's ms are already UTC.
        moment = moment.astimezone(timezone(sign * timedelta(hours=hours, minutes=minutes)))
    return moment


def parse_when(text: str) -> datetime | None:
    """A date or time Xero accepts in request bodies: ISO 8601 (date or date-time) or /Date()/.

    Naive values are taken as UTC. Returns None for anything else.
    """
    text = text.strip()
    if not text:
        return None
    if text.startswith("/Date("):
        return parse_ms_date(text)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return to_utc(parsed)


def parse_day(value: Any) -> date | None:
    """The calendar date of a request date field, or None when it is not a date."""
    if not isinstance(value, str):
        return None
    moment = parse_when(value)
    if moment is None:
        return None
    if value.strip().startswith("/Date("):
        return moment.date()
    # An ISO value names the organisation's local day; keep its wall-clock date.
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).date()
    except ValueError:
        return moment.date()


def parse_http_date(text: str | None) -> datetime | None:
    """An If-Modified-Since value: RFC 1123 (`Sat, 01 Nov 2025 10:00:00 GMT`) or ISO 8601."""
    if not text or not text.strip():
        return None
    text = text.strip()
    try:
        return to_utc(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        pass
    return parse_when(text)


def to_decimal(value: Any) -> Decimal | None:
    """A number from a JSON body (number or numeric text) as Decimal; None if it is not one."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def money(value: Decimal) -> Decimal:
    """Rounded to cents the way Xero rounds line amounts: half away from zero."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Xero sends money as JSON numbers (12.5, 40.0); clients parse them back as decimals.
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def json_bytes(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), default=_encode, ensure_ascii=False).encode(
        "utf-8"
    )


def json_response(data: Any, status: int = 200) -> Response:
    return Response(status, json_bytes(data), {"Content-Type": "application/json; charset=utf-8"})
