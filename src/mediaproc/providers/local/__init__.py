"""The local provider: a folder is the bucket (``store``), the engine does the work (``provider``).

``store.LocalStore`` is the object store ``mediaproc serve`` runs on; its rules are split by concern
into ``keys``, ``records``, ``sidecar``, ``writers``, ``multipart``, ``listing`` and ``errors``.
Nothing is imported here: the registry names ``mediaproc.providers.local.provider:LocalProvider``.
"""
