"""The OSS encoding: x-oss-process strings (``encode``) and pasted native strings (``native``) (pure)."""

# The leading ``x-oss-process=`` (or async) a pasted native string may carry. Here, not in ``native``,
# because ``ops.parse`` asks it of every word and imports ``native`` only for a native string.
BODY_PREFIXES = ("x-oss-process=", "x-oss-async-process=")

# "图片处理水印操作水印Logo图不存在" (help.aliyun.com/zh/oss/support/0040-00000025): the watermark image named
# by image_<b64> is missing. The page gives the EC, not the HTTP status or Code; serve answers 404 NoSuchKey
# with it and the provider tells a missing watermark from a missing source by it, never by the status.
EC_WATERMARK_MISSING = "0040-00000025"
