"""Typed results that providers and services return and ``output.py`` renders.

Field names are the stable JSON contract of ``--json`` (DESIGN.md, "Output and exit codes"); add
fields, never rename them.
"""

from __future__ import annotations

from mediaproc import TYPE_CHECKING
from mediaproc.record import Record, asdict, field

if TYPE_CHECKING:  # for annotations only: a plain run does not import typing (mediaproc.TYPE_CHECKING)
    from typing import Any, Literal

    # How a result came about, as --json reports it: a file written here (file/download), an object saved
    # in the bucket (save), a signed URL (url), a JSON document (data), an upload, a cloud job handed
    # back (submitted/job), a batch item skipped or failed, a deletion or cancellation, a server-side
    # copy or move, or a dry run.
    ResultMode = Literal[
        "file", "download", "save", "url", "data", "upload", "submitted", "job", "skipped", "failed", "delete",
        "cancel", "dry-run", "copy", "move",
    ]


class ProcessResult(Record):
    """The outcome of one run or batch item: what ``--json`` prints (stable field names)."""

    success: bool
    mode: ResultMode
    source: str
    target: str | None = None  # the destination as the user named it (path or URI)
    path: str | None = None  # absolute local path written, if any
    size: int | None = None  # bytes written / stored
    request_id: str | None = None
    task_id: str | None = None
    generated_keys: tuple[str, ...] = ()
    url: str | None = None  # a signed URL: only ever printed bare when the user asked for it
    status: str | None = None  # job state for async operations
    elapsed_seconds: float | None = None
    operations: str | None = None  # the request as sent (OSS process string / COS rule)
    provider: str | None = None
    width: int | None = None
    height: int | None = None
    format: str | None = None
    data: dict[str, Any] | list[Any] | None = None  # service-shaped JSON (info, hue, detection)
    warnings: tuple[str, ...] = ()
    verified: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["generated_keys"] = list(self.generated_keys)
        d["warnings"] = list(self.warnings)
        extra = d.pop("extra")
        d.update(extra)
        return d


class ObjectInfo(Record):
    """One object or file of a listing or a head request."""

    key: str  # object key, or path for local files
    size: int | None = None
    etag: str | None = None
    last_modified: float | None = None  # POSIX seconds
    content_type: str | None = None
    is_prefix: bool = False  # a "directory" entry from a delimiter listing
    request_id: str | None = None
