"""Property tests over the whole catalogue: any valid parameter set survives
seed -> Op -> seed and Op -> OSS string -> Op unchanged."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mediaproc.errors import InvalidOperation
from mediaproc.ops import all_specs, parse_chain
from mediaproc.ops.collect import ParamCollector
from mediaproc.ops.model import OpSpec, Param, PType
from mediaproc.ops.oss import encode as oss
from mediaproc.ops.parse import format_op

TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20)


def value_for(param: Param) -> st.SearchStrategy[str]:
    lo = param.min if param.min is not None else 0
    hi = param.max if param.max is not None else 100_000
    if param.type is PType.INT:
        return st.integers(lo, hi).map(str)
    if param.type is PType.BOOL:
        return st.sampled_from(["0", "1"])
    if param.type is PType.ENUM:
        return st.sampled_from(param.choices)
    if param.type is PType.SIZE:
        side = st.integers(lo, hi).map(lambda n: n - n % 2 if n - n % 2 >= lo else n + 1 - (n + 1) % 2)
        return st.tuples(side, side).map(lambda wh: f"{wh[0]}x{wh[1]}")
    if param.type is PType.COLOR:
        return st.text("0123456789ABCDEF", min_size=6, max_size=6)
    return TEXT


def params_for(spec: OpSpec) -> st.SearchStrategy[dict[str, str]]:
    usable = [p for p in spec.params if p.key != "preprocess"]  # folded into the image key on OSS
    if not usable:
        return st.just({})
    return st.fixed_dictionaries({}, optional={p.key: value_for(p) for p in usable})


SPECS = [s for s in all_specs() if s.oss is not None]


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(data=st.data())
def test_round_trips(spec: OpSpec, data: st.DataObject) -> None:
    raw = data.draw(params_for(spec))
    try:
        collect = ParamCollector(spec)
        for key, value in raw.items():
            collect.add(key, value)
        op = collect.op()
    except InvalidOperation:
        assume(False)
        return
    chain = parse_chain([format_op(op)])
    assert chain[0] == op
    native = oss.process_string(chain)
    back = parse_chain([native])
    expected = dict(op.params)
    for p in spec.params:  # OSS needs a positional value: auto-orient -> auto-orient,1
        if p.positional and p.default is not None:
            expected.setdefault(p.key, p.default)
    assert dict(back[0].params) == expected, native
    assert oss.process_string(back) == native
