"""mediaproc: process images, video and audio in object storage or on this machine.

Kept import-free on purpose: shell completion imports this package on every Tab press.
"""

__version__ = "0.1.0"

# ``typing.TYPE_CHECKING`` without importing ``typing``, which nothing a plain one-shot run does needs at
# run time (~2.3 ms of a ~60 ms ``image info``, issue 23). The modules of that run write
# ``from mediaproc import TYPE_CHECKING`` and import from ``typing`` under ``if TYPE_CHECKING:`` only;
# type checkers take any ``TYPE_CHECKING`` as true. ``tests/cli/test_fast_path.py`` fails when such a
# run imports ``typing`` again.
TYPE_CHECKING = False
