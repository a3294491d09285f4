"""The scenario schema: frozen pydantic models of the market and its participants.

A :class:`Scenario` holds a :class:`Market` (timing, auction and pricing rules), its
producers (:class:`ThermalProducer`, :class:`WindProducer`, :class:`SolarProducer`,
:class:`StorageProducer`), its :class:`Consumer` s and the :class:`Broker`. Load one with
:func:`elecbay_env.config.load_scenario`, which also turns validation errors into readable
lines; the models are re-exported from :mod:`elecbay_env.config`.

Models forbid unknown fields (a typo fails instead of being ignored), are frozen
(hashable, safe to share between environments) and carry a description with the unit of
every field (``Scenario.model_json_schema()`` gives them to editors). Units follow the
names: ``_mw`` power, ``_mwh`` energy, ``_per_mwh`` currency per MWh, ``_per_mw_h``
currency per MW per hour, ``_mw_per_min`` ramp, ``_min`` minutes, ``_frac`` a fraction.
Money is in one unspecified currency (the shipped figures are GBP-based).

Magnitudes are bounded by physical limits so that no reward, price or sum can overflow
to inf: prices, costs and values within :data:`MAX_PRICE_PER_MWH` (1e7 currency per
MWh, some 2 500 times the EU day-ahead cap) in absolute value, powers and ramps within
:data:`MAX_POWER_MW` (1e6 MW, some 20 times GB's peak demand), energies within
:data:`MAX_ENERGY_MWH` (1e8 MWh), start-up costs within :data:`MAX_MONEY` (1e12
currency). The error of a value outside names the field and the whole allowed range.

Cross-field checks raise one pydantic error of type ``elecbay_checks`` whose context
``problems`` lists ``(field, value, message)`` triples, so that the loader can report
each as its own line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .profiles import CsvScale, ProfileError, ShapeName, profile_series
from .schema_network import Border, border_problems
from .splits import SplitName

__all__ = [
    "MAX_ENERGY_MWH",
    "MAX_EPISODE_PERIODS",
    "MAX_MONEY",
    "MAX_POWER_MW",
    "MAX_PRICE_PER_MWH",
    "MINUTES_PER_DAY",
    "PRODUCER_TYPES",
    "Broker",
    "Consumer",
    "CsvProfile",
    "DataProfile",
    "DataSource",
    "ForecastError",
    "Market",
    "Participant",
    "PriceIndex",
    "Producer",
    "Profile",
    "Scenario",
    "ShapeProfile",
    "SolarProducer",
    "StorageProducer",
    "ThermalProducer",
    "WindProducer",
]

MINUTES_PER_DAY = 1440
MAX_EPISODE_PERIODS = 1_000_000
"""Most settlement periods in an episode (days x periods per day), to fail early on typos."""
MAX_PRICE_PER_MWH = 1e7
"""Currency per MWh (or per MW per hour): largest magnitude of any price, cost or value."""
MAX_POWER_MW = 1e6
"""MW: largest capacity, peak, power, ramp (MW per minute) or reserve quantity."""
MAX_ENERGY_MWH = 1e8
"""MWh: largest storage energy or balancing threshold."""
MAX_MONEY = 1e12
"""Currency: largest one-off cost (a start-up)."""


# --------------------------------------------------------------------------- fields


def _num(x: float) -> str:
    return f"{x:g}"


def _check(problems: list[tuple[str, Any, str]]) -> None:
    """Raise the problems found by a cross-field check as one pydantic error."""
    if problems:
        summary = "; ".join(f"{f}: {m}" for f, _, m in problems)
        raise PydanticCustomError(
            "elecbay_checks", "{summary}", {"summary": summary, "problems": tuple(problems)}
        )


def _bounded(
    tp: type,
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
) -> Any:
    """``tp`` annotated with a range check whose error states the whole allowed range.

    Pydantic's own ``ge``/``le`` name only the bound that failed; this names both, and
    also writes the bounds into the JSON schema.
    """
    if lo is not None and hi is not None:
        allowed = f"in {'(' if lo_open else '['}{_num(lo)}, {_num(hi)}{')' if hi_open else ']'}"
    elif lo is not None:
        allowed = f"{'>' if lo_open else '>='} {_num(lo)}"
    else:
        allowed = f"{'<' if hi_open else '<='} {_num(hi)}"  # type: ignore[arg-type]

    def check(v: float) -> float:
        too_low = lo is not None and (v <= lo if lo_open else v < lo)
        too_high = hi is not None and (v >= hi if hi_open else v > hi)
        if too_low or too_high:
            raise PydanticCustomError("out_of_range", "must be {allowed}", {"allowed": allowed})
        return v

    schema: dict[str, float] = {}
    if lo is not None:
        schema["exclusiveMinimum" if lo_open else "minimum"] = lo
    if hi is not None:
        schema["exclusiveMaximum" if hi_open else "maximum"] = hi
    return Annotated[tp, AfterValidator(check), Field(json_schema_extra=schema)]


PositiveFloat = _bounded(float, 0, lo_open=True)
NonNegativeFloat = _bounded(float, 0)
Fraction = _bounded(float, 0, 1)
"""A fraction in [0, 1]."""
OpenFraction = _bounded(float, 0, 1, hi_open=True)
"""A fraction in [0, 1)."""
PositiveFraction = _bounded(float, 0, 1, lo_open=True)
"""A fraction in (0, 1]."""
PositiveInt = _bounded(int, 1)
NonNegativeInt = _bounded(int, 0)
DayMinutes = _bounded(int, 1, 1440)
"""Whole minutes from 1 to 1440 (a day)."""
BidSteps = _bounded(int, 1, 16)
Price = _bounded(float, -MAX_PRICE_PER_MWH, MAX_PRICE_PER_MWH)
"""Currency per MWh, in [-1e7, 1e7]."""
PositivePrice = _bounded(float, 0, MAX_PRICE_PER_MWH, lo_open=True)
NonNegativePrice = _bounded(float, 0, MAX_PRICE_PER_MWH)
PositivePower = _bounded(float, 0, MAX_POWER_MW, lo_open=True)
NonNegativePower = _bounded(float, 0, MAX_POWER_MW)
PositiveEnergy = _bounded(float, 0, MAX_ENERGY_MWH, lo_open=True)
NonNegativeEnergy = _bounded(float, 0, MAX_ENERGY_MWH)


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, use_attribute_docstrings=True
    )


# --------------------------------------------------------------------------- profiles


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


# --------------------------------------------------------------------------- market


class Market(_Model):
    """Timing, auction and pricing rules of the market."""

    period_min: DayMinutes = 30
    """Settlement period (minutes); must divide 1440. GB and most of Europe settle
    half-hourly or quarter-hourly."""
    meter_interval_min: DayMinutes = 5
    """Smart-meter read interval inside a period (minutes); must divide period_min."""
    days: PositiveInt = 7
    """Episode length (days); an episode has days x periods_per_day periods."""
    bid_steps: BidSteps = 4
    """Steps B of each forward bid or offer curve, in [1, 16]."""
    k: Fraction = 0.5
    """Position of the uniform price in the interval of market-clearing prices, in [0, 1]
    (0.5: the midpoint, the k-double auction)."""
    pricing: Literal["uniform", "pay_as_bid"] = "uniform"
    """'uniform' (pay-as-clear) or 'pay_as_bid'."""
    price_floor_per_mwh: Price = -500.0
    """Lowest admissible price (currency/MWh): the EU day-ahead coupling's harmonised
    minimum."""
    price_cap_per_mwh: Price = 4000.0
    """Highest admissible price (currency/MWh): the EU day-ahead harmonised maximum (2022);
    must exceed the floor."""
    imbalance_pricing: Literal["gb_single", "dual", "legacy_dual", "legacy_single"] = "gb_single"
    """'gb_single' (the default: one price built from the balancing actions taken, as GB
    does, bounded by the forward price on the system's side), 'dual' (the same price;
    long parties get the lower, short parties pay the higher of it and the forward price),
    or the first version's rule for comparison: 'legacy_dual' or 'legacy_single' (the
    marginal activated utilisation price; the value of lost load once any energy went
    unserved). See docs/design.md."""
    schedule_ramp_min: _bounded(int, 0, 1440) | None = None
    """Contracts are ramped profiles: over the first schedule_ramp_min minutes of a period
    a position moves linearly from the previous period's (minutes, in [0, period_min]);
    None (the default) ramps over the whole period; 0 gives flat blocks (the first
    version)."""
    dmat_mwh: NonNegativeEnergy = 0.1
    """De minimis: balancing actions smaller than this (MWh) do not set the imbalance
    price (GB's DMAT is 1 MWh on a system some 15 times larger), >= 0."""
    par_mwh: PositiveEnergy = 1.0
    """The imbalance price is the volume-weighted average of the most expensive par_mwh
    of the net stack (GB's PAR, 1 MWh), > 0."""
    residual_reallocation: bool = True
    """Return the residual imbalance cash to the parties in proportion to their metered
    energy, so the broker is cost-neutral (GB's residual cashflow reallocation)."""
    value_of_lost_load_per_mwh: PositivePrice = 6000.0
    """Cost of unserved energy (currency/MWh), > 0; GB's BSC uses 6000 GBP/MWh."""
    curtailment_cost_per_mwh: NonNegativePrice = 0.0
    """Cost to the system of spilling surplus energy no reserve covers (currency/MWh), >= 0."""
    initial_price_per_mwh: Price = 50.0
    """Reference price before the first trade (currency/MWh), between floor and cap."""
    grace_factor_frac: OpenFraction = 0.1
    """Performance verification, in [0, 1): a reserve provider delivering at least
    (1 - grace) of the activated energy keeps its full availability payment."""
    zones: PositiveInt = 1
    """Number of price zones (>= 1); every participant's zone is below it (docs/zones.md)."""

    @property
    def ramp_min(self) -> int:
        """Minutes over which a contract profile ramps (``schedule_ramp_min`` in force)."""
        return self.period_min if self.schedule_ramp_min is None else self.schedule_ramp_min

    @property
    def periods_per_day(self) -> int:
        """Settlement periods per day."""
        return MINUTES_PER_DAY // self.period_min

    @property
    def meters_per_period(self) -> int:
        """Meter reads M per settlement period."""
        return self.period_min // self.meter_interval_min

    @property
    def period_h(self) -> float:
        """Settlement period (hours); MWh = MW x period_h."""
        return self.period_min / 60.0

    @property
    def meter_h(self) -> float:
        """Meter interval (hours)."""
        return self.meter_interval_min / 60.0

    @property
    def n_periods(self) -> int:
        """Periods in an episode: days x periods_per_day."""
        return self.days * self.periods_per_day

    @model_validator(mode="after")
    def _cross_checks(self) -> Market:
        p: list[tuple[str, Any, str]] = []
        day, period = MINUTES_PER_DAY, self.period_min
        if day % period:
            msg = f"must divide 1440 (minutes per day); allowed: {_divisors(day)}"
            p.append(("period_min", period, msg))
        elif period % self.meter_interval_min:
            msg = f"must divide period_min ({period}); allowed: {_divisors(period)}"
            p.append(("meter_interval_min", self.meter_interval_min, msg))
        elif self.n_periods > MAX_EPISODE_PERIODS:
            most = MAX_EPISODE_PERIODS // self.periods_per_day
            msg = f"{self.n_periods} periods exceed {MAX_EPISODE_PERIODS}; must be <= {most}"
            p.append(("days", self.days, msg))
        ramp = self.schedule_ramp_min
        if ramp is not None and ramp > period:
            msg = f"must be in [0, period_min] = [0, {period}] minutes, or null"
            p.append(("schedule_ramp_min", ramp, msg))
        lo, hi = self.price_floor_per_mwh, self.price_cap_per_mwh
        if lo >= hi:
            p.append(("price_floor_per_mwh", lo, f"must be < price_cap_per_mwh ({_num(hi)})"))
        elif not lo <= self.initial_price_per_mwh <= hi:
            msg = f"must be in [price_floor_per_mwh, price_cap_per_mwh] = [{_num(lo)}, {_num(hi)}]"
            p.append(("initial_price_per_mwh", self.initial_price_per_mwh, msg))
        _check(p)
        return self


def _divisors(n: int) -> str:
    return ", ".join(str(d) for d in range(1, n + 1) if n % d == 0)


# --------------------------------------------------------------------------- producers


class ThermalProducer(_Model):
    """A dispatchable thermal unit (nuclear, coal, biomass, CCGT, OCGT, ...)."""

    type: Literal["thermal"] = "thermal"
    """Asset type tag."""
    name: str = Field(min_length=1)
    """Unique participant name."""
    technology: str = Field(min_length=1)
    """Free-text technology label, e.g. nuclear, ccgt, ocgt, coal, biomass."""
    capacity_mw: PositivePower
    """Maximum output (MW), > 0."""
    min_stable_mw: NonNegativePower
    """Minimum stable output while on (MW), in [0, capacity_mw]."""
    marginal_cost_per_mwh: Price
    """Fuel, carbon and variable O&M cost of one more MWh (currency/MWh)."""
    startup_cost: _bounded(float, 0, MAX_MONEY) = 0.0
    """Cost of one start (currency per start), >= 0."""
    ramp_mw_per_min: PositivePower
    """Largest change of output (MW per minute, up or down), > 0."""
    min_run_periods: PositiveInt = 1
    """Minimum periods on after a start, >= 1."""
    min_off_periods: PositiveInt = 1
    """Minimum periods off after a stop, >= 1."""
    forced_outage_prob_per_period: OpenFraction = 0.0
    """Probability that a running unit trips in a period, in [0, 1)."""
    outage_duration_periods: PositiveInt = 1
    """Periods a forced outage lasts, >= 1."""
    initial_on: bool = True
    """Whether the unit is running when the episode starts."""
    initial_output_frac: Fraction = 1.0
    """Output at the start as a fraction of capacity_mw, in [0, 1]; when initial_on it must
    give at least min_stable_mw. Ignored (output 0) when the unit starts off."""
    price_index: str | None = None
    """Name of a monthly index in the scenario's ``data.price_index`` that multiplies
    marginal_cost_per_mwh (a fuel price); None: the cost is fixed."""
    zone: NonNegativeInt = 0
    """Price zone of the unit, < market.zones."""

    @model_validator(mode="after")
    def _cross_checks(self) -> ThermalProducer:
        p: list[tuple[str, Any, str]] = []
        cap, low = self.capacity_mw, self.min_stable_mw
        if low > cap:
            p.append(("min_stable_mw", low, f"must be <= capacity_mw ({_num(cap)})"))
        elif self.initial_on and self.initial_output_frac * cap < low * (1 - 1e-12):
            msg = (
                f"an initially-on unit starts at or above min_stable_mw ({_num(low)} MW); "
                f"must be in [{low / cap:.6g}, 1]"
            )
            p.append(("initial_output_frac", self.initial_output_frac, msg))
        _check(p)
        return self


class _Renewable(_Model):
    name: str = Field(min_length=1)
    """Unique participant name."""
    capacity_mw: PositivePower
    """Installed capacity (MW), > 0."""
    marginal_cost_per_mwh: Price = 0.0
    """Cost of one more MWh (currency/MWh); about 0 for wind and solar."""
    forecast_error: ForecastError
    """Forecast error of the output (std as a fraction of capacity_mw)."""
    zone: NonNegativeInt = 0
    """Price zone, < market.zones."""


class WindProducer(_Renewable):
    """A wind farm: output follows its profile plus forecast error; it can be curtailed."""

    type: Literal["wind"] = "wind"
    """Asset type tag."""
    profile: Profile = ShapeProfile(shape="wind")
    """Expected output: a shape (default: the wind shape) or a CSV series."""


class SolarProducer(_Renewable):
    """A solar farm: output follows its profile plus forecast error; it can be curtailed."""

    type: Literal["solar"] = "solar"
    """Asset type tag."""
    profile: Profile = ShapeProfile(shape="solar")
    """Expected output: a shape (default: the solar shape) or a CSV series."""


class StorageProducer(_Model):
    """A battery: sells when discharging, buys when charging, within its state of charge."""

    type: Literal["storage"] = "storage"
    """Asset type tag."""
    name: str = Field(min_length=1)
    """Unique participant name."""
    power_mw: PositivePower
    """Largest charge or discharge power (MW), > 0."""
    energy_mwh: PositiveEnergy
    """Usable energy capacity (MWh), > 0."""
    round_trip_efficiency_frac: PositiveFraction
    """Energy out / energy in over a full cycle, in (0, 1]."""
    initial_soc_frac: Fraction
    """State of charge at the start (fraction of energy_mwh), in [min_soc_frac, max_soc_frac]."""
    min_soc_frac: Fraction = 0.0
    """Lowest allowed state of charge (fraction of energy_mwh), below max_soc_frac."""
    max_soc_frac: Fraction = 1.0
    """Highest allowed state of charge (fraction of energy_mwh)."""
    degradation_cost_per_mwh: NonNegativePrice = 0.0
    """Wear cost per MWh of throughput, charge and discharge each counted (currency/MWh)."""
    zone: NonNegativeInt = 0
    """Price zone, < market.zones."""

    @model_validator(mode="after")
    def _cross_checks(self) -> StorageProducer:
        p: list[tuple[str, Any, str]] = []
        lo, hi = self.min_soc_frac, self.max_soc_frac
        if lo >= hi:
            p.append(("min_soc_frac", lo, f"must be < max_soc_frac ({_num(hi)})"))
        elif not lo <= self.initial_soc_frac <= hi:
            msg = f"must be in [min_soc_frac, max_soc_frac] = [{_num(lo)}, {_num(hi)}]"
            p.append(("initial_soc_frac", self.initial_soc_frac, msg))
        _check(p)
        return self


Producer = Annotated[
    ThermalProducer | WindProducer | SolarProducer | StorageProducer,
    Field(discriminator="type"),
]
"""A producer, told apart by its ``type``: thermal, wind, solar or storage."""
PRODUCER_TYPES: tuple[str, ...] = ("thermal", "wind", "solar", "storage")


# --------------------------------------------------------------------------- consumers


class Consumer(_Model):
    """A load with a value of energy, a forecast error and optional demand response."""

    name: str = Field(min_length=1)
    """Unique participant name."""
    profile_type: Literal["residential", "commercial", "industrial", "ev_fleet"]
    """Kind of load; also the default generated shape of its profile."""
    peak_mw: PositivePower
    """Peak demand (MW), > 0; the expected load is the profile scaled to it."""
    value_per_mwh: PositivePrice
    """Willingness to pay for energy (currency/MWh), > 0."""
    shifted_value_per_mwh: NonNegativePrice = 0.0
    """Value of energy taken only because the broker instructed it (down reserve: extra
    or shifted consumption), currency/MWh, in [0, value_per_mwh]; default 0."""
    profile: Profile | None = None
    """Expected load; None: the generated shape named by profile_type."""
    forecast_error: ForecastError
    """Forecast error of the load (std as a fraction of peak_mw)."""
    flexible_frac: Fraction = 0.0
    """Share of the load it can curtail or shift as demand response, in [0, 1]."""
    price_index: str | None = None
    """Name of a monthly index in the scenario's ``data.price_index`` that multiplies
    value_per_mwh and shifted_value_per_mwh (e.g. an export's continental price)."""
    zone: NonNegativeInt = 0
    """Price zone, < market.zones."""

    @property
    def load_profile(self) -> ShapeProfile | CsvProfile | DataProfile:
        """The profile in force: ``profile`` or the generated shape of ``profile_type``."""
        return self.profile if self.profile is not None else ShapeProfile(shape=self.profile_type)


# --------------------------------------------------------------------------- broker


class Broker(_Model):
    """The balancing authority's rule-of-thumb parameters."""

    reserve_z: _bounded(float, 0, 100) = 2.0
    """Default reserve rule, forecast-error part: z x the standard deviation of the
    system's forecast error (MW), up and down; >= 0."""
    largest_loss_frac: Fraction = 1.0
    """Default reserve rule, largest-loss part: this share of the largest single infeed
    (the biggest running thermal unit's position, MW) is held as up reserve, in [0, 1]."""
    ramp_frac: _bounded(float, 0, 100) = 0.25
    """Default reserve rule, ramping part: this share of the expected change of net
    demand from the last period (MW) is held in the direction of the change, >= 0."""
    max_availability_price_per_mw_h: NonNegativePrice = 100.0
    """Most the broker pays to hold reserve (currency per MW per hour), >= 0."""
    max_utilisation_price_per_mwh: Price | None = None
    """Most the broker pays for activated reserve energy (currency/MWh), within the price
    bounds; None (the default) becomes market.price_cap_per_mwh on loading."""


Participant = ThermalProducer | WindProducer | SolarProducer | StorageProducer | Consumer
"""Any producer or consumer."""

# --------------------------------------------------------------------------- scenario


def _check_data(sc: Scenario) -> list[tuple[str, Any, str]]:
    """Problems of the data section and the data profiles (reads the dataset)."""
    from .datasets import load_dataset
    from .profiles import data_series
    from .splits import episode_start_days

    assert sc.data is not None
    try:
        ds = load_dataset(sc.data.csv, sc.data.time_column)
    except ProfileError as exc:
        return [("data.csv", sc.data.csv, str(exc))]
    m = sc.market
    res = ds.resolution_min
    if m.period_min % res and res % m.period_min:
        msg = f"must be a multiple or a divisor of the dataset's {res}-min rows"
        return [("market.period_min", m.period_min, msg)]
    try:
        episode_start_days(ds, sc.data.split, m.days)
    except ProfileError as exc:
        return [("data.split", sc.data.split, str(exc))]
    p: list[tuple[str, Any, str]] = []
    rows = [(f"producers[{i}]", x) for i, x in enumerate(sc.producers)]
    rows += [(f"consumers[{i}]", x) for i, x in enumerate(sc.consumers)]
    for path, x in rows:
        profile = x.load_profile if isinstance(x, Consumer) else getattr(x, "profile", None)
        if isinstance(profile, DataProfile):
            size = x.peak_mw if isinstance(x, Consumer) else x.capacity_mw
            try:
                data_series(profile, ds, m.period_min, size)
            except ProfileError as exc:
                p.append((f"{path}.profile.data", profile.data, str(exc)))
    return p


def _non_empty(what: str) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    def check(v: tuple[Any, ...]) -> tuple[Any, ...]:
        if not v:
            raise PydanticCustomError("too_short", f"must list at least one {what}")
        return v

    return check


class Scenario(_Model):
    """A whole market: timing and rules, producers, consumers and the broker."""

    name: str = Field(min_length=1)
    """Short name of the scenario."""
    description: str = ""
    """Free text."""
    market: Market = Market()
    """Timing, auction and pricing rules."""
    producers: Annotated[tuple[Producer, ...], AfterValidator(_non_empty("producer"))]
    """Producers, in agent-id order (producer_0, producer_1, ...); at least one."""
    consumers: Annotated[tuple[Consumer, ...], AfterValidator(_non_empty("consumer"))]
    """Consumers, in agent-id order (consumer_0, ...); at least one."""
    broker: Broker = Broker()
    """The balancing authority (broker_0)."""
    borders: tuple[Border, ...] = ()
    """Borders between the market's zones with their transfer limits (MW); a tree or forest."""
    data: DataSource | None = None
    """Real data: episodes start on its dates and ``{data: column}`` profiles read it;
    None (the default): generated or CSV profiles only, every episode alike."""

    @property
    def participants(self) -> tuple[Participant, ...]:
        """Producers then consumers, in agent-id order (the broker excluded)."""
        return (*self.producers, *self.consumers)

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        p: list[tuple[str, Any, str]] = []
        m = self.market
        seen: dict[str, str] = {}
        rows = [(f"producers[{i}]", x) for i, x in enumerate(self.producers)]
        rows += [(f"consumers[{i}]", x) for i, x in enumerate(self.consumers)]
        for path, x in rows:
            if x.name in seen:
                msg = f"duplicate of {seen[x.name]}.name; participant names must be unique"
                p.append((f"{path}.name", x.name, msg))
            seen.setdefault(x.name, path)
            if x.zone >= m.zones:
                p.append((f"{path}.zone", x.zone, f"must be in [0, {m.zones - 1}] (market.zones)"))
            if isinstance(x, Consumer):
                profile, size = x.load_profile, x.peak_mw
                if x.shifted_value_per_mwh > x.value_per_mwh:
                    msg = f"must be in [0, value_per_mwh] = [0, {_num(x.value_per_mwh)}]"
                    p.append((f"{path}.shifted_value_per_mwh", x.shifted_value_per_mwh, msg))
            else:
                profile, size = getattr(x, "profile", None), getattr(x, "capacity_mw", 0.0)
            if isinstance(profile, CsvProfile):
                try:  # read and check the file now, so a bad series fails at load time
                    profile_series(profile, m.n_periods, m.period_min, None, size)
                except ProfileError as exc:
                    p.append((f"{path}.profile.csv", str(profile.csv), str(exc)))
            if isinstance(profile, DataProfile) and self.data is None:
                msg = "a {data: column} profile needs the scenario's data section"
                p.append((f"{path}.profile.data", profile.data, msg))
            index = getattr(x, "price_index", None)
            names = [i.name for i in self.data.price_index] if self.data is not None else []
            if index is not None and index not in names:
                allowed = ", ".join(names) or "none: the scenario has no data.price_index"
                p.append((f"{path}.price_index", index, f"allowed: {allowed}"))
        p += border_problems(m.zones, self.borders, m.pricing)
        if self.data is not None and not p:
            p += _check_data(self)
        lo, hi = m.price_floor_per_mwh, m.price_cap_per_mwh
        cap = self.broker.max_utilisation_price_per_mwh
        if cap is None:
            # The documented default; the model is frozen, so set it during validation.
            broker = self.broker.model_copy(update={"max_utilisation_price_per_mwh": hi})
            object.__setattr__(self, "broker", broker)
        elif not lo <= cap <= hi:
            msg = (
                "must be in [market.price_floor_per_mwh, market.price_cap_per_mwh] = "
                f"[{_num(lo)}, {_num(hi)}]"
            )
            p.append(("broker.max_utilisation_price_per_mwh", cap, msg))
        _check(p)
        return self
