"""COS / Cloud Infinite image styles through qcloud_cos: AddStyle, GetStyle (DescribeImageStyles),
DeleteStyle, all on ``<bucket>.pic.<region>.myqcloud.com/?style``.

CI API (cloud.tencent.com/document/api/436/119416 and 460/30117): AddStyle takes
``<AddStyle><StyleName/><StyleBody/></AddStyle>``; ``GET /?style`` with no body lists every style,
with ``<GetStyle><StyleName>`` only that one, answering ``<StyleList><StyleRule>(StyleName,
StyleBody)``. CI states no creation time. A name that is not in the list is a missing style.
"""

from __future__ import annotations

from typing import Any

from mediaproc.ops.styles import missing
from mediaproc.providers.cos.clients import CosClients
from mediaproc.providers.local.styles import StoredStyle


def _rules(data: Any) -> list[StoredStyle]:
    rules = (data or {}).get("StyleRule") if isinstance(data, dict) else None
    if isinstance(rules, dict):
        rules = [rules]
    out = []
    for rule in rules or []:
        if isinstance(rule, dict) and rule.get("StyleName"):
            out.append(StoredStyle(str(rule["StyleName"]), str(rule.get("StyleBody") or "")))
    return sorted(out, key=lambda s: s.name)


class CosStyles(CosClients):
    def put_style(self, bucket: str, name: str, content: str) -> None:
        self._call("add the style", self.client.ci_put_image_style, Bucket=bucket,
                   Request={"StyleName": name, "StyleBody": content}, target=f"cos://{bucket}")

    def get_style(self, bucket: str, name: str) -> StoredStyle:
        _headers, data = self._call("read the style", self.client.ci_get_image_style, Bucket=bucket,
                                    Request={"StyleName": name}, target=f"cos://{bucket}")
        for style in _rules(data):
            if style.name == name:
                return style
        raise missing(name, f"cos://{bucket}")

    def list_styles(self, bucket: str) -> list[StoredStyle]:
        _headers, data = self._call("list the styles", self.client.ci_get_image_style, Bucket=bucket,
                                    Request={}, target=f"cos://{bucket}")
        return _rules(data)

    def delete_style(self, bucket: str, name: str) -> None:
        self._call("delete the style", self.client.ci_delete_image_style, Bucket=bucket,
                   Request={"StyleName": name}, target=f"cos://{bucket}")
