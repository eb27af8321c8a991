"""Typed parsing of SageMaker hyperparameters (all arrive as strings).

Why: the built-in algorithms reject unknown names and bad values up front with a ClientError that
names the hyperparameter; doing the same keeps the orchestrator's retry logic honest (user errors
are never retried) and failures readable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable

from .contract import ClientError

AUTO = "auto"
# Keys SageMaker itself may add (automatic model tuning, SDK); accepted and ignored.
IGNORED_PREFIXES = ("_tuning_objective_metric", "sagemaker_")


@dataclass(frozen=True)
class Param:
    """Declaration of one hyperparameter: type, default, range and whether ``auto`` is allowed."""

    name: str
    kind: str  # "int" | "float" | "bool" | "choice" | "str"
    default: Any = None
    required: bool = False
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # True: value must be > low
    high_open: bool = False  # True: value must be < high
    choices: tuple[str, ...] = ()
    allow_auto: bool = False


def _range_text(p: Param) -> str:
    lo = "(" if p.low_open else "["
    hi = ")" if p.high_open else "]"
    low = "-inf" if p.low is None else _num(p.low)
    high = "inf" if p.high is None else _num(p.high)
    return f"{lo}{low}, {high}{hi}"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _bad(p: Param, raw: str, why: str) -> ClientError:
    return ClientError(f"Hyperparameter {p.name}: value '{raw}' {why}")


def parse_value(p: Param, raw: str) -> Any:
    """Convert one raw string according to ``p``; raise ClientError naming the hyperparameter."""
    text = raw.strip()
    if p.allow_auto and text.lower() == AUTO:
        return AUTO
    if p.kind == "str":
        return text
    if p.kind == "choice":
        if text not in p.choices:
            raise _bad(p, raw, f"is not one of {', '.join(p.choices)}")
        return text
    if p.kind == "bool":
        low = text.lower()
        if low in ("true", "1"):
            return True
        if low in ("false", "0"):
            return False
        raise _bad(p, raw, "is not a boolean (true or false)")
    try:
        if "_" in text:  # float() accepts "1_000"; SageMaker's parsers do not
            raise ValueError(text)
        value: float = float(text)
    except ValueError:
        raise _bad(p, raw, "is not a number") from None
    if not math.isfinite(value):
        raise _bad(p, raw, "is not a finite number")
    if p.kind == "int":
        if not value.is_integer():
            raise _bad(p, raw, "is not an integer")
        value = int(value)
    if p.low is not None and (value < p.low or (p.low_open and value == p.low)):
        raise _bad(p, raw, f"is not in range {_range_text(p)}")
    if p.high is not None and (value > p.high or (p.high_open and value == p.high)):
        raise _bad(p, raw, f"is not in range {_range_text(p)}")
    return value


def parse_hyperparameters(raw: dict[str, str], params: Iterable[Param]) -> dict[str, Any]:
    """Validate names and values; the result holds every declared name (default when not given)."""
    spec = {p.name: p for p in params}
    unknown = sorted(
        k for k in raw if k not in spec and not k.startswith(IGNORED_PREFIXES)
    )
    if unknown:
        names = ", ".join(repr(k) for k in unknown)
        verb = "was" if len(unknown) == 1 else "were"
        raise ClientError(f"Additional hyperparameters are not allowed ({names} {verb} unexpected)")
    missing = sorted(p.name for p in spec.values() if p.required and p.name not in raw)
    if missing:
        raise ClientError(f"Missing required hyperparameter(s): {', '.join(missing)}")
    return {name: (parse_value(p, raw[name]) if name in raw else p.default) for name, p in spec.items()}


def given(raw: dict[str, str], name: str) -> bool:
    """Whether the user set ``name`` explicitly (as opposed to inheriting the default)."""
    return name in raw
