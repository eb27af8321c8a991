"""The JSONPath subset of SageMaker batch transform's ``DataProcessing`` filters (reference 3.5).

Why our own: the subset is tiny, its semantics differ from every JSONPath library on one point
(the slice end is *inclusive*, as the SageMaker developer guide says: ``$[1:4]`` is "the second
through fifth columns"), and batch scoring needs a filter compiled once into a fast selector, not
a tree walk per record.  Pure: no I/O, no numpy.

Supported (anything else is a ``ClientError`` when the filter is compiled):

=====================  ======================================================================
``$``                  the whole record
``$.name``             one key of an object (``$['name']`` / ``$["name"]`` likewise)
``$['a','b']``         an object with just those keys, in that order
``$[i]``               one element; negative counts from the end (``-1`` = last)
``$[i,j,k]``           a list of those elements, in that order (repeats allowed)
``$[start:end]``       elements ``start`` through ``end`` **inclusive**; either bound may be
                       omitted (first / last element) or negative; bounds outside the record are
                       clamped, an empty range gives ``[]``
``$[0,5:]``            indexes and **one** range in a union (the API reference's own example);
                       two or more ranges are rejected: "only single range filters are supported"
``$[*]`` / ``$.*``     every element of a list (a copy), or every value of an object as a list
``$.a.b[1:]``          single-element steps may be chained; only the last step may select
                       several elements
=====================  ======================================================================

Rejected: more than 63 characters (the API limit), nested paths inside brackets
(``$['a.b']``, ``$['a[0]']``), slice steps (``$[::2]``), filters/recursion (``?()``, ``..``).
Applying a filter raises :class:`FilterError` (the caller adds file and line): an index outside
the record, a missing key, a name step on a list, an index step on an object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence, Union

from ..contract import ClientError

MAX_LENGTH = 63  # DataProcessing.InputFilter / OutputFilter length constraint


class FilterError(Exception):
    """A compiled filter does not fit one record; the message names the filter and the reason."""


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Names:
    names: tuple[str, ...]


@dataclass(frozen=True)
class Index:
    index: int


@dataclass(frozen=True)
class Range:
    start: int | None
    end: int | None  # inclusive


@dataclass(frozen=True)
class Union_:
    items: tuple[Union[int, Range], ...]


@dataclass(frozen=True)
class Wildcard:
    pass


Step = Union[Name, Names, Index, Range, Union_, Wildcard]

_NAME = re.compile(r"[A-Za-z0-9_\-]+")
_INT = re.compile(r"[+-]?\d+$")


def _bad(what: str, text: str, why: str) -> ClientError:
    return ClientError(f"{what} '{text}': {why}")


def _quoted_names(body: str, what: str, text: str) -> tuple[str, ...]:
    names: list[str] = []
    pos = 0
    while True:
        while pos < len(body) and body[pos] == " ":
            pos += 1
        if pos >= len(body) or body[pos] not in "'\"":
            raise _bad(what, text, "bracket names must all be quoted, e.g. ['a','b']")
        quote = body[pos]
        end = body.find(quote, pos + 1)
        if end < 0:
            raise _bad(what, text, "unterminated quoted name")
        name = body[pos + 1:end]
        if any(c in name for c in ".[]*"):
            raise _bad(what, text, f"nested paths inside brackets are not supported ('{name}')")
        if not name:
            raise _bad(what, text, "empty name in brackets")
        names.append(name)
        pos = end + 1
        while pos < len(body) and body[pos] == " ":
            pos += 1
        if pos == len(body):
            return tuple(names)
        if body[pos] != ",":
            raise _bad(what, text, f"expected ',' between names, found '{body[pos]}'")
        pos += 1


def _int(token: str, what: str, text: str) -> int:
    token = token.strip()
    if not _INT.match(token):
        raise _bad(what, text, f"'{token}' is not an integer index")
    return int(token)


def _bracket(body: str, what: str, text: str) -> Step:
    stripped = body.strip()
    if stripped == "*":
        return Wildcard()
    if not stripped:
        raise _bad(what, text, "empty brackets")
    if stripped[0] in "'\"":
        names = _quoted_names(stripped, what, text)
        return Name(names[0]) if len(names) == 1 else Names(names)
    if any(c in stripped for c in "'\"[].$@?()"):
        raise _bad(what, text, "nested paths or expressions inside brackets are not supported")
    items: list[int | Range] = []
    for part in stripped.split(","):
        if ":" in part:
            bounds = part.split(":")
            if len(bounds) != 2:
                raise _bad(what, text, "slice steps ([start:end:step]) are not supported")
            start = _int(bounds[0], what, text) if bounds[0].strip() else None
            end = _int(bounds[1], what, text) if bounds[1].strip() else None
            items.append(Range(start, end))
        else:
            items.append(_int(part, what, text))
    if sum(isinstance(i, Range) for i in items) > 1:
        raise _bad(what, text, "only single range filters are supported (one start:end per bracket)")
    if len(items) == 1:
        only = items[0]
        return only if isinstance(only, Range) else Index(only)
    return Union_(tuple(items))


def _multi(step: Step) -> bool:
    return isinstance(step, (Names, Range, Union_, Wildcard))


@dataclass(frozen=True)
class JsonPath:
    """A compiled filter: ``apply(record)`` for JSON values, ``indices(n)`` for CSV field lists."""

    text: str
    steps: tuple[Step, ...]
    what: str = "filter"

    @property
    def is_root(self) -> bool:
        return not self.steps

    @property
    def index_only(self) -> bool:
        """Usable on a CSV record (a flat list of field strings): ``$`` or one index-type step."""
        return not self.steps or (len(self.steps) == 1 and isinstance(self.steps[0], (Index, Range, Union_, Wildcard)))

    @property
    def single(self) -> bool:
        """True when the result is one element rather than a list (``$[3]``, ``$.a``)."""
        return bool(self.steps) and not _multi(self.steps[-1])

    # -------------------------------------------------------------- CSV (index-only) selectors

    def indices(self, n: int) -> list[int]:
        """The field positions an index-only filter selects from a record of ``n`` fields."""
        if not self.steps:
            return list(range(n))
        step = self.steps[0]
        if isinstance(step, Wildcard):
            return list(range(n))
        if isinstance(step, Index):
            return [self._index(step.index, n, "fields")]
        if isinstance(step, Range):
            return _range(step, n)
        if isinstance(step, Union_):
            out: list[int] = []
            for item in step.items:
                out.extend(_range(item, n) if isinstance(item, Range) else [self._index(item, n, "fields")])
            return out
        raise self._fail(f"CSV records are arrays of fields; '{self.text}' needs an object")

    def _index(self, i: int, n: int, noun: str) -> int:
        j = i + n if i < 0 else i
        if not 0 <= j < n:
            raise self._fail(f"index {i} is out of range for a record of {n} {noun}")
        return j

    def _fail(self, why: str) -> FilterError:
        return FilterError(f"{self.what} '{self.text}': {why}")

    # -------------------------------------------------------------- JSON values

    def apply(self, value: Any) -> Any:
        """Select from a JSON value (dict / list / scalar); raises FilterError if it does not fit."""
        for step in self.steps:
            value = self._step(step, value)
        return value

    def _step(self, step: Step, value: Any) -> Any:
        if isinstance(step, Wildcard):
            if isinstance(value, list):
                return list(value)
            if isinstance(value, dict):
                return list(value.values())
            raise self._fail(f"'*' needs an array or an object, got {_kind(value)}")
        if isinstance(step, (Name, Names)):
            if not isinstance(value, dict):
                raise self._fail(f"a name needs an object, got {_kind(value)}")
            names = (step.name,) if isinstance(step, Name) else step.names
            missing = [k for k in names if k not in value]
            if missing:
                raise self._fail(f"key '{missing[0]}' not found in the record")
            return value[step.name] if isinstance(step, Name) else {k: value[k] for k in names}
        if not isinstance(value, list):
            raise self._fail(f"an index needs an array, got {_kind(value)}")
        n = len(value)
        if isinstance(step, Index):
            return value[self._index(step.index, n, "elements")]
        if isinstance(step, Range):
            return [value[j] for j in _range(step, n)]
        out: list[Any] = []
        for item in step.items:  # Union_
            if isinstance(item, Range):
                out.extend(value[j] for j in _range(item, n))
            else:
                out.append(value[self._index(item, n, "elements")])
        return out


def _range(r: Range, n: int) -> list[int]:
    """Inclusive-end range, bounds clamped to the record (SageMaker developer guide semantics)."""
    start = 0 if r.start is None else (r.start + n if r.start < 0 else r.start)
    end = n - 1 if r.end is None else (r.end + n if r.end < 0 else r.end)
    start, end = max(start, 0), min(end, n - 1)
    return list(range(start, end + 1)) if start <= end else []


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return "a " + {str: "string", bool: "boolean", type(None): "null"}.get(type(value), "number")


def compile_path(text: str | None, what: str = "filter") -> JsonPath:
    """Parse ``text`` (``None`` / empty = ``$``) into a :class:`JsonPath`; ClientError if unsupported."""
    raw = "$" if text is None or not text.strip() else text.strip()
    if len(raw) > MAX_LENGTH:
        raise _bad(what, raw, f"longer than {MAX_LENGTH} characters (the DataProcessing limit)")
    if not raw.startswith("$"):
        raise _bad(what, raw, "a JSONPath must start with '$'")
    steps: list[Step] = []
    pos = 1
    while pos < len(raw):
        ch = raw[pos]
        if raw.startswith("..", pos):
            raise _bad(what, raw, "recursive descent ('..') is not supported")
        if ch == ".":
            if raw.startswith(".*", pos):
                steps.append(Wildcard())
                pos += 2
                continue
            if raw.startswith(".[", pos):  # "$.['a']" is accepted as "$['a']"
                pos += 1
                continue
            m = _NAME.match(raw, pos + 1)
            if not m:
                raise _bad(what, raw, f"expected a name after '.' at position {pos + 1}")
            steps.append(Name(m.group(0)))
            pos = m.end()
        elif ch == "[":
            end = _closing(raw, pos, what)
            steps.append(_bracket(raw[pos + 1:end], what, raw))
            pos = end + 1
        else:
            raise _bad(what, raw, f"unexpected '{ch}' at position {pos + 1}")
    for step in steps[:-1]:
        if _multi(step):
            raise _bad(what, raw, "only the last step of a path may select several elements")
    return JsonPath(raw, tuple(steps), what)


def _closing(text: str, pos: int, what: str) -> int:
    quote = None
    for i in range(pos + 1, len(text)):
        c = text[i]
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "[":
            raise _bad(what, text, "nested paths inside brackets are not supported")
        elif c == "]":
            return i
    raise _bad(what, text, "unbalanced '['")


def select_fields(path: JsonPath, fields: Sequence[str]) -> list[str] | str:
    """Apply an index-only filter to a CSV record; a single-index filter yields one field."""
    idx = path.indices(len(fields))
    if path.single:
        return fields[idx[0]]
    return [fields[i] for i in idx]
