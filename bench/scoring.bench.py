"""Benchmark of batch scoring (``mlops_algorithms.transform`` and scoring-mode pre-processing); not a test.

Trains a real XGBoost model on the demo dataset with the training entry point (default
hyperparameters) into a temp dir, then for each size (default 100,000 and 1,000,000 rows):

1. writes a raw scoring CSV like the dataset (header, ``rownames`` = random ids, rows sampled
   from ``data/kbb-2005-gm-used-cars.csv``) and times ``python -m mlops_algorithms.preprocess
   --mode scoring`` on it; its output (``17 features,id``, no header) is the scoring input;
2. (a) *bare pandas*: a subprocess doing ``read_csv -> load_predictor(...).predict -> to_csv`` of
   ``id,prediction`` for the same rows;
3. (b) ``python -m mlops_algorithms.transform`` as a subprocess with the batch-scoring workflow's
   filters (``InputFilter $[0:16]``, ``JoinSource Input``, ``OutputFilter $[17:]``);

checks that (a) and (b) wrote the same ids and float32 predictions, and reports wall time, rows/s,
the ratio b/a and each child's peak RSS (``os.wait4`` in a small spawner process, see ``Spawner``).  Every measurement is repeated
(``--repeat``, alternating a and b) and the median time / max RSS is reported.  Both sides use
the same ``nthread`` (default: the CPUs available).

Memory is judged by its growth: each transform's peak RSS minus the peak RSS of a one-record
transform in the same run (every import and the model loaded, no data).  The fixed base (~160
MiB of Python, numpy, pandas and xgboost) would otherwise hide a transform that holds the whole
file: streamed, the growth at 1M rows stays near the growth at 100k (one chunk either way).

The last stdout line is one JSON object with the figures, the targets and ``pass``; the exit code
is 1 when a target is missed (2 when the sizes do not allow checking them).

    make bench-scoring
    .venv/bin/python bench/scoring.bench.py --sizes 100000,1000000 --repeat 5 --with-capture
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ALGORITHMS = Path(__file__).resolve().parent.parent / "algorithms"
REPO = ALGORITHMS.parent
DATASET = REPO / "data" / "kbb-2005-gm-used-cars.csv"
sys.path.insert(0, str(ALGORITHMS))

BARE = r"""
import sys
import pandas as pd
from mlops_algorithms.predict import load_predictor
model_dir, src, dst, nthread = sys.argv[1:5]
predictor = load_predictor(model_dir, nthread=int(nthread))
frame = pd.read_csv(src, header=None)
pred = predictor.predict(frame.iloc[:, :-1].to_numpy())
pd.DataFrame({"id": frame.iloc[:, -1], "prediction": pred}).to_csv(dst, header=False, index=False)
"""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("input_filter", "output_filter", "join_source")}
    env["PYTHONPATH"] = str(ALGORITHMS)
    env.update(extra)
    return env


SPAWNER = r"""
import json, os, subprocess, sys, time
for line in sys.stdin:
    req = json.loads(line)
    with open(req["log"], "wb") as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(req["args"], env=req["env"], cwd=req["cwd"], stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    print(json.dumps({"wall": wall, "maxrss_kib": usage.ru_maxrss, "code": os.waitstatus_to_exitcode(status)}), flush=True)
"""


class Spawner:
    """Runs children from a small helper process started before the benchmark grows.

    Why: Linux records a process's peak RSS across exec, so a child forked from a big parent
    reports at least the parent's peak as its own ``ru_maxrss``.  Children of this small helper
    only inherit its ~10 MiB.
    """

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", SPAWNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        self.logs = Path(tempfile.mkdtemp(prefix="bench-transform-logs-"))
        self.count = 0

    def run(self, args: list[str], env: dict[str, str]) -> tuple[float, float]:
        """(wall seconds, peak RSS in MiB) of one child; exits the benchmark if the child fails."""
        self.count += 1
        log = self.logs / f"{self.count}.log"
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps({"args": args, "env": env, "cwd": str(REPO), "log": str(log)}) + "\n")
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline())
        if reply["code"] != 0:
            raise SystemExit(f"{' '.join(args[:3])} failed ({reply['code']}):\n{log.read_text()}")
        return reply["wall"], reply["maxrss_kib"] / 1024

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)
        for f in self.logs.iterdir():
            f.unlink()
        self.logs.rmdir()


SPAWN: Spawner | None = None
GROWTH_SIZES = (100_000, 1_000_000)
# Streaming keeps the growth at 1M rows near the growth at 100k (chunks of <= 6 MiB either way;
# measured 1.2-1.5x, allocator noise); holding the file makes it grow with the rows (>= 3x). The
# slack keeps a small 100k growth from making the limit a coin toss.
GROWTH_RATIO = 2.0
GROWTH_SLACK_MB = 32.0
EXTRA: dict[str, str] = {}  # --transform-setting: e.g. chunk_rows=10000000 (one chunk: the memory target fails)


def run_child(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    assert SPAWN is not None
    return SPAWN.run(args, env)


def train(work: Path) -> Path:
    """Training-mode pre-processing + the XGBoost training entry point (default hyperparameters)."""
    from mlops_algorithms.defaults import XGBOOST

    raw = work / "raw"
    raw.mkdir()
    (raw / DATASET.name).write_bytes(DATASET.read_bytes())
    prepared = work / "prepared"
    run_child([sys.executable, "-m", "mlops_algorithms.preprocess", "--input-dir", str(raw), "--output-dir",
               str(prepared)], _env(SAGEMAKER_BASE_DIR=str(work / "pp-base")))
    base = work / "train"
    config = base / "input" / "config"
    config.mkdir(parents=True)
    (config / "hyperparameters.json").write_text(json.dumps(XGBOOST))
    (config / "inputdataconfig.json").write_text(json.dumps({c: {"ContentType": "text/csv"} for c in ("train", "validation")}))
    for c in ("train", "validation"):
        (base / "input" / "data" / c).mkdir(parents=True)
        (base / "input" / "data" / c / f"{c}.csv").write_bytes((prepared / c / f"{c}.csv").read_bytes())
    run_child([sys.executable, "-m", "mlops_algorithms.xgboost", "train"], _env(SAGEMAKER_BASE_DIR=str(base)))
    return prepared / "schema" / "feature-schema.json"


def write_raw(path: Path, rows: int, seed: int) -> None:
    """A scoring CSV like the dataset: header, random 9-digit ids, rows sampled from the dataset."""
    lines = DATASET.read_text().splitlines()
    header, body = lines[0], [line.split(",", 1)[1] for line in lines[1:] if line]
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(body), rows).tolist()
    ids = rng.integers(100_000_000, 1_000_000_000, rows).tolist()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(header + "\n")
        step = 100_000
        for s in range(0, rows, step):
            f.write("".join(f"{i},{body[k]}\n" for i, k in zip(ids[s:s + step], picks[s:s + step])))


def same_results(bare: Path, transformed: Path) -> bool:
    import pandas as pd

    a = pd.read_csv(bare, header=None, dtype={0: str, 1: np.float64})
    b = pd.read_csv(transformed, header=None, dtype={0: str, 1: np.float64})
    return bool(len(a) == len(b) and (a[0] == b[0]).all()
                and (a[1].to_numpy(np.float32) == b[1].to_numpy(np.float32)).all())


def transform_env(model_dir: Path, input_dir: Path, output_dir: Path, base: Path, nthread: int) -> dict[str, str]:
    """The transform as the batch-scoring workflow runs it on pre-processed ``features,id`` rows."""
    return _env(SAGEMAKER_BASE_DIR=str(base), model_dir=str(model_dir), input_dir=str(input_dir),
                output_dir=str(output_dir), content_type="text/csv", accept="text/csv",
                input_filter="$[0:16]", join_source="Input", output_filter="$[17:]", nthread=str(nthread), **EXTRA)


def base_rss(work: Path, model_dir: Path, schema: Path, nthread: int, repeat: int,
             with_capture: bool) -> dict[str, float]:
    """Peak RSS (MiB) of a one-record transform, with and without capture: everything but the data."""
    raw = work / "empty" / "raw" / "cars.csv"
    write_raw(raw, 1, seed=1)
    prepared = work / "empty" / "scoring"
    run_child([sys.executable, "-m", "mlops_algorithms.preprocess", "--mode", "scoring", "--input-dir", str(raw.parent),
               "--output-dir", str(prepared), "--feature-schema", str(schema)], _env(SAGEMAKER_BASE_DIR=str(work / "empty")))
    out: dict[str, list[float]] = {"transform": [], "transform_capture": []}
    for k in range(repeat):
        env = transform_env(model_dir, prepared, work / "empty" / f"out-{k}", work / "empty", nthread)
        out["transform"].append(run_child([sys.executable, "-m", "mlops_algorithms.transform"], env)[1])
        if with_capture:
            cap = dict(env, output_dir=str(work / "empty" / f"outc-{k}"), capture_dir=str(work / "empty" / f"cap-{k}"),
                       feature_schema=str(schema), generate_inference_id="true")
            out["transform_capture"].append(run_child([sys.executable, "-m", "mlops_algorithms.transform"], cap)[1])
    # The smallest peak: noise only ever adds memory.
    return {name: round(min(peaks), 1) for name, peaks in out.items() if peaks}


def bench_size(rows: int, work: Path, model_dir: Path, schema: Path, nthread: int, repeat: int,
               with_capture: bool, base: dict[str, float]) -> dict[str, object]:
    d = work / f"n{rows}"
    write_raw(d / "raw" / "cars.csv", rows, seed=rows)
    pre_times, pre_rss = [], []
    for k in range(repeat):
        out = d / f"scoring-{k}"
        wall, rss = run_child([sys.executable, "-m", "mlops_algorithms.preprocess", "--mode", "scoring",
                               "--input-dir", str(d / "raw"), "--output-dir", str(out), "--feature-schema", str(schema)],
                              _env(SAGEMAKER_BASE_DIR=str(d / "base")))
        pre_times.append(wall)
        pre_rss.append(rss)
        if k:
            (out / "cars.csv").unlink()
    scoring_dir = d / "scoring-0"
    src = scoring_dir / "cars.csv"
    results: dict[str, list[tuple[float, float]]] = {"bare": [], "transform": [], "transform+capture": []}
    for k in range(repeat):
        bare_out = d / f"bare-{k}.csv"
        results["bare"].append(run_child([sys.executable, "-c", BARE, str(model_dir), str(src), str(bare_out),
                                          str(nthread)], _env()))
        env = transform_env(model_dir, scoring_dir, d / f"out-{k}", d / "base", nthread)
        results["transform"].append(run_child([sys.executable, "-m", "mlops_algorithms.transform"], env))
        if with_capture:
            cap = dict(env, output_dir=str(d / f"outc-{k}"), capture_dir=str(d / f"cap-{k}"),
                       feature_schema=str(schema), generate_inference_id="true")
            results["transform+capture"].append(run_child([sys.executable, "-m", "mlops_algorithms.transform"], cap))
        if k == 0:
            if not same_results(bare_out, d / "out-0" / "cars.csv.out"):
                raise SystemExit(f"{rows} rows: bare pandas and transform disagree")
        else:
            bare_out.unlink()
            (d / f"out-{k}" / "cars.csv.out").unlink()
    summary: dict[str, object] = {
        "rows": rows,
        "preprocess_s": round(statistics.median(pre_times), 3),
        "preprocess_rows_per_s": round(rows / statistics.median(pre_times)),
        "preprocess_peak_rss_mb": round(max(pre_rss), 1),
    }
    for name, runs in results.items():
        if not runs:
            continue
        wall = statistics.median(w for w, _ in runs)
        key = name.replace("+", "_")
        summary[f"{key}_s"] = round(wall, 3)
        summary[f"{key}_rows_per_s"] = round(rows / wall)
        summary[f"{key}_peak_rss_mb"] = round(max(r for _, r in runs), 1)
        summary[f"{key}_runs_s"] = [round(w, 3) for w, _ in runs]
        if key in base:
            summary[f"{key}_growth_mb"] = round(max(r for _, r in runs) - base[key], 1)
    summary["ratio_transform_to_bare"] = round(summary["transform_s"] / summary["bare_s"], 3)  # type: ignore[operator]
    return summary


def main() -> int:
    from mlops_algorithms.transform.config import default_threads

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated row counts")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--nthread", type=int, default=default_threads())
    parser.add_argument("--with-capture", action="store_true", help="also time transform with capture + inference ids")
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it")
    parser.add_argument("--transform-setting", action="append", default=[], metavar="NAME=VALUE",
                        help="an extra transform setting (e.g. chunk_rows=10000000 to check that the memory target bites)")
    args = parser.parse_args()
    for setting in args.transform_setting:
        name, sep, value = setting.partition("=")
        if not sep or not name:
            parser.error(f"--transform-setting {setting!r}: expected NAME=VALUE")
        EXTRA[name] = value
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    global SPAWN
    SPAWN = Spawner()
    try:
        return _main(args, sizes)
    finally:
        SPAWN.close()


def _main(args: argparse.Namespace, sizes: list[int]) -> int:
    from mlops_algorithms.transform.config import default_threads

    with tempfile.TemporaryDirectory(prefix="bench-transform-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        schema = train(work)
        model_dir = work / "train" / "model"
        base = base_rss(work, model_dir, schema, args.nthread, args.repeat, args.with_capture)
        print(f"cpus {default_threads()}, nthread {args.nthread}; model trained in {time.perf_counter() - t0:.1f} s; "
              f"median of {args.repeat} runs; one-record transform peak RSS {base['transform']:.0f} MiB", flush=True)
        report = []
        for rows in sizes:
            s = bench_size(rows, work, model_dir, schema, args.nthread, args.repeat, args.with_capture, base)
            report.append(s)
            line = (f"{rows:>9} rows  bare pandas {s['bare_s']:6.2f} s {s['bare_rows_per_s']:>8}/s "
                    f"{s['bare_peak_rss_mb']:6.0f} MiB | transform {s['transform_s']:6.2f} s "
                    f"{s['transform_rows_per_s']:>8}/s {s['transform_peak_rss_mb']:6.0f} MiB "
                    f"(+{s['transform_growth_mb']:.0f}) | ratio "
                    f"{s['ratio_transform_to_bare']:.2f} | preprocess {s['preprocess_s']:.2f} s")
            if "transform_capture_s" in s:
                line += f" | with capture+ids {s['transform_capture_s']:.2f} s {s['transform_capture_peak_rss_mb']:.0f} MiB"
            print(line, flush=True)
    result: dict[str, object] = {"benchmark": "scoring", "cpus": default_threads(), "nthread": args.nthread,
                                 "repeat": args.repeat, "base_peak_rss_mb": base, "sizes": report}
    by_rows = {s["rows"]: s for s in report}
    if not all(n in by_rows for n in GROWTH_SIZES):
        result["targets"] = {}
        result["pass"] = False
        print(json.dumps(result))
        print(f"the targets need --sizes to include {GROWTH_SIZES[0]} and {GROWTH_SIZES[1]}", file=sys.stderr)
        return 2
    small, big = by_rows[GROWTH_SIZES[0]], by_rows[GROWTH_SIZES[1]]
    growth_small, growth_big = small["transform_growth_mb"], big["transform_growth_mb"]
    growth_limit = round(max(GROWTH_RATIO * growth_small, growth_small + GROWTH_SLACK_MB), 1)  # type: ignore[operator]
    result["transform_growth_limit_1m_mb"] = growth_limit
    result["transform_rss_ratio_1m_to_100k"] = round(big["transform_peak_rss_mb"] / small["transform_peak_rss_mb"], 3)  # type: ignore[operator]
    targets = {
        "rows_per_s_at_1m>=100000": big["transform_rows_per_s"] >= 100_000,  # type: ignore[operator]
        "time_vs_bare_at_1m<=1.5": big["ratio_transform_to_bare"] <= 1.5,  # type: ignore[operator]
        f"growth_1m<=max({GROWTH_RATIO}x_growth_100k,growth_100k+{GROWTH_SLACK_MB:.0f}MiB)": growth_big <= growth_limit,  # type: ignore[operator]
    }
    result["targets"] = targets
    result["pass"] = all(targets.values())
    print(json.dumps(result))
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
