"""XML bodies, read and written one way for every service: xmltodict, each document's shape, the guards.

OSS and COS speak XML on the wire; the COS media-job body (``ops``), the COS provider (error and
detection answers) and both emulator fronts (requests in, answers out) all go through here, so there is
one dialect in the code rather than one per module. xmltodict is what qcloud_cos itself writes its
request bodies with (``cos_comm.format_xml`` is ``xmltodict.unparse``), so a job body written here is
byte for byte what the SDK sends.

A document type (:class:`Doc`) names its root and the elements it repeats: xmltodict turns a single
``<Part>`` into a dict and two into a list, so every repeatable element is parsed as a list always
(``force_list``), and a document read back equals the one written. Leaves are strings ("" when empty),
attributes are dropped (a client's ``xmlns`` must not hide its elements), whitespace inside a leaf is
kept (an object key may begin with a space).

Input is untrusted (a request at the emulator, an answer at the provider) and is refused, as
:class:`MalformedXml`, before xmltodict builds anything when it is larger than :data:`MAX_BYTES`,
declares a DTD (so no entity is ever defined, let alone expanded: billion laughs, external entities),
or nests deeper than :data:`MAX_DEPTH`; a first pass with a bare expat parser checks that as it reads.
The fronts answer a refusal as the services answer a malformed body (``MalformedXML``); the OSS
front refuses an over-size body before reading it, as OSS does (``EntityTooLarge``).

How the services write (the :class:`Dialect`): OSS answers start ``<?xml version="1.0"
encoding="UTF-8"?>`` and end with a newline; COS answers start ``<?xml version='1.0' encoding='utf-8'
?>`` (as the COS API pages print them); the SDK's requests start as ``xmltodict.unparse`` writes. None
carries a namespace: OSS's documentation examples show ``xmlns="http://doc.oss-cn-hangzhou.aliyuncs.com"``
but oss2 finds children by bare name, so the service's answers cannot have one. An empty element is
written ``<a></a>`` (xmltodict's default, and what the SDK sends); an OSS error is indented, as OSS
indents it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from xml.parsers import expat

import xmltodict

from mediaproc.errors import UsageError
from mediaproc.i18n import _

MAX_BYTES = 4 * 1024 * 1024  # the largest body either front reads (10,000 parts of a CompleteMultipartUpload fit)
MAX_DEPTH = 32  # the deepest document the services define (a job's Operation/Transcode/...) is under 8


class MalformedXml(UsageError):
    """An XML body refused: not well-formed, not the expected document, or past a guard."""

    default_code = "MalformedXML"


@dataclass(frozen=True)
class Dialect:
    """How one party writes its documents: the declaration before the root and what follows it."""

    declaration: str
    tail: str = ""


OSS = Dialect('<?xml version="1.0" encoding="UTF-8"?>\n', "\n")
COS = Dialect("<?xml version='1.0' encoding='utf-8' ?>")
COS_SDK = Dialect('<?xml version="1.0" encoding="utf-8"?>\n')  # xmltodict.unparse, as format_xml sends


@dataclass(frozen=True)
class Doc:
    """One document type: its root (None: any root, for answers whose root varies by call), the
    elements it repeats (always parsed as lists), how it is written."""

    root: str | None
    repeated: frozenset[str]
    dialect: Dialect
    pretty: bool = False

    def with_root(self, root: str) -> Doc:
        return replace(self, root=root)


def _doc(root: str | None, dialect: Dialect, repeated: Iterable[str] = (), *, pretty: bool = False) -> Doc:
    return Doc(root, frozenset(repeated), dialect, pretty)


@dataclass(frozen=True)
class StorageDocs:
    """The object-storage documents OSS and COS both speak (S3's shapes, the same elements
    repeated), each in one service's dialect."""

    complete: Doc  # the request
    complete_result: Doc
    initiate_result: Doc
    list_parts: Doc
    list_uploads: Doc
    list_objects: Doc


