"""What an MP4 sample entry says about its codec, in the words FFmpeg's decoders use.

:func:`describe` reads one ``stsd`` sample entry (the bytes after its size and type) and returns the
facts PyAV would report once FFmpeg's decoder had looked at the stream: codec name and long name,
profile, pixel format (H.264 and HEVC: from the SPS in ``avcC``/``hvcC``, incl. full range -> ``yuvj*``), sample rate,
channels, layout, sample format. Anything it does not know exactly (another profile, HE-AAC, an
H.264 SPS it cannot walk, a channel layout not verified against PyAV) gives ``None``: the caller then
asks PyAV. Every read is bounds-checked; malformed bytes give ``None``, never an exception out of here.
"""

from __future__ import annotations

import struct

from mediaproc.record import Record


class Codec(Record):
    """One stream's codec facts, as FFmpeg's decoder would report them."""

    kind: str  # "video" or "audio"
    codec: str
    codec_long: str
    width: int = 0
    height: int = 0
    pix_fmt: str | None = None
    profile: str | None = None
    sample_rate: int | None = None
    channels: int | None = None
    layout: str | None = None
    sample_fmt: str | None = None
    mp3_probe: bool = False  # the rate and channels must be checked against the first frame's header
    bit_rate: int | None = None  # what the decoder reports instead of the container's average (AC-3)


class _Short(Exception):
    """The bytes end before a field does (caught inside this module)."""


H264_LONG = "H.264 / AVC / MPEG-4 AVC / MPEG-4 part 10"
AAC_LONG = "AAC (Advanced Audio Coding)"
MP3_LONG = "MP3 (MPEG audio layer 3)"
# FFmpeg's layouts for the channel counts verified against PyAV (libavutil channel_layout.c names).
_LAYOUTS = {1: "mono", 2: "stereo", 6: "5.1"}
# libavcodec/profiles.c ff_h264_profiles, for the profile_idc values verified (constraint_set3, the
# intra variants, is declined).
_H264_PROFILES = {77: "Main", 100: "High", 110: "High 10", 122: "High 4:2:2", 244: "High 4:4:4 Predictive"}


class _Bits:
    """A big-endian bit reader over an RBSP (emulation-prevention bytes already removed)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def u(self, n: int) -> int:
        value = 0
        for _ in range(n):
            byte = self.pos >> 3
            if byte >= len(self.data):
                raise _Short
            value = (value << 1) | ((self.data[byte] >> (7 - (self.pos & 7))) & 1)
            self.pos += 1
        return value

    def ue(self) -> int:
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros > 31:
                raise _Short
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k & 1 else -(k // 2)


def _rbsp(nal: bytes) -> bytes:
    """A NAL unit's payload without its emulation-prevention bytes (00 00 03 -> 00 00)."""
    return nal.replace(b"\x00\x00\x03", b"\x00\x00")


