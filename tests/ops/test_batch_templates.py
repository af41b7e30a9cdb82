"""The pure readers behind serve's cloud batches: IMM Actions and TargetURI templates
(``ops.oss.batch_actions``), CI workflow topologies, filters and output variables
(``ops.cos.workflow``), and the output extension both use (``ops.destination``)."""

from __future__ import annotations

import calendar

import pytest

from mediaproc.errors import InvalidOperation
from mediaproc.ops.cos.workflow import expand_output, ext_filter, read_topology, template_node
from mediaproc.ops.destination import output_extension
from mediaproc.ops.oss.batch_actions import ActionError, expand_target, matcher, read_actions, target_uri
from mediaproc.ops.parse import parse_chain

UPLOADED = calendar.timegm((2024, 3, 9, 7, 5, 1, 0, 0, 0))


def test_actions_chain_image_steps_and_read_both_parameter_spellings() -> None:
    plan = read_actions([
        {"Name": "image/resize", "Parameters": ["w=200", "TargetURI=oss://b/o/{barename}.{autoext}"]},
        {"Name": "image/format", "Parameters": ["webp"], "FastFailPolicy": {"Action": "abort"}},
    ])
    assert plan.process == "image/resize,w_200/format,webp"
    assert plan.target == "oss://b/o/{barename}.{autoext}"
    assert plan.abort_on_failure
    media = read_actions([{"Name": "video/convert", "Parameters": ["f_mp4", "vcodec_h264", "TargetURI=oss://b/v.mp4"]}])
    assert media.process == "video/convert,f_mp4,vcodec_h264" and not media.abort_on_failure


@pytest.mark.parametrize(
    ("actions", "words"),
    [
        ([], "at least one"),
        ([{"Name": "doc/convert", "Parameters": ["pages=3", "TargetURI=oss://b/x.png"]}], "doc/convert"),
        ([{"Name": "resize", "Parameters": ["TargetURI=oss://b/x"]}], "<family>/<operation>"),
        ([{"Name": "image/resize", "Parameters": ["w_1"]}], "TargetURI"),
        ([{"Name": "image/resize", "Parameters": ["TargetURI=oss://b/out/"]}], "does not end with '/'"),
        ([{"Name": "image/resize", "Parameters": ["TargetURI=oss://b/{nope}.jpg"]}], "{nope}"),
        ([{"Name": "image/resize", "Parameters": "w_1"}], "list of strings"),
    ],
)
def test_bad_actions_name_the_fix(actions: list[dict[str, object]], words: str) -> None:
    with pytest.raises(ActionError) as raised:
        read_actions(actions)
    assert words in str(raised.value)


def test_target_variables_as_documented() -> None:
    common = {"bucket": "b", "uploaded": UPLOADED, "now": UPLOADED + 86400}
    assert expand_target("out/{dirname}/{barename}.{autoext}", key="a/b/c.jpg", autoext="webp", **common) == (
        "out/a/b/c.webp"
    )
    assert expand_target("{dirname}/{barename}{autoext}", key="c.jpg", autoext="png", **common) == "c.png"
    assert expand_target("{year}/{mon}/{day}/{t_day}/{basename}{ext}", key="x/c.JPG", autoext="", **common) == (
        "2024/03/09/10/c.JPG.JPG"
    )
    tagged = expand_target(
        "{{lit}}/{bucket}/{tags.env}-{key}", key="k.png", autoext="png", tags={"env": "dev"}, **common
    )
    assert tagged == "{lit}/b/dev-k.png"
    assert target_uri("oss://out-bucket/x/{key}") == ("out-bucket", "x/{key}")


def test_match_expressions() -> None:
    m = matcher(["key prefix (a/)", 'suffix(".png")', "key match (^z.*\\d$)"])
    assert [m(k) for k in ("a/x.gif", "b/x.png", "z9", "b/x.gif")] == [True, True, True, False]
    assert matcher([])("anything")
    with pytest.raises(ActionError):
        matcher(["key is (a)"])


