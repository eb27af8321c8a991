"""One forked process: become what ``python ARGV`` would have been, run it, report how it ended."""

from __future__ import annotations

import atexit
import importlib
import os
import runpy
import signal
import socket
import sys
import threading
import traceback
from types import TracebackType
from typing import Any

from . import launch as protocol


def _exit_code(code: object) -> int:
    """What the interpreter makes of ``SystemExit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _entry_point_frames(tb: TracebackType | None) -> TracebackType | None:
    """The traceback from the entry point's own frames on, as ``python ARGS`` would print it."""
    while tb is not None and (tb.tb_frame.f_code.co_filename in (__file__, "<frozen runpy>") or tb.tb_frame.f_code.co_filename.endswith("runpy.py")):
        tb = tb.tb_next
    return tb


def _watch_launcher(conn: socket.socket) -> None:
    """The launcher killed (SIGKILL, no chance to forward it): this process goes with it."""
    try:
        while conn.recv(64):
            pass
    except OSError:
        pass
    os.kill(os.getpid(), signal.SIGKILL)


def _become(request: dict[str, Any], fds: list[int], base_path: list[str], forget: list[str]) -> list[str]:
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    niceness = request.get("niceness", 0)
    if niceness > os.getpriority(os.PRIO_PROCESS, 0):
        os.setpriority(os.PRIO_PROCESS, 0, min(niceness, 19))
    os.environ.clear()
    os.environ.update(request["env"])
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    argv: list[str] = request["argv"]
    pythonpath = [os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if argv[0] == "-m":
        first = os.getcwd()
        args = ["-m", *argv[2:]]
    else:
        first = os.path.dirname(os.path.realpath(argv[0]))
        args = argv
    sys.path[:] = [first, *pythonpath, *base_path]
    for name in forget:
        sys.modules.pop(name, None)
    importlib.invalidate_caches()
    sys.argv[:] = args
    # Every fork would draw the same numbers from numpy's global generator (Python's own reseeds at fork).
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()
    return argv


def run_child(conn: socket.socket, request: dict[str, Any], fds: list[int], base_path: list[str], forget: list[str]) -> int:
    argv = _become(request, fds, base_path, forget)
    conn.sendall(protocol.encode({"pid": os.getpid()}))
    threading.Thread(target=_watch_launcher, args=(conn,), name="forkserver-launcher-watch", daemon=True).start()
    try:
        if argv[0] == "-m":
            runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        else:
            runpy.run_path(argv[0], run_name="__main__")
        code = 0
    except SystemExit as exit_:
        code = _exit_code(exit_.code)
    except KeyboardInterrupt as interrupted:
        interrupted.__traceback__ = _entry_point_frames(interrupted.__traceback__)
        traceback.print_exception(interrupted)
        code = 130
    except BaseException as error:  # noqa: BLE001  (what the interpreter does with an uncaught exception)
        # The hook prints the exception's own traceback: it is cut to the entry point's frames first.
        error.__traceback__ = _entry_point_frames(error.__traceback__)
        sys.excepthook(type(error), error, error.__traceback__)
        code = 1
    # The interpreter's own shutdown: wait for non-daemon threads, run atexit, flush the streams.
    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is not None:
        shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    try:
        conn.sendall(protocol.encode({"exit": code}))
    except OSError:
        pass
    return code
