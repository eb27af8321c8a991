"""The warm fork server: ``python -m mlops_algorithms.forkserver.server SOCKET_PATH [--remove-dir]``.

It imports the heavy libraries once (``MLOPS_FORKSERVER_PRELOAD``, comma-separated; default
numpy, pandas, scipy.stats, scikit-learn's ensembles, xgboost and uvicorn), then listens on SOCKET_PATH (in
a directory only its user can enter; a peer of another uid is refused as well). Each request from
``launch.py`` is forked into a process that takes the launcher's standard streams, working
directory, environment and argv and runs the module or script as ``python`` would have. The
server reports the exit status to the launcher when it reaps the process. It ends when its stdin
closes (its owner went away) or on SIGTERM, and leaves running processes alone: each reports its
own exit code to its launcher.

A fork gives only what a fresh interpreter would, so a request whose answer could differ is
refused and the launcher execs ``python`` instead: another interpreter, interpreter options, or
different settings that libraries read once at import (``PYTHON*`` but ``PYTHONPATH``, thread
counts of OpenMP, OpenBLAS and MKL).
"""

from __future__ import annotations

import gc
import importlib
import os
import re
import selectors
import signal
import socket
import struct
import sys
import time
from typing import Any

from . import launch as protocol
from .child import run_child

# The libraries the built-in algorithms, the model servers (uvicorn) and the bring-your-own example import.
DEFAULT_PRELOAD = ",".join([
    "numpy", "pandas", "scipy.stats", "sklearn.ensemble", "xgboost", "asyncio", "uvicorn", "uvicorn.config", "uvicorn.server",
    "uvicorn.lifespan.off", "uvicorn.protocols.http.auto", "uvicorn.protocols.http.httptools_impl", "uvicorn.protocols.websockets.auto",
    "uvicorn.middleware.proxy_headers",
])
# Read by the interpreter or a library once, at start-up or import: a fork keeps the server's.
_IMPORT_TIME_ENV = re.compile(r"^(PYTHON(?!PATH$)\w*|OMP_\w+|OPENBLAS_\w+|GOTO\w+|MKL_\w+|KMP_\w+|GOMP_\w+|NUMEXPR_\w+)$")
_MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
REQUEST_TIMEOUT_SECONDS = 5.0
REAP_INTERVAL_SECONDS = 0.05


def _log(message: str) -> None:
    print(f"forkserver[{os.getpid()}]: {message}", file=sys.stderr, flush=True)


def import_time_settings(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if _IMPORT_TIME_ENV.match(k)}


def refusal(request: dict[str, Any], own_executable: str, own_settings: dict[str, str]) -> str | None:
    """Why a fork could not run this exactly as ``python ARGV`` would (None: it can)."""
    argv, cwd, env, executable = request.get("argv"), request.get("cwd"), request.get("env"), request.get("executable")
    if not (isinstance(argv, list) and argv and all(isinstance(a, str) for a in argv)):
        return "argv must be a non-empty list of strings"
    if not isinstance(cwd, str) or not os.path.isabs(cwd):
        return "cwd must be an absolute path"
    if not (isinstance(env, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in env.items())):
        return "env must map strings to strings"
    if executable != own_executable:
        return f"another interpreter ({executable})"
    if argv[0] == "-m":
        if len(argv) < 2 or not _MODULE_NAME.match(argv[1]):
            return "-m needs a module name"
    elif argv[0].startswith("-"):
        return f"interpreter option {argv[0]!r}"
    if import_time_settings(env) != own_settings:
        return "different import-time settings"
    niceness = request.get("niceness", 0)
    if not isinstance(niceness, int) or niceness < os.getpriority(os.PRIO_PROCESS, 0):
        return "a higher CPU priority than the server's"
    return None


