"""Per-value and per-column type inference with Deequ's regexes (Model Monitor's ``inferred_type``).

Why regexes on the text: Model Monitor reads CSV as strings, so ``3.0`` is Fractional and ``3``
Integral even though both are the number three; parity with SageMaker requires the same rule.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterable

# re.ASCII: Java's \d matches only 0-9, Python's would also match other Unicode digits.
FRACTIONAL = re.compile(r"^(-|\+)? ?\d+((\.\d+)|((?:\.\d+)?[Ee][-+]?\d+))$", re.ASCII)
INTEGRAL = re.compile(r"^(-|\+)? ?\d+$", re.ASCII)
BOOLEAN = re.compile(r"^(true|false)$")

INTEGRAL_T, FRACTIONAL_T, STRING_T, UNKNOWN_T = "Integral", "Fractional", "String", "Unknown"
NUMERIC_TYPES = (INTEGRAL_T, FRACTIONAL_T)


def value_type(value: str | None) -> str:
    """Deequ's per-value class: Null, Fractional, Integral, Boolean or String (checked in that order)."""
    if value is None:
        return "Null"
    if FRACTIONAL.match(value):
        return FRACTIONAL_T
    if INTEGRAL.match(value):
        return INTEGRAL_T
    if BOOLEAN.match(value):
        return "Boolean"
    return STRING_T


def infer_column_type(values: Iterable[str | None]) -> str:
    """Column type: all null -> Unknown; any String or booleans mixed with numbers -> String;
    any Fractional -> Fractional; else Integral.  A boolean-only column is reported as String
    (Model Monitor documents only Integral/Fractional/String/Unknown)."""
    counts = Counter(value_type(v) for v in values)
    counts.pop("Null", None)
    if not counts:
        return UNKNOWN_T
    if counts.get(STRING_T) or counts.get("Boolean"):
        return STRING_T
    if counts.get(FRACTIONAL_T):
        return FRACTIONAL_T
    return INTEGRAL_T


def to_number(value: str) -> float:
    """Numeric value of an Integral/Fractional string (Deequ allows one space after the sign)."""
    return float(value.replace(" ", "", 1) if value[:1] in "+-" else value)
