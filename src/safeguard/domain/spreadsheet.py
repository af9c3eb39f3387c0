"""Keeping stored text inert when it leaves safeguard in a spreadsheet-readable file."""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|")


def safe_cell(value: object) -> object:
    """A value for a CSV cell: text a spreadsheet would run as a formula gets a leading quote.

    Examples:
        >>> safe_cell("=cmd|' /C calc'!A0")
        "'=cmd|' /C calc'!A0"
        >>> safe_cell("Smith")
        'Smith'
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
