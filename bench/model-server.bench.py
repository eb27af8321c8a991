"""Benchmark of the model server (``python -m mlops_algorithms.serve serve``); not a test.

Trains a real model per family on the demo dataset into a temp dir (pre-processing + the training
entry points, as the tests do) unless ``--model-dir`` is given, starts the server on a free port,
then sends single-record ``text/csv`` requests over keep-alive connections from a few client
threads (stdlib ``http.client``) and prints requests/s and p50/p99 latency.  With two or more CPUs
the server is pinned to CPU 0 and the client to the others, so the number is "one server core".

The baseline, measured in the same run by the same client, is the model server's own HTTP stack
(``serve.server.uvicorn_config``: uvicorn, httptools, uvloop, the same settings) around an app
that reads the body and answers a fixed ``0.0``: everything but parsing, predicting and encoding.
Rounds alternate baseline and model servers (``--rounds``, medians reported), so machine noise
hits both sides.  Targets are ratios to that baseline: a model server that adds per-request
logging, a framework or a slow predict path (``inplace_predict`` costs ~140 us per call) misses
them.  The last stdout line is one JSON object with figures, targets and ``pass``; exit code 1
when a target is missed.

    make bench-model-server                                            # both families
    .venv/bin/python bench/model-server.bench.py --family xgboost --requests 50000 --threads 3
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ALGORITHMS = Path(__file__).resolve().parent.parent / "algorithms"
REPO = ALGORITHMS.parent
DATASET = REPO / "data" / "kbb-2005-gm-used-cars.csv"
sys.path.insert(0, str(ALGORITHMS))

FAMILIES = {"xgboost": "mlops_algorithms.xgboost", "linear-learner": "mlops_algorithms.linear_learner"}
# Single-record targets per family against the bare HTTP stack, as ratios (requests/s at least,
# p50 and server CPU per request at most). Set from runs on 2 CPUs shared with other work (load
# ~10): xgboost 0.34x req/s, p50 1.7-4.0x, CPU 2.7-3.1x (300 trees: the model is most of a
# request); linear-learner 0.77-0.80x, 0.8-1.05x, 1.35-1.7x. The same runs with xgboost's public
# inplace_predict path instead of the fast scorer: 0.22x, 7.9x, 4.7x. On a quiet machine every
# ratio moves towards 1.
TARGETS = {
    "xgboost": {"req_ratio": 0.28, "p50_ratio": 5.0, "cpu_ratio": 3.8},
    "linear-learner": {"req_ratio": 0.5, "p50_ratio": 2.0, "cpu_ratio": 2.5},
}

BASELINE = r"""
from mlops_algorithms.serve.server import _server_class, bind, uvicorn_config

HEADERS = [(b"content-length", b"4"), (b"content-type", b"text/csv; charset=utf-8")]


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": b"0.0\n"})


sock = bind(0)
port = sock.getsockname()[1]
_server_class()(uvicorn_config(app, port), port, watch_stdin=False).run(sockets=[sock])
"""


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ALGORITHMS)
    env.update(extra)
    return env


def prepare(work: Path) -> Path:
    """Pre-process the demo dataset (seed 42) into ``work/prepared``."""
    raw = work / "raw"
    raw.mkdir(parents=True)
    (raw / DATASET.name).write_bytes(DATASET.read_bytes())
    out = work / "prepared"
    subprocess.run([sys.executable, "-m", "mlops_algorithms.preprocess", "--input-dir", str(raw), "--output-dir", str(out)],
                   env=_env(), check=True, capture_output=True, cwd=str(REPO))
    return out


def train(family: str, prepared: Path, work: Path) -> Path:
    """Run the family's training entry point with the default hyperparameters; returns the model dir."""
    from mlops_algorithms.defaults import DEFAULTS

    base = work / family
    config = base / "input" / "config"
    config.mkdir(parents=True)
    (config / "hyperparameters.json").write_text(json.dumps(DEFAULTS[family]))
    channels = ("train", "validation")
    (config / "inputdataconfig.json").write_text(json.dumps({c: {"ContentType": "text/csv"} for c in channels}))
    for c in channels:
        (base / "input" / "data" / c).mkdir(parents=True)
        (base / "input" / "data" / c / f"{c}.csv").write_bytes((prepared / c / f"{c}.csv").read_bytes())
    proc = subprocess.run([sys.executable, "-m", FAMILIES[family], "train"], env=_env(SAGEMAKER_BASE_DIR=str(base)),
                          capture_output=True, text=True, cwd=str(REPO))
    if proc.returncode != 0:
        raise SystemExit(f"training {family} failed:\n{proc.stderr}")
    return base / "model"


