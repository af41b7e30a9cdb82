"""The OSS encoding: x-oss-process strings (``encode``) and pasted native strings (``native``) (pure)."""
