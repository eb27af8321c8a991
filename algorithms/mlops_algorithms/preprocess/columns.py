"""Training-mode pre-processing of datasets of any tabular shape: string categoricals and missing values.

A dataset spec whose features are all numbers without missing values keeps the original path of
``job.py`` (its outputs are byte for byte what they always were). Any other spec comes here:

* missing values: the texts of ``missingValues`` (default only the empty text) are missing. A
  row without a label is refused, or dropped with ``label.missing: drop`` (counted in the
  message). A feature's ``missing`` policy decides the rest: ``reject`` (the default: the first
  missing value is reported as before), ``impute`` (median or mean of the training split for a
  number, its most frequent level for a category; the value is written into the feature schema so
  scoring and serving fill it in the same way) or ``pass`` (kept as an empty CSV field, which
  algorithms that take missing values read as NaN).
* categorical columns: one model feature per level (one-hot, ``<column>=<level>``), plus
  ``<column>=__other__`` with ``unseen: other``. Levels come from the spec, or else from the file
  (most frequent first). More distinct values than ``maxLevels`` is refused (rule: max levels); a
  value that is not a declared level is refused under ``unseen: reject`` (rule: unseen category)
  and becomes ``__other__`` otherwise.

Messages follow ``validation.py``: the file, the column, the line and the rule, plus how many more
values of that column break the same rule.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from itertools import compress, repeat
from typing import Any, Sequence

import numpy as np

from ..contract import ClientError
from ..encoding import OTHER_LEVEL, level_feature_name
from ..validation import FeatureValidationError, Locate, _convert_column, _more
from .spec import DEFAULT_MAX_LEVELS

FLOAT_MISSING = math.nan


def needs_encoding(spec: dict[str, Any]) -> bool:
    """Whether the spec uses anything beyond numbers without missing values."""
    if spec.get("missingValues", [""]) != [""] or spec["label"].get("missing", "reject") != "reject":
        return True
    return any(f["type"] == "categorical" or f.get("missing", "reject") != "reject" for f in spec["features"])


@dataclass
class ConvertedColumn:
    """One raw column after conversion: numbers (NaN = missing) or level codes (-1 missing, -2 unseen)."""

    spec: dict[str, Any]
    values: np.ndarray
    levels: list[str] = field(default_factory=list)
    missing: int = 0


@dataclass
class _Problem:
    position: int
    rule: str
    detail: str
    same: int = 0


def _raise_earliest(problems: list[tuple[dict[str, Any], _Problem]], locate: Locate, prefix: str) -> None:
    if not problems:
        return
    spec, p = min(problems, key=lambda sp: sp[1].position)
    raise FeatureValidationError(
        f"{prefix}column '{spec['name']}', {locate(p.position)}: {p.detail} (rule: {p.rule}){_more(p.same)}",
        column=spec["name"], rule=p.rule, position=p.position, further=p.same,
    )


def _missing_mask(raw: Sequence[str], tokens: frozenset[str]) -> np.ndarray:
    """Empty (after stripping) or one of the missing-value texts; ``map`` keeps the per-cell work in C."""
    missing = tokens | {""}
    return np.fromiter(map(missing.__contains__, map(str.strip, raw)), dtype=bool, count=len(raw))


def label_rows(spec: dict[str, Any], raw_label: Sequence[str], tokens: frozenset[str], locate: Locate, prefix: str) -> tuple[np.ndarray, int]:
    """The rows kept (a missing label drops its row under ``label.missing: drop``) and how many were dropped."""
    missing = _missing_mask(raw_label, tokens)
    if not missing.any():
        return np.arange(len(raw_label)), 0
    if spec["label"].get("missing", "reject") == "drop":
        return np.flatnonzero(~missing), int(missing.sum())
    first = int(np.flatnonzero(missing)[0])
    raise FeatureValidationError(
        f"{prefix}column '{spec['label']['name']}', {locate(first)}: the label is missing (rule: required label)"
        f"{_more(int(missing.sum()) - 1)}; set label.missing: drop to leave such rows out",
        column=spec["label"]["name"], rule="required label", position=first, further=int(missing.sum()) - 1,
    )


def convert_label(spec: dict[str, Any], raw: Sequence[str], locate: Locate, prefix: str) -> np.ndarray:
    result = _convert_column(raw, spec["label"])
    if result.first is not None:
        pos, bad = result.first
        raise FeatureValidationError(
            f"{prefix}column '{spec['label']['name']}', {locate(pos)}: {bad.detail} (rule: {bad.rule}){_more(result.same_rule)}",
            column=spec["label"]["name"], rule=bad.rule, position=pos, further=result.same_rule,
        )
    return np.asarray(result.values, dtype=np.float64)


def _numeric(f: dict[str, Any], raw: Sequence[str], missing: np.ndarray) -> tuple[ConvertedColumn, _Problem | None]:
    policy = f.get("missing", "reject")
    if policy == "reject" and missing.any():
        first = int(np.flatnonzero(missing)[0])
        problem = _Problem(first, "required", "empty value", int(missing.sum()) - 1)
    else:
        problem = None
    present = np.flatnonzero(~missing)
    result = _convert_column([raw[i] for i in present.tolist()], f)
    values = np.full(len(raw), FLOAT_MISSING)
    values[present] = result.values
    if result.first is not None:
        pos, bad = result.first
        candidate = _Problem(int(present[pos]), bad.rule, bad.detail, result.same_rule)
        if problem is None or candidate.position < problem.position:
            problem = candidate
    return ConvertedColumn(f, values, missing=int(missing.sum())), problem


def _categorical(f: dict[str, Any], raw: Sequence[str], missing: np.ndarray, spec_max: int) -> tuple[ConvertedColumn, _Problem | None]:
    texts = list(map(str.strip, raw))
    counts = Counter(compress(texts, (~missing).tolist()))
    max_levels = int(f.get("maxLevels", spec_max))
    declared = f.get("levels")
    if len(counts) > max_levels and not (declared and f.get("unseen") == "other"):
        shown = ", ".join(sorted(counts)[:5]) + (", ..." if len(counts) > 5 else "")
        return ConvertedColumn(f, np.zeros(0)), _Problem(-1, "max levels", f"{len(counts)} distinct values ({shown}), more than maxLevels {max_levels}")
    levels = list(declared) if declared else [v for v, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    index = {level: k for k, level in enumerate(levels)}
    codes = np.fromiter(map(index.get, texts, repeat(-2)), dtype=np.int64, count=len(texts))
    codes[missing] = -1
    problem = None
    if f.get("missing", "reject") == "reject" and missing.any():
        first = int(np.flatnonzero(missing)[0])
        problem = _Problem(first, "required", "empty value", int(missing.sum()) - 1)
    unseen = np.flatnonzero(codes == -2)
    if unseen.size and f.get("unseen", "reject") == "reject":
        first = int(unseen[0])
        shown = ", ".join(levels[:10]) + (", ..." if len(levels) > 10 else "")
        candidate = _Problem(first, "unseen category", f"value '{texts[first][:40]}' is not one of the levels {{{shown}}}",
                             int(unseen.size) - 1)
        if problem is None or candidate.position < problem.position:
            problem = candidate
    return ConvertedColumn(f, codes, levels=levels, missing=int(missing.sum())), problem


def convert_features(spec: dict[str, Any], raw_columns: Sequence[Sequence[str]], locate: Locate, prefix: str) -> list[ConvertedColumn]:
    """Each feature column converted by its spec; the earliest violation (line, then spec order) is raised."""
    tokens = frozenset(spec.get("missingValues", [""]))
    spec_max = int(spec.get("maxLevels", DEFAULT_MAX_LEVELS))
    out: list[ConvertedColumn] = []
    problems: list[tuple[dict[str, Any], _Problem]] = []
    for f, raw in zip(spec["features"], raw_columns):
        missing = _missing_mask(raw, tokens)
        if len(raw) and missing.all():
            raise FeatureValidationError(f"{prefix}column '{f['name']}': all {len(raw)} values are empty (rule: column not empty)",
                                         column=f["name"], rule="column not empty")
        if f["type"] == "categorical":
            column, problem = _categorical(f, raw, missing, spec_max)
        else:
            column, problem = _numeric(f, raw, missing)
        if problem is not None and problem.rule == "max levels":
            raise FeatureValidationError(f"{prefix}column '{f['name']}': {problem.detail} (rule: max levels); each level becomes a "
                                         "model feature: raise maxLevels, or name an id or free-text column in idColumns",
                                         column=f["name"], rule="max levels")
        out.append(column)
        if problem is not None:
            problems.append((f, problem))
    _raise_earliest(problems, locate, prefix)
    return out


def _mode(codes: np.ndarray, n_levels: int) -> int:
    present = codes[codes >= 0]
    if present.size == 0:
        return 0
    return int(np.bincount(present, minlength=n_levels).argmax())


@dataclass
class EncodedFeatures:
    """The model's feature matrix (NaN = missing passed on) and what the feature schema needs."""

    matrix: np.ndarray
    kinds: list[str]  # per model feature: integer | float | binary (CSV formatting, stats)
    entries: list[dict[str, Any]]  # per model feature: name, type, rules, source
    categoricals: list[dict[str, Any]]


