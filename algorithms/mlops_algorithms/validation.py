"""Validation rules for raw tabular input, shared by pre-processing, batch scoring and serving.

Why shared: a user must get the same message for the same mistake whether it is in the training
CSV (``line 17``), a batch file or a JSON request (``record 3``).  Messages name the source, the
column, the location and the rule, and count further violations of the same rule in that column.
Standard library only on the per-record path (the model server imports this on its hot path);
long columns of text (a training file) are checked a column at a time with numpy.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from .contract import ClientError

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
MISSING = object()  # marker for a key absent from a JSON record
Locate = Callable[[int], str]


class FeatureValidationError(ClientError):
    """A rule violation in user data; ``str()`` is the user-facing message (without 'ClientError:')."""

    def __init__(self, message: str, *, column: str | None = None, rule: str | None = None,
                 position: int | None = None, further: int = 0) -> None:
        super().__init__(message)
        self.column = column
        self.rule = rule
        self.position = position
        self.further = further


class _Invalid(Exception):
    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(detail)
        self.rule = rule
        self.detail = detail


def _show(raw: object) -> str:
    text = raw if isinstance(raw, str) else repr(raw)
    return text if len(text) <= 40 else text[:37] + "..."


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def convert_value(raw: object, spec: dict) -> float:
    """Parse one raw cell (CSV text or JSON value) per its spec: type, min, max, allowed."""
    kind = spec.get("type", "float")
    if raw is MISSING or raw is None or (isinstance(raw, str) and raw.strip() == ""):
        raise _Invalid("required", "value is missing" if raw is MISSING else "empty value")
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise _Invalid("numeric", f"value {_show(raw)} is not numeric")
    if isinstance(raw, str):
        text = raw.strip()
        if not _NUMBER.match(text):
            raise _Invalid("numeric", f"value '{_show(raw)}' is not numeric")
        value = float(text)
    else:
        value = float(raw)
    if not math.isfinite(value):
        raise _Invalid("numeric", f"value '{_show(raw)}' is not a finite number")
    if kind == "binary":
        if value not in (0.0, 1.0):
            raise _Invalid("binary", f"value '{_show(raw)}' is not 0 or 1")
        return value
    if kind == "integer" and not value.is_integer():
        raise _Invalid("integer", f"value '{_show(raw)}' is not an integer")
    if "min" in spec and value < spec["min"]:
        raise _Invalid(f"min={_fmt(spec['min'])}", f"value '{_show(raw)}' is below the minimum {_fmt(spec['min'])}")
    if "max" in spec and value > spec["max"]:
        raise _Invalid(f"max={_fmt(spec['max'])}", f"value '{_show(raw)}' is above the maximum {_fmt(spec['max'])}")
    allowed = spec.get("allowed")
    if allowed is not None and value not in {float(a) for a in allowed}:
        shown = ", ".join(_fmt(a) for a in allowed)
        raise _Invalid("allowed", f"value '{_show(raw)}' is not one of the allowed values {{{shown}}}")
    return value


@dataclass
class _ColumnResult:
    values: list[float]
    first: tuple[int, _Invalid] | None = None
    same_rule: int = 0


# A whole column of plain numbers, one per line: what ``_NUMBER`` accepts, without surrounding spaces.
_NUMBER_LINES = re.compile(r"(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\n)*")
_FAST_MIN_VALUES = 256


def _convert_plain(raw_values: Sequence[object], spec: dict) -> list[float] | None:
    """The values of a long column of text cells when every cell passes ``convert_value`` (one regex
    pass and numpy checks instead of a call per cell), else None: the exact path then finds the
    first violation and its message. Accepts nothing ``convert_value`` refuses."""
    if len(raw_values) < _FAST_MIN_VALUES:
        return None
    try:
        joined = "\n".join(raw_values) + "\n"  # type: ignore[arg-type]
    except TypeError:  # JSON numbers, MISSING: the exact path
        return None
    if joined.count("\n") != len(raw_values) or not _NUMBER_LINES.fullmatch(joined):
        return None
    import numpy as np  # only here: serving's per-request path stays standard library

    values = np.array(list(map(float, raw_values)), dtype=np.float64)  # type: ignore[arg-type]
    if not np.isfinite(values).all():
        return None
    kind = spec.get("type", "float")
    if kind == "binary":
        return values.tolist() if bool(((values == 0.0) | (values == 1.0)).all()) else None
    if kind == "integer" and not bool((values == np.floor(values)).all()):
        return None
    if "min" in spec and bool((values < spec["min"]).any()):
        return None
    if "max" in spec and bool((values > spec["max"]).any()):
        return None
    allowed = spec.get("allowed")
    if allowed is not None and not bool(np.isin(values, [float(a) for a in allowed]).all()):
        return None
    return values.tolist()


def _convert_column(raw_values: Sequence[object], spec: dict) -> _ColumnResult:
    plain = _convert_plain(raw_values, spec)
    if plain is not None:
        return _ColumnResult(values=plain)
    result = _ColumnResult(values=[math.nan] * len(raw_values))
    for i, raw in enumerate(raw_values):
        try:
            result.values[i] = convert_value(raw, spec)
        except _Invalid as bad:
            if result.first is None:
                result.first = (i, bad)
            elif bad.rule == result.first[1].rule:
                result.same_rule += 1
    return result


def _more(n: int, what: str = "value") -> str:
    return "" if n == 0 else f"; {n} more {what}{'s' if n > 1 else ''} in this column break the same rule"


def convert_columns(columns: Sequence[tuple[dict, Sequence[object]]], locate: Locate, prefix: str = "") -> list[list[float]]:
    """Convert each (spec, raw values) column; raise for the earliest violation (position, then column)."""
    results = [_convert_column(values, spec) for spec, values in columns]
    worst: tuple[int, int] | None = None
    for col, res in enumerate(results):
        if res.first is not None and (worst is None or res.first[0] < worst[0]):
            worst = (res.first[0], col)
    if worst is not None:
        pos, col = worst
        spec, res = columns[col][0], results[col]
        bad = res.first[1]  # type: ignore[index]
        raise FeatureValidationError(
            f"{prefix}column '{spec['name']}', {locate(pos)}: {bad.detail} (rule: {bad.rule}){_more(res.same_rule)}",
            column=spec["name"], rule=bad.rule, position=pos, further=res.same_rule,
        )
    return [res.values for res in results]


def check_one_hot(groups: Iterable[dict], values: dict[str, list[float]], locate: Locate, prefix: str = "") -> None:
    """Each one-hot group must have exactly one 1 per row; report the earliest offending row."""
    worst: tuple[int, dict, list[str], int] | None = None
    for group in groups:
        cols = group["columns"]
        bad_rows = 0
        first: tuple[int, list[str]] | None = None
        for i, row in enumerate(zip(*(values[c] for c in cols))):
            if sum(row) != 1:
                bad_rows += 1
                if first is None:
                    first = (i, [c for c, v in zip(cols, row) if v == 1])
        if first is not None and (worst is None or first[0] < worst[0]):
            worst = (first[0], group, first[1], bad_rows - 1)
    if worst is not None:
        pos, group, ones, further = worst
        found = f"{len(ones)}" + (f" ({', '.join(ones)})" if ones else "")
        raise FeatureValidationError(
            f"{prefix}one-hot group '{group['name']}' (columns {', '.join(group['columns'])}), {locate(pos)}: "
            f"expected exactly one 1, found {found} (rule: one-hot){_more(further, 'row')}",
            column=group["name"], rule="one-hot", position=pos, further=further,
        )


def check_header(header: Sequence[str], required: Sequence[str], prefix: str = "") -> dict[str, int]:
    """Delimiter, duplicate and missing-column checks on a CSV header; returns name -> index."""
    if len(header) == 1:
        for delim, label in ((";", "';'"), ("\t", "tab"), ("|", "'|'")):
            if delim in header[0]:
                raise FeatureValidationError(
                    f"{prefix}line 1: the header is a single column '{_show(header[0])}' containing {label}: "
                    f"the file looks {label}-delimited but fields must be separated by ',' (rule: comma delimiter)",
                    rule="comma delimiter", position=0,
                )
    index: dict[str, int] = {}
    for i, name in enumerate(header):
        if name in index:
            raise FeatureValidationError(
                f"{prefix}column '{name}', line 1: duplicate column name in the header "
                f"(positions {index[name] + 1} and {i + 1}) (rule: unique header)",
                column=name, rule="unique header", position=0,
            )
        index[name] = i
    missing = [name for name in required if name not in index]
    if missing:
        names = ", ".join(f"'{m}'" for m in missing)
        noun = "column" if len(missing) == 1 else "columns"
        verb = "is" if len(missing) == 1 else "are"
        raise FeatureValidationError(
            f"{prefix}{noun} {names}, line 1: required {noun} {verb} missing from the header (rule: required column)",
            column=missing[0], rule="required column", position=0,
        )
    return index


def check_row_lengths(rows: Sequence[Sequence[str]], header: Sequence[str], locate: Locate, prefix: str = "") -> None:
    """Every row must have as many fields as the header (ragged rows are rejected)."""
    width = len(header)
    bad = [i for i, row in enumerate(rows) if len(row) != width]
    if not bad:
        return
    pos = bad[0]
    n = len(rows[pos])
    if n < width:
        detail = f"row has {n} fields, expected {width}: no value for column '{header[n]}'"
        column = header[n]
    else:
        detail = f"row has {n} fields, expected {width}: extra fields after column '{header[-1]}'"
        column = header[-1]
    more = "" if len(bad) == 1 else f"; {len(bad) - 1} more row{'s' if len(bad) > 2 else ''} have the wrong length"
    raise FeatureValidationError(
        f"{prefix}column '{column}', {locate(pos)}: {detail} (rule: row length){more}",
        column=column, rule="row length", position=pos, further=len(bad) - 1,
    )
