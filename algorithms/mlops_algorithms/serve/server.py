"""Start-up of the model server: settings from the environment, model loading, uvicorn, exit codes.

Contract (SageMaker serving container, reference section 2): started as ``<image> serve``; model
files in ``$SAGEMAKER_BASE_DIR/model`` (default ``/opt/ml/model``); HTTP on port
``SAGEMAKER_BIND_TO_PORT`` (default 8080).  Local additions for the endpoint host:
``SAGEMAKER_MODEL_DIR`` overrides the model directory (it may hold only ``model.tar.gz``), the
server binds to 127.0.0.1 only, port 0 picks a free port, and once the socket listens one line
``listening on http://127.0.0.1:<port>`` is printed to stdout.  The model is loaded before the
socket is bound, so the first ``/ping`` that connects is answered 200.  ``MLOPS_EXIT_ON_STDIN_EOF=1``
shuts down gracefully when stdin (the host's pipe) closes; ``MLOPS_SERVE_TRACE=1`` logs the start
of each invocation and of shutdown on stderr.

Exit codes: 0 after a graceful shutdown (SIGTERM, SIGINT or EOF of the watched stdin: in-flight
requests finish, idle keep-alive connections are closed), 2 with ``ClientError: ...`` on stderr
for a bad argument, setting or model, 1 with ``AlgorithmError: ...`` otherwise (e.g. the port is
taken).
"""

from __future__ import annotations

import gc
import os
import shutil
import signal
import socket
import stat
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from ..contract import EXIT_ALGORITHM_ERROR, EXIT_CLIENT_ERROR, AlgorithmError, ClientError, base_dir, format_reason

HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_MAX_PAYLOAD_MB = 6
MIB = 1024 * 1024
KEEP_ALIVE_SECONDS = 75  # longer than typical client idle timeouts (Node's agent: 4-5 s), so the client closes first
GRACEFUL_SHUTDOWN_SECONDS = 25  # SageMaker sends SIGKILL 30 s after SIGTERM
STDIN_FD = 0


@dataclass(frozen=True)
class Settings:
    """Everything the server reads from its environment."""

    model_dir: Path
    port: int
    default_accept: str
    max_payload: int

    @classmethod
    def from_env(cls, environ: dict[str, str] | os._Environ = os.environ) -> "Settings":
        from .codecs import SUPPORTED, SUPPORTED_TEXT

        override = environ.get("SAGEMAKER_MODEL_DIR", "").strip()
        model_dir = Path(override) if override else base_dir() / "model"

        raw_port = environ.get("SAGEMAKER_BIND_TO_PORT", "").strip()
        if not raw_port:
            port = DEFAULT_PORT
        elif raw_port.isdigit() and int(raw_port) <= 65535:
            port = int(raw_port)
        else:
            raise ClientError(f"SAGEMAKER_BIND_TO_PORT must be a port number 0-65535 (0 = any free port), got {raw_port!r}")

        accept = environ.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", "").strip().lower() or "text/csv"
        if accept not in SUPPORTED:
            raise ClientError(f"SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT must be {SUPPORTED_TEXT}, got {accept!r}")

        raw_mb = environ.get("SAGEMAKER_MAX_PAYLOAD_IN_MB", "").strip()
        if not raw_mb:
            mb = DEFAULT_MAX_PAYLOAD_MB
        elif raw_mb.isdigit() and 1 <= int(raw_mb) <= 100:
            mb = int(raw_mb)
        else:
            raise ClientError(f"SAGEMAKER_MAX_PAYLOAD_IN_MB must be an integer 1-100, got {raw_mb!r}")
        return cls(model_dir=model_dir, port=port, default_accept=accept, max_payload=mb * MIB)


def load_model(model_dir: Path):  # type: ignore[no-untyped-def]
    """Load the model (xgboost or linear-learner, or their model.tar.gz) and wrap it for the app."""
    from ..predict import LINEAR_MODEL_FILE, MODEL_ARCHIVE, XGBOOST_MODEL_FILE, _extract_archive, load_predictor
    from .app import ServingModel
    from .scoring import make_scorer

    # A dir with only model.tar.gz: unpack it as load_predictor would, but remove the copy once the
    # model is in memory (load_predictor keeps its temp dir; a host restarting endpoints would pile them up).
    extracted = None
    if not (model_dir / XGBOOST_MODEL_FILE).is_file() and not (model_dir / LINEAR_MODEL_FILE).is_file() \
            and (model_dir / MODEL_ARCHIVE).is_file():
        extracted = _extract_archive(model_dir / MODEL_ARCHIVE)
    try:
        predictor = load_predictor(extracted or model_dir, nthread=1)
    except ClientError:
        raise
    except (ValueError, KeyError, TypeError) as exc:  # incl. xgboost.core.XGBoostError (a ValueError)
        message = " ".join(str(exc).strip().splitlines())[:300]
        raise ClientError(f"cannot load the model in {model_dir}: {type(exc).__name__}: {message}") from None
    finally:
        if extracted is not None:
            shutil.rmtree(extracted, ignore_errors=True)
    return ServingModel(scorer=make_scorer(predictor), n_features=int(predictor.n_features),
                        allow_missing=predictor.family == "xgboost")


