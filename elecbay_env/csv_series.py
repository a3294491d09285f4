"""Metered time series from CSV files, and their resampling to the settlement period.

:func:`load_csv_series` reads one column of a user's series (one row per interval of
``resolution_min`` minutes from midnight of day 1; errors name file, column, row and
line); :func:`resample_to_period` averages a finer series to the settlement period and
repeats a coarser one, keeping energy. Re-exported from :mod:`elecbay_env.profiles`.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .errors import ProfileError
from .numbers import duplicates, parse_strict_float

__all__ = ["load_csv_series", "resample_to_period"]

_GAP_TOKENS = frozenset({"", "nan", "na", "n/a", "null", "none", "-"})


def _where(path: Path, column: str, row: int) -> str:
    return f"{path}: column {column!r}, row {row} (line {row + 1})"


def load_csv_series(path: str | Path, column: str, resolution_min: int) -> NDArray[np.float64]:
    """Read one column of a metered time series from a CSV file.

    The file has a header row naming its columns; every following row is one interval of
    ``resolution_min`` minutes, consecutive, the first starting at midnight of day 1.
    Other columns (timestamps, notes) are ignored. Blank lines at the end are ignored.

    Args:
        path: the CSV file.
        column: header name of the column to read (surrounding spaces are ignored).
        resolution_min: minutes per row (positive integer).

    Returns:
        ``(rows,)`` float64 array of non-negative finite values, in the file's units.

    Raises:
        ProfileError: missing or unreadable file, no header or no data rows, missing column
            (the message lists the available ones), an empty or NaN cell (a gap: the
            message names the first gap's row), a non-numeric, infinite or negative value,
            or a resolution that is not a positive integer. Rows are numbered from 1 after
            the header, so row ``r`` is line ``r + 1`` of the file.
    """
    path = Path(path)
    if (
        isinstance(resolution_min, bool)
        or not isinstance(resolution_min, int)
        or resolution_min < 1
    ):
        raise ProfileError(f"{path}: resolution_min = {resolution_min!r} must be an integer >= 1")
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except FileNotFoundError:
        raise ProfileError(f"{path}: CSV profile file not found") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ProfileError(f"{path}: cannot read CSV profile file: {exc}") from None
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise ProfileError(f"{path}: empty CSV file; expected a header row and data rows")
    header = [h.strip() for h in rows[0]]
    dup = duplicates(header)
    if dup:
        raise ProfileError(f"{path}: duplicate column {dup[0]!r} in the header; names must differ")
    key = column.strip()
    if key not in header:
        available = ", ".join(repr(h) for h in header)
        raise ProfileError(f"{path}: no column {column!r}; available columns: {available}")
    col = header.index(key)
    data = rows[1:]
    if not data:
        raise ProfileError(f"{path}: no data rows below the header")
    values = np.empty(len(data), dtype=np.float64)
    for i, row in enumerate(data):
        r = i + 1
        cell = row[col].strip() if col < len(row) else ""
        if cell.lower() in _GAP_TOKENS:
            raise ProfileError(
                f"{_where(path, column, r)}: empty or NaN cell ({cell!r}) - a gap in the "
                "series; fill it (e.g. interpolate) before use"
            )
        try:
            v = parse_strict_float(cell)
        except ValueError:
            raise ProfileError(f"{_where(path, column, r)}: {cell!r} is not a number") from None
        if math.isnan(v):
            raise ProfileError(f"{_where(path, column, r)}: NaN cell - a gap in the series")
        if not math.isfinite(v):
            raise ProfileError(f"{_where(path, column, r)}: {cell!r} is not a finite number")
        if v < 0.0:
            raise ProfileError(
                f"{_where(path, column, r)}: negative value {v:g}; profiles are "
                "non-negative magnitudes (MW of load or generation, or fractions)"
            )
        values[i] = v
    return values


def resample_to_period(
    values: NDArray[np.float64], resolution_min: int, period_min: int, *, source: str = "series"
) -> NDArray[np.float64]:
    """Bring a series at ``resolution_min`` to the settlement period ``period_min``.

    * Finer (``resolution_min`` divides ``period_min``): each period takes the **mean** of
      its ``period_min / resolution_min`` intervals (the mean power, so energy is kept);
      the length must be a whole number of periods.
    * Coarser (``period_min`` divides ``resolution_min``): each interval's value is
      **repeated** for every period inside it (a step function, again keeping energy).
    * Equal: unchanged (a copy).

    Args:
        values: ``(rows,)`` series.
        resolution_min: minutes per value.
        period_min: minutes per settlement period.
        source: what to call the series in error messages (e.g. the file).

    Returns:
        ``(periods,)`` float64 array.

    Raises:
        ProfileError: neither length divides the other, or a finer series does not fill
            whole periods.

    Example:
        >>> resample_to_period(np.array([1.0, 3.0, 5.0, 7.0]), 15, 30).tolist()
        [2.0, 6.0]
    """
    values = np.asarray(values, dtype=np.float64)
    if resolution_min == period_min:
        return values.copy()
    if period_min % resolution_min == 0:
        factor = period_min // resolution_min
        if values.size % factor:
            raise ProfileError(
                f"{source}: {values.size} rows at {resolution_min} min do not fill whole "
                f"{period_min}-min periods; the row count must be a multiple of {factor}"
            )
        return values.reshape(-1, factor).mean(axis=1)
    if resolution_min % period_min == 0:
        return np.repeat(values, resolution_min // period_min)
    raise ProfileError(
        f"{source}: resolution_min = {resolution_min} neither divides nor is a multiple of "
        f"the settlement period ({period_min} min); resample the series first"
    )
