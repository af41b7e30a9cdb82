"""The OSS REST front of ``mediaproc serve`` over the local store and engine (see docs/serve.md)."""
