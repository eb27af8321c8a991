"""Model server (``python -m mlops_algorithms.serve serve``) as a subprocess with real trained models.

The xgboost server reads ``$SAGEMAKER_BASE_DIR/model`` (the training job's output dir); the
linear-learner server gets ``SAGEMAKER_MODEL_DIR`` pointing at a dir holding only ``model.tar.gz``
and ``SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT=application/jsonlines``.
"""

from __future__ import annotations

import http.client
import json
import os
import select
import selectors
import signal
import subprocess
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from conftest import ALGORITHMS, PYTHON, REPO, make_training_base, run_module
from mlops_algorithms.defaults import LINEAR_LEARNER, XGBOOST
from mlops_algorithms.predict import load_predictor

SIX_MIB = 6 * 1024 * 1024
CUSTOM = "X-Amzn-SageMaker-Custom-Attributes"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAGEMAKER_")}
    env["PYTHONPATH"] = str(ALGORITHMS)
    env.update(extra)
    return env


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    stderr: Path
    tmpdir: Path | None = None

    def conn(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None,
                conn: http.client.HTTPConnection | None = None) -> tuple[int, dict[str, str], bytes]:
        c = conn or self.conn()
        c.request(method, path, body, headers or {})
        resp = c.getresponse()
        data = resp.read()
        if conn is None:
            c.close()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data

    def invoke(self, body: bytes, content_type: str | None = "text/csv", accept: str | None = None,
               **kw: object) -> tuple[int, dict[str, str], bytes]:
        headers = dict(kw.pop("headers", {}) or {})  # type: ignore[arg-type]
        if content_type is not None:
            headers["Content-Type"] = content_type
        if accept is not None:
            headers["Accept"] = accept
        return self.request("POST", "/invocations", body, headers, **kw)  # type: ignore[arg-type]


def start_server(env: dict[str, str], stderr: Path, timeout: float = 15) -> Server:
    """Start the server on a free port and wait for its ``listening on`` line."""
    err = stderr.open("w")
    proc = subprocess.Popen([PYTHON, "-m", "mlops_algorithms.serve", "serve"], env=_env(SAGEMAKER_BIND_TO_PORT="0", **env),
                            stdout=subprocess.PIPE, stderr=err, text=True, cwd=str(REPO))
    err.close()
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    if not sel.select(timeout):
        proc.kill()
        pytest.fail(f"server not ready after {timeout} s: {stderr.read_text()}")
    line = proc.stdout.readline()
    prefix = "listening on http://127.0.0.1:"
    if not line.startswith(prefix):
        proc.wait(timeout=10)
        pytest.fail(f"unexpected first line {line!r}; exit {proc.returncode}; stderr: {stderr.read_text()}")
    return Server(proc, int(line[len(prefix):]), stderr)


def stop_server(server: Server) -> int:
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGTERM)
    try:
        return server.proc.wait(timeout=10)
    finally:
        if server.proc.poll() is None:
            server.proc.kill()


