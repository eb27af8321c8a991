"""Data sanity gates of training pre-processing: data that parses but cannot train a sound model.

Why at step 1: a file that passes every per-value rule can still be unusable as a whole. A
constant label trains a "perfect" model (RMSE 0) that predicts one number; a feature that is the
label leaks the answer; a file mostly made of copies of a few rows inflates every metric; a
one-row file fails much later, inside both training jobs. Each gate refuses the file with one
message naming the file, the column where there is one, and the rule, as a ``ClientError`` (the
orchestrator's non-retryable ``DatasetSchemaInvalid``), before anything is written or trained.

The two limits are options of the job (``--min-rows-per-split``, ``--max-duplicate-share``),
plumbed from the training configuration's ``dataChecks``; the other rules have no sound setting
that would turn them off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..contract import ClientError
from ..validation import FeatureValidationError
from .split import split_sizes
from .writer import format_value

DEFAULT_MIN_ROWS_PER_SPLIT = 10
DEFAULT_MAX_DUPLICATE_SHARE = 0.5


@dataclass(frozen=True)
class DataChecks:
    """Limits of the gates (the job's ``--min-rows-per-split`` and ``--max-duplicate-share``)."""

    min_rows_per_split: int = DEFAULT_MIN_ROWS_PER_SPLIT
    max_duplicate_share: float = DEFAULT_MAX_DUPLICATE_SHARE

    def __post_init__(self) -> None:
        if self.min_rows_per_split < 1:
            raise ClientError(f"--min-rows-per-split must be an integer >= 1, got {self.min_rows_per_split}")
        if not 0.0 <= self.max_duplicate_share <= 1.0:
            raise ClientError(f"--max-duplicate-share must be in [0, 1], got {self.max_duplicate_share}")


def check_no_empty_column(names: Sequence[str], columns: Sequence[Sequence[str]], prefix: str) -> None:
    """A label or feature column with no value at all (before the per-value rules, which would
    report only its first empty cell)."""
    for name, values in zip(names, columns):
        if values and all(not v.strip() for v in values):
            raise FeatureValidationError(
                f"{prefix}column '{name}': all {len(values)} values are empty (rule: column not empty)",
                column=name, rule="column not empty",
            )


def check_rows_per_split(n: int, validation_fraction: float, test_fraction: float, checks: DataChecks,
                         prefix: str) -> None:
    """Every split the fractions ask for gets at least ``min_rows_per_split`` rows."""
    sizes = split_sizes(n, validation_fraction, test_fraction)
    wanted = {"train": 1.0, "validation": validation_fraction, "test": test_fraction}
    short = [name for name, size in sizes.items() if wanted[name] > 0 and size < checks.min_rows_per_split]
    if short:
        rows = "row" if n == 1 else "rows"
        raise FeatureValidationError(
            f"{prefix}{n} data {rows} split into {sizes['train']} train, {sizes['validation']} validation and "
            f"{sizes['test']} test rows; every split needs at least {checks.min_rows_per_split} "
            f"(too few in {', '.join(short)}) (rule: min rows per split)",
            rule="min rows per split",
        )


def check_label_varies(label: np.ndarray, spec: dict, prefix: str) -> None:
    if label.size and np.all(label == label[0]):
        value = format_value(float(label[0]), spec.get("type", "float"))
        raise FeatureValidationError(
            f"{prefix}column '{spec['name']}': the label is {value} in all {label.size} rows, so there is nothing to "
            f"learn (rule: label varies)",
            column=spec["name"], rule="label varies",
        )


def check_no_label_copy(label: np.ndarray, matrix: np.ndarray, features: Sequence[dict], label_name: str,
                        prefix: str) -> None:
    """A feature equal to the label in every row hands the model the answer (leakage)."""
    for j, spec in enumerate(features):
        if np.array_equal(matrix[:, j], label):
            raise FeatureValidationError(
                f"{prefix}column '{spec['name']}': equal to the label '{label_name}' in every row, which leaks the "
                f"answer into the model (rule: no label leakage)",
                column=spec["name"], rule="no label leakage",
            )


def check_duplicate_share(label: np.ndarray, matrix: np.ndarray, checks: DataChecks, prefix: str) -> None:
    """Rows equal to an earlier row in the label and every feature, as a share of all rows."""
    rows = np.column_stack([label, matrix])
    unique = np.unique(rows, axis=0).shape[0]
    duplicates = rows.shape[0] - unique
    share = duplicates / rows.shape[0]
    if share > checks.max_duplicate_share:
        raise FeatureValidationError(
            f"{prefix}{duplicates} of {rows.shape[0]} rows ({share:.1%}) repeat an earlier row in the label and every "
            f"feature; at most {checks.max_duplicate_share:.1%} may (rule: max duplicate share)",
            rule="max duplicate share",
        )
