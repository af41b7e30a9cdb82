"""OSS bucket styles through oss2: PutStyle, GetStyle, ListStyle, DeleteStyle.

OSS API reference (help.aliyun.com/zh/oss/developer-reference/putstyle, getstyle, liststyle,
deletestyle): ``PUT /?style&styleName=NAME`` with ``<Style><Content>``; GetStyle answers
``<Style>`` (Name, Content, Category, CreateTime, LastModifyTime); a style that does not exist is
``404 NoSuchStyle`` (mapped to :func:`mediaproc.ops.styles.missing` by ``map_oss_error``).
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from typing import Any

from mediaproc.errors import NotFound
from mediaproc.ops.styles import NO_SUCH_STYLE, missing
from mediaproc.providers.local.styles import StoredStyle
from mediaproc.providers.oss.clients import OssClients


def _ts(text: Any) -> float | None:
    try:
        return parsedate_to_datetime(str(text)).timestamp() if text else None
    except (TypeError, ValueError):
        return None


def _named(exc: NotFound, bucket: str, name: str) -> NotFound:
    """A missing style, named (the mapped error does not know which style it was)."""
    return missing(name, f"oss://{bucket}", request_id=exc.request_id) if exc.code == NO_SUCH_STYLE else exc


class OssStyles(OssClients):
    def put_style(self, bucket: str, name: str, content: str) -> None:
        b = self.bucket(bucket)
        self._call(lambda: b.put_bucket_style(name, content), bucket=bucket, key=None, action="PutStyle")

    def get_style(self, bucket: str, name: str) -> StoredStyle:
        b = self.bucket(bucket)
        try:
            r = self._call(lambda: b.get_bucket_style(name), bucket=bucket, key=None, action="GetStyle")
        except NotFound as exc:
            raise _named(exc, bucket, name) from None

        return StoredStyle(r.name or name, r.content or "", _ts(r.create_time), _ts(r.last_modify_time))

    def list_styles(self, bucket: str) -> list[StoredStyle]:
        b = self.bucket(bucket)
        r = self._call(b.list_bucket_style, bucket=bucket, key=None, action="ListStyle")
        out = [StoredStyle(s.name or "", s.content or "", _ts(s.create_time), _ts(s.last_modify_time))
               for s in r.styles]
        return sorted(out, key=lambda s: s.name)

    def delete_style(self, bucket: str, name: str) -> None:
        b = self.bucket(bucket)
        try:
            self._call(lambda: b.delete_bucket_style(name), bucket=bucket, key=None, action="DeleteStyle")
        except NotFound as exc:
            raise _named(exc, bucket, name) from None