def bind(port: int) -> socket.socket:
    """The server socket, bound here so a taken port is a clear AlgorithmError (not uvicorn's exit 3)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise AlgorithmError(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}") from None
    return sock


class _StopRequest:
    """SIGTERM/SIGINT before uvicorn installed its own handlers (and after it restores them)."""

    requested = False

    @classmethod
    def handler(cls, signum: int, frame: FrameType | None) -> None:
        cls.requested = True


def _watches_stdin() -> bool:
    """``MLOPS_EXIT_ON_STDIN_EOF=1`` (set by the local endpoint host, which keeps a pipe to our stdin):
    shut down gracefully when that pipe closes, so if the host dies, even by SIGKILL, its model
    servers follow instead of lingering as orphans.  Only a pipe or socket can be watched."""
    if os.environ.get("MLOPS_EXIT_ON_STDIN_EOF") != "1":
        return False
    try:
        mode = os.fstat(STDIN_FD).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def tracing() -> bool:
    """``MLOPS_SERVE_TRACE=1``: one stderr line when an invocation starts and when shutdown begins
    (with the number of requests still in flight), so a test or an operator can tell that a
    request was in flight at SIGTERM without guessing from time."""
    return os.environ.get("MLOPS_SERVE_TRACE") == "1"


def _fail(exc: BaseException) -> int:
    if not isinstance(exc, ClientError):
        traceback.print_exc(file=sys.stderr)
    print(format_reason(exc), file=sys.stderr, flush=True)
    return EXIT_CLIENT_ERROR if isinstance(exc, ClientError) else EXIT_ALGORITHM_ERROR


def serve(argv: list[str]) -> int:
    """``serve``: load, bind, print the ready line, serve until SIGTERM; returns the exit code."""
    # uvicorn restores the previous handlers after its graceful shutdown and re-raises the signal;
    # with Python's defaults that would kill the process (-15) or raise KeyboardInterrupt instead of exit 0.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _StopRequest.handler)
    try:
        if argv != ["serve"]:
            raise ClientError(f"expected the argument 'serve' (as in 'docker run <image> serve'), got {argv!r}")
        settings = Settings.from_env()
        model = load_model(settings.model_dir)

        from .app import build_app

        app = build_app(model, default_accept=settings.default_accept, max_payload=settings.max_payload, trace=tracing())
        config = uvicorn_config(app, settings.port)
        sock = bind(settings.port)
    except Exception as exc:  # noqa: BLE001 - every start-up failure becomes ClientError/AlgorithmError
        return _fail(exc)
    if _StopRequest.requested:
        sock.close()
        return 0
    port = sock.getsockname()[1]
    server = _server_class()(config, port, watch_stdin=_watches_stdin())
    gc.collect()
    gc.freeze()  # the model and modules are long-lived: keep them out of every future collection
    server.run(sockets=[sock])
    sys.stdout.flush()
    return 0


def uvicorn_config(app, port: int):  # type: ignore[no-untyped-def]
    """The HTTP stack of the model server (also the baseline of bench/model-server.bench.py)."""
    import uvicorn

    return uvicorn.Config(
        app, host=HOST, port=port, loop="uvloop", http="httptools", ws="none", lifespan="off",
        interface="asgi3", workers=1, access_log=False, log_level="warning", proxy_headers=False,
        server_header=False, timeout_keep_alive=KEEP_ALIVE_SECONDS,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


def _server_class():  # type: ignore[no-untyped-def]
    import asyncio

    import uvicorn

    class ReadyServer(uvicorn.Server):
        """uvicorn.Server that prints the ready line once the socket listens."""

        def __init__(self, config: uvicorn.Config, port: int, watch_stdin: bool) -> None:
            super().__init__(config)
            self.port = port
            self.watch_stdin = watch_stdin

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if _StopRequest.requested:
                self.should_exit = True
            if self.started and not self.should_exit:
                if self.watch_stdin:
                    self._watch_stdin()
                print(f"listening on http://{HOST}:{self.port}", flush=True)

        def _watch_stdin(self) -> None:
            # On the event loop with raw reads of fd 0, not a thread on sys.stdin: a daemon thread
            # blocked inside sys.stdin.buffer.read() holds the buffer's lock, and the interpreter
            # aborts at exit ("Fatal Python error: _enter_buffered_busy") when it cannot take it.
            loop = asyncio.get_running_loop()

            def readable() -> None:
                try:
                    more = bool(os.read(STDIN_FD, 4096))
                except BlockingIOError:
                    return
                except OSError:
                    more = False
                if not more:
                    loop.remove_reader(STDIN_FD)
                    self.should_exit = True  # the same graceful path as SIGTERM

            loop.add_reader(STDIN_FD, readable)

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            if self.watch_stdin:
                asyncio.get_running_loop().remove_reader(STDIN_FD)
            if tracing():
                print(f"shutting down: {len(self.server_state.tasks)} request(s) in flight", file=sys.stderr, flush=True)
            await super().shutdown(sockets=sockets)

    return ReadyServer

