"""The IMM RPC front of ``mediaproc serve``: projects, bindings, tasks (see docs/serve.md)."""
