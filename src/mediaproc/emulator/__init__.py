"""``mediaproc serve``: the OSS REST and IMM RPC protocols over the local store and engine.

Modules: ``server`` (ServeConfig, serve, start_background, admin endpoints), ``oss`` (the OSS
front), ``imm`` (the IMM front and its persisted projects/bindings), ``auth`` (OSS V1/V4 and POP
ACS3 signature checks), ``errors`` (the services' error bodies), ``jobs`` (async tasks and their
worker pool), ``processing`` (x-oss-process / x-oss-async-process through ``mediaproc.engine``),
``faults`` (fault injection and counters). Nothing is imported here, so importing the package is
free; see docs/serve.md.
"""
