"""Real time series behind a scenario: shipped datasets, date windows and calendars.

A **dataset** is a CSV file with a header, one row per period, consecutive and equally
spaced in UTC, whose ``time_column`` holds ISO-8601 period starts (``2024-01-01T00:00:00Z``)
and which starts at midnight UTC and covers whole days. The shipped dataset ``gb2024``
(``configs/data/gb2024/``, package ``elecbay_configs``) holds every half-hour of 2024 in
Great Britain; its sources and the attribution lines that must go with it are in
:data:`ATTRIBUTION` and the README next to the files.

:func:`load_dataset` reads and checks a dataset once per file (cached); :meth:`Dataset.column`
gives one column as floats; :func:`read_window` reads the rows of a date window or a row
offset (a GB settlement day on a clock change is 46 or 50 rows; a UTC day is always 48).
"""

from __future__ import annotations

import csv
import functools
import math
import os
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .numbers import duplicates, parse_strict_float
from .profiles import ProfileError

SHIPPED_DATASETS: dict[str, str] = {"gb2024": "data/gb2024/gb_2024_halfhourly.csv"}
"""Names of the shipped datasets and their files inside package ``elecbay_configs``."""

ATTRIBUTION: tuple[str, ...] = (
    "Supported by National Energy System Operator (NESO) open data",
    "Contains BMRS data (c) Elexon Limited copyright and database right 2024",
    "Contains public sector information licensed under the Open Government Licence v3.0",
)
"""Attribution lines required by the licences of the ``gb2024`` data (NESO Open Data
Licence, the BMRS open data licence, the Open Government Licence v3.0 for DUKES)."""

_GAPS = frozenset({"", "nan", "na", "n/a", "null", "none", "-"})


def dataset_path(name_or_path: str | os.PathLike[str], base_dir: str | Path | None = None) -> Path:
    """The file of a shipped dataset name (:data:`SHIPPED_DATASETS`) or of a CSV path.

    A relative path is relative to ``base_dir`` (the scenario file's folder) when given.

    Raises:
        ProfileError: neither a shipped name nor an existing file.
    """
    text = os.fspath(name_or_path)
    if text in SHIPPED_DATASETS:
        return Path(str(resources.files("elecbay_configs").joinpath(SHIPPED_DATASETS[text])))
    path = Path(text)
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    if not path.is_file():
        shipped = ", ".join(SHIPPED_DATASETS)
        raise ProfileError(f"dataset {text!r}: no such file and no shipped dataset of that name "
                           f"(shipped: {shipped})")  # fmt: skip
    return path


@dataclass(frozen=True, eq=False)
class Dataset:
    """A checked dataset: whole UTC days of consecutive, equally spaced periods.

    Attributes:
        path: the CSV file.
        time_column: the column of ISO-8601 UTC period starts.
        header: column names in file order.
        start: first period start (``datetime64[m]``, UTC midnight).
        resolution_min: minutes per row.
        n_rows: rows (periods) in the file.
    """

    path: Path
    time_column: str
    header: tuple[str, ...]
    start: np.datetime64
    resolution_min: int
    n_rows: int
    _cells: tuple[tuple[str, ...], ...] = field(repr=False)

    @property
    def rows_per_day(self) -> int:
        """Rows in one UTC day."""
        return 1440 // self.resolution_min

    @property
    def n_days(self) -> int:
        """Whole UTC days covered."""
        return self.n_rows // self.rows_per_day

    @property
    def days(self) -> NDArray[np.datetime64]:
        """``(n_days,)`` the UTC dates covered, ``datetime64[D]``."""
        first = self.start.astype("datetime64[D]")
        return first + np.arange(self.n_days)

    def times(self) -> NDArray[np.datetime64]:
        """``(n_rows,)`` period starts, ``datetime64[m]`` UTC."""
        return self.start + np.arange(self.n_rows) * np.timedelta64(self.resolution_min, "m")

    def column(self, name: str) -> NDArray[np.float64]:
        """One numeric column, ``(n_rows,)`` float64 (any finite value, negative included).

        Raises:
            ProfileError: no such column (the message lists them), or a cell that is
                empty, NaN, non-numeric or infinite (the message names the row).
        """
        return _column(self, name)

    def daily(self, name: str) -> NDArray[np.float64]:
        """A column as ``(n_days, rows_per_day)``."""
        return self.column(name)[: self.n_days * self.rows_per_day].reshape(self.n_days, -1)


@functools.lru_cache(maxsize=32)
def _column(ds: Dataset, name: str) -> NDArray[np.float64]:
    key = name.strip()
    if key not in ds.header:
        available = ", ".join(repr(h) for h in ds.header)
        raise ProfileError(f"{ds.path}: no column {name!r}; available columns: {available}")
    col = ds.header.index(key)
    out = np.empty(ds.n_rows)
    for i, row in enumerate(ds._cells):
        cell = row[col].strip() if col < len(row) else ""
        where = f"{ds.path}: column {key!r}, row {i + 1} (line {i + 2})"
        if cell.lower() in _GAPS:
            raise ProfileError(f"{where}: empty or NaN cell ({cell!r}), a gap in the series")
        try:
            v = parse_strict_float(cell)
        except ValueError:
            raise ProfileError(f"{where}: {cell!r} is not a number") from None
        if not math.isfinite(v):
            raise ProfileError(f"{where}: {cell!r} is not a finite number")
        out[i] = v
    out.setflags(write=False)
    return out


def _parse_time(cell: str, where: str) -> np.datetime64:
    text = cell.strip().removesuffix("Z").removesuffix("+00:00")
    try:
        return np.datetime64(text, "m")
    except ValueError:
        raise ProfileError(f"{where}: {cell!r} is not an ISO-8601 UTC time") from None


