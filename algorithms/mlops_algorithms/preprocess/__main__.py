"""CLI: ``python -m mlops_algorithms.preprocess --input-dir DIR --output-dir DIR [...]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..contract import ClientError, line_buffered_stdout, run_processing_job
from .job import PreprocessOptions, run


class _Parser(argparse.ArgumentParser):
    """argparse that raises ClientError instead of exiting, so bad args reach output/message."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ClientError(f"invalid arguments: {message}")


def parse_args(argv: list[str]) -> PreprocessOptions:
    parser = _Parser(prog="python -m mlops_algorithms.preprocess", description=__doc__)
    parser.add_argument("--input-dir", required=True, type=Path)
    parser.add_argument("--output-dir", required=True, type=Path)
    parser.add_argument("--dataset-spec", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--validation-fraction", type=float, default=0.15)
    parser.add_argument("--test-fraction", type=float, default=0.15)
    ns = parser.parse_args(argv)
    return PreprocessOptions(ns.input_dir, ns.output_dir, ns.dataset_spec, ns.seed,
                             ns.validation_fraction, ns.test_fraction)


def main(argv: list[str] | None = None) -> int:
    line_buffered_stdout()
    return run_processing_job(lambda: run(parse_args(sys.argv[1:] if argv is None else argv)))


if __name__ == "__main__":
    sys.exit(main())