def _h264_sps(sps: bytes) -> tuple[str, str, int, int] | None:
    """(profile, pix_fmt, width, height) from an H.264 SPS, as FFmpeg's h264 decoder reports them
    (libavcodec/h264_ps.c ``ff_h264_decode_seq_parameter_set``, h264_slice.c ``get_pixel_format``)."""
    if len(sps) < 4 or sps[0] & 0x1F != 7:
        return None
    b = _Bits(_rbsp(sps[1:]))
    profile_idc = b.u(8)
    flags = b.u(8)
    b.u(8)  # level
    b.ue()  # seq_parameter_set_id
    chroma, depth = 1, 8
    if profile_idc in (100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135):
        chroma = b.ue()
        if chroma == 3 and b.u(1):
            return None  # separate colour planes
        depth = b.ue() + 8
        if b.ue() + 8 != depth:
            return None
        b.u(1)  # qpprime_y_zero_transform_bypass
        if b.u(1):  # seq_scaling_matrix_present: walk the lists to reach what follows
            for i in range(12 if chroma == 3 else 8):
                if b.u(1):
                    last = nxt = 8
                    for _ in range(16 if i < 6 else 64):
                        if nxt:
                            nxt = (last + b.se() + 256) % 256
                        last = nxt or last
    if profile_idc == 66:
        name = "Constrained Baseline" if flags & 0x40 else "Baseline"
    elif flags & 0x10 and profile_idc in (110, 122, 244):
        return None  # the intra profiles: not verified
    else:
        known = _H264_PROFILES.get(profile_idc)
        if known is None:
            return None
        name = known
    b.ue()  # log2_max_frame_num
    poc_type = b.ue()
    if poc_type == 0:
        b.ue()
    elif poc_type == 1:
        b.u(1)
        b.se()
        b.se()
        cycle = b.ue()
        if cycle > 255:
            return None
        for _ in range(cycle):
            b.se()
    b.ue()  # max_num_ref_frames
    b.u(1)
    mbs_w, map_h = b.ue() + 1, b.ue() + 1
    frame_mbs_only = b.u(1)
    if not frame_mbs_only:
        b.u(1)
    b.u(1)  # direct_8x8_inference
    width, height = mbs_w * 16, map_h * 16 * (2 - frame_mbs_only)
    if b.u(1):  # frame_cropping
        sub_w, sub_h = {0: (1, 1), 1: (2, 2), 2: (2, 1), 3: (1, 1)}.get(chroma, (1, 1))
        left, right, top, bottom = b.ue(), b.ue(), b.ue(), b.ue()
        width -= sub_w * (left + right)
        height -= sub_h * (2 - frame_mbs_only) * (top + bottom)
    full = False
    if b.u(1):  # vui_parameters_present
        if b.u(1) and b.u(8) == 255:  # aspect_ratio_info, Extended_SAR
            b.u(32)
        if b.u(1):  # overscan_info_present
            b.u(1)
        if b.u(1):  # video_signal_type_present
            b.u(3)
            full = bool(b.u(1))
    sub = {1: "420", 2: "422", 3: "444"}.get(chroma)
    if sub is None or depth not in (8, 10):
        return None  # monochrome, 9/12/14-bit: not verified
    if depth == 8:
        pix_fmt = f"yuv{'j' if full else ''}{sub}p"
    else:
        pix_fmt = f"yuv{sub}p10le"
    return name, pix_fmt, width, height


def _avc(entry: bytes, width: int, height: int) -> Codec | None:
    avcc = _child(entry, 78, b"avcC")
    if avcc is None or len(avcc) < 8 or avcc[0] != 1:
        return None
    count = avcc[5] & 0x1F
    if count < 1:
        return None
    (length,) = struct.unpack_from(">H", avcc, 6)
    sps = avcc[8 : 8 + length]
    if len(sps) != length:
        return None
    facts = _h264_sps(sps)
    if facts is None:
        return None
    profile, pix_fmt, w, h = facts
    if (w, h) != (width, height):
        return None  # the sample entry and the SPS disagree: let FFmpeg decide
    return Codec("video", "h264", H264_LONG, w, h, pix_fmt, profile)


HEVC_LONG = "HEVC (High Efficiency Video Coding)"
_HEVC_PROFILES = {1: "Main", 2: "Main 10", 4: "Rext"}  # libavcodec/profiles.c ff_hevc_profiles, those verified


