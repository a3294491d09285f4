"""Strict parsing of numbers written in text files (CSV cells, order books).

Python's ``float()`` accepts more than a data file should hold: ``"1_0"`` (10, digit
grouping), ``"  5 "`` with inner spaces after stripping, and words like
``"infinity"``. :func:`parse_strict_float` accepts only plain decimal notation,
optionally signed, with an optional exponent (``12``, ``-3.5``, ``.5``, ``1e3``), and
the words ``nan``, ``inf`` and ``infinity`` (any case, optionally signed) so that the
callers can name a gap or an infinite value in their own message.
"""

from __future__ import annotations

import re

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_SPECIAL = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)


def parse_strict_float(text: str) -> float:
    """The number ``text`` (surrounding spaces ignored) writes, strictly.

    Raises:
        ValueError: ``text`` is not plain decimal notation (e.g. ``"1_0"``, ``"0x10"``,
            ``"1,5"``, ``""``).
    """
    s = text.strip()
    if _NUMBER.fullmatch(s) or _SPECIAL.fullmatch(s):
        return float(s)
    raise ValueError(f"{text!r} is not a number in plain decimal notation")


def duplicates(names: list[str] | tuple[str, ...]) -> list[str]:
    """Names that occur more than once, in order of their first repeat."""
    seen: set[str] = set()
    out: list[str] = []
    for n in names:
        if n in seen and n not in out:
            out.append(n)
        seen.add(n)
    return out
