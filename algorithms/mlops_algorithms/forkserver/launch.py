"""What the local backend runs in place of ``python ARGS``: a fork of the warm server runs ARGS.

Run as ``python -I -S launch.py ARGS`` (no site-packages, nothing heavy imported: ~10 ms). It sends
the fork server its argv, working directory, environment and standard streams, forwards the
signals it gets to the forked process, and exits as that process did (a signal death is re-raised
on itself, so a shell sees 128+N as it would have). When the server is absent, refuses the
request or goes away before the process started, it ``exec``s ``python ARGS`` itself: the same
process the backend started before the fork server existed.

It also holds the messages both sides exchange (the server imports them from here): a 4-byte
big-endian length, then UTF-8 JSON. Standard library only, nothing else imported by path.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import sys
from typing import Any

MAX_MESSAGE_BYTES = 4 * 1024 * 1024
SOCKET_ENV = "MLOPS_FORKSERVER_SOCKET"
_HEADER = struct.Struct(">I")


class ProtocolError(Exception):
    """The peer sent something that is not a message (or too large a one)."""


def encode(message: dict[str, Any]) -> bytes:
    body = json.dumps(message, separators=(",", ":")).encode("utf-8")
    if len(body) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message of {len(body)} bytes exceeds {MAX_MESSAGE_BYTES}")
    return _HEADER.pack(len(body)) + body


def decode_body(body: bytes) -> dict[str, Any]:
    try:
        message = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise ProtocolError(f"not a JSON message: {err}") from None
    if not isinstance(message, dict):
        raise ProtocolError("a message must be a JSON object")
    return message


def read_exactly(sock: socket.socket, n: int, first: bytes = b"") -> bytes | None:
    """``n`` bytes (``first`` counts towards them); None on end of stream before any byte."""
    chunks = [first] if first else []
    have = len(first)
    while have < n:
        chunk = sock.recv(min(n - have, 1 << 16))
        if not chunk:
            if have == 0:
                return None
            raise ProtocolError("the stream ended inside a message")
        chunks.append(chunk)
        have += len(chunk)
    return b"".join(chunks)


def receive(sock: socket.socket, first: bytes = b"") -> dict[str, Any] | None:
    """The next message; None at the end of the stream."""
    header = read_exactly(sock, _HEADER.size, first[: _HEADER.size])
    if header is None:
        return None
    (length,) = _HEADER.unpack(header)
    if length > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message of {length} bytes exceeds {MAX_MESSAGE_BYTES}")
    rest = first[_HEADER.size:]
    if len(rest) > length:
        raise ProtocolError("bytes after the end of a message")
    body = read_exactly(sock, length, rest) if length else b""
    return decode_body(body or b"")


# -- the launcher --------------------------------------------------------------------------------

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
    path = os.environ.get(SOCKET_ENV)
    sock = _connect(path) if path and argv else None
    if sock is None:
        _exec_python(argv)
        return
    request = {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ), "executable": os.path.abspath(sys.executable),
               "niceness": os.getpriority(os.PRIO_PROCESS, 0)}
    try:
        socket.send_fds(sock, [encode(request)], [0, 1, 2])
        started = receive(sock)
    except (OSError, ProtocolError) as err:
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
        status = receive(sock)
    except (OSError, ProtocolError):
        status = None
    if status is None:
        # The process and the server both ended without a word: it was killed while the server was gone.
        print("forkserver launcher: the process ended without reporting an exit status", file=sys.stderr, flush=True)
        os._exit(137)
    _die_like(status)


if __name__ == "__main__":
    main(sys.argv[1:])
