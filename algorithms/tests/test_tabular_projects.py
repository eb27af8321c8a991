"""Datasets of any tabular shape: string categoricals, missing values, decoded monitoring, and a
bring-your-own algorithm (the example under algorithms/byo/) trained and scored for real."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import ALGORITHMS, REPO, process_gone
from mlops_algorithms.contract import ClientError
from mlops_algorithms.encoding import Encoder, RawView
from mlops_algorithms.preprocess.job import PreprocessOptions, run
from mlops_algorithms.preprocess.scoring import ScoringOptions, run_scoring

PENGUINS = REPO / "projects" / "penguins" / "data" / "penguins.csv"
BYO = ALGORITHMS / "byo" / "hist_gradient_boosting"
SPEC = {
    "label": {"name": "body_mass_g", "type": "float", "min": 0, "missing": "drop"},
    "missingValues": ["NA"],
    "features": [
        {"name": "species", "type": "categorical", "levels": ["Adelie", "Chinstrap", "Gentoo"]},
        {"name": "island", "type": "categorical", "unseen": "other"},
        {"name": "bill_length_mm", "type": "float", "min": 0, "missing": "impute", "impute": "median"},
        {"name": "flipper_length_mm", "type": "integer", "missing": "pass"},
        {"name": "sex", "type": "categorical", "missing": "impute", "impute": "mode"},
        {"name": "year", "type": "integer"},
    ],
}


def _prepare(tmp_path: Path, spec: dict, text: str | None = None, name: str = "out") -> Path:
    inp = tmp_path / f"in-{name}"
    inp.mkdir()
    (inp / "penguins.csv").write_text(text if text is not None else PENGUINS.read_text())
    (tmp_path / f"{name}.json").write_text(json.dumps(spec))
    out = tmp_path / name
    run(PreprocessOptions(inp, out, dataset_spec=tmp_path / f"{name}.json"))
    return out


def _test_features(tmp_path: Path, out: Path) -> Path:
    """The prepared test split without its label column, as a batch transform's input dir."""
    inp = tmp_path / "tin"
    inp.mkdir()
    (inp / "test.csv").write_text("".join(line.split(",", 1)[1] + "\n" for line in (out / "test" / "test.csv").read_text().splitlines()))
    return inp


def _byo_transform_env(serve_command: list[str], model_dir: Path, inp: Path, out: Path, output_dir: Path, base: Path) -> dict[str, str]:
    """The environment the local backend gives a bring-your-own batch transform."""
    return {"serve_command": json.dumps(serve_command), "serve_dir": str(BYO), "accepts_missing": "true",
            "model_dir": str(model_dir), "input_dir": str(inp), "output_dir": str(output_dir),
            "feature_schema": str(out / "schema" / "feature-schema.json"), "SAGEMAKER_BASE_DIR": str(base),
            "PYTHONPATH": str(ALGORITHMS), "PATH": "/usr/bin:/bin"}


def test_when_a_dataset_has_categoricals_and_missing_values_then_they_are_encoded_and_imputed_from_the_train_split(tmp_path: Path) -> None:
    out = _prepare(tmp_path, SPEC)
    schema = json.loads((out / "schema" / "feature-schema.json").read_text())
    names = [f["name"] for f in schema["features"]]
    assert names[:3] == ["species=Adelie", "species=Chinstrap", "species=Gentoo"]
    assert "island=__other__" in names and "sex=female" in names and "flipper_length_mm" in names
    assert schema["rawFeatures"] == ["species", "island", "bill_length_mm", "flipper_length_mm", "sex", "year"]
    assert schema["source"]["rowsWithoutLabel"] == 2 and sum(schema["split"]["rows"].values()) == 342
    sex = next(c for c in schema["categoricals"] if c["name"] == "sex")
    train = np.genfromtxt(out / "train" / "train.csv", delimiter=",", missing_values="", filling_values=np.nan)
    # the mode of the TRAIN split, and every train row then has exactly one sex level
    female, male = names.index("sex=female") + 1, names.index("sex=male") + 1
    assert sex["impute"]["value"] == ("female" if train[:, female].sum() >= train[:, male].sum() else "male")
    assert np.all(train[:, female] + train[:, male] == 1)
    bill = next(f for f in schema["features"] if f["name"] == "bill_length_mm")
    assert bill["missing"] == "impute" and bill["impute"]["strategy"] == "median"
    assert schema["missingShare"]["sex"] > 0


def test_when_a_feature_passes_missing_values_then_the_split_keeps_an_empty_field(tmp_path: Path) -> None:
    text = PENGUINS.read_text().replace("Adelie,Torgersen,39.5,17.4,186,3800", "Adelie,Torgersen,39.5,17.4,NA,3800")
    out = _prepare(tmp_path, SPEC, text)
    rows = [line for s in ("train", "validation", "test") for line in (out / s / f"{s}.csv").read_text().splitlines()]
    assert any(",," in line for line in rows)


