"""``python -m survey`` — the same as the ``survey`` command."""
from .cli import entry_point

entry_point()
