"""Monitoring checks: ``constraint_violations.json`` entries (reference 5.4, 5.5 and 6.4).

Data quality: ``data_quality_violations(current_stats, baseline_stats, baseline_constraints)``
compares a current ``statistics.json`` document with the baseline's ``statistics.json`` and
``constraints.json``.  Columns are matched **by position** (as Model Monitor does for captured
data): current feature i is checked against baseline feature i; surplus baseline features are
``missing_column_check``, surplus current features ``extra_column_check``.

Published description texts (``baseline_drift_check``, ``data_type_check``) are reproduced; the
unpublished ones are our wording (see README).  Thresholds come from ``monitoring_config``, and a
feature's ``monitoringConfigOverrides`` (or the SDK's
``string_constraints.monitoring_config_overrides``) override them per feature; either spelling with
``evaluate_constraints: "Disabled"`` switches every check of that feature off.

Per-value facts that statistics.json does not carry (share of values of a type, share of values in
a domain) are exact when ``current_columns`` (the raw values, aligned with the current features) is
given, as the monitoring job does; otherwise they are estimated from the categorical buckets
(String columns) or the KLL sketch items (numeric columns).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, Mapping, Sequence

import numpy as np

from .datatypes import FRACTIONAL_T, INTEGRAL_T, STRING_T, UNKNOWN_T, value_type
from .kll import KLLSketch
from .statistics import ColumnProfile

C_ALPHA = 1.8
DISABLED = "Disabled"


# -- configuration -------------------------------------------------------------------------
def _feature_config(global_cfg: Mapping[str, Any], feature: Mapping[str, Any]) -> dict[str, Any]:
    """Global monitoring_config with the feature's overrides applied (both spellings)."""
    cfg = dict(global_cfg)
    dist = dict(global_cfg.get("distribution_constraints") or {})
    overrides: dict[str, Any] = {}
    overrides.update(feature.get("monitoringConfigOverrides") or {})
    overrides.update((feature.get("string_constraints") or {}).get("monitoring_config_overrides") or {})
    overrides.update((feature.get("num_constraints") or {}).get("monitoring_config_overrides") or {})
    for key, value in overrides.items():
        if key == "distribution_constraints" and isinstance(value, dict):
            dist.update(value)
        elif key in ("perform_comparison", "comparison_threshold", "comparison_method",
                     "categorical_comparison_threshold", "categorical_drift_method"):
            dist[key] = value
        else:
            cfg[key] = value
    cfg["distribution_constraints"] = dist
    return cfg


