"""SageMaker-style ``MetricDefinitions`` for the training jobs' log lines.

Why here: the regexes must match exactly what our training jobs print; keeping them next to the
code lets tests check both sides.  The orchestrator applies them with JavaScript RegExp to each
log line after replacing TAB by ``#011`` (as CloudWatch does), so the patterns use only the
syntax common to JS, Python and Java regexes: ``.*``, ``\\[``, character classes, ``(?:...)``,
``\\S`` and one capture group (the value).

Usage: ``python -m mlops_algorithms.metric_definitions xgboost|linear-learner``
"""

from __future__ import annotations

import json
import sys

# Float as printed by xgboost ("%.5f") or Python repr; same pattern as the built-in image.
FLOAT = r"([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"
TAB = r"(?:#011|\t)"


def xgboost_definitions() -> list[dict[str, str]]:
    """``<channel>:<metric>`` for every line ``[n]<TAB>channel-metric:value`` our job prints."""
    defs = []
    for channel, metrics in (
        ("train", ("rmse", "mae", "mse", "r2")),
        ("validation", ("rmse", "mae", "mse", "r2")),
        ("test", ("rmse", "mae", "mse", "r2")),
    ):
        for metric in metrics:
            defs.append({
                "Name": f"{channel}:{metric}",
                "Regex": rf".*\[[0-9]+\].*{TAB}{channel}-{metric}:{FLOAT}.*",
            })
    return defs


def linear_learner_definitions() -> list[dict[str, str]]:
    """Linear Learner's registered definitions plus rmse/r2 in the same style (reference 1.6)."""
    defs = [
        {"Name": "train:objective_loss", "Regex": r"#quality_metric: host=\S+, epoch=\S+, train \S+_objective <loss>=(\S+)"},
        {"Name": "validation:objective_loss", "Regex": r"#quality_metric: host=\S+, epoch=\S+, validation \S+_objective <loss>=(\S+)"},
        {"Name": "train:objective_loss:final", "Regex": r"#quality_metric: host=\S+, train \S+_objective <loss>=(\S+)"},
        {"Name": "validation:objective_loss:final", "Regex": r"#quality_metric: host=\S+, validation \S+_objective <loss>=(\S+)"},
        {"Name": "test:objective_loss", "Regex": r"#quality_metric: host=\S+, test \S+_objective <loss>=(\S+)"},
    ]
    for channel in ("train", "validation", "test"):
        for metric in ("rmse", "mse", "absolute_loss", "r2"):
            defs.append({"Name": f"{channel}:{metric}", "Regex": rf"#quality_metric: host=\S+, {channel} {metric} <loss>=(\S+)"})
    defs.append({"Name": "train:progress", "Regex": r"#progress_metric: host=\S+, completed (\S+) %"})
    return defs


DEFINITIONS = {"xgboost": xgboost_definitions, "linear-learner": linear_learner_definitions}
ALIASES = {"linear_learner": "linear-learner", "linear": "linear-learner"}


def definitions_for(algorithm: str) -> list[dict[str, str]]:
    """Metric definitions of ``algorithm`` (``xgboost`` or ``linear-learner``)."""
    key = ALIASES.get(algorithm, algorithm)
    if key not in DEFINITIONS:
        raise KeyError(f"unknown algorithm {algorithm!r}; expected one of {', '.join(DEFINITIONS)}")
    return DEFINITIONS[key]()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(f"usage: python -m mlops_algorithms.metric_definitions {{{'|'.join(DEFINITIONS)}}}", file=sys.stderr)
        return 2
    try:
        print(json.dumps(definitions_for(argv[0]), indent=2))
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
