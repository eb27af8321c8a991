"""model-comparison: challenger vs champion on the same rows, paired bootstrap, refusal of unaligned outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mlops_algorithms.contract import ClientError
from mlops_algorithms.metrics import regression_metrics
from mlops_algorithms.monitor.comparison import paired_bootstrap_rmse, run


def _write(dir_: Path, name: str, y: np.ndarray, p: np.ndarray, json_scores: bool = False) -> None:
    dir_.mkdir(parents=True, exist_ok=True)
    lines = [f'{a!r},"{{""score"": {b!r}}}"' if json_scores else f"{a!r},{b!r}" for a, b in zip(y.tolist(), p.tolist())]
    (dir_ / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _models(n: int, ours_noise: float, theirs_noise: float, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.round(rng.normal(20000, 8000, n), 1)
    return y, y + rng.normal(0, ours_noise, n), y + rng.normal(0, theirs_noise, n)


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    return {"challenger_validation": str(tmp / "ch/validation"), "champion_validation": str(tmp / "cp/validation"),
            "challenger_test": str(tmp / "ch/test"), "champion_test": str(tmp / "cp/test"),
            "output_path": str(tmp / "out"), "bootstrap_seed": "7", **extra}


def test_metrics_of_both_models_on_each_split_and_a_significant_improvement(tmp_path: Path) -> None:
    y, ours, theirs = _models(400, 2000, 2600)
    _write(tmp_path / "ch/validation", "validation.csv.out", y, ours)
    _write(tmp_path / "cp/validation", "validation.csv.out", y, theirs, json_scores=True)  # Linear Learner answers JSON
    yt, ot, tt = _models(300, 2000, 2600, seed=2)
    _write(tmp_path / "ch/test", "test.csv.out", yt, ot)
    _write(tmp_path / "cp/test", "test.csv.out", yt, tt)

    message = run(_env(tmp_path))

    doc = json.loads((tmp_path / "out/comparison.json").read_text())
    assert doc["rows"] == {"validation": 400, "test": 300}
    assert doc["challenger"]["validation"] == pytest.approx(regression_metrics(y, ours))
    assert doc["champion"]["validation"] == pytest.approx(regression_metrics(y, theirs))
    assert doc["champion"]["test"] == pytest.approx(regression_metrics(yt, tt))
    diff = doc["difference"]["value"]
    assert diff == pytest.approx(regression_metrics(y, ours)["rmse"] - regression_metrics(y, theirs)["rmse"])
    boot = doc["bootstrap"]
    assert boot["iterations"] == 1000 and boot["seed"] == 7 and boot["confidence"] == 0.95
    assert boot["difference_low"] < diff < boot["difference_high"] < 0, "clearly better: the whole interval is below 0"
    assert boot["probability_challenger_better"] > 0.99
    assert "400 validation rows" in message
    run(_env(tmp_path))
    assert json.loads((tmp_path / "out/comparison.json").read_text()) == doc, "seeded: the same interval every time"


def test_a_tiny_difference_is_not_significant() -> None:
    y, ours, theirs = _models(200, 2500, 2500, seed=3)
    boot = paired_bootstrap_rmse(y, ours, theirs, 2000, 0, 0.95)
    assert boot["difference_low"] < 0 < boot["difference_high"]


def test_outputs_that_are_not_the_same_rows_are_refused(tmp_path: Path) -> None:
    y, ours, theirs = _models(50, 2000, 2600)
    _write(tmp_path / "ch/validation", "validation.csv.out", y, ours)
    _write(tmp_path / "cp/validation", "validation.csv.out", y[::-1].copy(), theirs)
    with pytest.raises(ClientError, match=r"validation: validation.csv.out, line 1: the label is .* not the same rows"):
        run(_env(tmp_path, challenger_test="", champion_test=""))
    _write(tmp_path / "cp/validation", "validation.csv.out", y[:49], theirs[:49])
    with pytest.raises(ClientError, match="50 rows scored by the challenger but 49 by the champion"):
        run(_env(tmp_path, challenger_test="", champion_test=""))


def test_the_job_runs_as_a_processing_job_and_writes_its_message(tmp_path: Path) -> None:
    y, ours, theirs = _models(30, 2000, 2600)
    _write(tmp_path / "ch/validation", "v.out", y, ours)
    _write(tmp_path / "cp/validation", "v.out", y, theirs)
    env = {**_env(tmp_path, challenger_test="", champion_test=""), "SAGEMAKER_BASE_DIR": str(tmp_path / "base"), "PYTHONPATH": str(Path(__file__).parents[1])}
    done = subprocess.run([sys.executable, "-m", "mlops_algorithms.monitor", "model-comparison"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "base/output/message").read_text().startswith("Completed: Job completed successfully: 30 validation rows")