@pytest.mark.parametrize("change, message", [
    ({"features": [{"name": "island", "type": "categorical", "maxLevels": 2}]}, r"column 'island': 3 distinct values .* more than maxLevels 2 \(rule: max levels\)"),
    ({"features": [{"name": "species", "type": "categorical", "levels": ["Adelie", "Gentoo"]}]}, r"column 'species', line \d+: value 'Chinstrap' is not one of the levels \{Adelie, Gentoo\} \(rule: unseen category\)"),
    ({"features": [{"name": "sex", "type": "categorical"}]}, r"column 'sex', line 10: empty value \(rule: required\); 8 more values"),
    ({"label": {"name": "body_mass_g", "type": "float"}}, r"column 'body_mass_g', line 5: the label is missing \(rule: required label\)"),
])
def test_when_a_column_breaks_its_rule_then_training_refuses_the_file_naming_column_line_and_rule(tmp_path: Path, change: dict, message: str) -> None:
    spec = {**SPEC, **change}
    with pytest.raises(ClientError, match=message):
        _prepare(tmp_path, spec)


def test_when_a_feature_is_entirely_empty_then_training_refuses_it(tmp_path: Path) -> None:
    lines = PENGUINS.read_text().splitlines()
    text = "\n".join([lines[0]] + [",".join(c if i != 6 else "NA" for i, c in enumerate(line.split(","))) for line in lines[1:]]) + "\n"
    with pytest.raises(ClientError, match=r"column 'sex': all 342 values are empty \(rule: column not empty\)"):
        _prepare(tmp_path, SPEC, text)


def test_when_a_scoring_record_has_an_unseen_category_then_the_policy_decides(tmp_path: Path) -> None:
    out = _prepare(tmp_path, SPEC)
    schema_file = out / "schema" / "feature-schema.json"
    inp = tmp_path / "score"
    inp.mkdir()
    (inp / "new.csv").write_text("id,species,island,bill_length_mm,flipper_length_mm,sex,year\n"
                                 "a,Gentoo,Atlantis,NA,,NA,2009\nb,Adelie,Biscoe,40,190,male,2008\n")
    run_scoring(ScoringOptions(inp, tmp_path / "scored", schema_file, ("id",)))
    schema = json.loads(schema_file.read_text())
    names = [f["name"] for f in schema["features"]]
    first = (tmp_path / "scored" / "new.csv").read_text().splitlines()[0].split(",")
    assert first[names.index("island=__other__")] == "1" and first[names.index("flipper_length_mm")] == ""
    assert float(first[names.index("bill_length_mm")]) == next(f for f in schema["features"] if f["name"] == "bill_length_mm")["impute"]["value"]
    assert first[-1] == "a"
    (inp / "new.csv").write_text("species,island,bill_length_mm,flipper_length_mm,sex,year\nAdelie,Dream,40,190,male,2008\nEmperor,Dream,40,190,male,2008\n")
    with pytest.raises(ClientError, match=r"new.csv: column 'species', line 3: value 'Emperor' is not one of the levels \{Adelie, Chinstrap, Gentoo\} \(rule: unseen category\)"):
        run_scoring(ScoringOptions(inp, tmp_path / "scored2", schema_file))


def test_when_encoded_rows_are_read_back_then_monitoring_sees_the_raw_columns(tmp_path: Path) -> None:
    out = _prepare(tmp_path, SPEC)
    schema = json.loads((out / "schema" / "feature-schema.json").read_text())
    encoder = Encoder(schema)
    matrix, problems = encoder.encode({"species": ["Gentoo"], "island": ["Atlantis"], "bill_length_mm": ["41.5"], "flipper_length_mm": [""], "sex": ["male"], "year": ["2009"]}, 1)
    assert problems == []
    texts = ["" if v[0] != v[0] else repr(v[0]) for v in matrix]
    raw = RawView(schema).decode_rows([["3500.0", *texts]])[0]
    assert raw == ["3500.0", "Gentoo", "__other__", "41.5", "", "male", "2009.0"]
    from mlops_algorithms.monitor.data_quality import run as baseline

    baseline({"dataset_source": str(out / "train"), "output_path": str(tmp_path / "bl"), "dataset_format": '{"csv": {"header": false}}',
              "feature_schema": str(out / "schema" / "feature-schema.json")})
    stats = json.loads((tmp_path / "bl" / "statistics.json").read_text())
    kinds = {f["name"]: f["inferred_type"] for f in stats["features"]}
    assert kinds == {"body_mass_g": "Fractional", "species": "String", "island": "String", "bill_length_mm": "Fractional",
                     "flipper_length_mm": "Integral", "sex": "String", "year": "Integral"}
    species = next(f for f in stats["features"] if f["name"] == "species")["string_statistics"]
    assert species["distinct_count"] == 3.0 and {b["value"] for b in species["distribution"]["categorical"]["buckets"]} == {"Adelie", "Chinstrap", "Gentoo"}


