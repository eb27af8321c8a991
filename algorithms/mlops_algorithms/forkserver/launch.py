"""What the local backend runs in place of ``python ARGS``: a fork of the warm server runs ARGS.

Run as ``python -I -S launch.py ARGS`` (no site-packages, nothing heavy imported: ~10 ms). It sends
the fork server its argv, working directory, environment and standard streams, forwards the
signals it gets to the forked process, and exits as that process did (a signal death is re-raised
on itself, so a shell sees 128+N as it would have). When the server is absent, refuses the
request or goes away before the process started, it ``exec``s ``python ARGS`` itself: the same
process the backend started before the fork server existed.
"""

from __future__ import annotations

import os
import signal
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import protocol  # noqa: E402  (by path: this runs under -I -S)

FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)


def _exec_python(argv: list[str]) -> None:
    python = sys.executable
    os.execv(python, [python, *argv])


def _debug(message: str) -> None:
    if os.environ.get("MLOPS_FORKSERVER_DEBUG") == "1":
        print(f"forkserver launcher: {message}", file=sys.stderr, flush=True)


def _connect(path: str) -> socket.socket | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError as err:
        sock.close()
        _debug(f"no server at {path}: {err}")
        return None
    return sock


def _die_like(status: dict) -> None:  # type: ignore[type-arg]
    sig = status.get("signal")
    if isinstance(sig, int) and 0 < sig < 65:
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    code = status.get("exit")
    os._exit(code if isinstance(code, int) and 0 <= code <= 255 else 1)


def main(argv: list[str]) -> None:
    path = os.environ.get(protocol.SOCKET_ENV)
    sock = _connect(path) if path and argv else None
    if sock is None:
        _exec_python(argv)
        return
    request = {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ), "executable": os.path.abspath(sys.executable),
               "niceness": os.getpriority(os.PRIO_PROCESS, 0)}
    try:
        socket.send_fds(sock, [protocol.encode(request)], [0, 1, 2])
        started = protocol.receive(sock)
    except (OSError, protocol.ProtocolError) as err:
        _debug(f"request failed: {err}")
        started = None
    if started is None or not isinstance(started.get("pid"), int):
        _debug(f"fallback: {started.get('fallback') if started else 'no answer'}")
        sock.close()
        _exec_python(argv)
        return
    pid: int = started["pid"]

    def forward(signum: int, _frame: object) -> None:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    for sig in FORWARDED:
        signal.signal(sig, forward)
    try:
        status = protocol.receive(sock)
    except (OSError, protocol.ProtocolError):
        status = None
    if status is None:
        # The process and the server both ended without a word: it was killed while the server was gone.
        print("forkserver launcher: the process ended without reporting an exit status", file=sys.stderr, flush=True)
        os._exit(137)
    _die_like(status)


if __name__ == "__main__":
    main(sys.argv[1:])
