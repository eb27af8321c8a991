"""Dataset specs: which columns are the label, ids and features, with their types and rules.

Why a spec file rather than code: the same job can prepare another tabular dataset by pointing
``--dataset-spec`` at another JSON file; the spec's shape is reused verbatim in feature-schema.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..contract import ClientError
from ..encoding import OTHER_LEVEL, level_feature_name
from .schema import DEFAULT_OUT_OF_RANGE

DEFAULT_SPEC = Path(__file__).with_name("used_cars_spec.json")
NUMERIC_TYPES = ("integer", "float", "binary")
FEATURE_TYPES = (*NUMERIC_TYPES, "categorical")
OUT_OF_RANGE_POLICIES = ("flag", "reject")
MISSING_POLICIES = ("reject", "impute", "pass")
NUMERIC_IMPUTE = ("median", "mean")
UNSEEN_POLICIES = ("reject", "other")
# A categorical column becomes one model feature per level (one-hot): more levels than this is
# almost always an id or free text, which would blow the feature matrix up.
DEFAULT_MAX_LEVELS = 50
MAX_LEVELS_LIMIT = 1000


def _check_out_of_range(path: Path, policy: Any, where: str, partial: bool) -> None:
    """``{"policy": "flag"|"reject", "tolerance": n >= 0, "rejectBeyond": n >= tolerance}``; the
    schema-wide one may give only some keys (the rest are the defaults), a feature's gives all."""
    if not isinstance(policy, dict):
        raise _bad(path, f"{where}: 'outOfRange' must be an object")
    unknown = sorted(set(policy) - {"policy", "tolerance", "rejectBeyond"})
    if unknown:
        raise _bad(path, f"{where}: 'outOfRange' has unknown key(s) {', '.join(unknown)}")
    if not partial and len(policy) != 3:
        raise _bad(path, f"{where}: 'outOfRange' needs policy, tolerance and rejectBeyond")
    if "policy" in policy and policy["policy"] not in OUT_OF_RANGE_POLICIES:
        raise _bad(path, f"{where}: 'outOfRange.policy' must be flag or reject")
    for key in ("tolerance", "rejectBeyond"):
        value = policy.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise _bad(path, f"{where}: 'outOfRange.{key}' must be a number >= 0")
    if "tolerance" in policy and "rejectBeyond" in policy and policy["rejectBeyond"] < policy["tolerance"]:
        raise _bad(path, f"{where}: 'outOfRange.rejectBeyond' must be at least its tolerance")


def _bad(path: Path, why: str) -> ClientError:
    return ClientError(f"dataset spec {path.name}: {why}")


def _check_missing(path: Path, col: dict, where: str) -> None:
    """``missing`` (reject | impute | pass) and ``impute`` (median | mean for numbers, mode for
    categories) of a feature; ``pass`` keeps a missing value missing (NaN) for algorithms that take it."""
    name = f"{where} '{col['name']}'"
    policy = col.get("missing", "reject")
    if policy not in MISSING_POLICIES:
        raise _bad(path, f"{name}: 'missing' must be one of {', '.join(MISSING_POLICIES)}")
    if "impute" in col:
        allowed = ("mode",) if col.get("type") == "categorical" else NUMERIC_IMPUTE
        if policy != "impute":
            raise _bad(path, f"{name}: 'impute' is only used with missing: impute")
        if col["impute"] not in allowed:
            raise _bad(path, f"{name}: 'impute' must be {' or '.join(allowed)}")
    if col.get("type") == "binary" and policy == "impute" and col.get("impute", "median") == "mean":
        raise _bad(path, f"{name}: a binary feature is imputed with its median, not its mean")


def _check_categorical(path: Path, col: dict, spec_max: int) -> None:
    name = f"feature '{col['name']}'"
    for key in ("min", "max", "allowed", "outOfRange"):
        if key in col:
            raise _bad(path, f"{name}: '{key}' applies to numbers, not to a categorical feature")
    levels = col.get("levels")
    if levels is not None:
        if not isinstance(levels, list) or not levels or not all(isinstance(v, str) and v.strip() == v and v for v in levels):
            raise _bad(path, f"{name}: 'levels' must be a non-empty list of non-empty strings without surrounding spaces")
        if len(set(levels)) != len(levels):
            raise _bad(path, f"{name}: 'levels' names a level twice")
        if OTHER_LEVEL in levels:
            raise _bad(path, f"{name}: '{OTHER_LEVEL}' is reserved for unseen values")
    max_levels = col.get("maxLevels", spec_max)
    if isinstance(max_levels, bool) or not isinstance(max_levels, int) or not 1 <= max_levels <= MAX_LEVELS_LIMIT:
        raise _bad(path, f"{name}: 'maxLevels' must be an integer from 1 to {MAX_LEVELS_LIMIT}")
    if levels is not None and len(levels) > max_levels:
        raise _bad(path, f"{name}: {len(levels)} levels, more than its maxLevels {max_levels}")
    if col.get("unseen", "reject") not in UNSEEN_POLICIES:
        raise _bad(path, f"{name}: 'unseen' must be reject or other")


