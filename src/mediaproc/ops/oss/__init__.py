"""The OSS encoding: x-oss-process strings (``encode``) and pasted native strings (``native``) (pure)."""

# The leading ``x-oss-process=`` (or async) a pasted native string may carry. Here, not in ``native``,
# because ``ops.parse`` asks it of every word and imports ``native`` only for a native string.
BODY_PREFIXES = ("x-oss-process=", "x-oss-async-process=")
