"""Plain decimal numbers in text: ASCII digits only.

``str.isdigit()`` is also true for digits ``int()`` refuses ("²", "①") and for other
scripts' digits ("٣", which ``int()`` reads as 3); ids and versions in URLs and names are
ASCII digits, so anything else is a name or an error, never a crash.
"""

from __future__ import annotations


def is_digits(text: str) -> bool:
    """Whether ``text`` is one or more ASCII digits (what ``int()`` reads as a number)."""
    return text.isascii() and text.isdigit()
