"""The media-job body as XML: ``POST /jobs``'s ``<Request>`` <-> the nested dict of :mod:`.jobs`.

Written as the SDK's ``format_xml`` writes it (``xmltodict.unparse``, cos-python-sdk-v5 1.9.44), so
``--dry-run`` shows the bytes the provider sends; read back with the same document type (the
elements a job repeats always come back as lists). Both go through :mod:`mediaproc.xmlbody`, which
also holds the guards an untrusted body passes first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mediaproc import xmlbody

__all__ = ["job_xml", "parse_job_xml"]


def job_xml(request: Mapping[str, Any]) -> str:
    """The ``POST /jobs`` body, as the SDK's ``format_xml`` (xmltodict.unparse) writes it."""
    return xmlbody.unparse(xmlbody.CI_JOB_REQUEST, request)


def parse_job_xml(body: bytes | str) -> dict[str, Any]:
    """A ``POST /jobs`` ``<Request>`` body -> nested dict (:class:`~mediaproc.xmlbody.MalformedXml`
    when it is not one)."""
    return xmlbody.parse(xmlbody.CI_JOB_REQUEST, body)
