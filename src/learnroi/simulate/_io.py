"""Streaming CSV output for the simulator (pyarrow's CSV writer, one header line, no quoting).

pyarrow quotes header names even with ``quoting_style="none"``, so the header line is written here and
the rows by :class:`pyarrow.csv.CSVWriter`; ``"none"`` also makes pyarrow refuse any value that would need
quoting, which keeps the files plain.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from learnroi.simulate._calendar import EPOCH_DAY0

_OPTIONS = pcsv.WriteOptions(include_header=False, quoting_style="none")


class CsvSink:
    """Append tables with one schema to a CSV file; counts the data rows written."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.columns = columns
        self.rows = 0
        self._fh: IO[bytes] = path.open("wb")
        self._fh.write((",".join(columns) + "\n").encode("utf-8"))
        self._writer: pcsv.CSVWriter | None = None

    def write(self, table: pa.Table) -> None:
        table = table.select(self.columns)
        if self._writer is None:
            self._writer = pcsv.CSVWriter(self._fh, table.schema, write_options=_OPTIONS)
        self._writer.write_table(table)
        self.rows += table.num_rows

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._fh.close()

    def __enter__(self) -> CsvSink:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def write_csv(path: Path, table: pa.Table) -> int:
    """Write one table to ``path``; return the number of data rows."""
    with CsvSink(path, table.column_names) as sink:
        sink.write(table)
        return sink.rows


def iso_timestamps(seconds: np.ndarray) -> pa.Array:
    """Epoch seconds (int64, UTC) -> ``YYYY-MM-DDTHH:MM:SS+00:00`` strings (vectorized in Arrow)."""
    ts = pa.array(seconds.astype("datetime64[s]"), pa.timestamp("s"))
    text = pc.replace_substring(pc.cast(ts, pa.string()), " ", "T")
    return pc.binary_join_element_wise(text, "+00:00", "")


def dates(days: np.ndarray) -> pa.Array:
    """Days since 1970-01-01 (int, negative = missing) -> an Arrow date32 array with nulls."""
    d = np.asarray(days, dtype=np.int64)
    return pa.array(d.astype("datetime64[D]"), pa.date32(), mask=d < EPOCH_DAY0)


def floats(values: np.ndarray, decimals: int = 2) -> pa.Array:
    """Round and turn NaN into null (an empty cell)."""
    v = np.round(np.asarray(values, dtype=np.float64), decimals)
    return pa.array(v, pa.float64(), mask=np.isnan(v))


def prefixed_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``prefix`` + zero-padded number, e.g. ``E000123``."""
    digits = pc.utf8_lpad(pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")
