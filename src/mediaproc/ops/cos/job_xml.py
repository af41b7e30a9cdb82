"""XML as COS speaks it: a nested dict <-> an XML document (repeated elements <-> lists).

Job bodies are written as the SDK's ``format_xml`` (xmltodict.unparse, cos-python-sdk-v5 1.9.44)
writes them, so ``--dry-run`` shows the bytes the provider sends; the emulator writes its XML
answers the same way. Documents that arrive (job requests and multipart uploads at the emulator,
detection answers at the provider) are untrusted and parsed with defusedxml.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree as ET

from mediaproc.errors import InvalidOperation
from mediaproc.i18n import _

__all__ = ["dict_to_xml", "job_xml", "parse_job_xml", "parse_xml_document"]


def _to_element(parent: ET.Element, name: str, value: Any) -> None:
    if isinstance(value, list):
        for item in value:
            _to_element(parent, name, item)
        return
    child = ET.SubElement(parent, name)
    if isinstance(value, Mapping):
        for k, v in value.items():
            _to_element(child, k, v)
    elif value is not None:
        child.text = str(value)


def dict_to_xml(root_name: str, data: Mapping[str, Any], *, declaration: bool = True) -> str:
    """Nested dict -> XML (lists become repeated elements), as xmltodict.unparse writes it."""
    root = ET.Element(root_name)
    for k, v in data.items():
        _to_element(root, k, v)
    text = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + text) if declaration else text


def job_xml(request: Mapping[str, Any]) -> str:
    """The ``POST /jobs`` body, as the SDK's ``format_xml`` (xmltodict.unparse) writes it."""
    return dict_to_xml("Request", request)


def _from_element(el: ET.Element) -> Any:
    children = list(el)
    if not children:
        return el.text or ""
    out: dict[str, Any] = {}
    for c in children:
        value = _from_element(c)
        if c.tag in out:
            prev = out[c.tag]
            out[c.tag] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            out[c.tag] = value
    return out


def parse_xml_document(body: bytes | str, root_name: str | None) -> dict[str, Any]:
    """An XML document -> nested dict (repeated elements become lists). Untrusted input: parsed
    with defusedxml (no entities, no external references)."""
    from defusedxml import ElementTree as DET

    try:
        root = DET.fromstring(body)
    except Exception:
        raise InvalidOperation(
            _("the request body is not well-formed XML"), hint=_("send <{root}>...</{root}>").format(root=root_name)
        ) from None
    if root_name is not None and root.tag != root_name:
        raise InvalidOperation(
            _("the body's root is <{tag}>, not <{root}>").format(tag=root.tag, root=root_name),
            hint=_("send <{root}>...</{root}>").format(root=root_name),
        )
    data = _from_element(root)
    return data if isinstance(data, dict) else {}


def parse_job_xml(body: bytes | str) -> dict[str, Any]:
    """A ``POST /jobs`` ``<Request>`` body -> nested dict."""
    return parse_xml_document(body, "Request")
