"""Scenario models of time series: forecast errors, profiles and the real-data source.

A participant's expected output or load is a :data:`Profile`: a generated daily shape
(:class:`ShapeProfile`), a metered CSV series (:class:`CsvProfile`) or a column of the
scenario's dataset (:class:`DataProfile`); :class:`DataSource` names that dataset, its
split and monthly price indices (:class:`PriceIndex`). Re-exported from
:mod:`elecbay_env.schema`; the series themselves are built by :mod:`elecbay_env.profiles`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import Discriminator, Field, Tag, ValidationInfo, field_validator

from .profiles import CsvScale, ShapeName
from .schema_fields import (
    Fraction,
    OpenFraction,
    PositiveFloat,
    PositiveFraction,
    PositiveInt,
    _Model,
)
from .splits import SplitName

__all__ = [
    "CsvProfile",
    "DataProfile",
    "DataSource",
    "ForecastError",
    "PriceIndex",
    "Profile",
    "ShapeProfile",
]


class ForecastError(_Model):
    """Forecast error of a renewable output or a load: a stationary AR(1) process."""

    std_frac: Fraction
    """Standard deviation of the error, as a fraction of capacity_mw (producers) or
    peak_mw (consumers). Dimensionless, in [0, 1]."""
    ar1: OpenFraction = 0.0
    """Correlation of the error from one period to the next, in [0, 1)."""


class ShapeProfile(_Model):
    """A generated daily shape (see :func:`elecbay_env.profiles.daily_shape`)."""

    shape: ShapeName
    """Name of the shape: wind, solar, residential, commercial, industrial, ev_fleet, flat."""
    scale_frac: PositiveFraction = 1.0
    """Multiplier of the peak-normalised shape (e.g. 0.6 for a cloudy-average solar day),
    in (0, 1]."""


class CsvProfile(_Model):
    """A metered time series from a CSV file (see :func:`elecbay_env.profiles.load_csv_series`).

    Rows are consecutive intervals from midnight of day 1; a finer series is averaged to
    the settlement period, a coarser one repeated; a series shorter than the episode is
    tiled from its start, a longer one cut.
    """

    csv: Path
    """Path of the CSV file; a relative path is relative to the scenario file's folder
    (made absolute on loading)."""
    column: str
    """Header name of the column holding the series."""
    resolution_min: PositiveInt
    """Minutes per row; must divide, or be a multiple of, market.period_min."""
    scale: CsvScale = "peak"
    """How values become MW: 'peak' (rescaled so the series' maximum is the capacity or
    peak), 'capacity_frac' (values are fractions of it, in [0, 1]), 'mw' (values are MW)."""

    @field_validator("csv")
    @classmethod
    def _resolve(cls, v: Path, info: ValidationInfo) -> Path:
        base = (info.context or {}).get("base_dir")
        if base is not None and not v.is_absolute():
            return (Path(base) / v).resolve()
        return v


class DataProfile(_Model):
    """A column of the scenario's dataset (``data:``): real values on the episode's dates.

    The realised output or load is the data itself; the forecast agents see is the data
    times ``1 + e`` with ``e`` the forecast-error model's AR(1) path, drawn at reset.
    """

    data: str = Field(min_length=1)
    """Column of the dataset named in the scenario's ``data.csv``."""
    scale: CsvScale = "mw"
    """How values become MW: 'mw' (values are MW), 'capacity_frac' (fractions of
    capacity_mw or peak_mw, in [0, 1]) or 'peak' (rescaled so the year's maximum is it)."""
    share_frac: PositiveFraction = 1.0
    """Multiplier applied after scaling (a sector's share of national demand), in (0, 1]."""


_PROFILE_KEYS = ("shape", "csv", "data")


def _profile_kind(v: Any) -> str | None:
    keys = set(v) if isinstance(v, Mapping) else {k for k in _PROFILE_KEYS if hasattr(v, k)}
    found = [k for k in _PROFILE_KEYS if k in keys]
    return found[0] if len(found) == 1 else None


Profile = Annotated[
    Annotated[ShapeProfile, Tag("shape")]
    | Annotated[CsvProfile, Tag("csv")]
    | Annotated[DataProfile, Tag("data")],
    Discriminator(
        _profile_kind,
        custom_error_type="profile_kind",
        custom_error_message="a profile needs exactly one of 'shape' (a generated daily shape), "
        "'csv' (a metered series with 'column' and 'resolution_min') or 'data' (a column of "
        "the scenario's dataset)",
    ),
]
"""``{shape: ...}`` (:class:`ShapeProfile`), ``{csv: ..., column: ...}`` (:class:`CsvProfile`)
or ``{data: column}`` (:class:`DataProfile`)."""


class PriceIndex(_Model):
    """A monthly price index: multipliers of the costs or values that name it."""

    name: str = Field(min_length=1)
    """Name the participants' ``price_index`` refers to (e.g. 'gas')."""
    monthly: Annotated[tuple[PositiveFloat, ...], Field(min_length=12, max_length=12)]
    """12 factors, January first, each > 0 (1: the cost or value as written)."""


class DataSource(_Model):
    """Real data behind a scenario: each episode starts on a date drawn from a split.

    See :mod:`elecbay_env.datasets` (the file) and :mod:`elecbay_env.splits` (the splits).
    """

    csv: str = Field(min_length=1)
    """A shipped dataset name ('gb2024') or a CSV path, relative to the scenario file."""
    time_column: str = "utc_start"
    """Column of ISO-8601 UTC period starts (consecutive, from midnight, whole days)."""
    split: SplitName = "train"
    """Split the episodes' dates are drawn from (the env's ``split=`` overrides it):
    train, validation, test, train_in_distribution, ood_peak_demand, ood_wind_drought,
    ood_low_price or all."""
    price_index: tuple[PriceIndex, ...] = ()
    """Monthly multipliers of marginal costs (producers) and values (consumers) that name
    an index in their ``price_index``; the month of the episode's first day applies to
    the whole episode."""

    def index_factors(self, name: str) -> tuple[float, ...]:
        """The 12 monthly factors of index ``name``."""
        for index in self.price_index:
            if index.name == name:
                return index.monthly
        raise KeyError(name)
