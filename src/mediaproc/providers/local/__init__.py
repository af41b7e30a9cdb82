"""The local provider: a folder is the bucket (``store``), the engine does the work (``provider``).

Nothing is imported here: the registry names ``mediaproc.providers.local.provider:LocalProvider``.
"""
