"""``serve.codecs.parse_csv``: its fast path answers exactly what the value-by-value path answers."""

from __future__ import annotations

import numpy as np
import pytest

from mlops_algorithms.serve.codecs import PayloadError, _parse_csv_slowly, parse_csv

BODIES = [
    b"0.5,1.5,-0.2",
    b"0.5,,-0.2",
    b",,",
    b"0.5,nan,-0.2",
    b"0.5,NaN,-0.2\n1,2,3\n",
    b"0.5, ,-0.2",
    b"0.5,inf,-0.2",
    b"0.5,-Infinity,-0.2",
    b"0.5,1_0,-0.2",
    b"0.5,abc,-0.2",
    b"0.5,,\n\n1, 2 ,3\n",
    b"0.5,1.5",
    b"0.5,1.5,-0.2,4",
    b"1e308,1e309,0",
    b" \n0.5,,-0.2",
]


def _answer(parse, body: bytes, allow_missing: bool) -> tuple[str, object]:
    try:
        return "ok", parse(body, allow_missing)
    except PayloadError as exc:
        return "error", (exc.status, exc.message)


@pytest.mark.parametrize("allow_missing", [True, False])
@pytest.mark.parametrize("body", BODIES)
def test_when_a_body_is_parsed_then_the_fast_path_answers_what_the_value_by_value_path_does(body: bytes, allow_missing: bool) -> None:
    fast = _answer(lambda b, m: parse_csv(b, 3, m), body, allow_missing)
    slow = _answer(lambda b, m: _parse_csv_slowly(b.splitlines(), 3, m), body, allow_missing)
    assert fast[0] == slow[0], (fast, slow)
    if fast[0] == "ok":
        np.testing.assert_array_equal(fast[1], slow[1])  # NaN == NaN here
        assert fast[1].dtype == np.float64 and fast[1].shape == slow[1].shape
    else:
        assert fast[1] == slow[1]


def test_when_an_xgboost_record_has_an_empty_cell_then_the_fast_path_takes_it_as_missing() -> None:
    matrix = parse_csv(b"0.5,,-0.2", 3, True)
    assert matrix.shape == (1, 3) and np.isnan(matrix[0, 1]) and matrix[0, 0] == 0.5
