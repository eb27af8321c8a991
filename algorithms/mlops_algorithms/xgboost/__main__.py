"""``python -m mlops_algorithms.xgboost train`` (as SageMaker runs ``docker run <image> train``)."""

from __future__ import annotations

import sys

from ..contract import line_buffered_stdout, run_training_job


def main(argv: list[str] | None = None) -> int:
    line_buffered_stdout()

    def job(paths):  # type: ignore[no-untyped-def]
        from .train import train

        train(paths)

    return run_training_job(job, sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
