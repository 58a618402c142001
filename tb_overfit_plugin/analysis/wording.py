"""Numbers and counts as the explanations write them."""

from __future__ import annotations

import math

SIGNIFICANT_DIGITS = 4
"""Explanations write numbers to this many significant digits."""


def fmt(value) -> str:
    """A number to SIGNIFICANT_DIGITS significant digits ("NaN", "Infinity", "-Infinity" as in JSON markers)."""
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return f"{value:.{SIGNIFICANT_DIGITS}g}"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"

