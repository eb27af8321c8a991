"""The DataProcessing JSONPath subset (reference 3.5): CSV index selectors, JSON values, the errors."""

from __future__ import annotations

import re

import pytest

from mlops_algorithms.contract import ClientError
from mlops_algorithms.transform.jsonpath import FilterError, compile_path, select_fields

ROW = "1043,2005,38000,6,1,0,1".split(",")  # the reference's worked example


def sel(path: str, fields=ROW):  # type: ignore[no-untyped-def]
    return select_fields(compile_path(path), fields)


def test_reference_csv_example() -> None:
    assert sel("$[1:]") == ["2005", "38000", "6", "1", "0", "1"]
    joined = ROW + ["14215.3"]
    assert sel("$[0,-1]", joined) == ["1043", "14215.3"]
    assert sel("$", ROW) == ROW and sel("$[*]", ROW) == ROW and sel("$.*", ROW) == ROW


def test_slice_end_is_inclusive_as_the_developer_guide_says() -> None:
    assert sel("$[1:4]") == ["2005", "38000", "6", "1"]  # "second through fifth columns"
    assert sel("$[:2]") == ["1043", "2005", "38000"]
    assert sel("$[-2:]") == ["0", "1"]
    assert sel("$[1:-2]") == ["2005", "38000", "6", "1", "0"]
    assert sel("$[3:3]") == ["6"]
    assert sel("$[5:2]") == []
    assert sel("$[4:100]") == ["1", "0", "1"]  # range bounds are clamped, indexes are not


def test_indexes_negative_repeated_and_single() -> None:
    assert sel("$[0]") == "1043"  # one index -> one field, not a list
    assert sel("$[-1]") == "1"
    assert sel("$[2,0,-1,0]") == ["38000", "1043", "1", "1043"]
    assert sel("$[ 0 , 1 ]") == ["1043", "2005"]
    assert sel("$[0,5:]") == ["1043", "0", "1"]  # the API reference's OutputFilter example
    path = compile_path("$[0,-1]")
    assert path.index_only and not path.single and path.indices(8) == [0, 7]


def test_out_of_range_index_names_the_filter_and_record_size() -> None:
    with pytest.raises(FilterError, match=r"OutputFilter '\$\[0,9\]': index 9 is out of range for a record of 7 fields"):
        compile_path("$[0,9]", "OutputFilter").indices(7)
    with pytest.raises(FilterError, match="index -8 is out of range"):
        sel("$[-8]")


def test_json_objects_and_arrays() -> None:
    rec = {"id": 1043, "features": [2005, 38000, 6], "SageMakerOutput": {"score": 14215.3}}
    assert compile_path("$['id','SageMakerOutput']").apply(rec) == {"id": 1043, "SageMakerOutput": {"score": 14215.3}}
    assert compile_path('$["id"]').apply(rec) == 1043
    assert compile_path("$.features").apply(rec) == [2005, 38000, 6]
    assert compile_path("$.features[1:]").apply(rec) == [38000, 6]
    assert compile_path("$.features[-1]").apply(rec) == 6
    assert compile_path("$.SageMakerOutput.score").apply(rec) == 14215.3
    assert compile_path("$.*").apply({"a": 1, "b": 2}) == [1, 2]
    assert compile_path("$").apply(rec) is rec
    assert compile_path("").is_root and compile_path(None).is_root
    with pytest.raises(FilterError, match="key 'nope' not found"):
        compile_path("$.nope").apply(rec)
    with pytest.raises(FilterError, match="a name needs an object, got an array"):
        compile_path("$.a").apply([1, 2])
    with pytest.raises(FilterError, match="an index needs an array, got an object"):
        compile_path("$[0]").apply({"a": 1})
    with pytest.raises(FilterError, match="index 3 is out of range"):
        compile_path("$[3]").apply([1, 2, 3])


@pytest.mark.parametrize("text,why", [
    ("$[0:2,5:]", "only single range filters are supported"),
    ("$[:1,3:4]", "only single range filters are supported"),
    ("$['a.b']", "nested paths inside brackets are not supported"),
    ("$['a','b[0]']", "nested paths inside brackets are not supported"),
    ("$[a[0]]", "nested paths inside brackets are not supported"),
    ("$[" + ",".join(["1"] * 40) + "]", "longer than 63 characters"),
    ("$..a", "recursive descent"),
    ("$[::2]", "slice steps"),
    ("$[?(@.a)]", "not supported"),
    ("features", "must start with '$'"),
    ("$[*].a", "only the last step"),
    ("$[0,1][0]", "only the last step"),
    ("$[x]", "not an integer index"),
    ("$[", "unbalanced"),
    ("$['a'", "unbalanced"),
    ("$.", "expected a name"),
])
def test_rejected_filters(text: str, why: str) -> None:
    with pytest.raises(ClientError, match=re.escape(why)):
        compile_path(text, "InputFilter")


def test_name_filters_are_not_index_only() -> None:
    assert not compile_path("$.features").index_only
    assert not compile_path("$['a','b']").index_only
    assert not compile_path("$[0][1]").index_only
    with pytest.raises(FilterError, match="needs an object"):
        compile_path("$.features").indices(5)


def test_exactly_63_characters_is_allowed() -> None:
    text = "$[" + "0," * 29 + "10]"
    assert len(text) == 63
    compile_path(text)
