"""``mediaproc.record``: the start-up path's record classes behave as the dataclasses they replaced.

Each check builds the same class both ways (a frozen or mutable dataclass, and a ``Record``) and
compares what code can observe: construction (keywords, positions, defaults, factories, fields not
taken by ``__init__``), the errors of a wrong call, ``repr``, equality, hashing, freezing,
``replace``/``fields``/``asdict`` against ``dataclasses``' own, ``__post_init__``, pickling and copying.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
import threading
from typing import Any

import pytest

from mediaproc.record import FrozenRecordError, Record, asdict, field, fields, replace
from mediaproc.results import ProcessResult


@dataclasses.dataclass(frozen=True)
class FrozenDC:
    name: str
    size: int | None = None
    tags: tuple[str, ...] = ()
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)
    hidden: str = dataclasses.field(default="h", repr=False, compare=False)


class FrozenRec(Record):
    name: str
    size: int | None = None
    tags: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    hidden: str = field(default="h", repr=False, compare=False)


@dataclasses.dataclass
class MutableDC:
    flag: bool = False
    lock: Any = dataclasses.field(default_factory=threading.Lock, init=False, repr=False)
    count: int = dataclasses.field(default=0, init=False)


class MutableRec(Record, frozen=False):
    flag: bool = False
    lock: Any = field(default_factory=threading.Lock, init=False, repr=False)
    count: int = field(default=0, init=False)


class Point(Record):
    x: int
    y: int = 0

    def __post_init__(self) -> None:
        if self.x < 0:
            raise ValueError("x < 0")


def _plain_repr(obj: object) -> str:
    return repr(obj).split("(", 1)[1]


def test_construction_repr_and_equality_as_a_dataclass() -> None:
    for args, kwargs in [(("a",), {}), (("a", 3), {"tags": ("t",)}), ((), {"name": "b", "extra": {"k": [1]}})]:
        dc, rec = FrozenDC(*args, **kwargs), FrozenRec(*args, **kwargs)
        assert _plain_repr(rec) == _plain_repr(dc)
        assert repr(rec).startswith("FrozenRec(")
        assert rec == FrozenRec(*args, **kwargs) and rec != FrozenRec("other")
        assert rec != dc and rec != tuple(vars(rec).values())  # a record equals records of its class only
    assert FrozenRec("a", hidden="x") == FrozenRec("a", hidden="y")  # compare=False, as the dataclass
    assert FrozenRec("a").extra is not FrozenRec("a").extra  # a fresh default per instance
    assert FrozenRec.size is None and FrozenRec.tags == () and not hasattr(FrozenRec, "extra")  # class defaults


def test_frozen_records_hash_by_their_fields_and_refuse_assignment() -> None:
    assert hash(FrozenRec("a", 1, extra=None)) == hash(FrozenDC("a", 1, extra=None))
    assert {Point(1): "p"}[Point(1)] == "p"
    with pytest.raises(FrozenRecordError, match="cannot assign to field 'name'"):
        FrozenRec("a").name = "b"
    with pytest.raises(AttributeError):
        del FrozenRec("a").name


def test_mutable_records_take_assignments_and_are_unhashable() -> None:
    dc, rec = MutableDC(flag=True), MutableRec(flag=True)
    assert _plain_repr(rec) == _plain_repr(dc) == "flag=True, count=0)"
    rec.count += 2
    assert rec.count == 2
    assert isinstance(rec.lock, type(threading.Lock()))
    with pytest.raises(TypeError):
        hash(rec)


@pytest.mark.parametrize(("args", "kwargs", "message"), [
    ((), {}, "missing required argument 'name'"),
    (("a", 1, (), {}, "h", "extra"), {}, "takes 5 positional arguments but 6 were given"),
    (("a",), {"name": "b"}, "multiple values for argument 'name'"),
    (("a",), {"nosuch": 1}, "unexpected keyword argument 'nosuch'"),
])
def test_a_wrong_call_is_a_type_error(args: tuple[Any, ...], kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        FrozenRec(*args, **kwargs)
    with pytest.raises(TypeError):
        FrozenDC(*args, **kwargs)


def test_a_field_init_does_not_take_is_refused_by_init_and_replace() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'count'"):
        MutableRec(count=1)
    with pytest.raises(ValueError, match="count"):
        replace(MutableRec(), count=1)
    with pytest.raises(ValueError, match="count"):
        dataclasses.replace(MutableDC(), count=1)


def test_replace_fields_and_asdict_as_dataclasses() -> None:
    rec, dc = FrozenRec("a", 2, ("x",), {"k": {"n": [1, (2, 3)]}}), FrozenDC("a", 2, ("x",), {"k": {"n": [1, (2, 3)]}})
    assert _plain_repr(replace(rec, size=5, tags=())) == _plain_repr(dataclasses.replace(dc, size=5, tags=()))
    assert replace(rec) == rec and replace(rec) is not rec
    assert [(f.name, f.init, f.repr, f.compare) for f in fields(FrozenRec)] == [
        (f.name, f.init, f.repr, f.compare) for f in dataclasses.fields(FrozenDC)]
    assert [f.default for f in fields(FrozenRec)][1:3] == [f.default for f in dataclasses.fields(FrozenDC)][1:3]
    assert fields(rec) == fields(FrozenRec)
    as_dict = asdict(rec)
    assert as_dict == dataclasses.asdict(dc)
    assert list(as_dict) == [f.name for f in dataclasses.fields(FrozenDC)]
    assert as_dict["extra"] is not rec.extra and as_dict["extra"]["k"]["n"] is not rec.extra["k"]["n"]


def test_asdict_converts_nested_records_and_dataclasses() -> None:
    outer = FrozenRec("o", extra={"point": Point(1, 2), "dc": FrozenDC("d"), "list": [Point(3)]})
    assert asdict(outer)["extra"] == {
        "point": {"x": 1, "y": 2}, "dc": dataclasses.asdict(FrozenDC("d")), "list": [{"x": 3, "y": 0}]}


def test_post_init_runs_after_init() -> None:
    assert Point(1).y == 0
    with pytest.raises(ValueError, match="x < 0"):
        Point(-1)


def test_pickle_and_copy_keep_the_fields() -> None:
    rec = FrozenRec("a", 1, ("t",), {"k": 1}, hidden="x")
    for clone in (pickle.loads(pickle.dumps(rec)), copy.copy(rec), copy.deepcopy(rec)):
        assert clone == rec and clone.hidden == "x" and type(clone) is FrozenRec
    mutable = MutableRec(flag=True)
    mutable.count = 3
    assert copy.copy(mutable).count == 3


def test_a_mutable_default_is_refused_as_by_dataclasses() -> None:
    with pytest.raises(ValueError, match="default_factory"):
        class Bad(Record):
            items: list[int] = []  # noqa: RUF012


def test_a_required_field_after_a_defaulted_one_is_refused_as_by_dataclasses() -> None:
    with pytest.raises(TypeError, match="non-default argument 'y' follows default argument"):
        dataclasses.dataclass(type("BadDC", (), {"__annotations__": {"x": "int", "y": "int"}, "x": 1}))
    with pytest.raises(TypeError, match="non-default argument 'y' follows default argument 'x'"):
        class Bad(Record):
            x: int = 1
            y: int  # type: ignore[misc]  # the mistake under test: mypy sees it too

    class Fine(Record):  # a field __init__ does not take may come anywhere, as in a dataclass
        x: int = 1
        z: int = field(default=0, init=False)

    assert Fine(2) == Fine(x=2)

    class Base(Record):
        x: int = 1

    with pytest.raises(TypeError, match="follows default argument 'x'"):  # inherited fields count
        class Child(Base):
            y: int  # type: ignore[misc]  # the mistake under test


def test_a_record_that_holds_itself_repr_as_a_dataclass() -> None:
    dc, rec = MutableDC(), MutableRec()
    dc.flag, rec.flag = dc, rec  # type: ignore[assignment]
    assert _plain_repr(rec) == _plain_repr(dc) == "flag=..., count=0)"


def test_a_result_renders_every_field_in_order_then_its_extra_keys() -> None:
    """``ProcessResult.to_dict`` is ``--json``'s document: field order, tuples as lists, ``extra``
    folded in at the end, nested data copied."""
    data = {"ImageWidth": {"value": "4"}}
    result = ProcessResult(success=True, mode="data", source="a.jpg", generated_keys=("k",), data=data,
                           warnings=("w",), extra={"downloaded": ["x"], "count": 1})
    out = result.to_dict()
    assert list(out) == [f.name for f in fields(ProcessResult) if f.name != "extra"] + ["downloaded", "count"]
    assert out["generated_keys"] == ["k"] and out["warnings"] == ["w"] and out["data"] == data
    assert out["data"] is not data and out["data"]["ImageWidth"] is not data["ImageWidth"]
