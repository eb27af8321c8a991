"""``data-quality-baseline`` job: statistics.json + constraints.json for a CSV dataset.

Env: ``dataset_source``, ``output_path``, ``dataset_format`` (csv only), optional
``feature_schema`` (names a header-less training CSV: label then features) and
``categorical_drift_method``.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import Mapping

from ..contract import ClientError
from .config import optional_path, parse_dataset_format, required_path
from .constraints import constraints_document
from .datatypes import FRACTIONAL_T, INTEGRAL_T
from .dataset import read_csv_dataset
from .jsonio import write_json
from .statistics import profile_dataset, statistics_document


def raw_view(path):  # type: ignore[no-untyped-def]
    """The decoder of encoded rows (label or prediction first, then the model features) into the
    raw columns, or None when the schema's model features are its raw columns."""
    from ..encoding import RawView, is_encoded
    from ..features import load_schema

    schema = load_schema(path)
    return RawView(schema, lead=1) if is_encoded(schema) else None


def schema_column_names(path) -> list[str]:  # type: ignore[no-untyped-def]
    """Label name first, then the feature names, as in the training CSV."""
    from ..features import feature_names, load_schema

    schema = load_schema(path)
    return [schema["label"]["name"], *feature_names(schema)]


def run(env: Mapping[str, str]) -> str:
    """Execute the job; returns the success detail for ``output/message``."""
    source = required_path(env, "dataset_source")
    output = required_path(env, "output_path")
    fmt = parse_dataset_format(env.get("dataset_format"))
    drift_method = env.get("categorical_drift_method", "LInfinity") or "LInfinity"
    if drift_method not in ("LInfinity", "ChiSquared"):
        raise ClientError("categorical_drift_method must be LInfinity or ChiSquared")
    schema_path = optional_path(env, "feature_schema")
    names = schema_column_names(schema_path) if schema_path is not None and not fmt.header else None
    data = read_csv_dataset(source, fmt.header, names)
    view = raw_view(schema_path) if schema_path is not None and not fmt.header else None
    if view is not None:
        # The project's raw columns, as a person and the monitoring runs see them (categories by level).
        data = replace(data, names=[data.names[0], *view.names], columns=view.decode_columns(data.columns))
    if data.ragged_rows:
        print(f"[warning] {data.ragged_rows} rows do not have {len(data.names)} fields; "
              "missing fields counted as missing, extra fields dropped", file=sys.stderr)
    profiles = profile_dataset(data.names, data.columns)
    if names is not None and profiles and profiles[0].inferred_type == INTEGRAL_T:
        # The label leads the training rows where the capture has the model's prediction: a
        # regressor predicts fractions, so an integer label (grams, whole prices) is baselined as
        # Fractional; otherwise every monitoring run reports a data_type_check on the prediction.
        lead = profiles[0]
        statistics = {**lead.statistics, "inferred_type": FRACTIONAL_T} if lead.statistics else lead.statistics
        profiles[0] = replace(lead, inferred_type=FRACTIONAL_T, statistics=statistics)
    write_json(output / "statistics.json", statistics_document(profiles, data.rows))
    write_json(output / "constraints.json", constraints_document(profiles, drift_method))
    return f"Job completed successfully: baseline of {data.rows} rows and {len(data.names)} columns."
