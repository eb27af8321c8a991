"""``python -m mlops_algorithms.linear_learner train`` (as SageMaker runs ``docker run <image> train``)."""

from __future__ import annotations

import os
import sys

from ..contract import TrainingPaths, base_dir, line_buffered_stdout, read_resource_config, run_training_job


def _limit_threads(paths: TrainingPaths) -> None:
    """Host count -> BLAS/OpenMP threads; must happen before numpy is imported to take effect."""
    try:
        threads = str(read_resource_config(paths).threads)
    except Exception:  # noqa: BLE001 - a bad resourceconfig is reported by the job itself
        return
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, threads)


def main(argv: list[str] | None = None) -> int:
    line_buffered_stdout()
    _limit_threads(TrainingPaths(base_dir()))

    def job(paths):  # type: ignore[no-untyped-def]
        from .train import train

        train(paths)

    return run_training_job(job, sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
