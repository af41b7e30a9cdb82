"""mediaproc: process images, video and audio in object storage or on this machine.

Kept import-free on purpose: shell completion imports this package on every Tab press.
"""

__version__ = "0.1.0"
