"""Pre-processing outputs on the real dataset: split determinism, CSV format, schema content."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import numpy as np

from conftest import DATASET
from mlops_algorithms.preprocess.job import PreprocessOptions, run
from mlops_algorithms.preprocess.split import split_indices

SPLITS = ("train", "validation", "test")


def _files(out: Path) -> dict[str, bytes]:
    return {s: (out / s / f"{s}.csv").read_bytes() for s in SPLITS}


def _run(tmp_path: Path, name: str, seed: int = 42) -> Path:
    inp = tmp_path / f"in-{name}"
    inp.mkdir()
    (inp / DATASET.name).write_bytes(DATASET.read_bytes())
    out = tmp_path / name
    run(PreprocessOptions(inp, out, seed=seed))
    return out


def test_same_seed_gives_identical_files(tmp_path: Path, prepared: Path) -> None:
    again = _run(tmp_path, "again")
    assert _files(again) == _files(prepared)
    assert (again / "schema" / "feature-schema.json").read_bytes() == (prepared / "schema" / "feature-schema.json").read_bytes()


def test_other_seed_gives_other_split(tmp_path: Path, prepared: Path) -> None:
    assert _files(_run(tmp_path, "seed7", seed=7))["test"] != _files(prepared)["test"]


def test_split_is_the_documented_permutation() -> None:
    parts = split_indices(804, 42, 0.15, 0.15)
    perm = np.random.default_rng(42).permutation(804)
    assert [len(parts[s]) for s in SPLITS] == [562, 121, 121]
    assert set(parts["test"]) == set(perm[:121]) and set(parts["validation"]) == set(perm[121:242])
    assert sorted(np.concatenate([parts[s] for s in SPLITS]).tolist()) == list(range(804))


def test_split_files_hold_every_source_row_once(prepared: Path) -> None:
    with DATASET.open() as fh:
        source = sorted((float(r[1]), *r[2:]) for r in list(csv.reader(fh))[1:])
    rows = []
    for s in SPLITS:
        for line in (prepared / s / f"{s}.csv").read_text().splitlines():
            label, *features = line.split(",")
            rows.append((float(label), *features))
    # label first (a float, e.g. 11726.0), then the features textually identical to the source
    assert sorted(rows) == source


def test_csv_format_integers_without_decimal_point(prepared: Path) -> None:
    first = (prepared / "train" / "train.csv").read_text().splitlines()[0].split(",")
    assert len(first) == 18
    assert "." in first[0] or first[0].isdigit()
    assert all(cell.isdigit() for cell in first[1:]), first


def test_schema_content(prepared: Path) -> None:
    schema = json.loads((prepared / "schema" / "feature-schema.json").read_text())
    assert schema["schemaVersion"] == 1
    assert schema["label"]["name"] == "Price" and schema["label"]["type"] == "float"
    assert schema["idColumns"] == ["rownames"]
    names = [f["name"] for f in schema["features"]]
    assert names == ["Mileage", "Cylinder", "Doors", "Cruise", "Sound", "Leather", "Buick", "Cadillac", "Chevy",
                     "Pontiac", "Saab", "Saturn", "convertible", "coupe", "hatchback", "sedan", "wagon"]
    mileage = schema["features"][0]
    assert mileage["type"] == "integer" and mileage["min"] == 0
    assert schema["features"][2]["allowed"] == [2, 4]
    assert [g["name"] for g in schema["oneHotGroups"]] == ["make", "body"]
    # The gateway's policy for values outside the training range (stats min..max), written explicitly.
    assert schema["outOfRange"] == {"policy": "flag", "tolerance": 0.1, "rejectBeyond": 10.0}
    assert schema["ignoredColumns"] == []
    assert schema["split"] == {"seed": 42, "validationFraction": 0.15, "testFraction": 0.15,
                               "rows": {"train": 562, "validation": 121, "test": 121}}
    assert schema["source"] == {"file": DATASET.name, "rows": 804,
                                "sha256": hashlib.sha256(DATASET.read_bytes()).hexdigest()}
    train = np.loadtxt(prepared / "train" / "train.csv", delimiter=",")
    for j, feature in enumerate(schema["features"]):
        col = train[:, j + 1]
        assert feature["stats"] == {"min": int(col.min()), "max": int(col.max()), "mean": float(col.mean())}
        assert isinstance(feature["stats"]["min"], int)
    assert schema["label"]["stats"]["mean"] == float(train[:, 0].mean())


def test_custom_dataset_spec(tmp_path: Path) -> None:
    import pytest

    from mlops_algorithms.contract import ClientError

    inp = tmp_path / "in"
    inp.mkdir()
    (inp / DATASET.name).write_bytes(DATASET.read_bytes())
    spec = {"label": {"name": "Price", "type": "float"}, "idColumns": ["rownames"],
            "features": [{"name": "Doors", "type": "integer", "allowed": [2, 4]}, {"name": "Mileage", "type": "float"}]}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    run(PreprocessOptions(inp, tmp_path / "out", dataset_spec=tmp_path / "spec.json"))
    schema = json.loads((tmp_path / "out" / "schema" / "feature-schema.json").read_text())
    assert [f["name"] for f in schema["features"]] == ["Doors", "Mileage"] and schema["oneHotGroups"] == []
    assert "Cylinder" in schema["ignoredColumns"] and "rownames" not in schema["ignoredColumns"]
    first = (tmp_path / "out" / "train" / "train.csv").read_text().splitlines()[0].split(",")
    assert len(first) == 3 and first[1] in ("2", "4") and first[2].endswith(".0")  # float feature as repr
    spec["features"][0]["type"] = "text"
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    with pytest.raises(ClientError, match="dataset spec spec.json: feature 'Doors': type must be one of"):
        run(PreprocessOptions(inp, tmp_path / "out2", dataset_spec=tmp_path / "spec.json"))


def test_dataset_spec_out_of_range_policy(tmp_path: Path) -> None:
    """A spec's policy (schema-wide, partial; per feature, complete) reaches feature-schema.json; bad ones are refused."""
    import pytest

    from mlops_algorithms.contract import ClientError

    inp = tmp_path / "in"
    inp.mkdir()
    (inp / DATASET.name).write_bytes(DATASET.read_bytes())
    own = {"policy": "reject", "tolerance": 0.5, "rejectBeyond": 2}
    spec = {"label": {"name": "Price", "type": "float"}, "outOfRange": {"policy": "reject"},
            "features": [{"name": "Doors", "type": "integer", "allowed": [2, 4]},
                         {"name": "Mileage", "type": "integer", "outOfRange": own}]}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    run(PreprocessOptions(inp, tmp_path / "out", dataset_spec=tmp_path / "spec.json"))
    schema = json.loads((tmp_path / "out" / "schema" / "feature-schema.json").read_text())
    assert schema["outOfRange"] == {"policy": "reject", "tolerance": 0.1, "rejectBeyond": 10.0}
    assert schema["features"][1]["outOfRange"] == own and "outOfRange" not in schema["features"][0]
    bad = [({"outOfRange": {"policy": "ignore"}}, "'outOfRange.policy' must be flag or reject"),
           ({"outOfRange": {"tolerance": -1}}, "'outOfRange.tolerance' must be a number >= 0"),
           ({"outOfRange": {"rejectBeyond": 0.05}}, "'outOfRange.rejectBeyond' must be at least its tolerance"),
           ({"outOfRange": {"margin": 1}}, "unknown key"),
           ({"features": [{"name": "Mileage", "type": "integer", "outOfRange": {"policy": "flag"}}]},
            "feature 'Mileage': 'outOfRange' needs policy, tolerance and rejectBeyond")]
    for i, (change, message) in enumerate(bad):
        (tmp_path / "spec.json").write_text(json.dumps({**spec, **change}))
        with pytest.raises(ClientError, match=message):
            run(PreprocessOptions(inp, tmp_path / f"bad{i}", dataset_spec=tmp_path / "spec.json"))