def _threshold(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _pct(fraction: float) -> str:
    return repr(float(fraction * 100.0))


# -- per-value facts -----------------------------------------------------------------------
def _value_counts(stats: Mapping[str, Any], raw: Any) -> Counter | None:
    """Present value texts -> counts (exact from ``raw``; else buckets / sketch items).

    ``raw`` is the column's raw values, or a ``ColumnProfile`` (the streaming profiler keeps the
    counts of every present value text instead of the values)."""
    if isinstance(raw, ColumnProfile):
        if raw.value_counts is not None:
            return raw.value_counts
        raw = None
    if raw is not None:
        return Counter(v for v in raw if v is not None and v != "")
    if "string_statistics" in stats:
        buckets = ((stats["string_statistics"].get("distribution") or {}).get("categorical") or {}).get("buckets") or []
        return Counter({str(b["value"]): int(b["count"]) for b in buckets})
    sketch = ((stats.get("numerical_statistics") or {}).get("distribution") or {}).get("kll", {}).get("sketch")
    if sketch is None:
        return None
    counts: Counter = Counter()
    for height, level in enumerate(sketch.get("data") or []):
        for v in level:
            # estimate: a whole number is taken as Integral text (statistics.json keeps no texts)
            text = str(int(v)) if float(v).is_integer() else repr(float(v))
            counts[text] += 2 ** height
    return counts


def _type_match_fraction(expected: str, counts: Counter, type_counts: Mapping[str, int] | None = None) -> float:
    """Share of present values whose text is of type ``expected``; Integral texts count as Fractional.

    ``type_counts`` (Deequ class -> count of present values), when known, saves classifying every text."""
    total = sum(type_counts.values()) if type_counts is not None else sum(counts.values())
    if total == 0:
        return 1.0
    ok = {INTEGRAL_T: (INTEGRAL_T,), FRACTIONAL_T: (INTEGRAL_T, FRACTIONAL_T)}.get(expected)
    if ok is None:  # String accepts anything
        return 1.0
    if type_counts is not None:
        return sum(c for k, c in type_counts.items() if k in ok) / total
    return sum(c for v, c in counts.items() if value_type(v) in ok) / total


# -- distances (5.5) -----------------------------------------------------------------------
def _sketch(stats: Mapping[str, Any]) -> KLLSketch | None:
    doc = ((stats.get("numerical_statistics") or {}).get("distribution") or {}).get("kll", {}).get("sketch")
    return KLLSketch.from_json(doc) if doc else None


def numerical_distance(base: KLLSketch, cur: KLLSketch, method: str = "Robust") -> float:
    """L-infinity distance of the two sketch CDFs; ``Robust`` subtracts c_alpha*sqrt((n+m)/(n*m))."""
    base_items, _ = base.cdf()
    cur_items, _ = cur.cdf()
    n, m = float(base.ranks([math.inf])[0]), float(cur.ranks([math.inf])[0])
    if n == 0 or m == 0:
        return 0.0
    xs = np.union1d(base_items, cur_items)
    diff = float(np.max(np.abs(base.ranks(xs) / n - cur.ranks(xs) / m))) if xs.size else 0.0
    return _robust(diff, n, m) if method == "Robust" else diff


def categorical_distance(base: Mapping[str, float], cur: Mapping[str, float], method: str = "Robust") -> float:
    """L-infinity distance of category frequencies over the union of categories."""
    n, m = float(sum(base.values())), float(sum(cur.values()))
    if n == 0 or m == 0:
        return 0.0
    diff = max(abs(base.get(k, 0) / n - cur.get(k, 0) / m) for k in set(base) | set(cur))
    return _robust(diff, n, m) if method == "Robust" else diff


def _robust(diff: float, n: float, m: float) -> float:
    return max(0.0, diff - C_ALPHA * math.sqrt((n + m) / (n * m)))


def _categorical_counts(stats: Mapping[str, Any]) -> dict[str, float] | None:
    buckets = ((stats.get("string_statistics") or {}).get("distribution") or {}).get("categorical", {}).get("buckets")
    return None if buckets is None else {str(b["value"]): float(b["count"]) for b in buckets}


# -- data quality --------------------------------------------------------------------------
def _violation(name: str, check: str, description: str) -> dict[str, str]:
    return {"feature_name": name, "constraint_check_type": check, "description": description}


def _feature_checks(base_c: Mapping[str, Any], base_s: Mapping[str, Any] | None, cur_s: Mapping[str, Any],
                    cfg: Mapping[str, Any], raw: Any) -> list[dict[str, str]]:
    name = base_c.get("name") or cur_s.get("name")
    out: list[dict[str, str]] = []
    expected = base_c.get("inferred_type") or (base_s or {}).get("inferred_type") or UNKNOWN_T
    cur_type = cur_s.get("inferred_type", UNKNOWN_T)
    counts = _value_counts(cur_s, raw)
    type_ok = True
    if expected in (INTEGRAL_T, FRACTIONAL_T) and counts is not None:
        want = _threshold(cfg.get("datatype_check_threshold"), 1.0)
        frac = _type_match_fraction(expected, counts, raw.type_counts if isinstance(raw, ColumnProfile) else None)
        if frac < want:
            type_ok = False
            out.append(_violation(name, "data_type_check",
                                  f"Data type match requirement is not met. Expected data type: {expected}, "
                                  f"Expected match: {_pct(want)}%. Observed: Only {_pct(frac)}% of data is {expected}."))
    common = next((v["common"] for v in cur_s.values() if isinstance(v, dict) and "common" in v), None)
    if common is not None and "completeness" in base_c:
        total = common["num_present"] + common["num_missing"]
        completeness = common["num_present"] / total if total else 0.0
        want = float(base_c["completeness"])
        if completeness < want:
            out.append(_violation(name, "completeness_check",
                                  f"Data completeness requirement is not met. Expected completeness: {_pct(want)}%. "
                                  f"Observed: Only {_pct(completeness)}% of data is present."))
    domain = (base_c.get("string_constraints") or {}).get("domains")
    if domain and counts:
        allowed = set(str(d) for d in domain)
        total = sum(counts.values())
        inside = sum(c for v, c in counts.items() if v in allowed) / total
        want = _threshold(cfg.get("domain_content_threshold"), 1.0)
        if inside < want:
            unknown = sorted((v for v in counts if v not in allowed), key=lambda v: (-counts[v], v))[:5]
            out.append(_violation(name, "categorical_values_check",
                                  f"Data content requirement is not met. Expected: at least {_pct(want)}% of values "
                                  f"in the baseline domain. Observed: Only {_pct(inside)}% of values are in the domain; "
                                  f"values outside it include: {', '.join(unknown)}"))
    dist = cfg.get("distribution_constraints") or {}
    if dist.get("perform_comparison", "Enabled") != DISABLED and base_s is not None and type_ok:
        method = dist.get("comparison_method", "Robust")
        base_sketch, cur_sketch = _sketch(base_s), _sketch(cur_s)
        if base_sketch is not None and cur_sketch is not None:
            threshold = _threshold(dist.get("comparison_threshold"), 0.1)
            d = numerical_distance(base_sketch, cur_sketch, method)
            if d > threshold:
                out.append(_violation(name, "baseline_drift_check",
                                      f"Numerical distance: {d!r} exceeds numerical threshold: {threshold!r}"))
        elif base_s.get("inferred_type") == STRING_T:
            base_counts, cur_counts = _categorical_counts(base_s), _categorical_counts(cur_s)
            if cur_counts is None and counts is not None:
                cur_counts = {k: float(v) for k, v in counts.items()}
            if base_counts and cur_counts:
                threshold = _threshold(dist.get("categorical_comparison_threshold", dist.get("comparison_threshold")), 0.1)
                d = categorical_distance(base_counts, cur_counts, method)
                if d > threshold:
                    out.append(_violation(name, "baseline_drift_check",
                                          f"Categorical distance: {d!r} exceeds categorical threshold: {threshold!r}"))
    return out


def _disabled(feature: Mapping[str, Any]) -> bool:
    spellings = (feature.get("monitoringConfigOverrides") or {},
                 (feature.get("string_constraints") or {}).get("monitoring_config_overrides") or {},
                 (feature.get("num_constraints") or {}).get("monitoring_config_overrides") or {})
    return any(o.get("evaluate_constraints") == DISABLED for o in spellings)


def data_quality_violations(current_stats: Mapping[str, Any], baseline_stats: Mapping[str, Any],
                            baseline_constraints: Mapping[str, Any],
                            current_columns: Sequence[Any] | None = None) -> list[dict[str, str]]:
    """Violations of the data-quality checks (5.4), in feature order then check order.

    ``current_columns[i]``: the raw values of current feature i, or its ``ColumnProfile``."""
    global_cfg = baseline_constraints.get("monitoring_config") or {}
    if global_cfg.get("evaluate_constraints") == DISABLED:
        return []
    base_features = list(baseline_constraints.get("features") or [])
    base_stats = list(baseline_stats.get("features") or [])
    cur_features = list(current_stats.get("features") or [])
    nb, nc = len(base_features), len(cur_features)
    out: list[dict[str, str]] = []
    for i, base_c in enumerate(base_features):
        if _disabled(base_c):
            continue
        name = base_c.get("name", f"_c{i}")
        if i >= nc:
            out.append(_violation(name, "missing_column_check",
                                  f"Column is missing: the baseline has {nb} columns, the current dataset {nc} "
                                  f"(matched by position); no data for baseline column {i} '{name}'."))
            continue
        base_s = base_stats[i] if i < len(base_stats) else None
        raw = current_columns[i] if current_columns is not None and i < len(current_columns) else None
        out.extend(_feature_checks(base_c, base_s, cur_features[i], _feature_config(global_cfg, base_c), raw))
    for j in range(nb, nc):
        name = cur_features[j].get("name", f"_c{j}")
        out.append(_violation(name, "extra_column_check",
                              f"Extra column: the current dataset has {nc} columns, the baseline {nb} "
                              f"(matched by position); column {j} '{name}' is not in the baseline."))
    return out


# -- model quality (6.4) -------------------------------------------------------------------
_OPERATORS = {
    "GreaterThanThreshold": lambda v, t: v > t,
    "LessThanThreshold": lambda v, t: v < t,
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}


def model_quality_violations(current_regression_metrics: Mapping[str, Any],
                             baseline_constraints: Mapping[str, Any]) -> list[dict[str, str]]:
    """``current <op> threshold`` for every constrained metric; accepts the statistics document or
    its ``regression_metrics`` map (``{m: {"value", "standard_deviation"}}`` or ``{m: value}``)."""
    metrics = current_regression_metrics.get("regression_metrics", current_regression_metrics)
    out: list[dict[str, str]] = []
    for name, rule in (baseline_constraints.get("regression_constraints") or {}).items():
        if name not in metrics:
            continue
        entry = metrics[name]
        value = entry["value"] if isinstance(entry, dict) else entry
        if value is None:  # undefined now (r2 of constant ground truth): nothing to compare
            continue
        std = entry.get("standard_deviation", "NaN") if isinstance(entry, dict) else "NaN"
        op = rule.get("comparison_operator", "GreaterThanThreshold")
        if op not in _OPERATORS:
            raise ValueError(f"unknown comparison_operator '{op}' for metric {name}")
        threshold = float(rule["threshold"])
        if _OPERATORS[op](float(value), threshold):
            out.append({"constraint_check_type": op,
                        "description": f"Metric {name} with {value} +/- {std} was {op} '{threshold}'",
                        "metric_name": name})
    return out
