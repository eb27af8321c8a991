"""CLI: ``python -m mlops_algorithms.preprocess [--mode training|scoring] --input-dir DIR --output-dir DIR [...]``.

``training`` (default): raw labelled CSV -> train/validation/test splits + feature-schema.json.
``scoring``: raw scoring CSV(s) -> header-less ``features,pass-through columns`` files validated
against the training ``--feature-schema`` (see ``scoring.py``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..contract import ClientError, line_buffered_stdout, run_processing_job
from ..fastcsv import DEFAULT_CHUNK_ROWS
from .job import PreprocessOptions, run
from .sanity import DEFAULT_MAX_DUPLICATE_SHARE, DEFAULT_MIN_ROWS_PER_SPLIT, DataChecks
from .scoring import ScoringOptions, run_scoring


class _Parser(argparse.ArgumentParser):
    """argparse that raises ClientError instead of exiting, so bad args reach output/message."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ClientError(f"invalid arguments: {message}")


def _parser() -> _Parser:
    parser = _Parser(prog="python -m mlops_algorithms.preprocess", description=__doc__)
    parser.add_argument("--mode", choices=("training", "scoring"), default="training")
    parser.add_argument("--input-dir", required=True, type=Path)
    parser.add_argument("--output-dir", required=True, type=Path)
    parser.add_argument("--dataset-spec", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--validation-fraction", type=float, default=0.15)
    parser.add_argument("--test-fraction", type=float, default=0.15)
    parser.add_argument("--min-rows-per-split", type=int, default=None,
                        help=f"training mode: fewest rows a split may get (default {DEFAULT_MIN_ROWS_PER_SPLIT})")
    parser.add_argument("--max-duplicate-share", type=float, default=None,
                        help="training mode: largest share of rows that may repeat an earlier row "
                             f"(default {DEFAULT_MAX_DUPLICATE_SHARE})")
    parser.add_argument("--feature-schema", type=Path, default=None, help="scoring mode: the training feature-schema.json")
    parser.add_argument("--id-columns", default=None, metavar="A,B",
                        help="scoring mode: the columns passed around the model to the output, in this order "
                             "('' for none: a row number); default every column that is neither a feature nor the label")
    parser.add_argument("--chunk-rows", type=int, default=None, help="scoring mode: lines per streamed chunk")
    return parser


def parse_args(argv: list[str]) -> PreprocessOptions:
    """Training-mode options (kept for callers and tests)."""
    options = parse_any(argv)
    if not isinstance(options, PreprocessOptions):
        raise ClientError("expected training-mode arguments")
    return options


def parse_any(argv: list[str]) -> "PreprocessOptions | ScoringOptions":
    ns = _parser().parse_args(argv)
    if ns.mode == "scoring":
        if ns.feature_schema is None:
            raise ClientError("invalid arguments: --mode scoring requires --feature-schema")
        for flag, value in (("--dataset-spec", ns.dataset_spec), ("--min-rows-per-split", ns.min_rows_per_split),
                            ("--max-duplicate-share", ns.max_duplicate_share)):
            if value is not None:
                raise ClientError(f"invalid arguments: {flag} is a training-mode option (scoring uses --feature-schema)")
        if ns.chunk_rows is not None and ns.chunk_rows < 1:
            raise ClientError("invalid arguments: --chunk-rows must be >= 1")
        return ScoringOptions(ns.input_dir, ns.output_dir, ns.feature_schema, _id_columns(ns.id_columns),
                              ns.chunk_rows or DEFAULT_CHUNK_ROWS)
    for flag, value in (("--feature-schema", ns.feature_schema), ("--id-columns", ns.id_columns),
                        ("--chunk-rows", ns.chunk_rows)):
        if value is not None:
            raise ClientError(f"invalid arguments: {flag} is only used with --mode scoring")
    checks = DataChecks(
        DEFAULT_MIN_ROWS_PER_SPLIT if ns.min_rows_per_split is None else ns.min_rows_per_split,
        DEFAULT_MAX_DUPLICATE_SHARE if ns.max_duplicate_share is None else ns.max_duplicate_share,
    )
    return PreprocessOptions(ns.input_dir, ns.output_dir, ns.dataset_spec, ns.seed,
                             ns.validation_fraction, ns.test_fraction, checks)


def _id_columns(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    names = tuple(name.strip() for name in text.split(",")) if text.strip() else ()
    if any(not name for name in names):
        raise ClientError(f"invalid arguments: --id-columns {text!r}: a column name is empty")
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ClientError(f"invalid arguments: --id-columns names {', '.join(duplicates)} twice")
    return names


def _run(argv: list[str]) -> str:
    options = parse_any(argv)
    if isinstance(options, ScoringOptions):
        return run_scoring(options)
    return run(options)


def main(argv: list[str] | None = None) -> int:
    line_buffered_stdout()
    return run_processing_job(lambda: _run(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