def load_dataset(
    name_or_path: str | os.PathLike[str],
    time_column: str = "utc_start",
    base_dir: str | Path | None = None,
) -> Dataset:
    """Read and check a dataset (cached per file, modification time and time column).

    Raises:
        ProfileError: missing file or column, an unreadable time, rows that are not
            consecutive and equally spaced, a start other than midnight UTC, or a
            length that is not a whole number of days (each naming the row).
    """
    path = dataset_path(name_or_path, base_dir).resolve()
    stat = path.stat()
    return _load(path, time_column, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _load(path: Path, time_column: str, _mtime: int, _size: int) -> Dataset:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ProfileError(f"{path}: cannot read dataset: {exc}") from None
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    if len(rows) < 2:
        raise ProfileError(f"{path}: a dataset needs a header row and data rows")
    header = tuple(h.strip() for h in rows[0])
    dup = duplicates(header)
    if dup:
        raise ProfileError(f"{path}: duplicate column {dup[0]!r} in the header; names must differ")
    if time_column not in header:
        available = ", ".join(repr(h) for h in header)
        raise ProfileError(f"{path}: no time column {time_column!r}; available: {available}")
    col = header.index(time_column)
    cells = tuple(tuple(r) for r in rows[1:])
    where = f"{path}: column {time_column!r}"
    t0 = _parse_time(cells[0][col], f"{where}, row 1")
    if t0 != t0.astype("datetime64[D]"):
        raise ProfileError(f"{where}, row 1: the first period must start at 00:00 UTC, not {t0}")
    if len(cells) < 2:
        raise ProfileError(f"{path}: a dataset needs at least two rows")
    step = _parse_time(cells[1][col], f"{where}, row 2") - t0
    res = int(step / np.timedelta64(1, "m"))
    if res < 1 or 1440 % res:
        raise ProfileError(f"{where}, row 2: a spacing of {res} min does not divide a day")
    for i, row in enumerate(cells):
        cell = row[col] if col < len(row) else ""
        t = _parse_time(cell, f"{where}, row {i + 1}")
        if t != t0 + i * step:
            raise ProfileError(f"{where}, row {i + 1}: {cell!r} breaks the {res}-min sequence "
                               f"(expected {t0 + i * step}Z)")  # fmt: skip
    if len(cells) % (1440 // res):
        raise ProfileError(f"{path}: {len(cells)} rows are not whole days of {1440 // res} rows")
    return Dataset(path, time_column, header, t0, res, len(cells), cells)


def _as_date(value: str | date | np.datetime64, what: str) -> np.datetime64:
    try:
        return np.datetime64(str(value)[:10], "D")
    except ValueError:
        raise ProfileError(f"{what} = {value!r} is not an ISO date (YYYY-MM-DD)") from None


def window_rows(
    dataset: Dataset,
    start: int | str | date | None = None,
    end: int | str | date | None = None,
    *,
    date_column: str | None = None,
) -> NDArray[np.int64]:
    """Row indices of a window of a dataset.

    * ``start``/``end`` as ints: rows ``start`` (0-based, inclusive) to ``end``
      (exclusive), either may be None for the beginning or the end.
    * as dates (``"2024-03-31"``): every row whose date in ``date_column`` (its first ten
      characters, ``YYYY-MM-DD``) lies in ``[start, end]``, both inclusive (``end``
      defaults to ``start``). With ``date_column = "settlement_date"`` a GB clock-change
      day gives 46 or 50 rows; with the UTC time column every day gives whole UTC days.

    Raises:
        ProfileError: mixed kinds, a bad date, an empty window, or offsets out of range.
    """
    if (
        isinstance(start, int | np.integer)
        or isinstance(end, int | np.integer)
        or (start is None and end is None)
    ):
        if not (start is None or isinstance(start, int | np.integer)) or not (
            end is None or isinstance(end, int | np.integer)
        ):
            raise ProfileError("window: give start and end both as row offsets or both as dates")
        lo = 0 if start is None else int(start)
        hi = dataset.n_rows if end is None else int(end)
        if not 0 <= lo < hi <= dataset.n_rows:
            raise ProfileError(
                f"window: rows [{lo}, {hi}) must satisfy 0 <= start < end <= {dataset.n_rows}"
            )
        return np.arange(lo, hi, dtype=np.int64)
    column = date_column or dataset.time_column
    if column not in dataset.header:
        raise ProfileError(f"{dataset.path}: no date column {column!r}")
    first = _as_date(start if start is not None else end, "start")  # type: ignore[arg-type]
    last = _as_date(end if end is not None else start, "end")  # type: ignore[arg-type]
    if last < first:
        raise ProfileError(f"window: end {last} is before start {first}")
    col = dataset.header.index(column)
    dates = np.array([row[col].strip()[:10] for row in dataset._cells], dtype="datetime64[D]")
    rows = np.flatnonzero((dates >= first) & (dates <= last)).astype(np.int64)
    if rows.size == 0:
        raise ProfileError(f"window: no rows of {dataset.path.name} have {column} in "
                           f"[{first}, {last}]")  # fmt: skip
    return rows


def read_window(
    name_or_path: str | os.PathLike[str],
    column: str,
    start: int | str | date | None = None,
    end: int | str | date | None = None,
    *,
    date_column: str | None = None,
    time_column: str = "utc_start",
    base_dir: str | Path | None = None,
) -> NDArray[np.float64]:
    """The values of ``column`` in a window (see :func:`window_rows`), float64.

    Example:
        >>> len(read_window("gb2024", "nd_mw", "2024-03-31", date_column="settlement_date"))
        46
    """
    ds = load_dataset(name_or_path, time_column, base_dir)
    return ds.column(column)[window_rows(ds, start, end, date_column=date_column)]
