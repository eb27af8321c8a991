"""Benchmark of the model server (``python -m mlops_algorithms.serve serve``); not a test.

Trains a real model per family on the demo dataset into a temp dir (pre-processing + the training
entry points, as the tests do) unless ``--model-dir`` is given, starts the server on a free port,
then sends single-record ``text/csv`` requests over keep-alive connections from a few client
threads (stdlib ``http.client``) and prints requests/s and p50/p99 latency.  With two or more CPUs
the server is pinned to CPU 0 and the client to the others, so the number is "one server core".

    .venv/bin/python algorithms/bench_serve.py                       # both families, 20000 requests
    .venv/bin/python algorithms/bench_serve.py --family xgboost --requests 50000 --threads 3
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
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


def start_server(model_dir: Path, server_cpus: set[int] | None) -> tuple[subprocess.Popen, int, float]:
    """Start the server on a free port; returns (process, port, seconds until the ready line)."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "mlops_algorithms.serve", "serve"],
                            env=_env(SAGEMAKER_MODEL_DIR=str(model_dir), SAGEMAKER_BIND_TO_PORT="0"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(REPO))
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", choices=[*FAMILIES, "both"], default="both")
    parser.add_argument("--model-dir", type=Path, help="serve this model instead of training one (needs --family)")
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--threads", type=int, default=2,
                        help="client threads (one GIL: more than 2-3 measure the client, not the server)")
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--no-pin", action="store_true", help="do not pin the server to CPU 0")
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
    print(f"cpus: {len(cpus)}; server pinned to {sorted(server_cpus) if server_cpus else 'none'}; "
          f"{args.requests} single-record text/csv requests over {args.threads} keep-alive connections")

    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        work = Path(tmp)
        prepared = None if args.model_dir else prepare(work)
        test_rows = (prepared / "test" / "test.csv" if prepared else DATASET).read_text().splitlines()
        for family in families:
            model_dir = args.model_dir or train(family, prepared, work)  # type: ignore[arg-type]
            if prepared:
                bodies = [(",".join(line.split(",")[1:]) + "\n").encode() for line in test_rows if line]
            else:
                bodies = [(",".join(line.split(",")[2:]) + "\n").encode() for line in test_rows[1:] if line]
            proc, port, ready = start_server(model_dir, server_cpus)
            try:
                run_load(port, bodies, args.warmup, args.threads)
                cpu0 = cpu_seconds(proc.pid)
                wall, lat = run_load(port, bodies, args.requests, args.threads)
                cpu = cpu_seconds(proc.pid) - cpu0
            finally:
                proc.terminate()
                code = proc.wait(timeout=30)
            print(f"{family:15s} {args.requests / wall:8.0f} req/s   p50 {percentile(lat, 50) * 1e3:6.3f} ms   "
                  f"p99 {percentile(lat, 99) * 1e3:6.3f} ms   server CPU {cpu / wall * 100:3.0f} % "
                  f"({cpu / args.requests * 1e6:.0f} us/request = {args.requests / cpu if cpu else 0:.0f} req/s per busy core)   ready after {ready:.2f} s, exit code {code}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
