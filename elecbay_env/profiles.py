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
"""

from __future__ import annotations

import csv
import functools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Literal, Protocol, get_args

import numpy as np
from numpy.typing import NDArray

from .numbers import duplicates, parse_strict_float

MINUTES_PER_DAY = 1440

ShapeName = Literal["wind", "solar", "residential", "commercial", "industrial", "ev_fleet", "flat"]
SHAPE_NAMES: tuple[str, ...] = get_args(ShapeName)
"""Names accepted by :func:`daily_shape` and by ``{shape: ...}`` in a scenario."""

CsvScale = Literal["peak", "capacity_frac", "mw"]
CSV_SCALES: tuple[str, ...] = get_args(CsvScale)
"""How a CSV series becomes MW: ``peak`` rescales it so that its maximum equals the asset's
capacity or peak; ``capacity_frac`` reads values as fractions of it (each in [0, 1]);
``mw`` reads values as MW (each at most the capacity or peak)."""

_GAP_TOKENS = frozenset({"", "nan", "na", "n/a", "null", "none", "-"})
_TOL = 1e-9


class ProfileError(ValueError):
    """A profile or CSV series that cannot be used; the message names file, column and row."""


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


# --------------------------------------------------------------------------- shapes


def _bump(hour: NDArray[np.float64], centre_h: float, width_h: float) -> NDArray[np.float64]:
    """Gaussian bump on the 24-hour circle, 1 at ``centre_h``, std ``width_h`` hours."""
    d = (hour - centre_h + 12.0) % 24.0 - 12.0
    return np.exp(-0.5 * (d / width_h) ** 2)


def _step(hour: NDArray[np.float64], centre_h: float, width_h: float) -> NDArray[np.float64]:
    """Logistic step from 0 to 1 around ``centre_h`` (hours), ``width_h`` its softness."""
    return 1.0 / (1.0 + np.exp(-(hour - centre_h) / width_h))


def _residential(hour: NDArray[np.float64]) -> NDArray[np.float64]:
    """Households: night trough, morning peak, midday plateau, higher evening peak.

    Form: ``0.30 + 0.30 b(7:45, 1.25 h) + 0.18 b(13:00, 2.5 h) + 0.70 b(18:30, 2 h)`` with
    ``b`` a Gaussian bump on the 24-hour circle, then peak-normalised. The trough near
    03:00-05:00 is about 0.3 of the peak, the morning peak about 0.6, the evening peak
    (cooking, lighting, heating) 1.0.

    Source: the shape of Elexon's GB Profile Class 1 (domestic unrestricted) winter
    weekday load profile (Elexon, "Load Profiles and their use in Electricity
    Settlement"), matched by eye, not fitted to the published coefficients.
    """
    return (
        0.30
        + 0.30 * _bump(hour, 7.75, 1.25)
        + 0.18 * _bump(hour, 13.0, 2.5)
        + 0.70 * _bump(hour, 18.5, 2.0)
    )


def _commercial(hour: NDArray[np.float64]) -> NDArray[np.float64]:
    """Offices and shops: a plateau over business hours on a low overnight base.

    Form: ``0.25 + 0.75 s(07:30, 0.6 h) (1 - s(18:00, 0.8 h))`` with ``s`` a logistic
    step: about 0.25 of peak overnight (lighting, refrigeration, servers), ramping up
    07:00-09:00 to the plateau and down 17:00-20:00.

    Source: the shape of Elexon's GB Profile Class 3 (non-domestic unrestricted)
    weekday profile, matched by eye.
    """
    return 0.25 + 0.75 * _step(hour, 7.5, 0.6) * (1.0 - _step(hour, 18.0, 0.8))


def _industrial(hour: NDArray[np.float64]) -> NDArray[np.float64]:
    """Industry: a high flat base from continuous processes, a little more on day shifts.

    Form: ``0.75 + 0.25 s(06:00, 0.4 h) (1 - s(22:00, 0.4 h))``: 0.75 of peak overnight,
    1.0 over the two day shifts 06:00-22:00.

    Source: reasoning from the high load factor (over 40 %) of Elexon's Profile
    Class 8 maximum-demand customers; large sites run processes around the clock.
    """
    return 0.75 + 0.25 * _step(hour, 6.0, 0.4) * (1.0 - _step(hour, 22.0, 0.4))


def _ev_fleet(hour: NDArray[np.float64]) -> NDArray[np.float64]:
    """Unmanaged electric-vehicle fleet charging: evening peak, tail through the night.

    Form: an asymmetric bump peaking at 20:00 (rising with std 1.5 h as vehicles
    return, falling with std 4 h as batteries fill) plus a midday top-up bump
    ``0.25 b(12:30, 1.5 h)`` and a 0.03 floor.

    Source: unmanaged charging in the UK trials "My Electric Avenue" (2015) and
    "Electric Nation" (2019) peaks in the early evening when drivers plug in on
    arrival; a managed (smart) fleet would shift this into the night, which the
    consumer's ``flexible_frac`` lets an agent do.
    """
    d = (hour - 20.0 + 12.0) % 24.0 - 12.0
    width = np.where(d < 0.0, 1.5, 4.0)
    return 0.03 + np.exp(-0.5 * (d / width) ** 2) + 0.25 * _bump(hour, 12.5, 1.5)


SOLAR_SUNRISE_H = 6.0
"""Hour of sunrise of the solar shape: the equinox, whose 12-hour day is the year's mean."""
SOLAR_SUNSET_H = 18.0
"""Hour of sunset of the solar shape."""


def _solar(hour: NDArray[np.float64]) -> NDArray[np.float64]:
    """Photovoltaics on a clear day: a sine clipped to zero outside daylight.

    Form: ``max(0, sin(pi (h - 6) / 12))`` for hour ``h``: zero from sunset (18:00) to
    sunrise (06:00), peak at solar noon. The sine is the standard first-order model of
    clear-sky irradiance on a panel as the sun's elevation rises and falls; the
    equinox's 12-hour day is the mean over a year at any latitude. Scale it down
    (``scale_frac``) for cloud: mean output is about ``2/pi x 12/24 = 32 %`` of
    capacity on a clear equinox day, against about 10-20 % annual capacity factors.
    """
    day_len = SOLAR_SUNSET_H - SOLAR_SUNRISE_H
    inside = (hour >= SOLAR_SUNRISE_H) & (hour <= SOLAR_SUNSET_H)
    return np.where(inside, np.sin(np.pi * (hour - SOLAR_SUNRISE_H) / day_len), 0.0).clip(0.0)


def _wind(hour: NDArray[np.float64]) -> NDArray[np.float64]:
    """Wind: fairly flat within a day, slightly stronger at night.

    Form: ``0.9 + 0.1 cos(2 pi (h - 3) / 24)``: a weak diurnal cycle peaking at 03:00 (at
    hub height, onshore wind often strengthens at night as the boundary layer
    stabilises), between 0.8 and 1.0 of its peak. The larger, day-to-day variation of
    the weather is added by :func:`profile_series` from a seed (see
    :func:`wind_weather_factor`).
    """
    return 0.9 + 0.1 * np.cos(2.0 * np.pi * (hour - 3.0) / 24.0)


def _flat(hour: NDArray[np.float64]) -> NDArray[np.float64]:
    """Constant 1: a baseload consumer or a test fixture."""
    return np.ones_like(hour)


_SHAPES: dict[str, Callable[[NDArray[np.float64]], NDArray[np.float64]]] = {
    "wind": _wind,
    "solar": _solar,
    "residential": _residential,
    "commercial": _commercial,
    "industrial": _industrial,
    "ev_fleet": _ev_fleet,
    "flat": _flat,
}


@functools.lru_cache(maxsize=64)
def _daily_shape_cached(name: str, periods_per_day: int) -> NDArray[np.float64]:
    # The mean over each period of the curve sampled at every minute's midpoint: the
    # energy-preserving value for the period, so no period's value depends on where in
    # the period one samples.
    hour = (np.arange(MINUTES_PER_DAY, dtype=np.float64) + 0.5) / 60.0
    minute_values = _SHAPES[name](hour)
    per_period = minute_values.reshape(periods_per_day, -1).mean(axis=1)
    out = per_period / per_period.max()
    out.setflags(write=False)
    return out


def daily_shape(name: str, periods_per_day: int) -> NDArray[np.float64]:
    """The generated daily shape ``name`` at ``periods_per_day`` periods, peak-normalised.

    Each value is the mean of the shape's curve over the period (starting at midnight),
    divided by the largest period mean, so the result lies in [0, 1] with maximum 1.
    The curves and their sources are documented on the private functions ``_wind``,
    ``_solar``, ``_residential``, ``_commercial``, ``_industrial``, ``_ev_fleet`` and
    ``_flat`` of this module.

    Args:
        name: one of :data:`SHAPE_NAMES`.
        periods_per_day: periods in a day; must divide 1440 (minutes per day).

    Returns:
        ``(periods_per_day,)`` float64 array in [0, 1] (dimensionless, a fraction of
        the asset's capacity or peak), a fresh writable copy.

    Raises:
        ProfileError: unknown name or a period count that does not divide a day.

    Example:
        >>> s = daily_shape("solar", 48)
        >>> s.shape, float(s.max()), float(s[0])
        ((48,), 1.0, 0.0)
    """
    if name not in _SHAPES:
        raise ProfileError(f"unknown profile shape {name!r}; allowed: {', '.join(SHAPE_NAMES)}")
    if (
        isinstance(periods_per_day, bool)
        or not isinstance(periods_per_day, int | np.integer)
        or periods_per_day < 1
        or MINUTES_PER_DAY % periods_per_day
    ):
        raise ProfileError(
            f"periods_per_day = {periods_per_day!r} must be a positive integer dividing 1440"
        )
    return _daily_shape_cached(name, int(periods_per_day)).copy()


WIND_MEAN_FACTOR = 0.40
"""Mean of the wind weather factor: with the diurnal shape's mean of 0.9 the expected
capacity factor is about 0.36, between GB onshore (about 0.27) and offshore (about 0.40)
annual load factors (DESNZ, Digest of UK Energy Statistics, chapter 6)."""
WIND_FACTOR_STD = 0.22
"""Standard deviation of the daily wind weather factor (fraction of capacity)."""
WIND_FACTOR_AR1 = 0.7
"""Day-to-day persistence of the wind weather factor: weather systems last a few days."""


def wind_weather_factor(n_periods: int, periods_per_day: int, seed: int = 0) -> NDArray[np.float64]:
    """Slow day-to-day weather factor of the wind shape, one value per period.

    One value per day follows a stationary Gaussian AR(1) process (mean
    :data:`WIND_MEAN_FACTOR`, std :data:`WIND_FACTOR_STD`, day-to-day correlation
    :data:`WIND_FACTOR_AR1`), clipped to [0.05, 1]; values are pinned at each day's
    midpoint and linearly interpolated between them, so there is no jump at midnight.

    Args:
        n_periods: periods in the episode.
        periods_per_day: periods in a day.
        seed: seed of the generator; the same seed gives the same weather.

    Returns:
        ``(n_periods,)`` float64 array in [0.05, 1] (dimensionless).
    """
    n_days = max(1, math.ceil(n_periods / periods_per_day))
    rng = np.random.default_rng(seed)
    eps = rng.standard_normal(n_days)
    z = np.empty(n_days)
    z[0] = eps[0]
    innovation = math.sqrt(1.0 - WIND_FACTOR_AR1**2)
    for d in range(1, n_days):
        z[d] = WIND_FACTOR_AR1 * z[d - 1] + innovation * eps[d]
    daily = np.clip(WIND_MEAN_FACTOR + WIND_FACTOR_STD * z, 0.05, 1.0)
    centres = np.arange(n_days) * periods_per_day + (periods_per_day - 1) / 2.0
    return np.interp(np.arange(n_periods, dtype=np.float64), centres, daily)


# --------------------------------------------------------------------------- CSV series


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