def _storage(dialect: Dialect) -> StorageDocs:
    return StorageDocs(
        complete=_doc("CompleteMultipartUpload", dialect, ["Part"]),
        complete_result=_doc("CompleteMultipartUploadResult", dialect),
        initiate_result=_doc("InitiateMultipartUploadResult", dialect),
        list_parts=_doc("ListPartsResult", dialect, ["Part"]),
        list_uploads=_doc("ListMultipartUploadsResult", dialect, ["Upload", "CommonPrefixes"]),
        list_objects=_doc("ListBucketResult", dialect, ["Contents", "CommonPrefixes"]),
    )


# OSS: what the emulator reads from clients and answers (oss2, the OSS API reference).
OSS_STORAGE = _storage(OSS)
OSS_ERROR = _doc("Error", OSS, pretty=True)
OSS_DELETE = _doc("Delete", OSS, ["Object"])
OSS_DELETE_RESULT = _doc("DeleteResult", OSS, ["Deleted"])
OSS_LIST_BUCKETS = _doc("ListAllMyBucketsResult", OSS, ["Bucket"])
OSS_COPY_RESULT = _doc("CopyObjectResult", OSS)
OSS_COPY_PART_RESULT = _doc("CopyPartResult", OSS)
OSS_ACL = _doc("AccessControlPolicy", OSS)
OSS_BUCKET_INFO = _doc("BucketInfo", OSS)
OSS_BUCKET_STAT = _doc("BucketStat", OSS)
OSS_LOCATION = _doc("LocationConstraint", OSS)
OSS_CREATE_BUCKET = _doc("CreateBucketConfiguration", OSS)  # PutBucket's optional body
OSS_TAGGING = _doc("Tagging", OSS, ["Tag"])  # ?tagging, request and answer
OSS_RESTORE = _doc("RestoreRequest", OSS)  # RestoreObject's optional body
OSS_LIVE_CHANNELS = _doc("ListLiveChannelResult", OSS, ["LiveChannel"])
OSS_STYLE = _doc("Style", OSS)  # PutStyle's body, GetStyle's answer
OSS_STYLE_LIST = _doc("StyleList", OSS, ["Style"])  # ListStyle

# COS and Cloud Infinite: what the emulator reads and answers, and what the provider reads itself.
COS_STORAGE = _storage(COS)
COS_ERROR = _doc("Error", COS)
COS_COPY_RESULT = _doc("CopyObjectResult", COS)  # PUT Object - Copy
COS_COPY_PART_RESULT = _doc("CopyPartResult", COS)  # Upload Part - Copy
COS_DELETE = _doc("Delete", COS, ["Object"])  # DELETE Multiple Objects, request
COS_DELETE_RESULT = _doc("DeleteResult", COS, ["Deleted", "Error"])  # ... and answer
COS_TAGGING = _doc("Tagging", COS, ["Tag"])  # ?tagging, request and answer
COS_ACL = _doc("AccessControlPolicy", COS, ["Grant"])  # ?acl, request and answer
CI_UPLOAD_RESULT = _doc("UploadResult", COS, ["Object"])  # Pic-Operations: ProcessResults/Object
CI_MEDIA_INFO = _doc("Response", COS, ["Video", "Audio", "Subtitle"])  # ci-process=videoinfo: MediaInfo/Stream
CI_ADD_STYLE = _doc("AddStyle", COS_SDK)  # PUT /?style on the pic host
CI_GET_STYLE = _doc("GetStyle", COS_SDK, ["StyleName"])  # GET /?style (optional body)
CI_DELETE_STYLE = _doc("DeleteStyle", COS_SDK)  # DELETE /?style
CI_STYLE_LIST = _doc("StyleList", COS, ["StyleRule"])  # GET /?style's answer
CI_JOB_REQUEST = _doc("Request", COS_SDK, ["ConcatFragment"])  # POST /jobs
CI_JOBS = _doc("Response", COS, ["JobsDetail", "NonExistJobIds", "ObjectName", "ConcatFragment"])
CI_REQUEST = _doc("Request", COS_SDK)  # POST/PUT /workflow, /template, /inventorytriggerjob
CI_BATCH_ANSWER = _doc(  # the answers of /workflow, /workflowexecution, /template, /inventorytriggerjob
    "Response", COS, ["MediaWorkflowList", "WorkflowExecutionList", "Tasks", "JobsDetail", "TemplateList"]
)
# Detection (ci-process=DetectFace, AIBodyRecognition, QRcode, AssessQuality, DetectCar, detect-label):
# the root is Response or RecognitionResult by call.
CI_DETECTION = _doc(
    None,
    COS,
    ["FaceInfos", "PedestrianInfo", "QRcodeInfo", "Point", "Labels", "CarTags", "PlateContent", "CarLocation"],
)


