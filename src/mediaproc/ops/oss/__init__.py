"""The OSS encoding: x-oss-process strings (``encode``) and pasted native strings (``native``) (pure)."""

# The leading ``x-oss-process=`` (or async) a pasted native string may carry. Here, not in ``native``,
# because ``ops.parse`` asks it of every word and imports ``native`` only for a native string.
BODY_PREFIXES = ("x-oss-process=", "x-oss-async-process=")

# "图片处理水印操作水印Logo图不存在" (help.aliyun.com/zh/oss/support/0040-00000025): the watermark image named
# by image_<b64> is missing. The page gives the EC, not the HTTP status or Code; serve answers 404 NoSuchKey
# with it and the provider tells a missing watermark from a missing source by it, never by the status.
EC_WATERMARK_MISSING = "0040-00000025"

# Image processing of a source that is missing (help.aliyun.com/zh/oss/support/0040-00000024: "图片处理原图
# 不存在") or is no image OSS reads (0040-00000005: "图片处理原图为不支持的格式"). Neither page gives the
# HTTP status or Code: serve answers 404 NoSuchKey and 400 InvalidArgument with them.
EC_SOURCE_MISSING = "0040-00000024"
EC_SOURCE_FORMAT = "0040-00000005"
# A watermark image OSS cannot read (help.aliyun.com/en/oss/user-guide/0040-00000027: "The watermark image
# format is not supported"): not the source's 0040-00000005.
EC_WATERMARK_FORMAT = "0040-00000027"
