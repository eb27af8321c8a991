"""The pre-processing job: raw CSV -> validated features -> splits + feature schema."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..validation import check_header, check_one_hot, check_row_lengths, convert_columns
from .reader import find_input_csv, read_raw_csv
from .sanity import (DataChecks, check_duplicate_share, check_label_varies, check_no_empty_column, check_no_label_copy,
                     check_rows_per_split)
from .columns import check_not_constant_after_drop, convert_features, convert_label, encode, label_rows, needs_encoding
from .schema import build_schema, build_encoded_schema
from .spec import load_spec
from .split import split_indices
from .writer import write_json, write_split


@dataclass(frozen=True)
class PreprocessOptions:
    """CLI options of the job."""

    input_dir: Path
    output_dir: Path
    dataset_spec: Path | None = None
    seed: int = 42
    validation_fraction: float = 0.15
    test_fraction: float = 0.15
    checks: DataChecks = DataChecks()


def run(opts: PreprocessOptions) -> str:
    """Execute the job; returns the one-line success detail for ``output/message``."""
    spec = load_spec(opts.dataset_spec)
    table = read_raw_csv(find_input_csv(opts.input_dir))
    if needs_encoding(spec):
        return run_encoded(opts, spec, table)
    prefix = f"{table.name}: "
    label_spec, features = spec["label"], spec["features"]
    index = check_header(table.header, [label_spec["name"], *(f["name"] for f in features)], prefix)
    locate = lambda i: f"line {table.line_numbers[i]}"  # noqa: E731
    check_row_lengths(table.rows, table.header, locate, prefix)
    specs = [label_spec, *features]
    raw = [[row[index[s["name"]]] for row in table.rows] for s in specs]
    check_no_empty_column([s["name"] for s in specs], raw, prefix)
    columns = convert_columns(list(zip(specs, raw)), locate, prefix)
    check_one_hot(spec["oneHotGroups"], {s["name"]: c for s, c in zip(specs, columns)}, locate, prefix)

    label = np.asarray(columns[0], dtype=np.float64)
    matrix = np.asarray(columns[1:], dtype=np.float64).T.reshape(len(label), len(features))
    # The whole-file gates: the rows parse, but can they train a sound model?
    check_rows_per_split(len(label), opts.validation_fraction, opts.test_fraction, opts.checks, prefix)
    check_label_varies(label, label_spec, prefix)
    check_no_label_copy(label, matrix, features, label_spec["name"], prefix)
    check_duplicate_share(label, matrix, opts.checks, prefix)
    splits = split_indices(len(label), opts.seed, opts.validation_fraction, opts.test_fraction)
    kinds = [f["type"] for f in features]
    for name, idx in splits.items():
        write_split(opts.output_dir / name / f"{name}.csv", label[idx], matrix[idx], kinds, label_spec["type"])

    known = {label_spec["name"], *spec["idColumns"], *(f["name"] for f in features)}
    ignored = [h for h in table.header if h not in known]
    rows = {name: int(idx.size) for name, idx in splits.items()}
    schema = build_schema(
        spec, label, matrix, splits["train"], rows,
        split={"seed": opts.seed, "validationFraction": opts.validation_fraction, "testFraction": opts.test_fraction},
        source={"file": table.name, "rows": len(table.rows), "sha256": table.sha256},
        ignored=ignored,
    )
    write_json(opts.output_dir / "schema" / "feature-schema.json", schema)
    extra = f"; ignored columns: {', '.join(ignored)}" if ignored else ""
    return (f"Pre-processed {len(table.rows)} rows of {table.name} into {rows['train']} train, "
            f"{rows['validation']} validation, {rows['test']} test rows and {len(features)} features{extra}.")


def run_encoded(opts: PreprocessOptions, spec: dict, table) -> str:  # type: ignore[no-untyped-def]
    """Datasets with string categoricals or missing values (``columns.py``): the same checks, gates
    and outputs, with the features one-hot encoded and imputed as the spec says."""
    prefix = f"{table.name}: "
    label_spec, features = spec["label"], spec["features"]
    index = check_header(table.header, [label_spec["name"], *(f["name"] for f in features)], prefix)
    check_row_lengths(table.rows, table.header, lambda i: f"line {table.line_numbers[i]}", prefix)
    tokens = frozenset(spec.get("missingValues", [""]))
    raw_label = [row[index[label_spec["name"]]] for row in table.rows]
    check_no_empty_column([label_spec["name"]], [[("" if v.strip() in tokens else v) for v in raw_label]], prefix)
    kept, dropped = label_rows(spec, raw_label, tokens, lambda i: f"line {table.line_numbers[i]}", prefix)
    check_not_constant_after_drop(len(kept), dropped, prefix)
    rows = [table.rows[i] for i in kept.tolist()]
    lines = [table.line_numbers[i] for i in kept.tolist()]
    locate = lambda i: f"line {lines[i]}"  # noqa: E731
    label = convert_label(spec, [row[index[label_spec["name"]]] for row in rows], locate, prefix)
    by_position = list(zip(*rows))  # the rows all have the header's width (checked above)
    columns = convert_features(spec, [by_position[index[f["name"]]] for f in features], locate, prefix)
    numeric = {c.spec["name"]: c.values.tolist() for c in columns if c.spec["type"] != "categorical"}
    check_one_hot(spec["oneHotGroups"], numeric, locate, prefix)
    check_rows_per_split(len(label), opts.validation_fraction, opts.test_fraction, opts.checks, prefix)
    check_label_varies(label, label_spec, prefix)
    splits = split_indices(len(label), opts.seed, opts.validation_fraction, opts.test_fraction)
    encoded = encode(columns, splits["train"])
    check_no_label_copy(label, encoded.matrix, encoded.entries, label_spec["name"], prefix)
    check_duplicate_share(label, encoded.matrix, opts.checks, prefix)
    for name, idx in splits.items():
        write_split(opts.output_dir / name / f"{name}.csv", label[idx], encoded.matrix[idx], encoded.kinds, label_spec["type"])
    known = {label_spec["name"], *spec["idColumns"], *(f["name"] for f in features)}
    ignored = [h for h in table.header if h not in known]
    counts = {name: int(idx.size) for name, idx in splits.items()}
    schema = build_encoded_schema(
        spec, label, encoded, splits["train"], counts,
        split={"seed": opts.seed, "validationFraction": opts.validation_fraction, "testFraction": opts.test_fraction},
        source={"file": table.name, "rows": len(table.rows), "sha256": table.sha256, **({"rowsWithoutLabel": dropped} if dropped else {})},
        ignored=ignored, missing={c.spec["name"]: c.missing for c in columns},
    )
    write_json(opts.output_dir / "schema" / "feature-schema.json", schema)
    extra = f"; ignored columns: {', '.join(ignored)}" if ignored else ""
    without = f"; {dropped} rows without a label left out" if dropped else ""
    return (f"Pre-processed {len(table.rows)} rows of {table.name} into {counts['train']} train, "
            f"{counts['validation']} validation, {counts['test']} test rows and {len(encoded.entries)} model features "
            f"from {len(features)} columns{without}{extra}.")
