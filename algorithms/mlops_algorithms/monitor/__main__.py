"""``python -m mlops_algorithms.monitor data-quality-baseline|model-quality-baseline|data-quality-monitor|model-quality-monitor|model-comparison``.

Configured by Model Monitor's environment variables; writes ``<base>/output/message``.
"""

from __future__ import annotations

import sys

from ..contract import ClientError, line_buffered_stdout, run_processing_job
from .config import env

COMMANDS = ("data-quality-baseline", "model-quality-baseline", "data-quality-monitor", "model-quality-monitor", "model-comparison")


def _job(argv: list[str]) -> str | tuple[str, str]:
    if len(argv) != 1 or argv[0] not in COMMANDS:
        raise ClientError(f"expected one command: {' | '.join(COMMANDS)}; got {argv!r}")
    if argv[0] == "data-quality-monitor":
        from .monitoring import run_data_quality

        return run_data_quality(env())
    if argv[0] == "model-quality-monitor":
        from .monitoring import run_model_quality

        return run_model_quality(env())
    if argv[0] == "model-comparison":
        from .comparison import run as compare

        return compare(env())
    if argv[0] == "data-quality-baseline":
        from .data_quality import run
    else:
        from .model_quality import run
    return run(env())


def main(argv: list[str] | None = None) -> int:
    line_buffered_stdout()
    args = sys.argv[1:] if argv is None else argv
    return run_processing_job(lambda: _job(args))


if __name__ == "__main__":
    sys.exit(main())
