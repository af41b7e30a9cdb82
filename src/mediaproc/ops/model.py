"""Types of the operation model.

An operation is described once, by an :class:`OpSpec` in the catalogue (``ops/catalog/``); everything
else — parsing, validation, help, completion, dry-run, the OSS and COS encoders and the three
backends — reads these descriptions. A parsed and validated operation is an :class:`Op`: its spec
plus the parameters the user gave, keyed by their canonical (seed-grammar) names and already
converted to Python values. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from enum import Enum
from types import MappingProxyType

from mediaproc import TYPE_CHECKING
from mediaproc.names import PROVIDER_NAMES
from mediaproc.record import Record, field

if TYPE_CHECKING:
    from typing import Any


class Family(str, Enum):
    """Groups operations by what they act on; chaining rules are stated per family."""

    IMAGE = "image"  # basic image operations: chain freely
    META = "image-meta"  # info, average-hue: stand alone, return JSON
    AI = "image-ai"  # IMM / Cloud Infinite intelligent image operations
    VIDEO = "video"
    AUDIO = "audio"
    HLS = "hls"

    @property
    def is_media(self) -> bool:
        return self in (Family.VIDEO, Family.AUDIO, Family.HLS)


class Mode(str, Enum):
    SYNC = "sync"
    ASYNC = "async"


class Produces(str, Enum):
    """What an operation produces, which decides the destinations that make sense for it."""

    IMAGE = "image"  # one image file/object
    JSON = "json"  # a JSON document (info, hue, detection, watermark extraction)
    MEDIA = "media"  # one audio/video/animation file/object
    FILES = "files"  # several files under a prefix (snapshots)
    PLAYLIST = "playlist"  # an m3u8 playlist plus segments


class PType(str, Enum):
    INT = "int"
    STR = "str"
    ENUM = "enum"  # one of ``choices``
    BOOL = "bool"  # 0 or 1 on the wire
    SIZE = "size"  # "WxH"
    COLOR = "color"  # RRGGBB hex, no '#'
    TEXT = "text"  # free text; URL-safe base64 (no padding) on the OSS wire
    KEY = "key"  # an object key; URL-safe base64 (no padding) on the OSS wire


class SizeEffect(str, Enum):
    """What an operation does to the pixel size of its result, as ``--verify`` predicts it from the
    chain alone (``services/verify.py`` turns each kind into the sizes it expects)."""

    UNKNOWN = "unknown"  # not predictable without the source (indexcrop, circle, p=...): nothing expected
    KEEPS = "keeps"  # the size passes through (quality, watermark, blur ...)
    RESIZE = "resize"  # w/h/l/s under mode: the resize rules
    SIDES = "sides"  # w and h, where given and not 0 (automatic), are the result's width and height
    ROTATE = "rotate"  # a right angle swaps width and height; another angle enlarges the canvas
    FRAME = "frame"  # s=WxH is the frame size; a box to fit inside with scaletype=fit


class ResultProperty(Record):
    """The property of the result that a parameter asks for, read back by ``--verify``.

    ``relation`` is how the verified value is compared (``eq``, ``container``, ``approx``, or
    ``absent``: the stream is gone when the parameter is 1); ``unit`` is how many of the
    parameter's units make one of the property's (1000: ``t`` is given in ms, durations are read in
    seconds); ``zero_keeps`` marks a parameter whose 0 keeps the source's value (``fps=0``).
    """

    prop: str
    relation: str = "eq"
    unit: int = 1
    zero_keeps: bool = False


BACKENDS = PROVIDER_NAMES  # the providers, as the catalogue names them


class Param(Record):
    """One parameter of one operation.

    ``key`` is the canonical seed-grammar name (``mode``); ``oss`` the OSS wire spelling where it
    differs (``m``); ``aliases`` other accepted spellings (``degree`` for ``angle``). ``positional``
    marks a parameter written without a key on the wire (``image/rotate,90``, ``image/format,webp``).
    """

    key: str
    type: PType
    help: str
    oss: str | None = None
    aliases: tuple[str, ...] = ()
    min: int | None = None
    max: int | None = None
    choices: tuple[str, ...] = ()
    choice_aliases: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    default: Any = None  # the service's documented default; informational, never emitted
    required: bool = False
    positional: bool = False
    # Canonical value -> OSS wire spelling where they differ (enum values are canonical lower-case,
    # but e.g. the blind-watermark model is ``FFT`` on the wire). Additive to the original contract.
    wire_values: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # For TEXT, ``max`` counts UTF-8 bytes (OSS counts the base64-decoded text). ``ec``: the error detail
    # code OSS answers a value out of range with (``0040-00000259`` for a watermark text over 64 bytes);
    # ``missing_ec`` the one it answers a required value left out with (``image/rotate``: 0040-00000216).
    ec: str | None = None
    missing_ec: str | None = None

    @property
    def wire(self) -> str:
        return self.oss if self.oss is not None else self.key

    @property
    def names(self) -> tuple[str, ...]:
        return (self.key, *self.aliases)

    @property
    def bounds(self) -> tuple[int, int]:
        """(min, max) of a bounded number or size, for code that maps or clamps to the range the
        catalogue states (a CI rescale, a hint's value) instead of repeating it."""
        if self.min is None or self.max is None:
            raise ValueError(f"parameter {self.key!r} has no range")
        return self.min, self.max


# A cross-parameter check: receives the op's parsed params, returns problems (empty = fine).
Check = Callable[[Mapping[str, "Any"]], list["Problem"]]


class Problem(Record):
    """A validation finding; ``hint`` says what to do. Warnings do not stop the request."""

    message: str
    hint: str | None = None
    warning: bool = False
    ec: str | None = None  # OSS's detail code for this refusal, where a page gives one


class OpSpec(Record):
    """What the catalogue knows of one operation: name, family, parameters, rules, where it runs."""

    name: str  # canonical name: "resize", "video/convert", "blindwatermark-embed"
    family: Family
    mode: Mode
    produces: Produces
    summary: str
    params: tuple[Param, ...] = ()
    aliases: tuple[str, ...] = ()
    oss: str | None = None  # OSS wire name; None = not available on OSS
    backends: frozenset[str] = frozenset(BACKENDS)
    standalone: bool = False  # must be the only operation in the request
    joins: bool = False  # takes extra inputs before (pre) and after (sur) the source: concat
    last: bool = False  # must be the last operation of an image chain
    exclusive: tuple[tuple[str, ...], ...] = ()  # at most one of each group
    one_of: tuple[tuple[str, ...], ...] = ()  # at least one of each group is required
    checks: tuple[Check, ...] = ()
    imm_task: str | None = None  # IMM TaskType of the async task on OSS ("MediaConvert", ...)
    not_local_hint: str | None = None  # why the local provider cannot run it, if it cannot
    # --verify: the property each parameter asks of the result, what the operation does to its
    # size, and the read-only operation that describes the result (info, video/info, audio/info).
    sets: Mapping[str, ResultProperty] = field(default_factory=lambda: MappingProxyType({}))
    size_effect: SizeEffect = SizeEffect.UNKNOWN
    result_info: str = "info"

    def __repr__(self) -> str:  # the full record repr is pages long; this names it
        return f"OpSpec({self.name!r})"

    def param(self, name: str) -> Param | None:
        for p in self.params:
            if name in p.names:
                return p
        return None

    @property
    def param_keys(self) -> tuple[str, ...]:
        return tuple(p.key for p in self.params)

    def range_of(self, name: str) -> tuple[int, int]:
        """(min, max) of parameter ``name`` (:attr:`Param.bounds`)."""
        param = self.param(name)
        if param is None:
            raise KeyError(f"{self.name} has no parameter {name!r}")
        return param.bounds

    def default(self, name: str) -> Any:
        """The service's documented default of parameter ``name`` (None: it has none). The engine and
        an encoder that must write a default out (CI's differ from OSS's) read it here, so the default
        stays one fact of the catalogue."""
        param = self.param(name)
        if param is None:
            raise KeyError(f"{self.name} has no parameter {name!r}")
        return param.default


class Op(Record):
    """A validated operation: its spec and the user's parameters (canonical keys, typed values).

    Only parameters the user gave are present: defaults belong to the service (or engine) that
    applies them, so an encoder never emits a value the user did not ask for.
    """

    spec: OpSpec
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def name(self) -> str:
        return self.spec.name

    def __repr__(self) -> str:
        return f"Op({self.spec.name!r}, {dict(self.params)!r})"

    def get(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.params

    def __iter__(self) -> Iterator[str]:
        return iter(self.params)


class Chain(Record):
    """An ordered, validated list of operations for one request."""

    ops: tuple[Op, ...]

    def __iter__(self) -> Iterator[Op]:
        return iter(self.ops)

    def __len__(self) -> int:
        return len(self.ops)

    def __getitem__(self, i: int) -> Op:
        return self.ops[i]

    @property
    def family(self) -> Family:
        """The chain's family: media if the (single) op is media, else that of the last op."""
        return self.ops[-1].spec.family

    @property
    def mode(self) -> Mode:
        return Mode.ASYNC if any(op.spec.mode is Mode.ASYNC for op in self.ops) else Mode.SYNC

    @property
    def produces(self) -> Produces:
        return self.ops[-1].spec.produces
