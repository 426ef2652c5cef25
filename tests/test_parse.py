"""Reading Xero's dates, money and JSON, and writing dates the way Xero reads them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uku_xero_cli.errors import XeroAPIError
from uku_xero_cli.xero.parse import (
    XeroValueError,
    format_http_date,
    format_ms_date,
    format_utc,
    loads_xero,
    parse_date,
    parse_datetime,
    parse_money,
    parse_optional_datetime,
    parse_optional_money,
    where_datetime,
)


def test_ms_date_with_utc_offset() -> None:
    assert parse_datetime("/Date(1518685950940+0000)/") == datetime(
        2018, 2, 15, 9, 12, 30, 940000, tzinfo=UTC
    )


def test_ms_date_without_offset_is_the_same_instant() -> None:
    assert parse_datetime("/Date(1518685950940)/") == parse_datetime("/Date(1518685950940+0000)/")


def test_ms_date_offset_does_not_move_the_instant() -> None:
    # The milliseconds are UTC; the offset only names the wall clock it was recorded on.
    moment = parse_datetime("/Date(1518685950940+1300)/")
    assert moment == datetime(2018, 2, 15, 9, 12, 30, 940000, tzinfo=UTC)
    assert moment.tzinfo == UTC


def test_ms_date_calendar_day_follows_the_offset() -> None:
    # 2018-02-14T11:00Z is already 15 February in New Zealand (+13:00).
    assert parse_date("/Date(1518606000000+1300)/") == date(2018, 2, 15)
    assert parse_date("/Date(1518606000000+0000)/") == date(2018, 2, 14)
    assert parse_date("/Date(1518606000000-0500)/") == date(2018, 2, 14)


def test_negative_ms_date_is_before_1970() -> None:
    assert parse_datetime("/Date(-86400000+0000)/") == datetime(1969, 12, 31, tzinfo=UTC)


def test_ms_date_tolerates_surrounding_whitespace() -> None:
    assert parse_date(" /Date(1481846400000+0000)/ ") == date(2016, 12, 16)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-01-01T00:00:00", datetime(2019, 1, 1, tzinfo=UTC)),
        ("2019-07-09T23:40:30.1833130", datetime(2019, 7, 9, 23, 40, 30, 183313, tzinfo=UTC)),
        ("2019-07-09T23:40:30.5Z", datetime(2019, 7, 9, 23, 40, 30, 500000, tzinfo=UTC)),
        ("2019-07-09T23:40:30+02:00", datetime(2019, 7, 9, 21, 40, 30, tzinfo=UTC)),
        ("2019-07-09T23:40:30-0530", datetime(2019, 7, 10, 5, 10, 30, tzinfo=UTC)),
        ("2019-07-09T23:40", datetime(2019, 7, 9, 23, 40, tzinfo=UTC)),
        ("2019-07-09", datetime(2019, 7, 9, tzinfo=UTC)),
    ],
)
def test_iso_forms(text: str, expected: datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed == expected
    assert parsed.tzinfo == UTC


def test_seven_digit_fraction_is_cut_not_rounded_into_the_next_second() -> None:
    assert parse_datetime("2019-07-09T23:40:59.9999999") == datetime(
        2019, 7, 9, 23, 40, 59, 999999, tzinfo=UTC
    )


def test_iso_date_keeps_its_own_calendar_day() -> None:
    assert parse_date("2019-07-09T23:40:30.1833130") == date(2019, 7, 9)
    assert parse_date("2026-11-01T00:00:00+13:00") == date(2026, 11, 1)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "yesterday",
        "/Date(abc)/",
        "/Date(1518685950940+00)/",
        "/Date(1518685950940+2500)/",
        "2019-13-01",
        "2019-02-30T00:00:00",
        "2019-01-01T25:00:00",
        "/Date(999999999999999)/",
        "２０１９-01-01",
    ],
)
def test_unreadable_dates_raise_a_typed_error(bad: str) -> None:
    with pytest.raises(XeroValueError) as info:
        parse_datetime(bad, what="UpdatedDateUTC")
    assert "UpdatedDateUTC" in str(info.value)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, XeroAPIError)


def test_non_text_date_is_rejected() -> None:
    with pytest.raises(XeroValueError, match="expected a date, got int"):
        parse_datetime(1518685950940)


def test_optional_date_treats_none_and_empty_as_absent() -> None:
    assert parse_optional_datetime(None) is None
    assert parse_optional_datetime("  ") is None


def test_json_numbers_become_exact_decimals() -> None:
    body = loads_xero(b'{"Total": 0.1, "Tax": 0.2, "Count": 3, "Rate": 1.5E+1}')
    assert body["Total"] + body["Tax"] == Decimal("0.3")
    assert isinstance(body["Total"], Decimal)
    assert body["Count"] == 3 and isinstance(body["Count"], int)
    assert body["Rate"] == Decimal("15")


def test_json_keeps_huge_amounts_to_the_cent() -> None:
    body = loads_xero('{"Total": 123456789012345678901234567890.07}')
    assert body["Total"] == Decimal("123456789012345678901234567890.07")
    assert parse_money(body["Total"]) - Decimal("123456789012345678901234567890") == Decimal("0.07")


@pytest.mark.parametrize(
    "body",
    [b'{"Total": 1e-999999999}', b'{"Total": 1E+999999999}', b'{"Count": ' + b"9" * 5000 + b"}"],
)
def test_a_number_out_of_range_from_xero_is_a_typed_error(body: bytes) -> None:
    with pytest.raises(XeroValueError, match="out of range"):
        loads_xero(body)


@pytest.mark.parametrize("text", ["1e-2000000", "1E+9999", "0." + "0" * 60 + "1"])
def test_money_text_out_of_range_is_rejected(text: str) -> None:
    with pytest.raises(XeroValueError, match="not a number"):
        parse_money(text)


@pytest.mark.parametrize("bad", [b"{", b'{"a": NaN}', b'{"a": Infinity}', b"\xff\xfe"])
def test_bad_json_raises_a_typed_error(bad: bytes) -> None:
    with pytest.raises(XeroValueError):
        loads_xero(bad)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("450.00", Decimal("450.00")),
        (" -12.5 ", Decimal("-12.5")),
        (17, Decimal(17)),
        (Decimal("0.1"), Decimal("0.1")),
        (0.1, Decimal("0.1")),
        (1e-7, Decimal("1e-7")),
        ("1E+3", Decimal(1000)),
        (".5", Decimal("0.5")),
    ],
)
def test_money_values(value: object, expected: Decimal) -> None:
    assert parse_money(value) == expected


def test_float_money_is_read_as_the_number_it_printed_as() -> None:
    # Decimal(0.1) would be 0.1000000000000000055511151231257827...
    assert parse_money(0.1) + parse_money(0.2) == Decimal("0.3")


@pytest.mark.parametrize(
    "bad", ["", "abc", "1_000", "NaN", "Infinity", "1,5", "١٢", True, None, [], float("nan")]
)
def test_bad_money_is_rejected(bad: object) -> None:
    with pytest.raises(XeroValueError):
        parse_money(bad, what="lines[0].unit_price")


def test_optional_money_treats_none_and_empty_as_absent() -> None:
    assert parse_optional_money(None) is None
    assert parse_optional_money("") is None
    assert parse_optional_money("0") == Decimal(0)


def test_http_date_is_rfc_1123_in_gmt_with_whole_seconds() -> None:
    moment = datetime(2018, 2, 15, 9, 12, 30, 940000, tzinfo=UTC)
    assert format_http_date(moment) == "Thu, 15 Feb 2018 09:12:30 GMT"


def test_http_date_converts_other_zones_and_treats_naive_as_utc() -> None:
    tallinn = timezone(timedelta(hours=2))
    assert format_http_date(datetime(2018, 2, 15, 11, 0, tzinfo=tallinn)) == (
        "Thu, 15 Feb 2018 09:00:00 GMT"
    )
    assert format_http_date(datetime(2018, 2, 15, 9, 0)) == "Thu, 15 Feb 2018 09:00:00 GMT"


def test_where_clause_date_literal() -> None:
    assert where_datetime(date(2025, 11, 1)) == "DateTime(2025,11,01)"


def test_ms_date_formatting() -> None:
    moment = datetime(2018, 2, 15, 9, 12, 30, 940999, tzinfo=UTC)
    assert format_ms_date(moment) == "/Date(1518685950940+0000)/"
    assert format_ms_date(datetime(1969, 12, 31, tzinfo=UTC)) == "/Date(-86400000+0000)/"


_MOMENTS = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)


@given(_MOMENTS)
def test_ms_date_round_trip(moment: datetime) -> None:
    to_ms = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    assert parse_datetime(format_ms_date(moment)) == to_ms


@given(_MOMENTS)
def test_store_text_round_trip(moment: datetime) -> None:
    assert parse_datetime(format_utc(moment)) == moment


@given(_MOMENTS)
def test_http_date_round_trip_to_the_second(moment: datetime) -> None:
    from email.utils import parsedate_to_datetime

    assert parsedate_to_datetime(format_http_date(moment)) == moment.replace(microsecond=0)


# Up to 39 digits: money is bounded to 40 (uku_xero_cli.decimals), more than Xero ever sends.
@given(
    st.decimals(
        min_value=-(10**30), max_value=10**30, places=8, allow_nan=False, allow_infinity=False
    )
)
def test_money_text_round_trip(value: Decimal) -> None:
    assert parse_money(str(value)) == value
    assert parse_money(format(value, "f")) == value


@given(
    _MOMENTS,
    st.sampled_from("+-"),
    st.integers(min_value=0, max_value=23),
    st.integers(min_value=0, max_value=59),
)
def test_ms_date_with_any_offset_is_the_utc_instant_on_its_own_calendar_day(
    moment: datetime, sign: str, hours: int, minutes: int
) -> None:
    to_ms = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    text = format_ms_date(moment).replace("+0000", f"{sign}{hours:02d}{minutes:02d}")
    offset = timedelta(hours=hours, minutes=minutes) * (-1 if sign == "-" else 1)
    # Twice: the second read comes from the cached offset and must agree.
    for _ in range(2):
        parsed = parse_datetime(text)
        assert parsed == to_ms and parsed.tzinfo is UTC
        assert parse_date(text) == (to_ms + offset).date()
