"""Raw columns of any tabular shape -> the model's feature matrix, and back.

Why one module: a categorical column is one-hot encoded (one binary model feature per level, plus
an ``__other__`` level when unseen values map to it) and a missing value is imputed with a
statistic of the training split, kept as NaN, or refused, the same way at training (pre-processing),
batch scoring (scoring-mode pre-processing) and in the gateway (TypeScript:
client/gateway/feature-vector.ts), while monitoring reads the encoded rows back as the raw
columns (``RawView``), so its statistics speak the project's columns as Model Monitor would: a
categorical column as a String column with its levels, a number as a number.

The feature schema written by pre-processing holds everything needed: ``features`` are the model
features in order (what every algorithm reads); a one-hot feature names its source as
``category: {column, level}`` (or ``other: true``); ``categoricals`` lists each categorical column
with its levels and policies; ``rawFeatures`` is the order of the raw columns. A schema without
these keys (every older schema, and every all-numeric dataset) maps each raw column to one feature.
Standard library and numpy only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import compress
from typing import Any, Sequence

OTHER_LEVEL = "__other__"


def level_feature_name(column: str, level: str) -> str:
    """The model feature of one level of a categorical column (``island=Biscoe``)."""
    return f"{column}={level}"


def raw_feature_names(schema: dict[str, Any]) -> list[str]:
    """The raw feature columns a record carries, in the dataset spec's order."""
    raw = schema.get("rawFeatures")
    if isinstance(raw, list) and raw:
        return [str(n) for n in raw]
    return [f["name"] for f in schema["features"]]


def is_encoded(schema: dict[str, Any]) -> bool:
    """Whether raw columns and model features differ (categoricals or missing-value policies)."""
    return bool(schema.get("categoricals")) or any(f.get("missing") in ("impute", "pass") for f in schema["features"])


@dataclass(frozen=True)
class CategoricalColumn:
    """One categorical column of a schema: its model features are ``positions`` (level order)."""

    name: str
    levels: tuple[str, ...]
    unseen: str  # reject | other
    missing: str  # reject | impute | pass
    impute: str | None  # the level a missing value becomes (missing: impute)
    positions: tuple[int, ...]  # model feature index of each level, then of __other__ when unseen: other

    @property
    def has_other(self) -> bool:
        return self.unseen == "other"


def categorical_columns(schema: dict[str, Any]) -> dict[str, CategoricalColumn]:
    """The schema's categorical columns by name, with the positions of their model features."""
    out: dict[str, CategoricalColumn] = {}
    features = schema["features"]
    for c in schema.get("categoricals") or []:
        name = c["name"]
        levels = tuple(c["levels"])
        by_level = {f["category"].get("level"): j for j, f in enumerate(features)
                    if isinstance(f.get("category"), dict) and f["category"].get("column") == name and not f["category"].get("other")}
        positions = [by_level[level] for level in levels]
        if c.get("unseen") == "other":
            other = [j for j, f in enumerate(features)
                     if isinstance(f.get("category"), dict) and f["category"].get("column") == name and f["category"].get("other")]
            positions.append(other[0])
        impute = c.get("impute") if isinstance(c.get("impute"), dict) else None
        out[name] = CategoricalColumn(name, levels, c.get("unseen", "reject"), c.get("missing", "reject"),
                                      impute.get("value") if impute else None, tuple(positions))
    return out


class RawView:
    """Encoded rows -> raw column texts, for monitoring: ``decode`` takes the value texts of
    ``lead`` leading columns (label or prediction) followed by the model features, and returns the
    leading columns followed by the raw feature columns. A one-hot group becomes its level (the
    column holding 1; ``__other__`` for an unseen value; missing when every column is empty or 0),
    a numeric feature stays as it was."""

    def __init__(self, schema: dict[str, Any], lead: int = 1) -> None:
        self.lead = lead
        cats = categorical_columns(schema)
        features = schema["features"]
        in_group = {j: name for name, c in cats.items() for j in c.positions}
        self.plan: list[tuple[str, Any]] = []  # ("copy", index) | ("category", (indices, labels))
        seen: set[str] = set()
        for j, f in enumerate(features):
            if j in in_group:
                name = in_group[j]
                if name in seen:
                    continue
                seen.add(name)
                c = cats[name]
                labels = [*c.levels, *([OTHER_LEVEL] if c.has_other else [])]
                self.plan.append(("category", ([lead + p for p in c.positions], labels)))
            else:
                self.plan.append(("copy", lead + j))
        self.names = raw_feature_names(schema)
        self.width = lead + len(features)

    def decode_rows(self, rows: Sequence[Sequence[str | None]]) -> list[list[str | None]]:
        """Row-major value texts (``None`` or ``""`` = missing) -> raw rows."""
        out: list[list[str | None]] = []
        for row in rows:
            raw: list[str | None] = [row[i] if i < len(row) else None for i in range(self.lead)]
            for kind, arg in self.plan:
                if kind == "copy":
                    raw.append(row[arg] if arg < len(row) else None)
                else:
                    raw.append(_level_of(row, arg))
            out.append(raw)
        return out

    def decode_columns(self, columns: Sequence[Sequence[str | None]]) -> list[list[str | None]]:
        """Column-major value texts -> raw columns (same rules as ``decode_rows``)."""
        n = len(columns[0]) if columns else 0
        out: list[list[str | None]] = [list(columns[i]) if i < len(columns) else [None] * n for i in range(self.lead)]
        for kind, arg in self.plan:
            if kind == "copy":
                out.append(list(columns[arg]) if arg < len(columns) else [None] * n)
                continue
            indices, labels = arg
            cols = [columns[i] if i < len(columns) else [None] * n for i in indices]
            values: list[str | None] = [None] * n
            for k, col in enumerate(cols):
                # _is_one once per distinct text (a one-hot column holds a handful), then a C-level pass.
                ones = {v for v in set(col) if v is not None and v != "" and _is_one(v)}
                if ones:
                    label = labels[k]
                    for r in compress(range(len(col)), map(ones.__contains__, col)):
                        values[r] = label
            out.append(values)
        return out