def _hevc_sps(sps: bytes) -> tuple[str, str, int, int] | None:
    """(profile, pix_fmt, width, height) from an HEVC SPS, as FFmpeg's hevc decoder reports them
    (H.265 7.3.2.2; libavcodec/hevc/ps.c ``ff_hevc_parse_sps``: full range 8-bit 4:2:0 -> yuvj420p)."""
    if len(sps) < 4 or (sps[0] >> 1) & 0x3F != 33:
        return None
    b = _Bits(_rbsp(sps[2:]))
    b.u(4)
    sub_layers = b.u(3)
    b.u(1)
    b.u(2)
    b.u(1)
    profile_idc = b.u(5)
    b.u(32)
    b.u(48)  # progressive/interlaced/non-packed/frame-only flags and 44 reserved bits
    b.u(8)  # level
    present = [(b.u(1), b.u(1)) for _ in range(sub_layers)]
    if sub_layers:
        b.u(2 * (8 - sub_layers))
    for profile_present, level_present in present:
        b.u(88 if profile_present else 0)
        b.u(8 if level_present else 0)
    b.ue()  # sps_seq_parameter_set_id
    chroma = b.ue()
    if chroma == 3 and b.u(1):
        return None  # separate colour planes
    width, height = b.ue(), b.ue()
    if b.u(1):  # conformance window
        sub_w, sub_h = {1: (2, 2), 2: (2, 1)}.get(chroma, (1, 1))
        left, right, top, bottom = b.ue(), b.ue(), b.ue(), b.ue()
        width -= sub_w * (left + right)
        height -= sub_h * (top + bottom)
    depth = b.ue() + 8
    if b.ue() + 8 != depth:
        return None
    poc_bits = b.ue() + 4
    ordering = b.u(1)
    for _ in range(0 if ordering else sub_layers, sub_layers + 1):
        b.ue()
        b.ue()
        b.ue()
    for _ in range(6):
        b.ue()  # coding/transform block sizes and hierarchy depths
    if b.u(1) and b.u(1):  # scaling_list_enabled, sps_scaling_list_data_present (7.3.4)
        for size_id in range(4):
            for _matrix in range(0, 6, 3 if size_id == 3 else 1):
                if not b.u(1):
                    b.ue()
                    continue
                if size_id > 1:
                    b.se()
                for _ in range(min(64, 1 << (4 + (size_id << 1)))):
                    b.se()
    b.u(1)  # amp
    b.u(1)  # sample adaptive offset
    if b.u(1):  # pcm
        b.u(8)
        b.ue()
        b.ue()
        b.u(1)
    sets = b.ue()
    if sets > 64:
        return None
    deltas: list[int] = []
    for i in range(sets):  # st_ref_pic_set (7.3.7): only its length matters here
        if i and b.u(1):
            b.u(1)
            b.ue()
            kept = 0
            for _ in range(deltas[i - 1] + 1):
                if b.u(1) or b.u(1):  # used_by_curr_pic_flag, else use_delta_flag
                    kept += 1
            deltas.append(kept)
        else:
            negative, positive = b.ue(), b.ue()
            if negative + positive > 32:
                return None
            for _ in range(negative + positive):
                b.ue()
                b.u(1)
            deltas.append(negative + positive)
    if b.u(1):  # long_term_ref_pics_present
        count = b.ue()
        if count > 32:
            return None
        for _ in range(count):
            b.u(poc_bits)
            b.u(1)
    b.u(1)  # temporal mvp
    b.u(1)  # strong intra smoothing
    full = False
    if b.u(1):  # vui_parameters_present (E.2.1)
        if b.u(1) and b.u(8) == 255:
            b.u(32)
        if b.u(1):
            b.u(1)
        if b.u(1):
            b.u(3)
            full = bool(b.u(1))
    name = _HEVC_PROFILES.get(profile_idc)
    sub = {1: "420", 2: "422", 3: "444"}.get(chroma)
    if name is None or sub is None or depth not in (8, 10):
        return None
    if depth == 10:
        return name, f"yuv{sub}p10le", width, height
    return name, "yuvj420p" if full and sub == "420" else f"yuv{sub}p", width, height


def _hevc(entry: bytes, width: int, height: int) -> Codec | None:
    hvcc = _child(entry, 78, b"hvcC")
    if hvcc is None or len(hvcc) < 23 or hvcc[0] != 1:
        return None
    at, sps = 23, None
    for _ in range(hvcc[22]):
        kind = hvcc[at] & 0x3F
        (count,) = struct.unpack_from(">H", hvcc, at + 1)
        at += 3
        for _ in range(count):
            (length,) = struct.unpack_from(">H", hvcc, at)
            if kind == 33 and sps is None:
                sps = hvcc[at + 2 : at + 2 + length]
            at += 2 + length
    if sps is None:
        return None
    facts = _hevc_sps(sps)
    if facts is None or facts[2:] != (width, height):
        return None
    return Codec("video", "hevc", HEVC_LONG, width, height, facts[1], facts[0])


def _descriptor(data: bytes, at: int) -> tuple[int, int, int]:
    """(tag, payload start, payload end) of an MPEG-4 descriptor at ``at`` (ISO 14496-1 expandable size)."""
    if at >= len(data):
        raise _Short
    tag = data[at]
    size, at = 0, at + 1
    for _ in range(4):
        if at >= len(data):
            raise _Short
        byte = data[at]
        at += 1
        size = (size << 7) | (byte & 0x7F)
        if not byte & 0x80:
            break
    if at + size > len(data):
        raise _Short
    return tag, at, at + size


