"""``python -m mlops_algorithms.transform`` — batch transform configured by environment variables.

Writes ``<base>/output/message`` (``Completed: …`` or the ClientError/AlgorithmError text) and
exits 0 / 2 / 1 like every processing job here.
"""

from __future__ import annotations

import os
import sys

from ..contract import ClientError, line_buffered_stdout, run_processing_job


def _job(argv: list[str]) -> str:
    if argv:
        raise ClientError(f"no arguments expected (settings come from environment variables); got {argv!r}")
    from .config import load_config
    from .job import run

    return run(load_config(os.environ))


def main(argv: list[str] | None = None) -> int:
    line_buffered_stdout()
    args = sys.argv[1:] if argv is None else argv
    return run_processing_job(lambda: _job(args))


if __name__ == "__main__":
    sys.exit(main())