def _is_one(text: str) -> bool:
    try:
        return float(text) == 1.0
    except ValueError:
        return False


def _level_of(row: Sequence[str | None], arg: tuple[list[int], list[str]]) -> str | None:
    indices, labels = arg
    for k, i in enumerate(indices):
        v = row[i] if i < len(row) else None
        if v is not None and v != "" and _is_one(v):
            return labels[k]
    return None


def is_missing(text: str | None, tokens: frozenset[str]) -> bool:
    return text is None or text.strip() == "" or text.strip() in tokens


def finite_or_nan(value: float) -> float:
    return value if math.isfinite(value) else math.nan


@dataclass
class EncodingProblem:
    """The first violation of one raw column (position = row index) and how many more break the same rule."""

    column: str
    position: int
    rule: str
    detail: str
    same: int = 0


class Encoder:
    """Raw records of a project (value texts by raw column) -> the model's feature matrix, by the
    feature schema: the same rules and imputed values as training, unseen categories by the
    column's policy. Used by scoring-mode pre-processing; the gateway has its TypeScript twin."""

    def __init__(self, schema: dict[str, Any]) -> None:
        from .validation import _Invalid, convert_value  # noqa: F401 - the shared value rules

        self.schema = schema
        self.features = schema["features"]
        self.cats = categorical_columns(schema)
        self.raw_names = raw_feature_names(schema)
        self.tokens = frozenset(schema.get("missingValues", [""]))
        self.by_name = {f["name"]: (j, f) for j, f in enumerate(self.features)}

    @property
    def width(self) -> int:
        return len(self.features)

    def encode(self, columns: dict[str, Sequence[str]], n: int) -> tuple[list[list[float]], list[EncodingProblem]]:
        """Column-major model features (NaN = missing passed on) and the problems found, per raw column."""
        from .validation import _Invalid, convert_value

        out: list[list[float]] = [[math.nan] * n for _ in self.features]
        problems: list[EncodingProblem] = []
        for name in self.raw_names:
            raw = columns[name]
            cat = self.cats.get(name)
            first: EncodingProblem | None = None
            if cat is not None:
                index = {level: k for k, level in enumerate(cat.levels)}
                for r in range(n):
                    text = raw[r].strip() if raw[r] is not None else ""
                    if text == "" or text in self.tokens:
                        if cat.missing == "reject":
                            first = _note(first, name, r, "required", "empty value")
                            continue
                        if cat.missing == "pass":
                            continue
                        code = index.get(cat.impute or "", 0)
                    else:
                        code = index.get(text, -1)
                        if code < 0:
                            if not cat.has_other:
                                shown = ", ".join(cat.levels[:10]) + (", ..." if len(cat.levels) > 10 else "")
                                first = _note(first, name, r, "unseen category", f"value '{text[:40]}' is not one of the levels {{{shown}}}")
                                continue
                            code = len(cat.levels)
                    for k, p in enumerate(cat.positions):
                        out[p][r] = 1.0 if k == code else 0.0
            else:
                j, spec = self.by_name[name]
                policy = spec.get("missing", "reject")
                fill = (spec.get("impute") or {}).get("value")
                col = out[j]
                for r in range(n):
                    text = raw[r]
                    if text is None or text.strip() == "" or text.strip() in self.tokens:
                        if policy == "impute" and fill is not None:
                            col[r] = float(fill)
                        elif policy == "pass":
                            col[r] = math.nan
                        else:
                            first = _note(first, name, r, "required", "empty value")
                        continue
                    try:
                        col[r] = convert_value(text, spec)
                    except _Invalid as bad:
                        first = _note(first, name, r, bad.rule, bad.detail)
            if first is not None:
                problems.append(first)
        return out, problems


def _note(first: EncodingProblem | None, column: str, position: int, rule: str, detail: str) -> EncodingProblem:
    if first is None:
        return EncodingProblem(column, position, rule, detail)
    if rule == first.rule:
        first.same += 1
    return first