@pytest.fixture(scope="module")
def models(prepared: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real models trained by the entry points: xgboost (training base dir) and linear-learner (model.tar.gz only)."""
    out: dict[str, Path] = {}
    for name, module, hp in (("xgboost", "mlops_algorithms.xgboost", XGBOOST),
                             ("linear-learner", "mlops_algorithms.linear_learner", LINEAR_LEARNER)):
        base = make_training_base(tmp_path_factory.mktemp(name), prepared, hp, channels=("train", "validation"))
        proc = run_module(module, ["train"], base)
        assert proc.returncode == 0, proc.stderr
        out[name] = base
    archive_dir = tmp_path_factory.mktemp("ll-archive")
    with tarfile.open(archive_dir / "model.tar.gz", "w:gz") as tar:
        tar.add(out["linear-learner"] / "model" / "linear-learner-model.json", arcname="linear-learner-model.json")
    out["linear-learner-archive"] = archive_dir
    return out


@pytest.fixture(scope="module")
def xgb(models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    server = start_server({"SAGEMAKER_BASE_DIR": str(models["xgboost"])}, tmp_path_factory.mktemp("xgb-log") / "stderr")
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def ll(models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    tmpdir = tmp_path_factory.mktemp("ll-tmp")
    server = start_server({"SAGEMAKER_MODEL_DIR": str(models["linear-learner-archive"]),
                           "SAGEMAKER_BASE_DIR": str(tmp_path_factory.mktemp("empty-base")),
                           "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "application/jsonlines", "TMPDIR": str(tmpdir)},
                          tmp_path_factory.mktemp("ll-log") / "stderr")
    server.tmpdir = tmpdir
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def predictors(models: dict[str, Path]) -> dict[str, object]:
    return {"xgboost": load_predictor(models["xgboost"] / "model"),
            "linear-learner": load_predictor(models["linear-learner"] / "model")}


@pytest.fixture(scope="module")
def rows(prepared: Path) -> list[str]:
    """Feature-only CSV lines of the test split (label dropped)."""
    return [line.split(",", 1)[1] for line in (prepared / "test" / "test.csv").read_text().splitlines() if line]


def matrix_of(lines: list[str]) -> np.ndarray:
    return np.array([[float(v) for v in line.split(",")] for line in lines], dtype=np.float64)


def expected_values(predictor: object, lines: list[str]) -> list[str]:
    return [str(float(v)) for v in predictor.predict(matrix_of(lines))]  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- health and basics


@pytest.mark.parametrize("name", ["xgb", "ll"])
def test_ping_and_execution_parameters(name: str, request: pytest.FixtureRequest) -> None:
    server: Server = request.getfixturevalue(name)
    status, _, body = server.request("GET", "/ping")
    assert (status, body) == (200, b"")
    status, headers, body = server.request("GET", "/execution-parameters")
    assert status == 200 and headers["content-type"] == "application/json"
    assert json.loads(body) == {"MaxConcurrentTransforms": 1, "BatchStrategy": "MULTI_RECORD", "MaxPayloadInMB": 6}
    assert server.request("GET", "/invocations")[0] == 405
    assert server.request("GET", "/nope")[0] == 404


def test_model_archive_is_unpacked_then_removed(ll: Server) -> None:
    assert ll.tmpdir is not None and list(ll.tmpdir.iterdir()) == []  # the model is in memory; no copy left


def test_csv_single_and_multi_record_match_predictor(xgb: Server, ll: Server, predictors: dict, rows: list[str]) -> None:
    for server, family in ((xgb, "xgboost"), (ll, "linear-learner")):
        expected = expected_values(predictors[family], rows)
        status, headers, body = server.invoke(rows[0].encode(), accept="text/csv")
        assert status == 200 and headers["content-type"] == "text/csv; charset=utf-8"
        assert body.decode() == expected[0] + "\n"
        # one value per line; \r\n line ends, a trailing blank line and charset/label_size parameters are fine
        payload = ("\r\n".join(rows) + "\r\n\r\n").encode()
        status, _, body = server.invoke(payload, content_type="text/csv; label_size=0; charset=utf-8", accept="text/csv")
        assert status == 200
        assert body.decode() == "".join(v + "\n" for v in expected)


def test_large_batch_matches_predictor(xgb: Server, predictors: dict, rows: list[str]) -> None:
    many = (rows * (20000 // len(rows) + 1))[:20000]
    status, _, body = xgb.invoke(("\n".join(many) + "\n").encode(), accept="text/csv")
    assert status == 200
    assert body.decode().splitlines() == expected_values(predictors["xgboost"], many)


def test_json_shapes_and_jsonlines(xgb: Server, ll: Server, predictors: dict, rows: list[str]) -> None:
    lines = rows[:3]
    values = [[float(v) for v in line.split(",")] for line in lines]
    for server, family in ((xgb, "xgboost"), (ll, "linear-learner")):
        scores = [float(v) for v in expected_values(predictors[family], lines)]
        for doc in ({"instances": [{"features": v} for v in values]},
                    {"instances": [{"data": {"features": {"values": v}}} for v in values]},
                    values):
            status, headers, body = server.invoke(json.dumps(doc).encode(), "application/json", "application/json")
            assert status == 200 and headers["content-type"] == "application/json"
            assert body == json.dumps({"predictions": [{"score": s} for s in scores]}).encode()
        jsonl = "".join(json.dumps({"features": v}) + "\n" for v in values).encode()
        status, headers, body = server.invoke(jsonl, "application/jsonlines", "application/jsonlines")
        assert status == 200 and headers["content-type"] == "application/jsonlines"
        assert body.decode() == "".join(json.dumps({"score": s}) + "\n" for s in scores)
        # CSV in, JSON out and the reverse
        status, _, body = server.invoke(("\n".join(lines)).encode(), "text/csv", "application/json")
        assert json.loads(body) == {"predictions": [{"score": s} for s in scores]}
        status, _, body = server.invoke(json.dumps(values).encode(), "application/json", "text/csv")
        assert body.decode() == "".join(f"{s}\n" for s in scores)


def test_accept_negotiation(xgb: Server, ll: Server, rows: list[str]) -> None:
    body = rows[0].encode()
    for accept in (None, "*/*", "text/*", "application/json;q=0.1, text/csv"):
        status, headers, _ = xgb.invoke(body, accept=accept)
        assert status == 200 and headers["content-type"] == "text/csv; charset=utf-8", accept
    # SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT decides for a missing Accept or */*
    for accept in (None, "*/*"):
        status, headers, out = ll.invoke(body, accept=accept)
        assert status == 200 and headers["content-type"] == "application/jsonlines" and out.startswith(b'{"score": ')
    status, headers, _ = ll.invoke(body, accept="text/html, application/json;q=0.5")
    assert status == 200 and headers["content-type"] == "application/json"
    status, headers, out = xgb.invoke(body, accept="application/x-recordio-protobuf")
    assert status == 406 and headers["content-type"].startswith("text/plain")
    assert out == b"Accept 'application/x-recordio-protobuf' is not supported; use text/csv, application/json or application/jsonlines"
    assert ll.invoke(body, accept="text/html")[0] == 406


def test_unsupported_content_type_and_empty_body(xgb: Server, ll: Server, rows: list[str]) -> None:
    for server in (xgb, ll):
        status, _, out = server.invoke(rows[0].encode(), "application/x-recordio-protobuf")
        assert status == 415
        assert out == (b"Content type 'application/x-recordio-protobuf' is not supported; "
                       b"use text/csv, application/json or application/jsonlines")
        assert server.invoke(rows[0].encode(), "text/csv; label_size=1")[0] == 415
        assert server.invoke(rows[0].encode(), "text/plain;charset=UTF-8")[0] == 415
        status, headers, out = server.invoke(b"")
        assert (status, out) == (204, b"") and "content-type" not in headers
        assert server.invoke(b"\n\n")[0] == 204
        assert server.invoke(b'{"instances": []}', "application/json")[0] == 204


def test_feature_size_message(xgb: Server, ll: Server, rows: list[str]) -> None:
    short = rows[0].rsplit(",", 1)[0]
    for server in (xgb, ll):
        status, headers, out = server.invoke(short.encode())
        assert status == 400 and headers["content-type"] == "text/plain; charset=utf-8"
        assert out.decode() == ("Unable to evaluate payload provided: Feature size of csv inference data 16 "
                                "is not consistent with feature size of trained model 17")
        status, _, out = server.invoke(f"{rows[0]}\n{rows[1]},1\n".encode())
        assert status == 400 and out.decode() == (
            "Unable to evaluate payload provided: Feature size of csv inference data 18 "
            "is not consistent with feature size of trained model 17 (line 2)")
        status, _, out = server.invoke(json.dumps({"instances": [{"features": [1, 2]}]}).encode(), "application/json")
        assert status == 400 and "Feature size of json inference data 2 is not consistent" in out.decode()


def test_non_numeric_values_name_line_and_field(xgb: Server, ll: Server, rows: list[str]) -> None:
    fields = rows[1].split(",")
    fields[3] = "abc"
    bad = f"{rows[0]}\n{','.join(fields)}\n"
    for server in (xgb, ll):
        status, _, out = server.invoke(bad.encode())
        assert (status, out.decode()) == (400, "Unable to evaluate payload provided: line 2, field 3: value 'abc' is not numeric")
        values = [[float(v) for v in rows[0].split(",")], [float(v) for v in rows[1].split(",")]]
        values[1][5] = "x"  # type: ignore[call-overload]
        status, _, out = server.invoke(json.dumps({"instances": values}).encode(), "application/json")
        assert (status, out.decode()) == (400, 'Unable to evaluate payload provided: record 1, field 5: value "x" is not a number')
        status, _, out = server.invoke(b"{nope", "application/json")
        assert status == 400 and out.decode().startswith("Unable to evaluate payload provided: body is not valid JSON")
        status, _, out = server.invoke(f"{rows[0].replace(',', ',inf,', 1).rsplit(',', 1)[0]}".encode())
        assert (status, out.decode()) == (400, "Unable to evaluate payload provided: line 1, field 1: value 'inf' is not a finite number")
        assert b"Traceback" not in server.stderr.read_bytes()


def test_missing_values_xgboost_only(xgb: Server, ll: Server, predictors: dict, rows: list[str]) -> None:
    fields = rows[0].split(",")
    fields[2] = ""
    line = ",".join(fields)
    m = matrix_of([rows[0]])
    m[0, 2] = np.nan
    status, _, out = xgb.invoke(line.encode(), accept="text/csv")
    assert (status, out.decode()) == (200, f"{float(predictors['xgboost'].predict(m)[0])}\n")
    status, _, out = ll.invoke(line.encode())
    assert (status, out.decode()) == (400, "Unable to evaluate payload provided: line 1, field 2: "
                                           "empty value (this model has no missing-value support)")


def test_payload_limit_and_custom_attributes(xgb: Server, rows: list[str]) -> None:
    conn = xgb.conn()
    status, headers, out = xgb.invoke(b"1" * (SIX_MIB + 1), headers={CUSTOM: "trace=1"}, conn=conn)
    assert status == 413 and out.decode() == f"Request body is larger than the maximum payload of {SIX_MIB} bytes"
    assert headers[CUSTOM.lower()] == "trace=1"
    chunks = (b"1" * 65536 for _ in range(SIX_MIB // 65536 + 1))  # chunked: no Content-Length
    conn.request("POST", "/invocations", chunks, {"Content-Type": "text/csv"}, encode_chunked=True)
    resp = conn.getresponse()
    assert resp.status == 413 and resp.read()
    # the connection stays usable (the oversized body was read and dropped)
    status, headers, out = xgb.invoke(rows[0].encode(), headers={CUSTOM: "a=b; c=d"}, conn=conn)
    assert status == 200 and headers[CUSTOM.lower()] == "a=b; c=d"
    status, headers, _ = xgb.invoke(rows[0].encode(), conn=conn)
    assert status == 200 and CUSTOM.lower() not in headers
    status, headers, _ = xgb.invoke(b"1,2", headers={CUSTOM: "x" * 20}, conn=conn)
    assert status == 400 and headers[CUSTOM.lower()] == "x" * 20
    assert xgb.invoke(rows[0].encode(), headers={CUSTOM: "x" * 1025}, conn=conn)[0] == 400
    conn.close()


def test_fast_xgboost_scorer_equals_predictor(predictors: dict, rows: list[str]) -> None:
    from mlops_algorithms.serve.scoring import XGBoostFastScorer, make_scorer

    xgb_predictor = predictors["xgboost"]
    scorer = make_scorer(xgb_predictor)
    assert isinstance(scorer, XGBoostFastScorer)
    m = np.random.default_rng(1).normal(0, 5000, size=(500, 17))
    m[::3, 4] = np.nan
    m = np.vstack([matrix_of(rows), m])
    for part in (m, m[:1], m[7:8], m[:0]):
        assert np.array_equal(scorer(part), xgb_predictor.predict(part))
    assert make_scorer(predictors["linear-learner"]) == predictors["linear-learner"].predict


# --------------------------------------------------------------------------- lifecycle


class Lines:
    """Lines of a child's pipe read straight from its fd (a buffered reader could hold a line the
    selector no longer reports), each awaited with a deadline instead of a sleep."""

    def __init__(self, stream) -> None:  # type: ignore[no-untyped-def]
        self.fd = stream.fileno()
        self.buffer = b""
        self.closed = False

    def wait_for(self, expected: str, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        seen: list[str] = []
        while True:
            while b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                if line.decode() == expected:
                    return
                seen.append(line.decode())
            left = deadline - time.monotonic()
            if self.closed or left <= 0 or not select.select([self.fd], [], [], left)[0]:
                pytest.fail(f"no line {expected!r} within {timeout} s; got {seen}")
            chunk = os.read(self.fd, 65536)
            self.closed = not chunk
            self.buffer += chunk

    def rest(self) -> str:
        while not self.closed:
            chunk = os.read(self.fd, 65536)
            self.closed = not chunk
            self.buffer += chunk
        return self.buffer.decode()


def test_sigterm_finishes_in_flight_request_and_exits_0(models: dict[str, Path], rows: list[str]) -> None:
    """The request is in flight for sure: its headers reached the app (``invocation started``), the
    server began shutting down with it counted (``1 request(s) in flight``), and only then does the
    rest of its body leave the client.  Run as the endpoint host runs it (stdin pipe watched)."""
    proc = subprocess.Popen([PYTHON, "-m", "mlops_algorithms.serve", "serve"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(REPO),
                            env=_env(SAGEMAKER_BIND_TO_PORT="0", SAGEMAKER_MODEL_DIR=str(models["xgboost"] / "model"),
                                     MLOPS_EXIT_ON_STDIN_EOF="1", MLOPS_SERVE_TRACE="1"))
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    stderr = Lines(proc.stderr)
    try:
        line = proc.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:"), line
        port = int(line.rsplit(":", 1)[1])
        idle = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        idle.request("GET", "/ping")
        assert idle.getresponse().read() == b""  # an idle keep-alive connection must not block exit
        many = (rows * (30000 // len(rows) + 1))[:30000]
        body = ("\n".join(many) + "\n").encode()
        half = body.rindex(b"\n", 0, len(body) // 2) + 1
        busy = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        busy.putrequest("POST", "/invocations")
        busy.putheader("Content-Type", "text/csv")
        busy.putheader("Content-Length", str(len(body)))
        busy.endheaders(body[:half])
        stderr.wait_for("invocation started")
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        stderr.wait_for("shutting down: 1 request(s) in flight")
        busy.send(body[half:])
        resp = busy.getresponse()
        assert resp.status == 200 and len(resp.read().splitlines()) == 30000
        assert proc.wait(timeout=10) == 0
        assert time.monotonic() - started < 5
        assert proc.stdout.read() == "" and stderr.rest() == ""
    finally:
        proc.stdin.close()
        if proc.poll() is None:
            proc.kill()


def test_host_started_server_drains_and_exits_0_without_a_fatal_error(models: dict[str, Path], rows: list[str],
                                                                      tmp_path: Path) -> None:
    """As the local endpoint host runs it (stdin a pipe it keeps open, MLOPS_EXIT_ON_STDIN_EOF=1): after
    requests, SIGTERM ends the process with 0 and a clean stderr, not an abort at interpreter shutdown."""
    stderr = tmp_path / "stderr"
    with stderr.open("w") as err:
        proc = subprocess.Popen([PYTHON, "-m", "mlops_algorithms.serve", "serve"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=err, text=True, cwd=str(REPO),
                                env=_env(SAGEMAKER_BIND_TO_PORT="0", SAGEMAKER_MODEL_DIR=str(models["xgboost"] / "model"),
                                         MLOPS_EXIT_ON_STDIN_EOF="1"))
    assert proc.stdin is not None and proc.stdout is not None
    try:
        line = proc.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:"), (line, stderr.read_text())
        server = Server(proc, int(line.rsplit(":", 1)[1]), stderr)
        conn = server.conn()
        for row in rows[:20]:
            assert server.invoke(row.encode(), conn=conn)[0] == 200
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=15)
        assert "Fatal Python error" not in stderr.read_text()
        assert (code, stderr.read_text()) == (0, "")
    finally:
        proc.stdin.close()
        if proc.poll() is None:
            proc.kill()


def _run_all(cases: list[tuple[list[str], dict[str, str]]]) -> list[tuple[int, str, str]]:
    """Run several ``serve`` start-ups side by side (they fail fast); (exit code, stdout, stderr) each."""
    procs = [subprocess.Popen([PYTHON, "-m", "mlops_algorithms.serve", *args],
                              env=_env(**{"SAGEMAKER_BIND_TO_PORT": "0", **env}), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=str(REPO)) for args, env in cases]
    out = []
    for proc in procs:
        try:
            stdout, stderr = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        out.append((proc.returncode, stdout, stderr))
    return out


def test_refuses_to_start_without_model_or_with_bad_settings(tmp_path: Path, models: dict[str, Path]) -> None:
    empty = tmp_path / "model"
    empty.mkdir()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "xgboost-model").write_text("not a model")
    good = str(models["xgboost"] / "model")
    settings = (("SAGEMAKER_BIND_TO_PORT", "http"), ("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", "text/html"),
                ("SAGEMAKER_MAX_PAYLOAD_IN_MB", "0"))
    results = _run_all([
        (["serve"], {"SAGEMAKER_MODEL_DIR": str(empty)}),
        (["serve"], {"SAGEMAKER_BASE_DIR": str(tmp_path / "nothing")}),
        (["serve"], {"SAGEMAKER_MODEL_DIR": str(broken)}),
        (["train"], {"SAGEMAKER_MODEL_DIR": good}),
        *[(["serve"], {"SAGEMAKER_MODEL_DIR": good, name: value}) for name, value in settings],
    ])
    assert all(code == 2 and stdout == "" and "Traceback" not in stderr for code, stdout, stderr in results), results
    stderr = [err.strip() for _, _, err in results]
    assert stderr[0] == f"ClientError: no model found in {empty}: expected xgboost-model or linear-learner-model.json"
    assert stderr[1] == (f"ClientError: no model found in {tmp_path / 'nothing' / 'model'}: "
                         "expected xgboost-model or linear-learner-model.json")
    assert stderr[2].startswith(f"ClientError: cannot load the model in {broken}: XGBoostError: ")
    assert stderr[3] == "ClientError: expected the argument 'serve' (as in 'docker run <image> serve'), got ['train']"
    for (name, _), err in zip(settings, stderr[4:]):
        assert err.startswith(f"ClientError: {name} must be"), err


def test_server_exits_when_its_parent_closes_stdin(models: dict[str, Path]) -> None:
    """The endpoint host keeps a pipe to each server's stdin; when it closes (the host died, even by
    SIGKILL), the server shuts down instead of living on as an orphan."""
    import time

    env = _env(SAGEMAKER_BIND_TO_PORT="0", SAGEMAKER_BASE_DIR=str(models["xgboost"]), MLOPS_EXIT_ON_STDIN_EOF="1")
    proc = subprocess.Popen([PYTHON, "-m", "mlops_algorithms.serve", "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env)
    try:
        assert b"listening on" in proc.stdout.readline()
        proc.stdin.close()
        deadline = time.time() + 15
        while proc.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