def _esds(esds: bytes) -> tuple[int, bytes] | None:
    """(objectTypeIndication, DecoderSpecificInfo) from an ``esds`` box payload (after version/flags)."""
    tag, at, end = _descriptor(esds, 4)
    if tag != 3:
        return None
    es_flags = esds[at + 2]
    at += 3
    if es_flags & 0x80:
        at += 2
    if es_flags & 0x40:
        at += 1 + esds[at]
    if es_flags & 0x20:
        at += 2
    tag, at, end = _descriptor(esds, at)
    if tag != 4 or end - at < 13:
        return None
    oti = esds[at]
    info = b""
    if end - at > 13:
        tag, start, stop = _descriptor(esds, at + 13)
        if tag == 5:
            info = esds[start:stop]
    return oti, info


# ETSI TS 102 366 annex F (dac3 bit_rate_code -> kbit/s)
_AC3_KBPS = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 576, 640)
_AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350)


def _aac(info: bytes) -> Codec | None:
    """AAC-LC from an AudioSpecificConfig. HE-AAC (explicit, or implicit SBR, which FFmpeg only finds
    when it decodes: rates of 24 kHz and below) is declined."""
    if len(info) < 2:
        return None
    b = _Bits(info)
    aot = b.u(5)
    index = b.u(4)
    if aot != 2 or index >= len(_AAC_RATES):
        return None
    rate = _AAC_RATES[index]
    channels = b.u(4)
    if rate <= 24000 or channels not in _LAYOUTS:
        return None
    return Codec("audio", "aac", AAC_LONG, sample_rate=rate, channels=channels, layout=_LAYOUTS[channels],
                 sample_fmt="fltp")


def _mpeg4_part2(info: bytes, width: int, height: int) -> Codec | None:
    """MPEG-4 part 2 video: the profile from the VOS header (libavcodec/mpeg4videodec.c)."""
    at = info.find(b"\x00\x00\x01\xb0")
    if at < 0 or at + 4 >= len(info):
        return None
    profile = {0: "Simple Profile", 15: "Advanced Simple Profile"}.get(info[at + 4] >> 4)
    if profile is None or not width or not height:
        return None
    return Codec("video", "mpeg4", "MPEG-4 part 2", width, height, "yuv420p", profile)


def _child(entry: bytes, start: int, kind: bytes) -> bytes | None:
    """The payload of the first child box ``kind`` of a sample entry, its children starting at ``start``."""
    at = start
    for _ in range(64):
        if at + 8 > len(entry):
            return None
        size, box = struct.unpack_from(">I4s", entry, at)
        if size < 8 or at + size > len(entry):
            return None
        if box == kind:
            return entry[at + 8 : at + size]
        at += size
    return None


