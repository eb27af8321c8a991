"""SageMaker container contract shared by every entry point.

Why a module of its own: the orchestrator (TypeScript) only sees files, exit codes and log lines,
so the layout of ``SAGEMAKER_BASE_DIR`` (default ``/opt/ml``), the failure file and the
``ClientError:`` / ``AlgorithmError:`` convention must be identical for every job.  Standard
library only, so importing it costs nothing.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

DEFAULT_BASE_DIR = "/opt/ml"
# Test only: a training job waits until the file this names exists before it starts its work, so a
# test can kill or restart the orchestrator while a job is certainly mid-run (the local job runner
# passes it through from the worker's environment). Never set in production.
TEST_HOLD_ENV = "MLOPS_TEST_HOLD_TRAINING_UNTIL"
MAX_REASON_CHARS = 1024  # SageMaker keeps the first 1024 chars of the failure file as FailureReason
EXIT_CLIENT_ERROR = 2
EXIT_ALGORITHM_ERROR = 1


class ClientError(Exception):
    """Failure caused by the user's data or hyperparameters; the orchestrator must not retry it."""


class AlgorithmError(Exception):
    """Failure not attributable to the user's input (bug, resource problem); may be retried."""


def base_dir() -> Path:
    """The container root, relocatable like the SageMaker training toolkit does."""
    return Path(os.environ.get("SAGEMAKER_BASE_DIR", DEFAULT_BASE_DIR))


@dataclass(frozen=True)
class TrainingPaths:
    """Paths of the training-container layout below one base directory."""

    base: Path

    @property
    def config_dir(self) -> Path:
        return self.base / "input" / "config"

    @property
    def data_dir(self) -> Path:
        return self.base / "input" / "data"

    @property
    def model_dir(self) -> Path:
        return self.base / "model"

    @property
    def output_dir(self) -> Path:
        return self.base / "output"

    @property
    def failure_file(self) -> Path:
        return self.output_dir / "failure"

    @property
    def message_file(self) -> Path:
        return self.output_dir / "message"

    def channel_dir(self, channel: str) -> Path:
        return self.data_dir / channel


@dataclass(frozen=True)
class ResourceConfig:
    """Cluster topology; locally the host count becomes the thread count."""

    current_host: str = "algo-1"
    hosts: list[str] = field(default_factory=lambda: ["algo-1"])
    current_instance_type: str = "local"

    @property
    def threads(self) -> int:
        return max(1, len(self.hosts))


