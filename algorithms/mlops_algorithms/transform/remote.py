"""Batch transform with a bring-your-own algorithm: its own serving container answers the chunks.

Why: SageMaker runs a transform job with the model's serving container and posts the records to
``/invocations``; a bring-your-own model can only be scored that way (its code is not ours to
import). Locally the serving entry point runs as a child process (``serve`` appended to its
command, ``SAGEMAKER_BIND_TO_PORT`` a free port, ``SAGEMAKER_MODEL_DIR`` the unpacked model), the
job waits for ``/ping``, and each chunk (after the InputFilter) goes as one ``text/csv`` request,
missing values as empty fields; the answer has one prediction per line.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from .. import fastcsv
from ..contract import AlgorithmError, ClientError

READY_TIMEOUT_SECONDS = 240


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RemotePredictor:
    """A model behind its own serving process; ``predict`` posts the matrix as CSV."""

    family = "byo"

    def __init__(self, command: list[str], cwd: Path, model_dir: Path, n_features: int, allow_missing: bool) -> None:
        self.n_features = n_features
        self.allow_missing = allow_missing
        self.port = _free_port()
        env = {**os.environ, "SAGEMAKER_BIND_TO_PORT": str(self.port), "SAGEMAKER_BIND_TO_HOST": "127.0.0.1",
               "SAGEMAKER_MODEL_DIR": str(model_dir), "SM_MODEL_DIR": str(model_dir)}
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen([*command, "serve"], cwd=cwd, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        # The container boots while the job reads its first input; the first request waits for /ping.
        self.ready = False
        self.deadline = time.monotonic() + READY_TIMEOUT_SECONDS

    def wait_until_ready(self) -> None:
        """Until the container answers /ping 200 (once); its early exit or a timeout fails the job."""
        if self.ready:
            return
        while True:
            if self.process.poll() is not None:
                raise AlgorithmError(f"the serving container exited with code {self.process.returncode} before /ping: {self._tail()}")
            try:
                status, _ = self._request("GET", "/ping", None)
                if status == 200:
                    self.ready = True
                    return
            except OSError:
                pass
            if time.monotonic() > self.deadline:
                raise AlgorithmError(f"the serving container did not pass /ping within {READY_TIMEOUT_SECONDS} s")
            time.sleep(0.02)

    def _tail(self) -> str:
        self.log.seek(0)
        return " | ".join(self.log.read().decode("utf-8", "replace").strip().splitlines()[-3:])

    def _request(self, method: str, path: str, body: bytes | None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        try:
            conn.request(method, path, body=body, headers={"content-type": "text/csv", "accept": "text/csv"} if body is not None else {})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def predict(self, matrix: np.ndarray) -> np.ndarray:
        m = np.asarray(matrix, dtype=np.float64).reshape(-1, self.n_features)
        if m.shape[0] == 0:
            return np.empty(0, dtype=np.float32)
        self.wait_until_ready()
        # Each cell as repr(float) (numpy's shortest text is the same), NaN as an empty field; built with numpy.
        texts = fastcsv.float_texts(m)
        texts[np.isnan(m)] = b""
        payload = fastcsv.assemble([fastcsv.fixed_piece(texts[:, j]) for j in range(self.n_features)], m.shape[0])
        status, body = self._request("POST", "/invocations", bytes(payload))
        text = body.decode("utf-8", "replace")
        if status >= 500:
            raise AlgorithmError(f"the serving container answered {status}: {text[:300]}")
        if status >= 400:
            raise ClientError(f"the serving container refused the records ({status}): {text[:300]}")
        values = [line.split(",")[0] for line in text.splitlines() if line.strip()]
        if len(values) != m.shape[0]:
            raise AlgorithmError(f"the serving container answered {len(values)} predictions for {m.shape[0]} records")
        return np.asarray([float(v) for v in values], dtype=np.float32)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


def remote_from_env(env: dict[str, str] | os._Environ, model_dir: Path, schema_path: Path | None) -> RemotePredictor | None:
    """The predictor of a bring-your-own model (``serve_command`` set), or None for a built-in one."""
    text = env.get("serve_command", "").strip()
    if not text:
        return None
    try:
        command = json.loads(text)
    except ValueError:
        raise ClientError("serve_command must be a JSON list of strings") from None
    if not isinstance(command, list) or not command or not all(isinstance(c, str) for c in command):
        raise ClientError("serve_command must be a JSON list of strings")
    if schema_path is None:
        raise ClientError("a bring-your-own transform needs the feature schema (feature_schema)")
    from ..features import load_schema

    n_features = len(load_schema(schema_path)["features"])
    cwd = Path(env.get("serve_dir", ".") or ".")
    return RemotePredictor(command, cwd, model_dir, n_features, env.get("accepts_missing", "false") == "true")