def _audio(kind: bytes, entry: bytes) -> Codec | None:
    """An audio sample entry (ISO 14496-12 AudioSampleEntry; QuickTime version 0 only)."""
    if len(entry) < 28:
        return None
    (version,) = struct.unpack_from(">H", entry, 8)
    channels, bits = struct.unpack_from(">HH", entry, 16)
    rate = struct.unpack_from(">I", entry, 24)[0] >> 16
    if version not in (0, 1):
        return None  # QuickTime sound description v2: the rate is elsewhere, not verified
    children = 28 if version == 0 else 44  # v1 adds four 32-bit fields (QuickTime File Format)
    if kind == b"mp4a":
        esds = _child(entry, children, b"esds")
        if esds is None:  # QuickTime keeps it in a 'wave' atom (QuickTime File Format, siDecompressionParam)
            wave = _child(entry, children, b"wave")
            esds = _child(wave, 0, b"esds") if wave is not None else None
        found = _esds(esds) if esds is not None else None
        if found is None:
            return None
        oti, info = found
        if oti == 0x40:
            return _aac(info)
        if oti in (0x69, 0x6B) and channels in (1, 2):
            return Codec("audio", "mp3", MP3_LONG, sample_rate=rate, channels=channels, layout=_LAYOUTS[channels],
                         sample_fmt="fltp", mp3_probe=True)
        return None
    if kind == b".mp3" and channels in (1, 2):
        return Codec("audio", "mp3", MP3_LONG, sample_rate=rate, channels=channels, layout=_LAYOUTS[channels],
                     sample_fmt="fltp", mp3_probe=True)
    if kind == b"Opus":
        dops = _child(entry, children, b"dOps")
        if dops is None or len(dops) < 11 or dops[0] != 0:
            return None
        count, family = dops[1], dops[10]
        if family != 0 or count not in (1, 2):
            return None
        return Codec("audio", "opus", "Opus", sample_rate=48000, channels=count, layout=_LAYOUTS[count],
                     sample_fmt="fltp")
    if kind == b"ac-3":
        dac3 = _child(entry, children, b"dac3")
        if dac3 is None or len(dac3) < 3:
            return None
        b = _Bits(dac3)
        fscod = b.u(2)
        b.u(5)  # bsid
        b.u(3)  # bsmod
        acmod, lfe = b.u(3), b.u(1)
        rate_code = b.u(5)
        ac3_rate = {0: 48000, 1: 44100, 2: 32000}.get(fscod)
        ac3_channels = {1: 1, 2: 2}.get(acmod)
        if ac3_rate is None or ac3_channels is None or lfe or rate_code >= len(_AC3_KBPS):
            return None
        return Codec("audio", "ac3", "ATSC A/52A (AC-3)", sample_rate=ac3_rate, channels=ac3_channels,
                     layout=_LAYOUTS[ac3_channels], sample_fmt="fltp", bit_rate=_AC3_KBPS[rate_code] * 1000)
    if kind == b"alac":
        alac = _child(entry, children, b"alac")
        if alac is None or len(alac) < 28:
            return None
        depth, count = alac[9], alac[13]
        (alac_rate,) = struct.unpack_from(">I", alac, 24)
        fmt = {16: "s16p", 24: "s32p"}.get(depth)
        if fmt is None or count not in (1, 2):
            return None
        return Codec("audio", "alac", "ALAC (Apple Lossless Audio Codec)", sample_rate=alac_rate, channels=count,
                     layout=_LAYOUTS[count], sample_fmt=fmt)
    pcm = {
        b"sowt": ("pcm_s16le", "PCM signed 16-bit little-endian"),
        b"twos": ("pcm_s16be", "PCM signed 16-bit big-endian"),
    }
    if kind in pcm and bits == 16 and channels in (1, 2) and rate:
        name, long_name = pcm[kind]
        return Codec("audio", name, long_name, sample_rate=rate, channels=channels, layout=_LAYOUTS[channels],
                     sample_fmt="s16")
    return None


def describe(handler: bytes, kind: bytes, entry: bytes) -> Codec | None:
    """The codec of one sample entry (``entry``: its bytes after the 8-byte box header), or None."""
    try:
        if handler == b"vide":
            if len(entry) < 78:
                return None
            width, height = struct.unpack_from(">HH", entry, 24)
            if kind in (b"avc1", b"avc3"):
                return _avc(entry, width, height)
            if kind in (b"hvc1", b"hev1"):
                return _hevc(entry, width, height)
            if kind == b"mp4v":
                esds = _child(entry, 78, b"esds")
                found = _esds(esds) if esds is not None else None
                if found is None or found[0] != 0x20:
                    return None
                return _mpeg4_part2(found[1], width, height)
            return None
        if handler == b"soun":
            return _audio(kind, entry)
    except (_Short, IndexError, struct.error):
        return None
    return None


_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def mp3_header_matches(header: bytes, codec: Codec) -> bool:
    """Whether the first MPEG audio frame header agrees with the sample entry's rate and channels
    (the mp3 decoder reports the header's, libavcodec/mpegaudiodecheader.c)."""
    if len(header) < 4:
        return False
    (word,) = struct.unpack(">I", header)
    if word >> 21 != 0x7FF:
        return False
    version, layer, rate_index, mode = (word >> 19) & 3, (word >> 17) & 3, (word >> 10) & 3, (word >> 6) & 3
    if layer != 1 or version == 1 or rate_index == 3:
        return False
    rate = _MP3_RATES[version][rate_index]
    return rate == codec.sample_rate and (1 if mode == 3 else 2) == codec.channels
