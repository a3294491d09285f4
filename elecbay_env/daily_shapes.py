"""Generated daily shapes of load and generation, peak-normalised, per settlement period.

:func:`daily_shape` gives one of :data:`SHAPE_NAMES` as the mean of a smooth daily curve
over each period (the first starting at midnight), divided by the largest period mean:
``(periods_per_day,)`` values in [0, 1], a fraction of the asset's capacity or peak. The
wind shape also takes a slow day-to-day weather factor (:func:`wind_weather_factor`,
from an explicit ``seed``). The shapes are stylised, hand-fitted curves with the
qualitative features of the cited data, not reproductions of it. Re-exported from
:mod:`elecbay_env.profiles`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Literal, get_args

import numpy as np
from numpy.typing import NDArray

from .errors import ProfileError

__all__ = [
    "MINUTES_PER_DAY",
    "SHAPE_NAMES",
    "WIND_FACTOR_AR1",
    "WIND_FACTOR_STD",
    "WIND_MEAN_FACTOR",
    "ShapeName",
    "daily_shape",
    "wind_weather_factor",
]

MINUTES_PER_DAY = 1440

ShapeName = Literal["wind", "solar", "residential", "commercial", "industrial", "ev_fleet", "flat"]
SHAPE_NAMES: tuple[str, ...] = get_args(ShapeName)
"""Names accepted by :func:`daily_shape` and by ``{shape: ...}`` in a scenario."""


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
