"""Roman numerals (example for `pacore solve examples/stub/roman.py`)."""

from __future__ import annotations


def to_roman(n: int) -> str:
    """Write 1 <= n <= 3999 in Roman numerals, using subtractive pairs (IV, IX, XL, ...).

    >>> to_roman(1994)
    'MCMXCIV'
    """
    raise NotImplementedError
