"""The operation model: parse -> typed Op list -> validate chain -> encode (pure, no I/O).

Public API (see DESIGN.md, "Layers"): ``get_spec``, ``all_specs``, ``op_names`` (the catalogue),
``parse_chain``, ``parse_op`` (the grammars), ``check_backend`` (what a provider can run), and the
OSS encoder in ``mediaproc.ops.oss``.
"""

from mediaproc.ops.catalog import all_specs, get_spec, op_names
from mediaproc.ops.model import Chain, Family, Mode, Op, OpSpec, Output, Param, Problem, PType
from mediaproc.ops.parse import parse_chain, parse_op
from mediaproc.ops.validate import check_backend

__all__ = [
    "Chain",
    "Family",
    "Mode",
    "Op",
    "OpSpec",
    "Output",
    "PType",
    "Param",
    "Problem",
    "all_specs",
    "check_backend",
    "get_spec",
    "op_names",
    "parse_chain",
    "parse_op",
]
