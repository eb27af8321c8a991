"""Metric definitions: they match our log lines (after TAB -> #011) and are valid JS regexes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from conftest import run_module
from logs import cloudwatch
from mlops_algorithms.metric_definitions import definitions_for
from mlops_algorithms.xgboost.train import final_metric_line

ALGORITHMS = ("xgboost", "linear-learner")


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_within_sagemaker_limits(algorithm: str) -> None:
    defs = definitions_for(algorithm)
    assert 0 < len(defs) <= 40
    assert len({d["Name"] for d in defs}) == len(defs)
    for d in defs:
        assert 1 <= len(d["Name"]) <= 255 and 1 <= len(d["Regex"]) <= 500
        assert re.compile(d["Regex"]).groups == 1
        # common JS/Python subset: no lookbehind, named groups, inline flags, \A \Z, possessive quantifiers
        assert not re.search(r"\(\?<|\(\?P|\(\?[aiLmsux]|\\[AZ]|[+*?]\+", d["Regex"]), d


def test_xgboost_regexes_on_round_and_final_lines() -> None:
    defs = {d["Name"]: re.compile(d["Regex"]) for d in definitions_for("xgboost")}
    round_line = cloudwatch("[17]\ttrain-rmse:1345.21000\ttrain-mae:900.5\tvalidation-rmse:1502.87000\tvalidation-mae:1.2e+03")
    assert defs["train:rmse"].match(round_line).group(1) == "1345.21000"
    assert defs["validation:rmse"].match(round_line).group(1) == "1502.87000"
    assert defs["validation:mae"].match(round_line).group(1) == "1.2e+03"
    assert defs["test:rmse"].match(round_line) is None
    final = cloudwatch(final_metric_line(300, "test", {"rmse": 2406.4, "mae": 1654.2, "mse": 5.8e6, "r2": -0.25}))
    assert final == "[300]#011test-rmse:2406.4#011test-mae:1654.2#011test-mse:5800000.0#011test-r2:-0.25"
    assert float(defs["test:r2"].match(final).group(1)) == -0.25
    assert float(defs["test:mse"].match(final).group(1)) == 5.8e6
    assert defs["validation:rmse"].match(final) is None
    # the raw TAB form (no CloudWatch rendering) matches as well
    assert defs["test:rmse"].match(final.replace("#011", "\t")).group(1) == "2406.4"


def test_final_line_reports_metrics_faithfully() -> None:
    """A tiny RMSE is not rounded to a perfect 0.00000, an exact 0.0 stays 0.0, and an undefined r2
    (constant label) is left out instead of being reported as a number."""
    defs = {d["Name"]: re.compile(d["Regex"]) for d in definitions_for("xgboost")}
    tiny = cloudwatch(final_metric_line(10, "validation", {"rmse": 3e-06, "mae": 2e-06, "mse": 9e-12, "r2": 0.5}))
    assert float(defs["validation:rmse"].match(tiny).group(1)) == 3e-06
    perfect = cloudwatch(final_metric_line(10, "validation", {"rmse": 0.0, "mae": 0.0, "mse": 0.0, "r2": None}))
    assert perfect == "[10]#011validation-rmse:0.0#011validation-mae:0.0#011validation-mse:0.0"
    assert float(defs["validation:rmse"].match(perfect).group(1)) == 0.0
    assert defs["validation:r2"].match(perfect) is None


def test_linear_learner_regexes() -> None:
    defs = {d["Name"]: re.compile(d["Regex"]) for d in definitions_for("linear-learner")}
    epoch = "#quality_metric: host=algo-1, epoch=3, validation mse_objective <loss>=9708533.79"
    final = "#quality_metric: host=algo-1, validation rmse <loss>=3115.85"
    assert defs["validation:objective_loss"].search(epoch).group(1) == "9708533.79"
    assert defs["validation:objective_loss:final"].search(epoch) is None
    assert defs["validation:mse"].search(epoch) is None
    assert defs["validation:rmse"].search(final).group(1) == "3115.85"
    assert defs["test:rmse"].search(final) is None
    assert defs["validation:r2"].search("#quality_metric: host=algo-2, validation r2 <loss>=0.91").group(1) == "0.91"
    assert defs["train:progress"].search("#progress_metric: host=algo-1, completed 20 % of epochs").group(1) == "20"


@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")
def test_regexes_behave_the_same_in_javascript() -> None:
    samples = [
        cloudwatch("[300]\ttest-rmse:2406.45817\ttest-mae:1654.23752\ttest-mse:5791040.92224\ttest-r2:0.92743"),
        cloudwatch("[7]\ttrain-rmse:1.5e+03\ttrain-mae:900.1\tvalidation-rmse:1502.8\tvalidation-mae:1000"),
        "#quality_metric: host=algo-1, epoch=0, train mse_objective <loss>=7921347.195606599",
        "#quality_metric: host=algo-1, test absolute_loss <loss>=2137.1987546345067",
        "#progress_metric: host=algo-1, completed 100 % of epochs",
    ]
    defs = definitions_for("xgboost") + definitions_for("linear-learner")
    script = ("const [defs, lines] = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
              "console.log(JSON.stringify(defs.map(d => lines.map(l => { const m = new RegExp(d.Regex).exec(l);"
              " return m ? m[1] : null; }))));")
    proc = subprocess.run(["node", "-e", script], input=json.dumps([defs, samples]), capture_output=True,
                          text=True, timeout=30, check=True)
    js = json.loads(proc.stdout)
    py = [[(m.group(1) if (m := re.search(d["Regex"], s)) else None) for s in samples] for d in defs]
    assert js == py
    assert sum(v is not None for row in py for v in row) >= 10


def test_cli_prints_json(tmp_path) -> None:  # type: ignore[no-untyped-def]
    proc = run_module("mlops_algorithms.metric_definitions", ["xgboost"], tmp_path)
    assert proc.returncode == 0 and json.loads(proc.stdout) == definitions_for("xgboost")
    assert run_module("mlops_algorithms.metric_definitions", ["nope"], tmp_path).returncode == 2
