"""The batch transform job: every input object -> ``<output_dir>/<relative path>.out``.

Each object is read in chunks (``chunk_rows`` lines, at most ``max_payload_mb`` bytes), scored
and written to a hidden temp file beside the target, renamed only when the whole object
succeeded (SageMaker writes an object only if all its records succeeded).  With ``capture_dir``
the model input (after InputFilter) and the prediction of every record also go to
``<capture_dir>/<relative path>.captured.csv`` the same way.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import threading
import time
from pathlib import Path
from typing import BinaryIO, Iterator

from .. import fastcsv
from ..contract import AlgorithmError, ClientError, data_files
from ..predict import (LINEAR_MODEL_FILE, MODEL_ARCHIVE, XGBOOST_MODEL_FILE, Predictor, _extract_archive,
                       load_predictor)
from .config import TransformConfig
from .records import Scorer, capture_header


def _temp(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial")


def _capture_names(cfg: TransformConfig, n_features: int) -> list[str]:
    if cfg.feature_schema is None:
        return [f"f{i}" for i in range(n_features)]
    from ..features import feature_names, load_schema

    names = feature_names(load_schema(cfg.feature_schema))
    if len(names) != n_features:
        raise ClientError(f"feature schema {cfg.feature_schema.name} has {len(names)} features but the model expects "
                          f"{n_features}")
    return names


@contextlib.contextmanager
def _atomic(path: Path | None) -> Iterator[BinaryIO | None]:
    """A temp file renamed to ``path`` on success and removed on any failure."""
    if path is None:
        yield None
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp(path)
    try:
        with open(tmp, "wb") as handle:
            yield handle
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


def _skip_bom(f: BinaryIO) -> None:
    if f.read(3) != b"\xef\xbb\xbf":
        f.seek(0)


def transform_file(scorer: Scorer, cfg: TransformConfig, path: Path, rel: str,
                   capture_names: list[str] | None) -> int:
    """Score one input object; returns its record count."""
    out_path = cfg.output_dir / f"{rel}.out"
    capture_path = cfg.capture_dir / f"{rel}.captured.csv" if cfg.capture_dir is not None else None
    records = 0
    with _atomic(out_path) as out, _atomic(capture_path) as cap:
        if cap is not None:
            cap.write(capture_header(capture_names or []))
        with open(path, "rb") as f:
            _skip_bom(f)
            try:
                chunks = fastcsv.iter_chunks(f, 1, cfg.chunk_rows, cfg.chunk_bytes, limit_record=cfg.max_payload_mb > 0)
                for chunk in chunks:
                    try:
                        result = scorer.process(chunk, rel)
                    except ClientError:
                        raise
                    except Exception as exc:  # noqa: BLE001 - name the object and the lines
                        last = chunk.first_line + chunk.lines - 1
                        raise AlgorithmError(f"{rel}: lines {chunk.first_line}-{last}: "
                                             f"{exc.__class__.__name__}: {exc}") from exc
                    assert out is not None
                    out.write(result.output)
                    if cap is not None:
                        cap.write(result.capture)
                    records += result.records
            except fastcsv.RecordTooLarge as exc:
                raise ClientError(f"{rel}: {exc} (max_payload_mb={cfg.max_payload_mb})") from None
    return records


def _load_model(model_dir: Path, nthread: int) -> Predictor:
    """``load_predictor``; a ``model.tar.gz`` is unpacked to a temp dir that is removed once loaded
    (the predictors keep what they need in memory)."""
    d = Path(model_dir)
    if (d / MODEL_ARCHIVE).is_file() and not (d / XGBOOST_MODEL_FILE).is_file() and not (d / LINEAR_MODEL_FILE).is_file():
        unpacked = _extract_archive(d / MODEL_ARCHIVE)
        try:
            return load_predictor(unpacked, nthread=nthread)
        finally:
            shutil.rmtree(unpacked, ignore_errors=True)
    return load_predictor(d, nthread=nthread)


def _remote_model(cfg: TransformConfig) -> tuple[Predictor | None, Path | None]:
    """A bring-your-own model is served by its own container (``remote.py``), its model unpacked first."""
    from .remote import remote_from_env

    if not os.environ.get("serve_command", "").strip():
        return None, None
    d = Path(cfg.model_dir)
    unpacked = _extract_archive(d / MODEL_ARCHIVE) if (d / MODEL_ARCHIVE).is_file() else None
    try:
        return remote_from_env(os.environ, unpacked or d, cfg.feature_schema), unpacked
    except BaseException:
        if unpacked is not None:
            shutil.rmtree(unpacked, ignore_errors=True)
        raise


def _raise_stop(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def _stops_unwind() -> Iterator[None]:
    """SIGTERM (the job stopped: sent to its process group, or forwarded by the fork server's
    launcher) unwinds the job as an exception does, so its ``finally`` stops a bring-your-own
    serving container and removes the unpacked model. The default action would end the process at
    once and leave the container running, outside the job's process group when the job is a fork of
    the warm server."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(cfg: TransformConfig) -> str:
    """Execute the job; returns the ``Completed:`` detail."""
    with _stops_unwind():
        return _run(cfg)


def _run(cfg: TransformConfig) -> str:
    started = time.perf_counter()
    if not cfg.input_dir.is_dir():
        raise ClientError(f"input directory {cfg.input_dir} does not exist")
    files = data_files(cfg.input_dir)
    if not files:
        raise ClientError(f"no input objects in {cfg.input_dir}")
    remote, unpacked = _remote_model(cfg)
    predictor = remote if remote is not None else _load_model(cfg.model_dir, cfg.nthread)
    try:
        capture_names = _capture_names(cfg, int(predictor.n_features)) if cfg.capture_dir is not None else None
        scorer = Scorer(cfg, predictor, capture=cfg.capture_dir is not None)
        total = 0
        for path in files:
            rel = path.relative_to(cfg.input_dir).as_posix()
            t0 = time.perf_counter()
            n = transform_file(scorer, cfg, path, rel, capture_names)
            total += n
            print(f"{rel}: {n} records -> {rel}.out in {time.perf_counter() - t0:.2f} s", flush=True)
        if remote is not None:
            remote.wait_until_ready()  # a container that never came up fails the job, records or not
    finally:
        if remote is not None:
            remote.close()
        if unpacked is not None:
            shutil.rmtree(unpacked, ignore_errors=True)
    seconds = time.perf_counter() - started
    rate = f", {total / seconds:.0f} records/s" if seconds > 0 and total else ""
    return (f"Transformed {total} records of {len(files)} object(s) in {seconds:.2f} s{rate} "
            f"({scorer.fast_chunks} vectorised and {scorer.slow_chunks} per-record chunks).")