def encode(columns: list[ConvertedColumn], train_idx: np.ndarray) -> EncodedFeatures:
    """Imputes with statistics of the training rows and one-hot encodes the categorical columns."""
    blocks: list[np.ndarray] = []
    kinds: list[str] = []
    entries: list[dict[str, Any]] = []
    categoricals: list[dict[str, Any]] = []
    for col in columns:
        f = col.spec
        policy = f.get("missing", "reject")
        if f["type"] != "categorical":
            values = col.values.copy()
            entry: dict[str, Any] = {"name": f["name"], "type": f["type"]}
            entry.update({k: f[k] for k in ("min", "max", "allowed", "outOfRange") if k in f})
            if policy != "reject":
                entry["missing"] = policy
            if policy == "impute":
                train = values[train_idx]
                train = train[~np.isnan(train)]
                strategy = f.get("impute", "median")
                fill = float(np.median(train) if strategy == "median" else np.mean(train)) if train.size else 0.0
                if f["type"] in ("integer", "binary"):
                    fill = float(round(fill))
                values[np.isnan(values)] = fill
                entry["impute"] = {"strategy": strategy, "value": int(fill) if f["type"] in ("integer", "binary") else fill}
            blocks.append(values.reshape(-1, 1))
            kinds.append(f["type"])
            entries.append(entry)
            continue
        levels = col.levels
        codes = col.values.copy()
        other = f.get("unseen", "reject") == "other"
        cat: dict[str, Any] = {"name": f["name"], "levels": list(levels), "unseen": "other" if other else "reject", "missing": policy}
        if policy == "impute":
            mode = _mode(codes[train_idx], len(levels))
            codes[codes == -1] = mode
            cat["impute"] = {"strategy": "mode", "value": levels[mode]}
        width = len(levels) + (1 if other else 0)
        block = np.zeros((len(codes), width))
        rows = np.arange(len(codes))
        known = codes >= 0
        block[rows[known], codes[known]] = 1.0
        if other:
            block[rows[codes == -2], len(levels)] = 1.0
        block[codes == -1, :] = np.nan  # missing: pass
        blocks.append(block)
        for level in [*levels, *([OTHER_LEVEL] if other else [])]:
            source: dict[str, Any] = {"column": f["name"], **({"other": True} if level == OTHER_LEVEL else {"level": level})}
            entries.append({"name": level_feature_name(f["name"], level), "type": "binary", "category": source})
            kinds.append("binary")
        categoricals.append(cat)
    matrix = np.hstack(blocks) if blocks else np.empty((len(train_idx), 0))
    return EncodedFeatures(matrix, kinds, entries, categoricals)


def check_not_constant_after_drop(n_rows: int, dropped: int, prefix: str) -> None:
    if n_rows == 0:
        raise ClientError(f"{prefix}every row lacks a label ({dropped} dropped) (rule: required label)")
