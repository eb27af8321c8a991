"""Data-quality ``constraints.json`` suggested from a baseline profile (Deequ's rules).

* ``completeness`` = baseline fraction of non-missing values.
* ``num_constraints.is_non_negative`` = baseline min >= 0 (numeric columns).
* ``string_constraints.domains`` for low-cardinality String *and Integral* columns (Deequ's
  CategoricalRangeRule: a histogram exists, i.e. <= 120 distinct values, and at most 10 % of the
  distinct values occur exactly once); values most frequent first (ties by value).  For Integral
  columns the domain is the list of value texts (e.g. ``["4", "6", "8"]``): constraints.json has
  no numeric domain field.
* ``monitoring_config`` with the values a SageMaker baseline job emits.
"""

from __future__ import annotations

from typing import Any, Sequence

from .datatypes import INTEGRAL_T, NUMERIC_TYPES, STRING_T
from .statistics import ColumnProfile

UNIQUE_VALUE_RATIO = 0.1


def monitoring_config(categorical_drift_method: str = "LInfinity") -> dict[str, Any]:
    """Global monitoring settings as written by SageMaker's baseline job."""
    return {
        "evaluate_constraints": "Enabled",
        "emit_metrics": "Enabled",
        "datatype_check_threshold": 1.0,
        "domain_content_threshold": 1.0,
        "distribution_constraints": {
            "perform_comparison": "Enabled",
            "comparison_threshold": 0.1,
            "comparison_method": "Robust",
            "categorical_comparison_threshold": 0.1,
            "categorical_drift_method": categorical_drift_method,
        },
    }


def suggest_domain(profile: ColumnProfile) -> list[str] | None:
    """Deequ CategoricalRangeRule: the IS IN domain for a low-cardinality String/Integral column."""
    if profile.inferred_type not in (STRING_T, INTEGRAL_T) or not profile.histogram:
        return None
    entries = profile.histogram
    singletons = sum(1 for count in entries.values() if count == 1)
    if singletons / len(entries) > UNIQUE_VALUE_RATIO:
        return None
    return [value for value, _ in sorted(entries.items(), key=lambda kv: (-kv[1], kv[0]))]


def feature_constraints(profile: ColumnProfile) -> dict[str, Any]:
    """One entry of ``features`` in constraints.json."""
    entry: dict[str, Any] = {"name": profile.name, "inferred_type": profile.inferred_type,
                             "completeness": profile.completeness}
    if profile.inferred_type in NUMERIC_TYPES and profile.minimum is not None:
        entry["num_constraints"] = {"is_non_negative": profile.minimum >= 0}
    domain = suggest_domain(profile)
    if domain is not None:
        entry["string_constraints"] = {"domains": domain}
    if profile.inferred_type == STRING_T:
        entry["monitoringConfigOverrides"] = {}
    return entry


def constraints_document(profiles: Sequence[ColumnProfile], categorical_drift_method: str = "LInfinity") -> dict[str, Any]:
    """The ``constraints.json`` document."""
    return {
        "version": 0.0,
        "features": [feature_constraints(p) for p in profiles],
        "monitoring_config": monitoring_config(categorical_drift_method),
    }