def _check_column(path: Path, col: Any, where: str, types: tuple[str, ...]) -> None:
    if not isinstance(col, dict) or not isinstance(col.get("name"), str) or not col["name"]:
        raise _bad(path, f"{where} must be an object with a non-empty 'name'")
    if col.get("type") not in types:
        raise _bad(path, f"{where} '{col['name']}': type must be one of {', '.join(types)}")
    if where == "feature":
        _check_missing(path, col, where)
    if col.get("type") == "categorical":
        return
    for key in ("min", "max"):
        if key in col and (isinstance(col[key], bool) or not isinstance(col[key], (int, float))):
            raise _bad(path, f"{where} '{col['name']}': '{key}' must be a number")
    allowed = col.get("allowed")
    if allowed is not None and (not isinstance(allowed, list) or not allowed
                                or not all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in allowed)):
        raise _bad(path, f"{where} '{col['name']}': 'allowed' must be a non-empty list of numbers")
    if "outOfRange" in col:
        _check_out_of_range(path, col["outOfRange"], f"{where} '{col['name']}'", partial=False)


def load_spec(path: Path | None = None) -> dict[str, Any]:
    """Load and check a dataset spec (default: the used-cars spec shipped with the package)."""
    p = Path(path) if path is not None else DEFAULT_SPEC
    try:
        spec = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ClientError(f"cannot read dataset spec {p}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise _bad(p, f"not valid JSON: {exc}") from None
    if not isinstance(spec, dict):
        raise _bad(p, "must be a JSON object")
    _check_column(p, spec.get("label"), "label", ("float", "integer"))
    if spec["label"].get("missing", "reject") not in ("reject", "drop"):
        raise _bad(p, "label: 'missing' must be reject or drop (a row without a label cannot train)")
    tokens = spec.setdefault("missingValues", [""])
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        raise _bad(p, "'missingValues' must be a list of strings (the texts read as a missing value)")
    spec_max = spec.get("maxLevels", DEFAULT_MAX_LEVELS)
    if isinstance(spec_max, bool) or not isinstance(spec_max, int) or not 1 <= spec_max <= MAX_LEVELS_LIMIT:
        raise _bad(p, f"'maxLevels' must be an integer from 1 to {MAX_LEVELS_LIMIT}")
    features = spec.get("features")
    if not isinstance(features, list) or not features:
        raise _bad(p, "'features' must be a non-empty list")
    for f in features:
        _check_column(p, f, "feature", FEATURE_TYPES)
        if f["type"] == "categorical":
            _check_categorical(p, f, spec_max)
    if "outOfRange" in spec:
        _check_out_of_range(p, spec["outOfRange"], "spec", partial=True)
        merged = {**DEFAULT_OUT_OF_RANGE, **spec["outOfRange"]}
        if merged["rejectBeyond"] < merged["tolerance"]:
            raise _bad(p, "spec: 'outOfRange.rejectBeyond' must be at least its tolerance")
    ids = spec.setdefault("idColumns", [])
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise _bad(p, "'idColumns' must be a list of column names")
    names = [spec["label"]["name"], *ids, *(f["name"] for f in features)]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise _bad(p, f"column(s) declared twice: {', '.join(dupes)}")
    taken = set(names)
    for f in features:
        if f["type"] == "categorical":
            for level in [*(f.get("levels") or []), OTHER_LEVEL]:
                if level_feature_name(f["name"], level) in taken:
                    raise _bad(p, f"feature '{f['name']}': its level column '{level_feature_name(f['name'], level)}' "
                                  "would take the name of another column")
    by_name = {f["name"]: f for f in features}
    for group in spec.setdefault("oneHotGroups", []):
        if not isinstance(group, dict) or not isinstance(group.get("columns"), list) or not group["columns"]:
            raise _bad(p, "each one-hot group needs a 'name' and a non-empty 'columns' list")
        for c in group["columns"]:
            if by_name.get(c, {}).get("type") != "binary":
                raise _bad(p, f"one-hot group '{group.get('name')}': column '{c}' is not a binary feature")
    return spec
