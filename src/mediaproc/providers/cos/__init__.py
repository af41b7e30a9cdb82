"""Tencent Cloud COS (qcloud_cos) and Cloud Infinite: the provider, its config, errors and jobs.

Nothing is imported here: the registry names ``mediaproc.providers.cos.provider:CosProvider``.
"""
