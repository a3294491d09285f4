"""Daily load and generation shapes, and metered CSV series, as expected MW per period.

Two kinds of profile feed a scenario (see :mod:`elecbay_env.config`):

* a **generated shape** (``{shape: residential}``): one of :data:`SHAPE_NAMES`, a smooth
  daily curve peak-normalised to 1 (:func:`daily_shape`), tiled over the episode and
  multiplied by ``scale_frac`` and the asset's capacity or peak (MW);
* a **metered series** (``{csv: file.csv, column: load_mw, resolution_min: 30}``): a
  user's time series, read by :func:`load_csv_series`, brought to the settlement period
  by :func:`resample_to_period` and tiled over the episode.

:func:`profile_series` does either and returns the expected (forecast) MW of every period
of the episode, shape ``(n_periods,)``; forecast errors are drawn on top of it elsewhere.
Every function here is deterministic given its arguments (the wind shape's day-to-day
weather takes an explicit ``seed``). Periods start at midnight: period ``p`` covers
minutes ``[p * period_min, (p + 1) * period_min)`` of the episode.

The shapes are stylised, hand-fitted curves with the qualitative features of the cited
data, not reproductions of it; for a real system load a metered series instead.

The shapes live in :mod:`elecbay_env.daily_shapes` and the CSV reading in
:mod:`elecbay_env.csv_series`; their names are re-exported here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Protocol, get_args

import numpy as np
from numpy.typing import NDArray

from .csv_series import _where, load_csv_series, resample_to_period
from .daily_shapes import (
    MINUTES_PER_DAY,
    SHAPE_NAMES,
    WIND_FACTOR_AR1,
    WIND_FACTOR_STD,
    WIND_MEAN_FACTOR,
    ShapeName,
    daily_shape,
    wind_weather_factor,
)
from .errors import ProfileError

__all__ = [
    "CSV_SCALES",
    "MINUTES_PER_DAY",
    "SHAPE_NAMES",
    "WIND_FACTOR_AR1",
    "WIND_FACTOR_STD",
    "WIND_MEAN_FACTOR",
    "CsvProfileLike",
    "CsvScale",
    "DataProfileLike",
    "DatasetLike",
    "ProfileError",
    "ShapeName",
    "ShapeProfileLike",
    "daily_shape",
    "data_series",
    "load_csv_series",
    "profile_series",
    "resample_to_period",
    "wind_weather_factor",
]

CsvScale = Literal["peak", "capacity_frac", "mw"]
CSV_SCALES: tuple[str, ...] = get_args(CsvScale)
"""How a CSV series becomes MW: ``peak`` rescales it so that its maximum equals the asset's
capacity or peak; ``capacity_frac`` reads values as fractions of it (each in [0, 1]);
``mw`` reads values as MW (each at most the capacity or peak)."""

_TOL = 1e-9


# What this module reads of the scenario's profile blocks and of a dataset, as protocols:
# the models themselves (elecbay_env.schema, elecbay_env.datasets) import this module.


class ShapeProfileLike(Protocol):
    """A ``{shape: ...}`` profile (:class:`elecbay_env.schema.ShapeProfile`)."""

    @property
    def shape(self) -> str: ...

    @property
    def scale_frac(self) -> float: ...


class CsvProfileLike(Protocol):
    """A ``{csv: ...}`` profile (:class:`elecbay_env.schema.CsvProfile`)."""

    @property
    def csv(self) -> str | Path: ...

    @property
    def column(self) -> str: ...

    @property
    def resolution_min(self) -> int: ...

    @property
    def scale(self) -> str: ...


class DataProfileLike(Protocol):
    """A ``{data: ...}`` profile (:class:`elecbay_env.schema.DataProfile`)."""

    @property
    def data(self) -> str: ...

    @property
    def scale(self) -> str: ...

    @property
    def share_frac(self) -> float: ...


class DatasetLike(Protocol):
    """A real-data table (:class:`elecbay_env.datasets.Dataset`)."""

    @property
    def path(self) -> Path: ...

    @property
    def resolution_min(self) -> int: ...

    def column(self, name: str) -> NDArray[np.float64]: ...


def _scale_factor(
    raw: NDArray[np.float64], scale: str, path: Path, column: str, size_mw: float
) -> float:
    """Check ``raw`` against the CSV ``scale`` rule and return the factor that makes MW."""
    if scale == "peak":
        peak = float(raw.max())
        if peak <= 0.0:
            raise ProfileError(
                f"{path}: column {column!r}: every value is 0, cannot scale the series to a peak"
            )
        return size_mw / peak
    if scale == "capacity_frac":
        limit, unit, factor = 1.0, "a fraction of capacity_mw or peak_mw", size_mw
    elif scale == "mw":
        limit, unit, factor = size_mw, "MW, at most capacity_mw or peak_mw", 1.0
    else:
        raise ProfileError(f"unknown CSV scale {scale!r}; allowed: {', '.join(CSV_SCALES)}")
    over = np.flatnonzero(raw > limit * (1.0 + _TOL) + _TOL)
    if over.size:
        r = int(over[0]) + 1
        raise ProfileError(
            f"{_where(path, column, r)}: value {raw[over[0]]:g} exceeds {limit:g}, the most "
            f"allowed with scale {scale!r} ({unit})"
        )
    return factor


def profile_series(
    profile: ShapeProfileLike | CsvProfileLike,
    n_periods: int,
    period_min: int,
    base_dir: str | Path | None,
    capacity_or_peak_mw: float,
    *,
    seed: int = 0,
) -> NDArray[np.float64]:
    """Expected MW of a participant in every period of the episode.

    * Shape profiles: :func:`daily_shape` tiled day after day (the episode starts at
      midnight), times ``profile.scale_frac`` and ``capacity_or_peak_mw``. The ``wind``
      shape is further multiplied by :func:`wind_weather_factor` from ``seed``.
    * CSV profiles: :func:`load_csv_series`, then :func:`resample_to_period` (averaging
      a finer series, repeating a coarser one), then scaled by ``profile.scale``
      (:data:`CSV_SCALES`), then tiled from its start if shorter than the episode and
      cut if longer.

    Args:
        profile: a ``ShapeProfile`` or ``CsvProfile`` from :mod:`elecbay_env.config`
            (anything with the same attributes).
        n_periods: periods in the episode (``days x periods_per_day``).
        period_min: minutes per settlement period (divides 1440).
        base_dir: folder a relative CSV path is relative to (the scenario file's
            folder); ``None`` for the working directory.
        capacity_or_peak_mw: the producer's ``capacity_mw`` or consumer's ``peak_mw``.
        seed: seed of the wind weather (ignored by other profiles).

    Returns:
        ``(n_periods,)`` float64 array of MW, each in ``[0, capacity_or_peak_mw]``.

    Raises:
        ProfileError: any problem of the CSV file or its scale, naming file, column, row.
    """
    if n_periods < 1:
        raise ProfileError(f"n_periods = {n_periods} must be >= 1")
    if period_min < 1 or MINUTES_PER_DAY % period_min:
        raise ProfileError(f"period_min = {period_min} must divide 1440")
    periods_per_day = MINUTES_PER_DAY // period_min
    shape_name = getattr(profile, "shape", None)
    if shape_name is not None:
        day = daily_shape(shape_name, periods_per_day)
        series = np.resize(day, n_periods) * (profile.scale_frac * capacity_or_peak_mw)
        if shape_name == "wind":
            series = series * wind_weather_factor(n_periods, periods_per_day, seed)
        return series
    path = Path(profile.csv)
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    raw = load_csv_series(path, profile.column, profile.resolution_min)
    factor = _scale_factor(raw, profile.scale, path, profile.column, capacity_or_peak_mw)
    per_period = resample_to_period(raw, profile.resolution_min, period_min, source=str(path))
    return np.resize(per_period * factor, n_periods)


def data_series(
    profile: DataProfileLike, dataset: DatasetLike, period_min: int, capacity_or_peak_mw: float
) -> NDArray[np.float64]:
    """MW of a ``{data: column}`` profile over the whole dataset, one value per period.

    The column is brought to the settlement period (:func:`resample_to_period`), scaled by
    ``profile.scale`` (:data:`CSV_SCALES`, checked over every row) and by
    ``profile.share_frac``.

    Returns:
        ``(dataset days x periods per day,)`` float64 MW, each in ``[0, capacity_or_peak_mw]``.

    Raises:
        ProfileError: a missing column, a negative value, or a value beyond the scale.
    """
    raw = dataset.column(profile.data)
    neg = np.flatnonzero(raw < 0.0)
    if neg.size:
        r = int(neg[0]) + 1
        where = _where(dataset.path, profile.data, r)
        msg = f"negative value {raw[neg[0]]:g}; profiles are non-negative MW or fractions"
        raise ProfileError(f"{where}: {msg}")
    share = profile.share_frac
    if profile.scale == "mw":  # the shared MW must fit the asset
        raw, share = raw * share, 1.0
    factor = _scale_factor(raw, profile.scale, dataset.path, profile.data, capacity_or_peak_mw)
    per_period = resample_to_period(
        raw, dataset.resolution_min, period_min, source=str(dataset.path)
    )
    return per_period * (factor * share)
