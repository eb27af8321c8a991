"""Helpers to scrape training logs the way the orchestrator does (TAB -> #011, JS-compatible regexes)."""

from __future__ import annotations

import re

from mlops_algorithms.metric_definitions import definitions_for


def cloudwatch(line: str) -> str:
    """CloudWatch renders TAB as #011; the orchestrator does the same before matching."""
    return line.replace("\t", "#011")


def final_metrics(log: str, algorithm: str) -> dict[str, float]:
    """Last match per metric definition (SageMaker's FinalMetricDataList)."""
    found: dict[str, float] = {}
    defs = [(d["Name"], re.compile(d["Regex"])) for d in definitions_for(algorithm)]
    for line in log.splitlines():
        line = cloudwatch(line)
        for name, rx in defs:
            m = rx.search(line)
            if m:
                found[name] = float(m.group(1))
    return found


def all_matches(log: str, algorithm: str, name: str) -> list[float]:
    rx = re.compile(next(d["Regex"] for d in definitions_for(algorithm) if d["Name"] == name))
    return [float(m.group(1)) for line in log.splitlines() if (m := rx.search(cloudwatch(line)))]
