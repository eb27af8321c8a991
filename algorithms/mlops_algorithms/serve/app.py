"""The raw ASGI application: ``GET /ping``, ``GET /execution-parameters``, ``POST /invocations``.

Why no framework: a single-record request must cost tens of microseconds of Python, and the
routing here is three fixed paths.  The app is built once around an already loaded model, so
``/ping`` answering means ready.  No logging per request; an unexpected exception answers 500
with a one-line ``AlgorithmError: ...`` body and prints the stack trace on stderr.  (With
``MLOPS_SERVE_TRACE=1`` the start of each invocation is one stderr line: see ``server.tracing``.)
"""

from __future__ import annotations

import re
import sys
import traceback
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import numpy as np

from .codecs import ENCODERS, PARSERS, RESPONSE_CONTENT_TYPES, PayloadError, request_content_type, response_content_type

CUSTOM_ATTRIBUTES = b"x-amzn-sagemaker-custom-attributes"
MAX_CUSTOM_ATTRIBUTES = 1024  # SageMaker: at most 1024 visible US-ASCII characters
MAX_DRAIN = 256 * 1024 * 1024  # an oversized body is read and dropped up to this, then the connection is closed
TEXT_PLAIN = b"text/plain; charset=utf-8"
_NOT_VISIBLE_ASCII = re.compile(rb"[^\x20-\x7e\t]")

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class ServingModel:
    """What the app needs from the loaded model."""

    scorer: Callable[[np.ndarray], np.ndarray]
    n_features: int
    allow_missing: bool  # empty cells / null are missing values (XGBoost) or errors (Linear Learner)


def execution_parameters_body() -> bytes:
    return b'{"MaxConcurrentTransforms": 1, "BatchStrategy": "MULTI_RECORD", "MaxPayloadInMB": 6}'


async def _respond(send: Send, status: int, body: bytes = b"", content_type: bytes | None = None,
                   extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers: list[tuple[bytes, bytes]] = []
    if status != 204:
        headers.append((b"content-length", b"%d" % len(body)))
        if content_type is not None:
            headers.append((b"content-type", content_type))
    if extra:
        headers.extend(extra)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _text(send: Send, status: int, message: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    await _respond(send, status, message.encode("utf-8", "replace"), TEXT_PLAIN, extra)


def _valid_custom_attributes(value: bytes) -> bool:
    return len(value) <= MAX_CUSTOM_ATTRIBUTES and _NOT_VISIBLE_ASCII.search(value) is None


async def _drain(receive: Receive, more: bool, seen: int) -> bool:
    """Read and drop the rest of a body; False when the client went away or it is too large to drain."""
    while more:
        message = await receive()
        if message["type"] != "http.request":
            return False
        seen += len(message.get("body", b""))
        if seen > MAX_DRAIN:
            return False
        more = message.get("more_body", False)
    return True


def build_app(model: ServingModel, *, default_accept: str, max_payload: int,
              trace: bool = False) -> Callable[[dict, Receive, Send], Awaitable[None]]:
    """The ASGI3 callable serving ``model``; ``trace`` prints ``invocation started`` on stderr as each
    invocation begins (before its body is read)."""
    n_features = model.n_features
    allow_missing = model.allow_missing
    scorer = model.scorer
    ping_ok = b""
    exec_params = execution_parameters_body()
    too_large = f"Request body is larger than the maximum payload of {max_payload} bytes"

    async def too_large_response(send: Send, extra: list, keep_alive: bool) -> None:
        if not keep_alive:
            extra = [*extra, (b"connection", b"close")]
        await _text(send, 413, too_large, extra)

    async def invocations(scope: dict, receive: Receive, send: Send) -> None:
        if trace:
            print("invocation started", file=sys.stderr, flush=True)
        content_type = accept = length = attributes = expect = None
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value
            elif name == b"accept":
                accept = value
            elif name == b"content-length":
                length = value
            elif name == CUSTOM_ATTRIBUTES:
                attributes = value
            elif name == b"expect":
                expect = value
        extra: list[tuple[bytes, bytes]] = []
        if attributes is not None:
            if not _valid_custom_attributes(attributes):
                await _text(send, 400, "X-Amzn-SageMaker-Custom-Attributes must be at most 1024 visible US-ASCII characters")
                return
            extra.append((CUSTOM_ATTRIBUTES, attributes))

        declared = int(length) if length is not None and length.isdigit() else None
        if declared is not None and declared > max_payload:
            if expect is not None and expect.lower() == b"100-continue":
                await too_large_response(send, extra, keep_alive=False)  # the body was never sent
                return
            await too_large_response(send, extra, keep_alive=await _drain(receive, True, 0))
            return

        message = await receive()
        if message["type"] != "http.request":
            return  # client disconnected
        body = message.get("body", b"")
        if message.get("more_body", False):
            parts = [body]
            size = len(body)
            more = True
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    return
                chunk = message.get("body", b"")
                size += len(chunk)
                more = message.get("more_body", False)
                if size > max_payload:
                    await too_large_response(send, extra, keep_alive=await _drain(receive, more, size))
                    return
                parts.append(chunk)
            body = b"".join(parts)
        elif len(body) > max_payload:
            await too_large_response(send, extra, keep_alive=True)
            return

        if not body:
            await _respond(send, 204, extra=extra)
            return
        try:
            kind = request_content_type(content_type)
            out = response_content_type(accept, default_accept)
            matrix = PARSERS[kind](body, n_features, allow_missing)
        except PayloadError as exc:
            await _text(send, exc.status, exc.message, extra)
            return
        if matrix.shape[0] == 0:
            await _respond(send, 204, extra=extra)
            return
        predictions = scorer(matrix)
        await _respond(send, 200, ENCODERS[out](predictions), RESPONSE_CONTENT_TYPES[out], extra)

    async def app(scope: dict, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        method = scope["method"]
        try:
            if path == "/invocations":
                if method == "POST":
                    await invocations(scope, receive, send)
                else:
                    await _text(send, 405, "Method not allowed; use POST /invocations", [(b"allow", b"POST")])
            elif path == "/ping":
                if method in ("GET", "HEAD"):
                    await _respond(send, 200, ping_ok)
                else:
                    await _text(send, 405, "Method not allowed; use GET /ping", [(b"allow", b"GET, HEAD")])
            elif path == "/execution-parameters":
                if method in ("GET", "HEAD"):
                    await _respond(send, 200, exec_params, b"application/json")
                else:
                    await _text(send, 405, "Method not allowed; use GET /execution-parameters", [(b"allow", b"GET, HEAD")])
            else:
                await _text(send, 404, "Not found; the server answers GET /ping, GET /execution-parameters and POST /invocations")
        except Exception as exc:  # noqa: BLE001 - a request must never take the server down
            traceback.print_exc(file=sys.stderr)
            message = " ".join((str(exc).strip() or type(exc).__name__).splitlines())[:300]
            try:
                await _text(send, 500, f"AlgorithmError: {type(exc).__name__}: {message}", [(b"connection", b"close")])
            except Exception:  # noqa: BLE001 - response already started: uvicorn closes the connection
                pass

    return app
