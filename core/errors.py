"""The one error a user sees as a message rather than a traceback."""
from __future__ import annotations


class DataError(ValueError):
    """Input that cannot be used; the message says what is wrong and what to do."""
