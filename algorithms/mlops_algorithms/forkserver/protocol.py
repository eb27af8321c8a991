"""Messages between the launcher and the fork server: a 4-byte big-endian length, then UTF-8 JSON.

Standard library only: ``launch.py`` imports this by path under ``python -I -S``.
"""

from __future__ import annotations

import json
import socket
import struct
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
