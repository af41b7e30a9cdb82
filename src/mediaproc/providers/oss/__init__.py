"""Alibaba Cloud OSS (oss2) and IMM: the provider, its errors, jobs, endpoints and credentials.

Nothing is imported here: the registry names ``mediaproc.providers.oss.provider:OssProvider``, so
importing a sibling module (errors, endpoints) never loads an SDK.
"""