def unparse(doc: Doc, data: Mapping[str, Any]) -> str:
    """``data`` (nested dicts; a list is a repeated element, None an empty one) as ``doc``'s XML."""
    if doc.root is None:
        raise ValueError("a document written needs its root: use Doc.with_root")
    body = xmltodict.unparse({doc.root: data}, full_document=False, pretty=doc.pretty, indent="  ", newl="\n")
    return f"{doc.dialect.declaration}{body}{doc.dialect.tail}"


def parse(doc: Doc, body: bytes | str) -> dict[str, Any]:
    """``body`` as nested dicts: the root's children (a text-only root: ``{"#text": text}``)."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    _screen(data, doc)
    try:
        parsed = xmltodict.parse(
            data,
            force_list=doc.repeated,
            xml_attribs=False,
            strip_whitespace=False,
            postprocessor=_leaf,
            disable_entities=True,
        )
    except (expat.ExpatError, ValueError):  # _screen parsed it already: a second look cannot differ
        raise _malformed(doc) from None
    root, content = next(iter(parsed.items()))
    if doc.root is not None and root != doc.root:
        raise MalformedXml(
            _("the body's root is <{tag}>, not <{root}>").format(tag=root, root=doc.root), hint=_hint(doc)
        )
    if isinstance(content, Mapping):
        return dict(content)
    return {"#text": content} if content else {}


def text(value: Any) -> str:
    """A leaf's text from a parsed document: "" when it is missing or holds elements instead."""
    return value if isinstance(value, str) else ""


def _leaf(_path: Any, key: str, value: Any) -> tuple[str, Any] | None:
    """Empty leaves are "", and the whitespace between elements (kept for the leaves' sake) is dropped."""
    if value is None:
        return key, ""
    if key == "#text" and isinstance(value, str) and not value.strip():
        return None
    return key, value


def _screen(data: bytes, doc: Doc) -> None:
    """Refuse a body past a guard as expat meets it, before anything is built from it."""
    if len(data) > MAX_BYTES:
        raise MalformedXml(
            _("the XML body is larger than {limit} bytes").format(limit=MAX_BYTES),
            hint=_("send a smaller document"),
        )
    depth = 0

    def start(_name: str, _attrs: Any) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:
            raise MalformedXml(
                _("the XML body nests deeper than {limit} elements").format(limit=MAX_DEPTH),
                hint=_("send a flatter document"),
            )

    def end(_name: str) -> None:
        nonlocal depth
        depth -= 1

    def dtd(*_args: Any) -> None:
        raise MalformedXml(
            _("the XML body declares a DTD; DTDs and entities are refused"),
            hint=_("send the document without a DOCTYPE"),
        )

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = dtd
    parser.EntityDeclHandler = dtd
    try:
        parser.Parse(data, True)
    except expat.ExpatError:
        raise _malformed(doc) from None


def _hint(doc: Doc) -> str | None:
    return _("send <{root}>...</{root}>").format(root=doc.root) if doc.root else None


def _malformed(doc: Doc) -> MalformedXml:
    return MalformedXml(_("the request body is not well-formed XML"), hint=_hint(doc))