def test_output_extension_follows_the_chain() -> None:
    assert output_extension(parse_chain(["image/resize,w_10/format,webp"]), "a.jpg") == "webp"
    assert output_extension(parse_chain(["image/resize,w_10"]), "a.JPEG") == "jpeg"
    assert output_extension(parse_chain(["video/convert,f_mp4,vcodec_h264"]), "a.mov") == "mp4"


def test_topology_nodes_filters_and_variables() -> None:
    topology = read_topology({
        "Dependencies": {"Start": "Transcode_1", "Transcode_1": "Snapshot_2", "Snapshot_2": "End"},
        "Nodes": {
            "Start": {"Type": "Start", "Input": {"ObjectPrefix": "in/", "ExtFilter": {
                "State": "On", "Video": "true", "Custom": "true", "CustomExts": "raw/.dng",
            }}},
            "Transcode_1": {"Type": "Transcode", "Operation": {"TemplateId": "t1"}},
            "Snapshot_2": {"Type": "Snapshot", "Operation": {"TemplateId": "t2"}},
        },
    })
    assert topology.prefix == "in/" and topology.first == ("Transcode_1",)
    assert topology.nodes["Transcode_1"].successors == ("Snapshot_2",)
    assert [topology.accepts(k) for k in ("in/a.MP4", "in/b.dng", "in/c.raw", "in/d.jpg")] == [True, True, True, False]
    assert ext_filter({"State": "Off", "Video": "true"})("x.jpg")
    assert expand_output("o/${InputPath}${InputName}-${RunId}.${Ext}", key="in/a/v.mov", run_id="i1", ext="mp4") == (
        "o/in/a/v-i1.mp4"
    )
    assert expand_output("f/${InputNameAndExt}-${number}.jpg", key="v.mov", run_id="i", ext="jpg") == (
        "f/v.mov-${Number}.jpg"
    )
    assert template_node("Snapshot", {"Tag": "Snapshot", "Name": "n", "Snapshot": {"Count": "2"}}) == {"Count": "2"}
    assert template_node("Transcode", {"Tag": "Transcode", "Name": "n", "Container": {"Format": "mp4"}}) == {
        "Container": {"Format": "mp4"}
    }


@pytest.mark.parametrize(
    "topology",
    [
        None,
        {"Dependencies": {"Start": "X_1"}, "Nodes": {"Start": {"Type": "Start", "Input": {"ObjectPrefix": ""}}}},
        {"Dependencies": {"Start": "End"}, "Nodes": {"Start": {"Type": "Start"}}},
        {"Dependencies": {"Start": "Foo"}, "Nodes": {
            "Start": {"Type": "Start", "Input": {"ObjectPrefix": ""}}, "Foo": {"Type": "Transcode"},
        }},
    ],
)
def test_bad_topologies_are_refused(topology: object) -> None:
    with pytest.raises(InvalidOperation):
        read_topology(topology)


@pytest.mark.parametrize("words", [
    ["resize:w=10"], ["format:target=webp"], ["format:target=png", "style/x"], ["video/snapshot:t=1"],
    ["video/snapshot:t=1,f=png"], ["video/convert:f=mkv"], ["audio/convert:f=opus"], ["video/animation:f=gif"],
    ["hls/m3u8"],
])
def test_a_result_named_in_a_folder_is_never_refused_for_its_name(words: list[str]) -> None:
    """A folder destination names each result (``result_name``, from ``output_extension``) and the name is
    then checked against the chain (``check_destination_format``): one reading of the format a chain
    writes serves both, so a name mediaproc chose is never refused as contradicting its own chain (a
    chain ending in a style keeps the source's extension: the style decides the format)."""
    from mediaproc.ops.destination import check_destination_format, result_name
    from mediaproc.ops.parse import parse_chain

    chain = parse_chain(words)
    media = words[0].split("/")[0] in ("video", "audio", "hls")
    for source in (("clip.mp4", "take.MOV") if media else ("a.jpg", "photo.PNG", "scan.tif")):
        check_destination_format(chain, result_name(source, chain))
    if words[-1].startswith("style/"):
        assert result_name("a.jpg", chain) == "a.jpg"