class ForkServer:
    def __init__(self, socket_path: str, remove_dir: bool = False) -> None:
        self.socket_path = socket_path
        # The private dir its owner made for the socket goes with it (an owner killed by SIGKILL cannot remove it).
        self.remove_dir = remove_dir
        self.executable = os.path.abspath(sys.executable)
        self.settings = import_time_settings(dict(os.environ))
        pythonpath = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        # What every child's sys.path ends with: the interpreter's own entries (stdlib, site-packages).
        self.base_path = [p for p in sys.path[1:] if p not in pythonpath]
        # The server's own code (this package) comes from its PYTHONPATH; a child imports its
        # request's instead, which may be other algorithms (or newer code than the server started with).
        self.own_code = tuple(os.path.join(os.path.abspath(p), "") for p in pythonpath)
        self.children: dict[int, socket.socket] = {}
        self.listener: socket.socket | None = None
        self.selector = selectors.DefaultSelector()
        self.stopping = False

    def listen(self) -> None:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(self.socket_path)
        os.chmod(self.socket_path, 0o600)
        listener.listen(64)
        listener.setblocking(False)
        self.listener = listener
        self.selector.register(listener, selectors.EVENT_READ, "accept")
        self.selector.register(sys.stdin.fileno(), selectors.EVENT_READ, "stdin")

    def serve_forever(self) -> None:
        while not self.stopping:
            for key, _ in self.selector.select(REAP_INTERVAL_SECONDS):
                if key.data == "accept":
                    self._accept()
                elif key.data == "stdin" and not os.read(sys.stdin.fileno(), 4096):
                    self.stopping = True
            self._reap()
        self.close()

    def close(self) -> None:
        if self.listener is not None:
            self.selector.unregister(self.listener)
            self.listener.close()
            self.listener = None
            try:
                os.unlink(self.socket_path)
            except FileNotFoundError:
                pass
            if self.remove_dir:
                try:
                    os.rmdir(os.path.dirname(self.socket_path))
                except OSError:
                    pass  # not empty, or gone already

    def _accept(self) -> None:
        assert self.listener is not None
        try:
            conn, _ = self.listener.accept()
        except BlockingIOError:
            return
        fds: list[int] = []
        try:
            conn.setblocking(True)
            conn.settimeout(REQUEST_TIMEOUT_SECONDS)
            uid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))[1]
            if uid != os.getuid():
                _log(f"refused a peer of uid {uid}")
                conn.close()
                return
            first, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
            request = protocol.receive(conn, first)
            if request is None or len(fds) != 3:
                raise protocol.ProtocolError("a request needs a message and three file descriptors")
            why = refusal(request, self.executable, self.settings)
            if why is not None:
                conn.sendall(protocol.encode({"fallback": why}))
                conn.close()
                return
            conn.settimeout(None)
            self._fork(conn, request, fds)
        except (OSError, protocol.ProtocolError) as err:
            _log(f"bad request: {err}")
            conn.close()
        finally:
            for fd in fds:
                os.close(fd)

    def _fork(self, conn: socket.socket, request: dict[str, Any], fds: list[int]) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                self.selector.close()
                if self.listener is not None:
                    self.listener.close()
                for other in self.children.values():
                    other.close()
                forget = [name for name, module in sys.modules.items() if str(getattr(module, "__file__", None) or "").startswith(self.own_code)]
                code = run_child(conn, request, fds, self.base_path, forget)
            finally:
                os._exit(code)
        self.children[pid] = conn

    def _reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn = self.children.pop(pid, None)
            if conn is None:
                continue
            report = {"signal": os.WTERMSIG(status)} if os.WIFSIGNALED(status) else {"exit": os.waitstatus_to_exitcode(status)}
            try:
                conn.sendall(protocol.encode(report))
            except OSError:
                pass  # the launcher is gone
            conn.close()


def preload(names: str) -> None:
    for name in (n.strip() for n in names.split(",")):
        if not name:
            continue
        try:
            importlib.import_module(name)
        except Exception as err:  # noqa: BLE001  (an optional library: the children import it themselves)
            _log(f"not preloaded: {name}: {err}")


def main(argv: list[str]) -> int:
    remove_dir = argv[1:] == ["--remove-dir"]
    if len(argv) != 1 and not remove_dir:
        print("usage: python -m mlops_algorithms.forkserver.server SOCKET_PATH [--remove-dir]", file=sys.stderr)
        return 2
    server = ForkServer(argv[0], remove_dir)
    started = time.monotonic()
    preload(os.environ.get("MLOPS_FORKSERVER_PRELOAD", DEFAULT_PRELOAD))
    # The preloaded modules live as long as the server: out of every collection, in the server and
    # in its forks (the fork-server recipe of Python's gc docs). A fork's full collection then walks
    # only the objects of its own job (~40 ms less each with the default preload, on the job's
    # time) and writes less to the pages it shares with the server (its collections no longer
    # touch their GC headers; reference counts still do).
    gc.collect()
    gc.freeze()

    def stop(_signum: int, _frame: object) -> None:
        server.stopping = True

    signal.signal(signal.SIGTERM, stop)
    server.listen()
    if os.environ.get("MLOPS_FORKSERVER_DEBUG") == "1":
        _log(f"ready on {argv[0]} after {time.monotonic() - started:.2f} s of imports")
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
