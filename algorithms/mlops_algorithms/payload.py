"""Values of a scoring payload, read the same way by the model server and the batch transform.

Why one module: a record answered by ``POST /invocations`` and the same record in a batch
transform must be accepted or refused by the same rules, with the same words (training's
channels use the same CSV rule: ``1_000``, ``inf`` and, without missing-value support, empty
cells are refused).  Each caller turns a :class:`ValueProblem` into its own error (a 400 answer,
a ``ClientError`` naming the file) and adds its own prefix; ``where`` names the line/record and
field.  Fast paths (numpy/pandas over a whole body) stay with the callers; these functions are
their exact fallbacks, so they favour clear messages over speed.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

MAX_SHOWN = 40  # characters of an offending value quoted in a message
INSTANCE_SHAPES = 'a list of feature values, {"features": [...]} or {"data": {"features": {"values": [...]}}}'


class ValueProblem(ValueError):
    """A value that is not a usable feature; the message names ``where`` and the rule."""


def shown(value: object) -> str:
    """``value`` as text for a message, cut to ``MAX_SHOWN`` characters (bytes decoded leniently)."""
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "..."


def csv_value(field: str | bytes, allow_missing: bool, where: str) -> float:
    """One CSV cell -> float.  An empty cell (or ``nan``) is a missing value when ``allow_missing``
    (XGBoost), otherwise an error; ``inf`` and digit separators (``1_000``) are always errors."""
    text = field.strip()
    if not text:
        if allow_missing:
            return math.nan
        raise ValueProblem(f"{where}: empty value (this model has no missing-value support)")
    try:
        if ("_" if isinstance(text, str) else b"_") in text:  # float() accepts 1_000; the training channels do not
            raise ValueError(text)
        value = float(text)
    except ValueError:
        raise ValueProblem(f"{where}: value '{shown(field)}' is not numeric") from None
    if math.isinf(value) or (math.isnan(value) and not allow_missing):
        raise ValueProblem(f"{where}: value '{shown(field)}' is not a finite number")
    return value


def json_value(value: Any, allow_missing: bool, where: str) -> float:
    """One JSON feature value -> float.  ``null`` (or NaN) is a missing value when ``allow_missing``;
    booleans, strings and other non-numbers, and numbers too large for a float, are errors."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        if allow_missing:
            return math.nan
        raise ValueProblem(f"{where}: value {json.dumps(value)} is not a number (this model has no missing-value support)")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueProblem(f"{where}: value {shown(json.dumps(value))} is not a number")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if math.isinf(number):
        raise ValueProblem(f"{where}: value {shown(json.dumps(value))} is not a finite number")
    return number


def json_features(record: Any) -> list | None:
    """The feature list of a JSON record in the built-in algorithms' shapes (``INSTANCE_SHAPES``),
    or None when ``record`` has none of them.  A present ``"features"`` key decides."""
    if isinstance(record, list):
        return record
    if isinstance(record, dict):
        if "features" in record:
            values = record["features"]
        else:
            data = record.get("data")
            features = data.get("features") if isinstance(data, dict) else None
            values = features.get("values") if isinstance(features, dict) else None
        if isinstance(values, list):
            return values
    return None


def prediction_texts(predictions: np.ndarray) -> list[str]:
    """Each prediction as Python ``str(float(v))`` (a float32 widened exactly); non-finite values in
    JSON spelling (``NaN``, ``Infinity``), as the model server and the transform both write them."""
    values = predictions.astype(np.float64, copy=False).tolist()
    if np.isfinite(predictions).all():
        return list(map(repr, values))
    return [json.dumps(v) for v in values]
