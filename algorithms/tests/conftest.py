"""Shared fixtures: the real dataset (found relative to the repo), a prepared split, job runners."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ALGORITHMS = Path(__file__).resolve().parents[1]
REPO = ALGORITHMS.parent
DATASET = REPO / "data" / "kbb-2005-gm-used-cars.csv"
PYTHON = sys.executable

if str(ALGORITHMS) not in sys.path:
    sys.path.insert(0, str(ALGORITHMS))

from mlops_algorithms.preprocess.job import PreprocessOptions, run as run_preprocess  # noqa: E402


@pytest.fixture(scope="session")
def dataset_lines() -> list[str]:
    """The real dataset's lines (header first)."""
    return DATASET.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="session")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Output directory of the pre-processing job on the real dataset (seed 42, 15 %/15 %)."""
    out = tmp_path_factory.mktemp("prepared")
    inp = tmp_path_factory.mktemp("raw")
    (inp / DATASET.name).write_bytes(DATASET.read_bytes())
    run_preprocess(PreprocessOptions(inp, out))
    return out


def make_training_base(base: Path, prepared: Path, hyperparameters: dict[str, str],
                       channels: tuple[str, ...] = ("train", "validation", "test"), hosts: int = 1) -> Path:
    """A SAGEMAKER_BASE_DIR with config files and channels copied from the prepared split."""
    config = base / "input" / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "hyperparameters.json").write_text(json.dumps(hyperparameters))
    (config / "inputdataconfig.json").write_text(json.dumps(
        {c: {"ContentType": "text/csv", "TrainingInputMode": "File"} for c in channels}))
    host_names = [f"algo-{i + 1}" for i in range(hosts)]
    (config / "resourceconfig.json").write_text(json.dumps(
        {"current_host": "algo-1", "hosts": host_names, "current_instance_type": "ml.m5.large"}))
    for c in channels:
        d = base / "input" / "data" / c
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{c}.csv").write_bytes((prepared / c / f"{c}.csv").read_bytes())
    return base


def run_module(module: str, args: list[str], base: Path, env: dict[str, str] | None = None,
               timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``python -m <module> <args>`` like the orchestrator does."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("dataset_source", "output_path")}
    full_env.update({"PYTHONPATH": str(ALGORITHMS), "SAGEMAKER_BASE_DIR": str(base)})
    full_env.update(env or {})
    return subprocess.run([PYTHON, "-m", module, *args], env=full_env, capture_output=True, text=True,
                          timeout=timeout, cwd=str(REPO))


@pytest.fixture
def in_base(monkeypatch: pytest.MonkeyPatch):
    """Point SAGEMAKER_BASE_DIR at a directory for in-process job runs."""

    def _set(base: Path) -> Path:
        monkeypatch.setenv("SAGEMAKER_BASE_DIR", str(base))
        return base

    return _set


def process_gone(pid: int, timeout: float) -> bool:
    """Whether no process has `pid` within `timeout` seconds (a zombie still counts as there until reaped)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
