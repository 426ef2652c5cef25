"""Exact decimal numbers read from text someone else wrote: an invoice file, Xero's answers.

`Decimal("1e-999999999")` costs nothing to make, but what follows may: `normalize()` under the
default context underflows it to 0 (so "at most 4 decimal places" sees none), and writing it
out in plain digits takes a gigabyte. So every number read from outside is bounded first, by
its text's length and then in a local context whose limits trap anything that would round,
overflow or underflow, before any arithmetic is done with it. What passes holds at most
`PRECISION` significant digits and a magnitude between 1e-`MAX_EXPONENT` and
1e+`MAX_EXPONENT`: every amount, quantity and rate Xero knows, with room to spare, and cheap
to compute with and to print.
"""

from __future__ import annotations

import decimal
from decimal import Decimal

# Longer text than this is not a number worth reading digit by digit (a price with 4 places
# below 10^12 takes 18 characters).
MAX_TEXT = 100
PRECISION = 40
MAX_EXPONENT = 40
LIMITS = f"at most {PRECISION} digits, between 1e-{MAX_EXPONENT} and 1e+{MAX_EXPONENT}"

_BOUNDED = decimal.Context(
    prec=PRECISION,
    Emax=MAX_EXPONENT,
    Emin=-MAX_EXPONENT,
    # Every signal traps: a number that would be rounded, clamped or flushed is refused, so
    # what is read is exactly what was written.
    traps=[
        decimal.InvalidOperation,
        decimal.Overflow,
        decimal.Underflow,
        decimal.Subnormal,
        decimal.Inexact,
        decimal.Rounded,
        decimal.Clamped,
        decimal.DivisionByZero,
    ],
)


def bounded_decimal(text: str) -> Decimal | None:
    """The finite Decimal `text` spells exactly, or None when it is longer than MAX_TEXT,
    not a number, not finite, or outside the bounds above. `text` is number syntax already
    checked by the caller (JSON's, or an ASCII pattern): Decimal() alone would also take
    "1_000" and non-ASCII digits."""
    if len(text) > MAX_TEXT:
        return None
    try:
        # The context's flags pile up across calls and threads; only its traps matter here.
        value = _BOUNDED.create_decimal(text)
    except (decimal.DecimalException, ValueError):
        return None
    return value if value.is_finite() else None


def is_bounded(value: Decimal) -> bool:
    """Whether a Decimal made elsewhere (from an int, a float) keeps to the same bounds."""
    if not value.is_finite():
        return False
    try:
        _BOUNDED.create_decimal(value)
    except decimal.DecimalException:
        return False
    return True


def decimal_places(value: Decimal) -> int:
    """The decimal places `value` needs, trailing zeros not counted: 1 for 1.50, 0 for 100.

    Read from its digits, not through `normalize()`, which rounds to the context's precision
    first (a 40-digit number would lose its last places and seem to have none)."""
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        return 0
    zeros = 0
    for digit in reversed(digits):
        if digit:
            break
        zeros += 1
    if zeros == len(digits):
        return 0  # zero
    return max(0, -(exponent + zeros))
