"""Numbers and counts as the explanations write them: the one number format of the tab and the CLI.

The rule (served at /meta as ``number_format``, which the tab's `formatValue`
follows; frontend/tests checks it on `NUMBER_EXAMPLES`): `SIGNIFICANT_DIGITS`
significant digits, trailing zeros dropped; in exponent form ("6.72e-4",
"2.5e7", no "+") when ``|x| < EXPONENT_BELOW`` or ``|x| >= EXPONENT_FROM``.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

SIGNIFICANT_DIGITS = 4
"""Numbers are written to this many significant digits."""
EXPONENT_BELOW = 1e-3
"""Numbers of smaller magnitude (but not 0) are written in exponent form."""
EXPONENT_FROM = 1e6
"""Numbers of this magnitude or more are written in exponent form."""

NUMBER_EXAMPLES = (
    0.0,
    1234.5,
    2.302585,
    -0.00012345,
    6.5e-300,
    1.7e308,
    0.31213,
    -0.5,
    12.3456,
    12345.0,
    0.0013294,
    0.00067234,
    0.0000123,
    1e-5,
    2.5e7,
    999999.0,
    0.00099996,
    3.0,
    0.1,
)
"""Values whose text /meta serves next to the rule, so the tab's formatter is checked against `fmt`."""


def _rounded(value: float) -> Decimal:
    """The float's exact decimal value to `SIGNIFICANT_DIGITS` digits, halves away from zero (as
    JavaScript's toPrecision and toExponential round), trailing zeros dropped."""
    exact = Decimal(value)
    step = Decimal(1).scaleb(exact.adjusted() - SIGNIFICANT_DIGITS + 1)
    return exact.quantize(step, rounding=ROUND_HALF_UP).normalize()


def _exponent(rounded: Decimal) -> str:
    sign, digits, _ = rounded.as_tuple()
    mantissa = str(digits[0]) + ("." + "".join(map(str, digits[1:])) if len(digits) > 1 else "")
    return f"{'-' if sign else ''}{mantissa}e{rounded.adjusted()}"


def fmt(value) -> str:
    """A number by the rule above ("NaN", "Infinity", "-Infinity" as in JSON markers)."""
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    rounded = _rounded(value)
    if abs(value) < EXPONENT_BELOW or abs(value) >= EXPONENT_FROM:
        return _exponent(rounded)
    return format(rounded, "f")


def number_format() -> dict:
    """`/meta`'s ``number_format``: the rule's constants and `NUMBER_EXAMPLES` as ``[value, text]``."""
    return {
        "significant_digits": SIGNIFICANT_DIGITS,
        "exponent_below": EXPONENT_BELOW,
        "exponent_from": EXPONENT_FROM,
        "examples": [[value, fmt(value)] for value in NUMBER_EXAMPLES],
    }


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


MAX_QUOTED_CHARS = 200
"""Error messages quote at most this many characters of what they were given."""


def quoted(text: str) -> str:
    """`repr(text)`, cut to `MAX_QUOTED_CHARS` characters (then "... (N characters)"), for messages."""
    if len(text) <= MAX_QUOTED_CHARS:
        return repr(text)
    return f"{text[:MAX_QUOTED_CHARS]!r}... ({len(text)} characters)"
