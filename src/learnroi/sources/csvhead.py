"""A CSV's header line, read by learnroi rather than sniffed: its delimiter and its column names.

DuckDB's sniffer weighs every sampled line, so a single ragged data row could decide the layout (read
as one column, or with the data row's width); :mod:`learnroi.sources.readers` gives DuckDB what the header
line says. Written by hand because it is the header line only: the csv module parses it.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path

_DELIMITERS = (",", ";", "\t", "|")


def _first_line(path: Path, encoding: str) -> str:
    try:
        with path.open("r", encoding=encoding, errors="replace", newline="") as fh:
            return fh.readline(1 << 16).lstrip("\ufeff")
    except (OSError, LookupError):
        return ""


def _delimiter_of(line: str) -> str | None:
    """The most frequent of , ; tab | outside quotes, or None.

    Given to DuckDB explicitly: its sniffer weighs every sampled line, and a single ragged row (two cells
    too many) made it read a 60-row export as one column, refusing the whole file instead of one row.
    """
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else None


def read_header(path: Path, encoding: str, delimiter: str | None = None) -> tuple[str | None, list[str]]:
    """The header line's delimiter (``delimiter`` when given) and column names (none when it has no
    delimiter, or a quoted line break: then DuckDB's sniffer decides)."""
    line = _first_line(path, encoding).rstrip("\r\n")
    delimiter = delimiter or _delimiter_of(line)
    if not delimiter or line.count('"') % 2:
        return delimiter, []
    fields = next(csv.reader([line], delimiter=delimiter), [])
    return delimiter, unique_names(fields, lambda j: f"column{j:02d}")


def unique_names(fields: Sequence[object], blank: Callable[[int], str]) -> list[str]:
    """Header cells as column names: blank ones ``blank(j)``, repeats suffixed ``_2``, ``_3``."""
    names: list[str] = []
    for j, f in enumerate(fields):
        name = str(f).strip() or blank(j)
        base, k = name, 1
        while name in names:
            k += 1
            name = f"{base}_{k}"
        names.append(name)
    return names
