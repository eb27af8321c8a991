"""A bring-your-own algorithm: scikit-learn's HistGradientBoostingRegressor in a SageMaker container.

Nothing here is part of the framework: it is what a team writes to bring its own algorithm, and
it follows only SageMaker's container contracts (docs: "Use your own training algorithms" and "Use
your own inference code with hosting services"), so the same file runs as the aws backend's
container image (Dockerfile beside it) and as a process of the local backend:

* ``main.py train``: hyperparameters from ``/opt/ml/input/config/hyperparameters.json`` (every
  value a string), channels ``train`` and ``validation`` (optional ``test``) as CSV files under
  ``/opt/ml/input/data/<channel>/``, label first, no header, an empty field is a missing value;
  the model goes to ``/opt/ml/model/``; a failure to ``/opt/ml/output/failure`` and a non-zero
  exit. The final metrics are printed as ``<channel>:<metric>=<value>`` lines, which the project's
  metric definitions (the framework's defaults for bring-your-own) read from the log.
* ``main.py serve``: HTTP on ``SAGEMAKER_BIND_TO_PORT`` (default 8080): ``GET /ping`` answers 200
  once the model is loaded, ``POST /invocations`` takes ``text/csv`` rows of features (no label)
  and answers one prediction per line.

``SAGEMAKER_BASE_DIR`` relocates ``/opt/ml`` (the local backend runs the job in its own directory,
as the SageMaker training toolkit allows); ``SAGEMAKER_MODEL_DIR`` names the model directory.
"""

from __future__ import annotations

import asyncio
import io
import json
import math
import os
import pickle
import re
import signal
import sys
import time
import traceback
from itertools import repeat
from pathlib import Path

import numpy as np

BASE = Path(os.environ.get("SAGEMAKER_BASE_DIR", "/opt/ml"))
MODEL_FILE = "hist-gradient-boosting.pkl"

# SageMaker passes strings: each known hyperparameter with its type and default (scikit-learn's).
HYPERPARAMETERS = {
    "learning_rate": (float, 0.1),
    "max_iter": (int, 100),
    "max_leaf_nodes": (int, 31),
    "max_depth": (int, None),
    "min_samples_leaf": (int, 20),
    "l2_regularization": (float, 0.0),
    "max_bins": (int, 255),
    "early_stopping": (str, "auto"),
    "random_state": (int, 42),
}


class UserError(Exception):
    """A problem with the data or the hyperparameters: the job fails without a retry."""


def read_hyperparameters() -> dict[str, object]:
    path = BASE / "input" / "config" / "hyperparameters.json"
    raw = json.loads(path.read_text()) if path.exists() else {}
    out: dict[str, object] = {}
    for name, text in raw.items():
        if name not in HYPERPARAMETERS:
            raise UserError(f"unknown hyperparameter '{name}' (known: {', '.join(HYPERPARAMETERS)})")
        kind, _ = HYPERPARAMETERS[name]
        try:
            out[name] = None if text in ("", "None", "none") else kind(text)
        except ValueError:
            raise UserError(f"hyperparameter {name}: '{text}' is not a {kind.__name__}") from None
    params = {name: default for name, (_, default) in HYPERPARAMETERS.items()}
    params.update(out)
    if params["early_stopping"] in ("true", "false"):
        params["early_stopping"] = params["early_stopping"] == "true"
    return params


def read_channel(name: str) -> tuple[np.ndarray, np.ndarray] | None:
    directory = BASE / "input" / "data" / name
    files = sorted(p for p in directory.rglob("*") if p.is_file() and not p.name.startswith(".")) if directory.is_dir() else []
    if not files:
        return None
    text = "".join(p.read_text() for p in files)
    data = parse_plain(text)
    if data is None:
        data = np.genfromtxt(io.StringIO(text), delimiter=",", dtype=np.float64, missing_values="", filling_values=np.nan)
        data = data.reshape(-1, data.shape[-1]) if data.ndim else data.reshape(1, -1)
    if data.shape[0] == 0 or data.shape[1] < 2:
        raise UserError(f"channel '{name}': expected rows of label,features")
    if np.isnan(data[:, 0]).any():
        raise UserError(f"channel '{name}': a row has no label")
    return data[:, 1:], data[:, 0]


PLAIN_TEXT = re.compile(r"[0-9+\-.eE,\n]*")


def parse_plain(text: str) -> np.ndarray | None:
    """Rows of numbers with the same number of fields on every line (an empty field is NaN), parsed
    by ``float`` in C; None for anything else (genfromtxt then reads it)."""
    lines = text[:-1].split("\n") if text.endswith("\n") else text.split("\n")
    if not lines or not all(lines):
        return None
    width = lines[0].count(",") + 1
    if set(map(str.count, lines, repeat(",", len(lines)))) != {width - 1}:
        return None
    pandas = sys.modules.get("pandas")
    if pandas is not None and len(text) > 1 << 16 and PLAIN_TEXT.fullmatch(text):
        # A large file of plain numbers, and pandas already imported (a process forked from a
        # warm interpreter): its C parser reads them as float() does, ~10x faster.
        try:
            return pandas.read_csv(io.StringIO(text), header=None, dtype=np.float64, keep_default_na=False, na_values=[""]).to_numpy()
        except (ValueError, pandas.errors.ParserError):
            return None
    fields = ",".join(lines).split(",")
    try:
        values = np.array(list(map(float, fields)) if "" not in fields else [float(f) if f else math.nan for f in fields], dtype=np.float64)
    except ValueError:
        return None
    return values.reshape(len(lines), width)


def metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    err = p - y
    out = {"rmse": float(math.sqrt(np.mean(err * err))), "mae": float(np.mean(np.abs(err))), "mse": float(np.mean(err * err))}
    variance = float(np.var(y))
    if variance > 0:
        out["r2"] = 1.0 - out["mse"] / variance
    return out


def train() -> None:
    from sklearn.ensemble import HistGradientBoostingRegressor

    started = time.perf_counter()
    params = read_hyperparameters()
    train_data = read_channel("train")
    if train_data is None:
        raise UserError("the 'train' channel is required")
    model = HistGradientBoostingRegressor(**params)  # type: ignore[arg-type]
    model.fit(*train_data)
    model_dir = Path(os.environ.get("SM_MODEL_DIR", str(BASE / "model")))
    model_dir.mkdir(parents=True, exist_ok=True)
    with open(model_dir / MODEL_FILE, "wb") as handle:
        pickle.dump({"model": model, "n_features": train_data[0].shape[1]}, handle)
    for channel in ("train", "validation", "test"):
        data = train_data if channel == "train" else read_channel(channel)
        if data is None:
            continue
        for name, value in metrics(data[1], model.predict(data[0])).items():
            print(f"{channel}:{name}={value!r}", flush=True)
    print(f"trained {model.n_iter_} iterations on {train_data[0].shape[0]} rows in {time.perf_counter() - started:.2f} s", flush=True)


def load_model() -> tuple[object, int]:
    model_dir = Path(os.environ.get("SAGEMAKER_MODEL_DIR") or os.environ.get("SM_MODEL_DIR") or str(BASE / "model"))
    with open(model_dir / MODEL_FILE, "rb") as handle:
        saved = pickle.load(handle)  # noqa: S301 - the model this algorithm wrote itself
    return saved["model"], int(saved["n_features"])


def parse_csv(body: bytes, n_features: int) -> np.ndarray:
    text = body.decode("utf-8")
    plain = parse_plain(text)
    if plain is not None and plain.shape[1] == n_features:
        return plain
    rows = [line for line in text.splitlines() if line.strip()]
    matrix = np.full((len(rows), n_features), np.nan)
    for i, line in enumerate(rows):
        cells = line.split(",")
        if len(cells) != n_features:
            raise UserError(f"record {i}: {len(cells)} features, the model takes {n_features}")
        for j, cell in enumerate(cells):
            cell = cell.strip()
            if cell:
                matrix[i, j] = float(cell)
    return matrix


def make_app(model: object, n_features: int):  # type: ignore[no-untyped-def]
    """A small ASGI app: the serving contract's two routes."""

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        status, content, kind = 404, b"not found", b"text/plain"
        if scope["path"] == "/ping":
            status, content = 200, b""
        elif scope["path"] == "/invocations" and scope["method"] == "POST":
            try:
                predictions = model.predict(parse_csv(body, n_features))  # type: ignore[attr-defined]
                status, content, kind = 200, "".join(f"{float(v)!r}\n" for v in predictions).encode(), b"text/csv"
            except (UserError, ValueError) as exc:
                status, content = 400, str(exc).encode()
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", kind), (b"content-length", b"%d" % len(content))]})
        await send({"type": "http.response.body", "body": content})

    return app


def serve() -> None:
    import uvicorn

    model, n_features = load_model()
    port = int(os.environ.get("SAGEMAKER_BIND_TO_PORT", "8080"))
    host = os.environ.get("SAGEMAKER_BIND_TO_HOST", "0.0.0.0")
    config = uvicorn.Config(make_app(model, n_features), host=host, port=port, log_level="warning", access_log=False, lifespan="off")

    class Server(uvicorn.Server):
        """SIGTERM with no request in flight stops the container at once: whoever stops it (a batch
        transform done with it, a host that drained it) waits for nothing. uvicorn's graceful
        shutdown would still take ~0.2 s (its 0.1 s tick, then closing and loop teardown). With a
        request in flight the shutdown stays graceful: the request is answered first."""

        def handle_exit(self, sig: int, frame: object) -> None:
            if not self.server_state.tasks:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(0)
            super().handle_exit(sig, frame)  # type: ignore[arg-type]

    # uvicorn re-raises the signal once its graceful shutdown is done: caught here, the process then
    # ends with 0 (stopped as asked), not killed by SIGTERM.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: None)
    asyncio.run(Server(config).serve())


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command not in ("train", "serve"):
        print(f"usage: main.py train|serve (got {command!r})", file=sys.stderr)
        return 2
    if command == "serve":
        serve()
        return 0
    try:
        train()
        return 0
    except Exception as exc:  # noqa: BLE001 - every failure becomes the failure file
        reason = f"{'ClientError' if isinstance(exc, UserError) else 'AlgorithmError'}: {exc}"
        if not isinstance(exc, UserError):
            traceback.print_exc()
        print(reason, file=sys.stderr)
        failure = BASE / "output" / "failure"
        failure.parent.mkdir(parents=True, exist_ok=True)
        failure.write_text(reason[:1024] + "\n")
        return 2 if isinstance(exc, UserError) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
