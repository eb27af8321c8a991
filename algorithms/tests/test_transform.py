"""Batch transform job: DataProcessing semantics (reference 3.5), output naming (3.4), inference ids (3.6)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import run_module
from mlops_algorithms.contract import ClientError
from transform_fixtures import (feature_lines, id_lines, linear_model, predict_texts, run_transform,  # noqa: F401
                                schema_path, transform_env, write, xgb_model)

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_reference_example_id_and_prediction(xgb_model: Path, feature_lines: list[str], tmp_path: Path) -> None:
    """`1043,2005,...` with $[1:] / Input / $[0,-1] -> `1043,<prediction of the filtered features>`."""
    lines = id_lines(feature_lines)
    write(tmp_path / "in" / "cars.csv", lines)
    msg = run_transform(transform_env(xgb_model, tmp_path / "in", tmp_path / "out",
                                      input_filter="$[1:]", join_source="Input", output_filter="$[0,-1]"))
    out = (tmp_path / "out" / "cars.csv.out").read_text().splitlines()
    expected = predict_texts(xgb_model, feature_lines)
    assert out == [f"{1000 + i},{p}" for i, p in enumerate(expected)]
    assert "Transformed 121 records of 1 object(s)" in msg
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["cars.csv.out"]  # no temp files left


def test_join_source_none_vs_input(xgb_model: Path, feature_lines: list[str], tmp_path: Path) -> None:
    lines = id_lines(feature_lines[:5])
    write(tmp_path / "in" / "c.csv", lines)
    expected = predict_texts(xgb_model, feature_lines[:5])
    run_transform(transform_env(xgb_model, tmp_path / "in", tmp_path / "none", input_filter="$[1:]"))
    assert (tmp_path / "none" / "c.csv.out").read_text().splitlines() == expected
    run_transform(transform_env(xgb_model, tmp_path / "in", tmp_path / "join", input_filter="$[1:]", join_source="Input"))
    assert (tmp_path / "join" / "c.csv.out").read_text().splitlines() == [f"{a},{p}" for a, p in zip(lines, expected)]
    # Without a join the output filter sees the model output as a one-field array.
    run_transform(transform_env(xgb_model, tmp_path / "in", tmp_path / "f", input_filter="$[1:]", output_filter="$[0]"))
    assert (tmp_path / "f" / "c.csv.out").read_text().splitlines() == expected
    # Features in the middle: ids at both ends, the range end is inclusive.
    write(tmp_path / "in2" / "c.csv", [f"a{i},{f},z{i}" for i, f in enumerate(feature_lines[:5])])
    run_transform(transform_env(xgb_model, tmp_path / "in2", tmp_path / "mid", input_filter="$[1:17]",
                                join_source="Input", output_filter="$[0,-2,-1]"))
    assert (tmp_path / "mid" / "c.csv.out").read_text().splitlines() == [
        f"a{i},z{i},{p}" for i, p in enumerate(expected)]


def test_csv_input_jsonlines_output(xgb_model: Path, feature_lines: list[str], tmp_path: Path) -> None:
    lines = id_lines(feature_lines[:3])
    write(tmp_path / "in" / "c.csv", lines)
    expected = predict_texts(xgb_model, feature_lines[:3])
    run_transform(transform_env(xgb_model, tmp_path / "in", tmp_path / "a", input_filter="$[1:]",
                                accept="application/jsonlines"))
    assert (tmp_path / "a" / "c.csv.out").read_text().splitlines() == [f'{{"score": {p}}}' for p in expected]
    run_transform(transform_env(xgb_model, tmp_path / "in", tmp_path / "b", input_filter="$[1:]", join_source="Input",
                                accept="application/jsonlines"))
    rec = json.loads((tmp_path / "b" / "c.csv.out").read_text().splitlines()[0])
    assert rec == {"SageMakerInput": lines[0].split(","), "SageMakerOutput": {"score": float(expected[0])}}


def test_jsonlines_objects_and_arrays(xgb_model: Path, feature_lines: list[str], tmp_path: Path) -> None:
    feats = [[int(v) for v in line.split(",")] for line in feature_lines[:4]]
    expected = [float(p) for p in predict_texts(xgb_model, feature_lines[:4])]
    objects = [json.dumps({"id": 1043 + i, "features": f, "note": "x"}) for i, f in enumerate(feats)]
    write(tmp_path / "obj" / "cars.jsonl", objects)
    env = dict(content_type="application/jsonlines", accept="application/jsonlines", input_filter="$.features",
               join_source="Input", output_filter="$['id','SageMakerOutput']")
    run_transform(transform_env(xgb_model, tmp_path / "obj", tmp_path / "o1", **env))
    got = [json.loads(x) for x in (tmp_path / "o1" / "cars.jsonl.out").read_text().splitlines()]
    assert got == [{"id": 1043 + i, "SageMakerOutput": {"score": p}} for i, p in enumerate(expected)]
    # Whole joined object (default OutputFilter): the input keys, then SageMakerOutput.
    run_transform(transform_env(xgb_model, tmp_path / "obj", tmp_path / "o2", **{**env, "output_filter": "$"}))
    first = json.loads((tmp_path / "o2" / "cars.jsonl.out").read_text().splitlines()[0])
    assert list(first) == ["id", "features", "note", "SageMakerOutput"]
    # Arrays: not an object -> {"SageMakerInput": [...], "SageMakerOutput": ...}.
    write(tmp_path / "arr" / "a.jsonl", [json.dumps([7 + i, *f]) for i, f in enumerate(feats)])
    run_transform(transform_env(xgb_model, tmp_path / "arr", tmp_path / "o3", **{**env, "input_filter": "$[1:]",
                                                                                  "output_filter": "$"}))
    got = [json.loads(x) for x in (tmp_path / "o3" / "a.jsonl.out").read_text().splitlines()]
    assert got[1] == {"SageMakerInput": [8, *feats[1]], "SageMakerOutput": {"score": expected[1]}}
    # {"features": [...]} records straight to the model, CSV out.
    write(tmp_path / "feat" / "f.jsonl", [json.dumps({"features": f}) for f in feats])
    run_transform(transform_env(xgb_model, tmp_path / "feat", tmp_path / "o4", content_type="application/jsonlines"))
    assert (tmp_path / "o4" / "f.jsonl.out").read_text().splitlines() == [repr(p) for p in expected]


def test_out_naming_keeps_sub_paths(xgb_model: Path, feature_lines: list[str], tmp_path: Path) -> None:
    write(tmp_path / "in" / "2025" / "06" / "cars-0.csv", feature_lines[:2])
    write(tmp_path / "in" / "cars-1.csv", feature_lines[2:5])
    write(tmp_path / "in" / ".hidden.csv", ["not,a,record"])
    msg = run_transform(transform_env(xgb_model, tmp_path / "in", tmp_path / "out"))
    assert (tmp_path / "out" / "2025" / "06" / "cars-0.csv.out").read_text().count("\n") == 2
    assert (tmp_path / "out" / "cars-1.csv.out").read_text().count("\n") == 3
    assert not (tmp_path / "out" / ".hidden.csv.out").exists()
    assert "5 records of 2 object(s)" in msg


def test_generate_inference_id(xgb_model: Path, feature_lines: list[str], tmp_path: Path) -> None:
    write(tmp_path / "in" / "c.csv", id_lines(feature_lines[:50]))
    run_transform(transform_env(xgb_model, tmp_path / "in", tmp_path / "out", input_filter="$[1:]",
                                join_source="Input", output_filter="$[0,-1]", generate_inference_id="true",
                                job_start_time="2025-06-01T14:00:03+02:00"))
    rows = [line.split(",") for line in (tmp_path / "out" / "c.csv.out").read_text().splitlines()]
    assert all(len(r) == 4 and UUID.match(r[2]) and r[3] == "2025-06-01T12:00:03Z" for r in rows)
    assert len({r[2] for r in rows}) == 50
    write(tmp_path / "j" / "c.jsonl", [json.dumps({"id": 1, "features": [float(v) for v in feature_lines[0].split(",")]})])
    run_transform(transform_env(xgb_model, tmp_path / "j", tmp_path / "jo", content_type="application/jsonlines",
                                accept="application/jsonlines", input_filter="$.features", join_source="Input",
                                output_filter="$.id", generate_inference_id="true"))
    rec = json.loads((tmp_path / "jo" / "c.jsonl.out").read_text())
    assert rec["SageMakerOutput"] == 1 and UUID.match(rec["SageMakerInferenceId"])
    assert rec["SageMakerInferenceTime"] == "2025-06-01T12:00:03Z"


def test_failure_writes_no_output_and_names_file_and_line(xgb_model: Path, feature_lines: list[str],
                                                         tmp_path: Path) -> None:
    write(tmp_path / "in" / "a.csv", id_lines(feature_lines[:10]))
    lines = id_lines(feature_lines, 300)
    lines[249] = "1249,abc," + feature_lines[0].split(",", 1)[1]
    write(tmp_path / "in" / "b.csv", lines)
    env = transform_env(xgb_model, tmp_path / "in", tmp_path / "out", input_filter="$[1:]", chunk_rows=100,
                        capture_dir=tmp_path / "cap")
    with pytest.raises(ClientError, match=r"^b\.csv: line 250, field 1: value 'abc' is not numeric$"):
        run_transform(env)
    assert (tmp_path / "out" / "a.csv.out").exists()  # objects that succeeded are kept, as in SageMaker
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.csv.out"]
    assert sorted(p.name for p in (tmp_path / "cap").iterdir()) == ["a.csv.captured.csv"]


@pytest.mark.parametrize("line,settings,message", [
    ("1,2,3", {"input_filter": "$[1:]"},
     r"c\.csv: line 2: Feature size of csv inference data 2 is not consistent with feature size of trained model 17 "
     r"\(after InputFilter '\$\[1:\]'\)"),
    ("ROW", {"input_filter": "$[1:]", "join_source": "Input", "output_filter": "$[0,30]"},
     r"c\.csv: line 1: OutputFilter '\$\[0,30\]': index 30 is out of range for a record of 19 fields"),
    ("ROWinf", {"input_filter": "$[1:]"}, r"c\.csv: line 2, field 17: value '0inf' is not numeric"),
    ("ROWTrue", {"input_filter": "$[1:]"}, r"c\.csv: line 2, field 17: value '0True' is not numeric"),
])
def test_record_errors(xgb_model: Path, feature_lines: list[str], tmp_path: Path, line: str,
                       settings: dict[str, str], message: str) -> None:
    good = id_lines(feature_lines[:3])
    bad = good[1] + line[3:] if line.startswith("ROW") else line
    write(tmp_path / "in" / "c.csv", [good[0], bad, good[2]])
    with pytest.raises(ClientError, match="^" + message):
        run_transform(transform_env(xgb_model, tmp_path / "in", tmp_path / "out", **settings))
    assert not (tmp_path / "out" / "c.csv.out").exists()
    assert not any((tmp_path / "out").iterdir())


def test_true_and_inf_are_not_numbers(xgb_model: Path, feature_lines: list[str], tmp_path: Path) -> None:
    """pandas would read 'True' and 'inf' as numbers; the vectorised path must not accept them."""
    for value, why in (("True", "is not numeric"), ("inf", "is not a finite number")):
        row = "7," + ",".join([value] + feature_lines[0].split(",")[1:])
        write(tmp_path / value / "c.csv", [row])
        with pytest.raises(ClientError, match=f"c.csv: line 1, field 1: value '{value}' {why}"):
            run_transform(transform_env(xgb_model, tmp_path / value, tmp_path / f"o{value}", input_filter="$[1:]"))


def test_missing_values(xgb_model: Path, linear_model: Path, feature_lines: list[str], tmp_path: Path) -> None:
    first = feature_lines[0].split(",")
    first[0] = ""
    write(tmp_path / "in" / "m.csv", [",".join(first), feature_lines[1]])
    run_transform(transform_env(xgb_model, tmp_path / "in", tmp_path / "out"))
    assert (tmp_path / "out" / "m.csv.out").read_text().splitlines() == predict_texts(
        xgb_model, [",".join(first), feature_lines[1]])  # XGBoost: empty = missing
    with pytest.raises(ClientError, match=r"m\.csv: line 1, field 0: empty value \(this model has no missing-value"):
        run_transform(transform_env(linear_model, tmp_path / "in", tmp_path / "out2"))


def test_capture_csv(xgb_model: Path, schema_path: Path, feature_lines: list[str], tmp_path: Path) -> None:
    write(tmp_path / "in" / "sub" / "c.csv", id_lines(feature_lines))
    run_transform(transform_env(xgb_model, tmp_path / "in", tmp_path / "out", input_filter="$[1:]",
                                capture_dir=tmp_path / "cap", feature_schema=schema_path))
    lines = (tmp_path / "cap" / "sub" / "c.csv.captured.csv").read_text().splitlines()
    names = [f["name"] for f in json.loads(schema_path.read_text())["features"]]
    assert lines[0] == ",".join(["record_id", *names, "prediction"])
    assert len(lines) == 1 + len(feature_lines)
    expected = predict_texts(xgb_model, feature_lines)
    assert lines[1] == f"sub/c.csv:1,{feature_lines[0]},{expected[0]}"
    assert lines[-1] == f"sub/c.csv:{len(feature_lines)},{feature_lines[-1]},{expected[-1]}"
    # With inference ids the capture's record_id is the id written to the output.
    run_transform(transform_env(xgb_model, tmp_path / "in", tmp_path / "out2", input_filter="$[1:]",
                                capture_dir=tmp_path / "cap2", feature_schema=schema_path,
                                generate_inference_id="true"))
    out_ids = [line.split(",")[-2] for line in (tmp_path / "out2" / "sub" / "c.csv.out").read_text().splitlines()]
    cap_ids = [line.split(",")[0] for line in (tmp_path / "cap2" / "sub" / "c.csv.captured.csv").read_text().splitlines()[1:]]
    assert out_ids == cap_ids and all(UUID.match(i) for i in cap_ids)


def test_config_errors(xgb_model: Path, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    base = transform_env(xgb_model, tmp_path / "in", tmp_path / "out")
    cases = [
        ({"content_type": "application/json"}, "content_type 'application/json' is not supported"),
        ({"split_type": "RecordIO"}, "split_type RecordIO is not supported locally"),
        ({"input_filter": "$.features"}, "CSV records are arrays of fields"),
        ({"output_filter": "$['id']"}, "with accept text/csv the output record is an array"),
        ({"content_type": "application/jsonlines", "join_source": "Input"}, "join_source Input with content_type"),
        ({"join_source": "Both"}, "join_source 'Both' is not supported"),
        ({"generate_inference_id": "maybe"}, "generate_inference_id 'maybe' must be true or false"),
        ({"max_payload_mb": "101"}, "max_payload_mb 101 is out of range"),
        ({"job_start_time": "yesterday"}, "job_start_time 'yesterday' is not an ISO-8601"),
        ({"input_filter": "$[0:1,3:]"}, "only single range filters are supported"),
        ({}, "no input objects in"),
    ]
    for extra, message in cases:
        with pytest.raises(ClientError, match=re.escape(message)):
            run_transform({**base, **extra})
    env = dict(base)
    del env["model_dir"]
    with pytest.raises(ClientError, match="environment variable model_dir is required"):
        run_transform(env)


def test_exit_codes_and_message_file(xgb_model: Path, feature_lines: list[str], tmp_path: Path) -> None:
    write(tmp_path / "in" / "c.csv", id_lines(feature_lines[:20]))
    env = transform_env(xgb_model, tmp_path / "in", tmp_path / "out", input_filter="$[1:]", join_source="Input",
                        output_filter="$[0,-1]")
    proc = run_module("mlops_algorithms.transform", [], tmp_path / "base", env=env)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "base" / "output" / "message").read_text().startswith("Completed: Transformed 20 records")
    write(tmp_path / "in" / "c.csv", ["1,2"])
    proc = run_module("mlops_algorithms.transform", [], tmp_path / "base", env=env)
    assert proc.returncode == 2
    text = (tmp_path / "base" / "output" / "message").read_text()
    assert text.startswith("ClientError: c.csv: line 1: Feature size of csv inference data 1")
    assert not (tmp_path / "out" / ".c.csv.out.partial").exists()