def test_when_the_byo_example_trains_and_a_transform_scores_with_it_then_both_follow_the_container_contracts(tmp_path: Path) -> None:
    out = _prepare(tmp_path, SPEC)
    base = tmp_path / "job"
    for channel in ("train", "validation"):
        (base / "input" / "data" / channel).mkdir(parents=True)
        (base / "input" / "data" / channel / f"{channel}.csv").write_bytes((out / channel / f"{channel}.csv").read_bytes())
    (base / "input" / "config").mkdir(parents=True)
    (base / "input" / "config" / "hyperparameters.json").write_text(json.dumps({"max_iter": "50"}))
    env = {"SAGEMAKER_BASE_DIR": str(base), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "main.py", "train"], cwd=BYO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "validation:rmse=" in done.stdout
    (base / "input" / "config" / "hyperparameters.json").write_text(json.dumps({"max_iter": "many"}))
    bad = subprocess.run([sys.executable, "main.py", "train"], cwd=BYO, env=env, capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and (base / "output" / "failure").read_text().startswith("ClientError: hyperparameter max_iter")
    inp = _test_features(tmp_path, out)
    env = _byo_transform_env([sys.executable, "main.py"], base / "model", inp, out, tmp_path / "tout", tmp_path / "tbase")
    done = subprocess.run([sys.executable, "-m", "mlops_algorithms.transform"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    predictions = [float(v) for v in (tmp_path / "tout" / "test.csv.out").read_text().split()]
    labels = [float(line.split(",")[0]) for line in (out / "test" / "test.csv").read_text().splitlines()]
    assert len(predictions) == len(labels)
    assert float(np.sqrt(np.mean((np.array(predictions) - np.array(labels)) ** 2))) < 600  # g; the label's spread is ~800


def test_when_the_label_is_an_integer_then_the_baseline_expects_fractional_predictions_in_its_place(tmp_path: Path) -> None:
    """The captured rows hold the model's prediction where the training rows hold the label: a
    regressor's predictions are fractional, so an integer label (grams, prices in whole units) must
    not make every monitoring run report a data_type_check on it."""
    from mlops_algorithms.monitor.data_quality import run as baseline
    from mlops_algorithms.monitor.monitoring import run_data_quality

    out = _prepare(tmp_path, {**SPEC, "label": {**SPEC["label"], "type": "integer"}})
    schema_file = out / "schema" / "feature-schema.json"
    baseline({"dataset_source": str(out / "train"), "output_path": str(tmp_path / "bl"), "dataset_format": '{"csv": {"header": false}}',
              "feature_schema": str(schema_file)})
    stats = json.loads((tmp_path / "bl" / "statistics.json").read_text())
    constraints = json.loads((tmp_path / "bl" / "constraints.json").read_text())
    assert stats["features"][0]["name"] == "body_mass_g" and stats["features"][0]["inferred_type"] == "Fractional"
    assert constraints["features"][0]["inferred_type"] == "Fractional" and "string_constraints" not in constraints["features"][0]

    # A batch capture of the train rows as scoring writes it (record_id, the model's features,
    # prediction), the predictions the labels plus a fraction: nothing drifted.
    names = [f["name"] for f in json.loads(schema_file.read_text())["features"]]
    rows = [line.split(",") for line in (out / "train" / "train.csv").read_text().strip().splitlines()]
    capture = tmp_path / "capture"
    capture.mkdir()
    lines = [",".join(["record_id", *names, "prediction"])] + [",".join([str(i), *r[1:], repr(float(r[0]) + 0.37)]) for i, r in enumerate(rows)]
    (capture / "penguins.captured.csv").write_text("\n".join(lines) + "\n")
    run_data_quality({"dataset_source": str(capture), "output_path": str(tmp_path / "report"), "dataset_format": '{"csv": {"header": true}}',
                      "baseline_statistics": str(tmp_path / "bl" / "statistics.json"), "baseline_constraints": str(tmp_path / "bl" / "constraints.json"),
                      "feature_schema": str(schema_file)})
    violations = json.loads((tmp_path / "report" / "constraint_violations.json").read_text())["violations"]
    assert violations == [], violations


def test_when_the_byo_serving_container_exits_before_ping_then_the_transform_fails_naming_its_exit_code(tmp_path: Path) -> None:
    """The container boots while the transform reads its input; its early exit still fails the job."""
    out = _prepare(tmp_path, SPEC)
    inp = _test_features(tmp_path, out)
    crash = [sys.executable, "-c", "import sys; print('cannot load the model'); sys.exit(3)"]
    for records in (True, False):
        if not records:
            (inp / "test.csv").write_text("")
        env = _byo_transform_env(crash, tmp_path / "nomodel", inp, out, tmp_path / f"tout-{records}", tmp_path / f"tbase-{records}")
        (tmp_path / "nomodel").mkdir(exist_ok=True)
        done = subprocess.run([sys.executable, "-m", "mlops_algorithms.transform"], env=env, capture_output=True, text=True, timeout=300)
        failure = (tmp_path / f"tbase-{records}" / "output" / "failure")
        message = failure.read_text() if failure.exists() else done.stdout + done.stderr
        assert done.returncode != 0, (records, done.stdout + done.stderr)
        assert "the serving container exited with code 3 before /ping" in message and "cannot load the model" in message, message


def _trained_byo(tmp_path: Path) -> tuple[Path, int]:
    """The example trained for a few iterations on the prepared rows: its model dir and feature count."""
    out = _prepare(tmp_path, SPEC)
    base = tmp_path / "job"
    (base / "input" / "data" / "train").mkdir(parents=True)
    (base / "input" / "data" / "train" / "train.csv").write_bytes((out / "train" / "train.csv").read_bytes())
    (base / "input" / "config").mkdir(parents=True)
    (base / "input" / "config" / "hyperparameters.json").write_text(json.dumps({"max_iter": "5"}))
    done = subprocess.run([sys.executable, "main.py", "train"], cwd=BYO, env={"SAGEMAKER_BASE_DIR": str(base), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return base / "model", len((out / "train" / "train.csv").read_text().splitlines()[0].split(",")) - 1


def _serving(model_dir: Path) -> tuple[subprocess.Popen[bytes], int]:
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "main.py", "serve"], cwd=BYO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={"SAGEMAKER_MODEL_DIR": str(model_dir), "SAGEMAKER_BIND_TO_HOST": "127.0.0.1", "SAGEMAKER_BIND_TO_PORT": str(port), "PATH": "/usr/bin:/bin"})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=1) as r:
                if r.status == 200:
                    return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("the example's server did not pass /ping")


def test_when_the_byo_example_server_is_idle_at_sigterm_then_it_exits_at_once_with_code_0(tmp_path: Path) -> None:
    model_dir, _ = _trained_byo(tmp_path)
    proc, _ = _serving(model_dir)
    proc.terminate()
    assert proc.wait(timeout=10) == 0


def test_when_a_request_is_in_flight_at_sigterm_then_the_byo_example_answers_it_before_it_exits(tmp_path: Path) -> None:
    import socket
    import time
    import urllib.request

    model_dir, n_features = _trained_byo(tmp_path)
    proc, port = _serving(model_dir)
    record = ",".join(["1"] * n_features).encode() + b"\n"
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        # The headers and half of the body: the request is in flight (its app awaits the rest).
        conn.sendall(b"POST /invocations HTTP/1.1\r\nhost: x\r\ncontent-type: text/csv\r\ncontent-length: %d\r\n\r\n" % len(record) + record[:3])
        # A /ping answered on a new connection after it: the event loop has read those headers by then.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=30) as pinged:
            assert pinged.status == 200
        proc.terminate()
        time.sleep(0.3)
        assert proc.poll() is None, "the server exited with a request in flight"
        conn.sendall(record[3:])
        answer = conn.makefile("rb")
        status = answer.readline()
        headers = {}
        while (line := answer.readline().strip()):
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        body = answer.read(int(headers[b"content-length"]))
    assert status.startswith(b"HTTP/1.1 200"), status + body
    float(body.strip())
    assert proc.wait(timeout=10) == 0


def test_when_a_byo_transform_is_stopped_then_its_serving_container_stops_with_it(tmp_path: Path) -> None:
    """SIGTERM to the job alone (as the fork server's launcher forwards it): the container goes too."""
    import os
    import signal
    import time

    out = _prepare(tmp_path, SPEC)
    inp = _test_features(tmp_path, out)
    pid_file = tmp_path / "server.pid"
    # A container that never passes /ping: the job waits for it until it is stopped.
    never_ready = [sys.executable, "-c", f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(600)"]
    (tmp_path / "nomodel").mkdir()
    env = _byo_transform_env(never_ready, tmp_path / "nomodel", inp, out, tmp_path / "tout", tmp_path / "tbase")
    job = subprocess.Popen([sys.executable, "-m", "mlops_algorithms.transform"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        server = int(pid_file.read_text())
        job.send_signal(signal.SIGTERM)
        assert job.wait(timeout=30) == 128 + signal.SIGTERM
        # Reaped by the job's close(); a zombie would still answer kill(0) until then.
        if not process_gone(server, 15):
            os.kill(server, signal.SIGKILL)
            raise AssertionError("the serving container outlived its stopped job")
    finally:
        if job.poll() is None:
            job.kill()