def read_json_file(path: Path, default: object, what: str) -> object:
    """Read a config JSON file; a missing file yields ``default``, a malformed one is a ClientError."""
    if not path.exists():
        return default
    try:
        return json.loads(path.read_text(encoding="utf-8") or "null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ClientError(f"{what} ({path.name}) is not valid JSON: {exc}") from None


def read_hyperparameters(paths: TrainingPaths) -> dict[str, str]:
    """``hyperparameters.json``: SageMaker passes every value as a JSON string, so we insist on it."""
    raw = read_json_file(paths.config_dir / "hyperparameters.json", {}, "hyperparameters")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ClientError("hyperparameters.json must hold a JSON object of string values")
    for key, value in raw.items():
        if not isinstance(value, str):
            raise ClientError(
                f"Hyperparameter {key}: value {json.dumps(value)} must be a JSON string "
                "(SageMaker passes all hyperparameters as strings)"
            )
    return dict(raw)


def read_input_data_config(paths: TrainingPaths) -> dict[str, dict]:
    """``inputdataconfig.json``: per-channel settings (content type, input mode)."""
    raw = read_json_file(paths.config_dir / "inputdataconfig.json", {}, "input data config")
    if not isinstance(raw, dict):
        raise ClientError("inputdataconfig.json must hold a JSON object keyed by channel name")
    return {str(k): (v if isinstance(v, dict) else {}) for k, v in raw.items()}


def read_resource_config(paths: TrainingPaths) -> ResourceConfig:
    """``resourceconfig.json``; absent locally means a single host ``algo-1``."""
    raw = read_json_file(paths.config_dir / "resourceconfig.json", {}, "resource config")
    if not isinstance(raw, dict):
        raise ClientError("resourceconfig.json must hold a JSON object")
    hosts = raw.get("hosts") or ["algo-1"]
    if not isinstance(hosts, list) or not all(isinstance(h, str) for h in hosts):
        raise ClientError("resourceconfig.json: 'hosts' must be a list of host names")
    return ResourceConfig(
        current_host=str(raw.get("current_host") or hosts[0]),
        hosts=list(hosts),
        current_instance_type=str(raw.get("current_instance_type") or "local"),
    )


def data_files(directory: Path) -> list[Path]:
    """All regular files below ``directory``, sorted, skipping dotfiles (as S3 prefixes are copied)."""
    if not directory.is_dir():
        return []
    files = []
    for path in sorted(directory.rglob("*")):
        rel = path.relative_to(directory)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_file():
            files.append(path)
    return files


def format_reason(exc: BaseException) -> str:
    """The one-line ``ClientError: ...`` / ``AlgorithmError: ...`` text for an exception."""
    kind = "ClientError" if isinstance(exc, ClientError) else "AlgorithmError"
    message = str(exc).strip() or exc.__class__.__name__
    if not isinstance(exc, (ClientError, AlgorithmError)):
        message = f"{exc.__class__.__name__}: {message}"
    text = f"{kind}: {' '.join(message.splitlines())}"
    return text[:MAX_REASON_CHARS]


def _write_text(path: Path, text: str) -> None:
    """Best effort: failing to write the status file must not hide the original outcome."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        print(f"warning: could not write {path}: {exc}", file=sys.stderr)


def _exit_code(exc: BaseException) -> int:
    return EXIT_CLIENT_ERROR if isinstance(exc, ClientError) else EXIT_ALGORITHM_ERROR


def run_training_job(job: Callable[[TrainingPaths], None], argv: list[str]) -> int:
    """Run a training job the way SageMaker does (``<image> train``) and map errors to the contract.

    Returns the process exit code; on failure ``<base>/output/failure`` holds the reason and the
    stack trace goes to stderr only.
    """
    paths = TrainingPaths(base_dir())
    try:
        if len(argv) < 1 or argv[0] != "train":
            raise ClientError(f"expected the argument 'train' (as in 'docker run <image> train'), got {argv!r}")
        _wait_for_test_hold()
        job(paths)
    except Exception as exc:  # noqa: BLE001 - every failure must become a failure file
        return _fail(exc, paths.failure_file)
    finally:
        sys.stdout.flush()
    return 0


def _wait_for_test_hold(poll_seconds: float = 0.05) -> None:
    """Wait while the file named by MLOPS_TEST_HOLD_TRAINING_UNTIL is missing (tests only)."""
    gate = os.environ.get(TEST_HOLD_ENV)
    if not gate:
        return
    print(f"waiting for {gate} to exist ({TEST_HOLD_ENV}, set by a test)", flush=True)
    while not os.path.exists(gate):
        time.sleep(poll_seconds)


def run_processing_job(job: Callable[[], "str | tuple[str, str]"]) -> int:
    """Run a processing job: ``job`` returns the success detail written as ``Completed: <detail>``,
    or a ``(status, detail)`` pair such as ``("CompletedWithViolations", "...")`` (still exit 0)."""
    message_file = TrainingPaths(base_dir()).message_file
    try:
        result = job()
    except Exception as exc:  # noqa: BLE001
        return _fail(exc, message_file)
    finally:
        sys.stdout.flush()
    status, detail = result if isinstance(result, tuple) else ("Completed", result)
    _write_text(message_file, f"{status}: {detail}")
    print(f"{status}: {detail}")
    return 0


def _fail(exc: BaseException, target: Path) -> int:
    reason = format_reason(exc)
    if not isinstance(exc, ClientError):
        traceback.print_exc(file=sys.stderr)
    print(reason, file=sys.stderr)
    _write_text(target, reason)
    return _exit_code(exc)


def line_buffered_stdout() -> None:
    """Stream log lines to the orchestrator as they happen (metrics are scraped from them)."""
    try:
        sys.stdout.reconfigure(line_buffering=True)  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        pass
