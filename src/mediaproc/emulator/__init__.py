"""``mediaproc serve``: the OSS REST, IMM RPC and COS/Cloud Infinite protocols over the local store
and engine, so that code written against the official SDKs can be tested offline.

Modules: ``server`` (ServeConfig, serve, start_background, the admin endpoints, and the FRONTS
table through which every protocol joins), one package per front: ``oss`` (routing, wire,
buckets, objects, multipart, auth), ``imm`` (the RPC actions, their persisted state, auth), ``cos``
(storage, ci, media jobs, wire, auth, errors); beside them what the fronts share: ``auth``
(the Alibaba key pair), ``bodies`` (reading a whole request body up to a limit), ``errors`` (the
OSS and IMM error bodies), ``jobs`` (IMM tasks and their worker pool), ``processing``
(x-oss-process / x-oss-async-process through ``mediaproc.engine``), ``faults`` (fault injection
and counters). XML bodies are read and written through :mod:`mediaproc.xmlbody`. Nothing is
imported here, so importing the package is free; see docs/serve.md.
"""
