"""``python -m mlops_algorithms.serve serve`` (as SageMaker runs ``docker run <image> serve``).

One process per endpoint instance, one thread of compute: the thread-count variables are pinned
before numpy/xgboost are imported (OpenBLAS would otherwise start a spinning thread per core).
"""

from __future__ import annotations

import os
import sys

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

from ..contract import line_buffered_stdout  # noqa: E402
from .server import serve  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    line_buffered_stdout()
    return serve(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