def start_server(model_dir: Path | None, server_cpus: set[int] | None) -> tuple[subprocess.Popen, int, float]:
    """Start the model server (or, without ``model_dir``, the baseline) on a free port; returns
    (process, port, seconds until the ready line)."""
    started = time.perf_counter()
    args = ["-m", "mlops_algorithms.serve", "serve"] if model_dir is not None else ["-c", BASELINE]
    env = _env(SAGEMAKER_MODEL_DIR=str(model_dir), SAGEMAKER_BIND_TO_PORT="0") if model_dir is not None else _env()
    proc = subprocess.Popen([sys.executable, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=str(REPO))
    if server_cpus:
        os.sched_setaffinity(proc.pid, server_cpus)
    line = proc.stdout.readline() if proc.stdout else ""
    if not line.startswith("listening on http://127.0.0.1:"):
        proc.kill()
        raise SystemExit(f"server did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}")
    return proc, int(line.rsplit(":", 1)[1]), time.perf_counter() - started


def run_load(port: int, bodies: list[bytes], requests: int, threads: int) -> tuple[float, list[float]]:
    """Send ``requests`` POSTs split over ``threads`` keep-alive connections; (wall seconds, latencies)."""
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors: list[str] = []
    barrier = threading.Barrier(threads + 1)
    headers = {"Content-Type": "text/csv", "Accept": "text/csv"}

    def worker(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.connect()
        mine = latencies[k]
        count = requests // threads + (1 if k < requests % threads else 0)
        barrier.wait()
        clock = time.perf_counter
        for i in range(count):
            body = bodies[(k + i * threads) % len(bodies)]
            t0 = clock()
            conn.request("POST", "/invocations", body, headers)
            resp = conn.getresponse()
            data = resp.read()
            mine.append(clock() - t0)
            if resp.status != 200 or not data:
                errors.append(f"HTTP {resp.status}: {data[:200]!r}")
                break
        conn.close()

    pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in pool:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise SystemExit(f"request failed: {errors[0]}")
    return wall, sorted(x for part in latencies for x in part)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(sorted_values: list[float], p: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(round(p / 100 * (len(sorted_values) - 1))))]


class Running:
    """A started server (the model server, or the baseline when ``model_dir`` is None)."""

    def __init__(self, model_dir: Path | None, server_cpus: set[int] | None) -> None:
        self.model_dir = model_dir
        self.proc, self.port, self.ready_s = start_server(model_dir, server_cpus)

    def burst(self, bodies: list[bytes], requests: int, threads: int) -> dict[str, float]:
        """requests/s, p50/p99 (ms) and server CPU per request (us) of one burst of requests."""
        cpu0 = cpu_seconds(self.proc.pid)
        wall, lat = run_load(self.port, bodies, requests, threads)
        cpu = cpu_seconds(self.proc.pid) - cpu0
        return {"req_per_s": requests / wall, "p50_ms": percentile(lat, 50) * 1e3, "p99_ms": percentile(lat, 99) * 1e3,
                "server_cpu_us_per_request": cpu / requests * 1e6}

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
        return self.proc.wait(timeout=30)


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", choices=[*FAMILIES, "both"], default="both")
    parser.add_argument("--model-dir", type=Path, help="serve this model instead of training one (needs --family)")
    parser.add_argument("--requests", type=int, default=3000, help="requests per burst")
    parser.add_argument("--rounds", type=int, default=7,
                        help="bursts per server, alternating baseline and model servers; figures are medians")
    parser.add_argument("--threads", type=int, default=2,
                        help="client threads (one GIL: more than 2-3 measure the client, not the server)")
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--no-pin", action="store_true", help="do not pin the servers to CPU 0")
    args = parser.parse_args()
    families = list(FAMILIES) if args.family == "both" else [args.family]
    if args.model_dir and len(families) != 1:
        parser.error("--model-dir needs --family xgboost or --family linear-learner")

    # Client threads share one GIL: a short switch interval keeps a waiting thread from adding
    # the default 5 ms to a request's measured latency.
    sys.setswitchinterval(0.0002)
    cpus = sorted(os.sched_getaffinity(0))
    server_cpus = None if args.no_pin or len(cpus) < 2 else {cpus[0]}
    if server_cpus:
        os.sched_setaffinity(0, set(cpus[1:]))
    print(f"cpus: {len(cpus)}; servers pinned to {sorted(server_cpus) if server_cpus else 'none'}; "
          f"{args.rounds} rounds of {args.requests} single-record text/csv requests per server over {args.threads} "
          "keep-alive connections, baseline and model servers alternating")

    bursts: dict[str, list[dict[str, float]]] = {"baseline": [], **{f: [] for f in families}}
    exit_codes: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        work = Path(tmp)
        prepared = None if args.model_dir else prepare(work)
        test_rows = (prepared / "test" / "test.csv" if prepared else DATASET).read_text().splitlines()
        if prepared:
            bodies = [(",".join(line.split(",")[1:]) + "\n").encode() for line in test_rows if line]
        else:
            bodies = [(",".join(line.split(",")[2:]) + "\n").encode() for line in test_rows[1:] if line]
        models: dict[str, Path | None] = {"baseline": None}
        for family in families:
            models[family] = args.model_dir or train(family, prepared, work)  # type: ignore[arg-type]
        servers: dict[str, Running] = {}
        try:
            for name, model_dir in models.items():
                servers[name] = Running(model_dir, server_cpus)
                run_load(servers[name].port, bodies, args.warmup, args.threads)
            # Alternating short bursts: a noisy neighbour slows the baseline and the model servers alike.
            for _ in range(args.rounds):
                for name, server in servers.items():
                    bursts[name].append(server.burst(bodies, args.requests, args.threads))
        finally:
            for name, server in servers.items():
                exit_codes[name] = server.stop()

    figures: dict[str, dict[str, float]] = {}
    targets: dict[str, bool] = {}
    base = bursts["baseline"]
    for name, runs in bursts.items():
        f = {k: median([r[k] for r in runs]) for k in runs[0]}
        line = (f"{name:15s} {f['req_per_s']:8.0f} req/s   p50 {f['p50_ms']:6.3f} ms   p99 {f['p99_ms']:6.3f} ms   "
                f"server {f['server_cpu_us_per_request']:.0f} us/request")
        if name != "baseline":
            # Each round's ratio against the baseline burst just before it, then the median.
            f["req_ratio"] = median([r["req_per_s"] / b["req_per_s"] for r, b in zip(runs, base)])
            f["p50_ratio"] = median([r["p50_ms"] / b["p50_ms"] for r, b in zip(runs, base)])
            f["cpu_ratio"] = median([r["server_cpu_us_per_request"] / b["server_cpu_us_per_request"]
                                     for r, b in zip(runs, base) if b["server_cpu_us_per_request"] > 0] or [float("inf")])
            f["ready_s"] = round(servers[name].ready_s, 3)
            f["exit_code"] = exit_codes[name]
            want = TARGETS[name]
            targets[f"{name}_req_per_s>={want['req_ratio']}x_baseline"] = f["req_ratio"] >= want["req_ratio"]
            targets[f"{name}_p50<={want['p50_ratio']}x_baseline"] = f["p50_ratio"] <= want["p50_ratio"]
            targets[f"{name}_server_cpu_per_request<={want['cpu_ratio']}x_baseline"] = f["cpu_ratio"] <= want["cpu_ratio"]
            targets[f"{name}_exits_0_after_sigterm"] = exit_codes[name] == 0
            line += (f"   {f['req_ratio']:.2f}x baseline req/s, p50 {f['p50_ratio']:.2f}x, CPU {f['cpu_ratio']:.2f}x; "
                     f"ready after {f['ready_s']:.2f} s, exit code {exit_codes[name]}")
        figures[name] = f
        print(line, flush=True)
    result = {"benchmark": "model-server", "cpus": len(cpus), "servers_pinned": bool(server_cpus),
              "requests_per_burst": args.requests, "rounds": args.rounds, "threads": args.threads, "figures": figures,
              "targets": targets, "pass": all(targets.values())}
    print(json.dumps(result))
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
