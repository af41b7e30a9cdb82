"""The COS + Cloud Infinite front of ``mediaproc serve`` (entry point and routing: ``front.py``)."""
