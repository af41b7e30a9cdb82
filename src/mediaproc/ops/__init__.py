"""The operation model: parse -> typed Op list -> validate chain -> encode (pure, no I/O).

Public API (see DESIGN.md, "Layers"): ``get_spec``, ``all_specs``, ``op_names`` (the catalogue),
``parse_chain``, ``parse_op`` (the grammars), ``check_backend`` (what a provider can run), and the
OSS encoder in ``mediaproc.ops.oss.encode``. Names are resolved lazily: shell completion imports
``mediaproc.ops.catalog`` on every Tab press and should not pay for the parser.
"""

from __future__ import annotations

from mediaproc import TYPE_CHECKING
from mediaproc.lazy import lazy_attributes

if TYPE_CHECKING:
    from mediaproc.ops.catalog import all_specs, get_spec, op_names
    from mediaproc.ops.model import Chain, Family, Mode, Op, OpSpec, Param, Problem, Produces, PType
    from mediaproc.ops.parse import parse_chain, parse_op
    from mediaproc.ops.validate import check_backend

_EXPORTS = {
    "all_specs": "mediaproc.ops.catalog",
    "get_spec": "mediaproc.ops.catalog",
    "op_names": "mediaproc.ops.catalog",
    "Chain": "mediaproc.ops.model",
    "Family": "mediaproc.ops.model",
    "Mode": "mediaproc.ops.model",
    "Op": "mediaproc.ops.model",
    "OpSpec": "mediaproc.ops.model",
    "Produces": "mediaproc.ops.model",
    "PType": "mediaproc.ops.model",
    "Param": "mediaproc.ops.model",
    "Problem": "mediaproc.ops.model",
    "parse_chain": "mediaproc.ops.parse",
    "parse_op": "mediaproc.ops.parse",
    "check_backend": "mediaproc.ops.validate",
}


__getattr__ = lazy_attributes(__name__, _EXPORTS)


__all__ = [
    "Chain",
    "Family",
    "Mode",
    "Op",
    "OpSpec",
    "PType",
    "Param",
    "Problem",
    "Produces",
    "all_specs",
    "check_backend",
    "get_spec",
    "op_names",
    "parse_chain",
    "parse_op",
]
