"""Scenarios: YAML -> a validated, frozen :class:`Scenario`; errors name the field.

:func:`load_scenario` reads a shipped scenario (``"default"``, ``"small"``, ...), a YAML
file or a dict, applies overrides, and validates everything at once. Every problem found
becomes one line of a :class:`ScenarioError` naming the field's path, the bad value and
what is allowed::

    invalid scenario 'my.yaml' (2 problems):
      producers[2].min_stable_mw = 300: must be <= capacity_mw (200)
      market.k = 1.5: must be in [0, 1]

Models forbid unknown fields (a typo fails instead of being ignored), are frozen
(hashable, safe to share between environments) and carry a description with the unit of
every field (``Scenario.model_json_schema()`` gives them to editors). Units follow the
names: ``_mw`` power, ``_mwh`` energy, ``_per_mwh`` currency per MWh, ``_per_mw_h``
currency per MW per hour, ``_mw_per_min`` ramp, ``_min`` minutes, ``_frac`` a fraction.
Money is in one unspecified currency (the shipped figures are GBP-based).

Example:
    >>> s = load_scenario("small", **{"market.days": 2})
    >>> s.market.n_periods, s.market.period_h
    (96, 0.5)
"""

from __future__ import annotations

import copy
import difflib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .profiles import CsvScale, ProfileError, ShapeName, profile_series

__all__ = [
    "MISSING",
    "Broker",
    "Consumer",
    "CsvProfile",
    "ForecastError",
    "Market",
    "Participant",
    "Problem",
    "Producer",
    "Profile",
    "Scenario",
    "ScenarioError",
    "ShapeProfile",
    "SolarProducer",
    "StorageProducer",
    "ThermalProducer",
    "WindProducer",
    "load_scenario",
    "shipped_scenarios",
]

MINUTES_PER_DAY = 1440
MAX_EPISODE_PERIODS = 1_000_000
"""Most settlement periods in an episode (days x periods per day), to fail early on typos."""
_CONFIG_PACKAGE = "elecbay_configs"


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""The :attr:`Problem.value` of a field that is absent (a required field, a missing tag)."""


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class Problem:
    """One invalid field: its path (``producers[2].min_stable_mw``), value and the rule.

    Attributes:
        path: the field's path in the scenario, list indices in brackets.
        value: the bad value as given, or :data:`MISSING` when the field is absent.
        message: what is wrong and what is allowed (a range or a list of values).
    """

    path: str
    value: Any
    message: str

    def __str__(self) -> str:
        where = self.path or "<scenario>"
        if self.value is MISSING:
            return f"{where}: {self.message}"
        return f"{where} = {_show(self.value)}: {self.message}"


class ScenarioError(ValueError):
    """A scenario that cannot be loaded; one message line per problem.

    Attributes:
        problems: the problems found (empty for file-level errors such as bad YAML).
        source: the file, shipped name or ``<dict>`` that was loaded.
    """

    def __init__(self, message: str, problems: tuple[Problem, ...] = (), source: str = "") -> None:
        super().__init__(message)
        self.problems = problems
        self.source = source


def _show(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)  # 5000.0 and 5000 read the same, as the user wrote either
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


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


def _profile_kind(v: Any) -> str | None:
    keys = set(v) if isinstance(v, Mapping) else {k for k in ("shape", "csv") if hasattr(v, k)}
    has_shape, has_csv = "shape" in keys, "csv" in keys
    return "shape" if has_shape and not has_csv else "csv" if has_csv and not has_shape else None


Profile = Annotated[
    Annotated[ShapeProfile, Tag("shape")] | Annotated[CsvProfile, Tag("csv")],
    Discriminator(
        _profile_kind,
        custom_error_type="profile_kind",
        custom_error_message="a profile needs exactly one of 'shape' (a generated daily shape) "
        "or 'csv' (a metered series with 'column' and 'resolution_min')",
    ),
]
"""``{shape: ...}`` (:class:`ShapeProfile`) or ``{csv: ..., column: ...}`` (:class:`CsvProfile`)."""


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
    price_floor_per_mwh: float = -500.0
    """Lowest admissible price (currency/MWh): the EU day-ahead coupling's harmonised
    minimum."""
    price_cap_per_mwh: float = 4000.0
    """Highest admissible price (currency/MWh): the EU day-ahead harmonised maximum (2022);
    must exceed the floor."""
    imbalance_pricing: Literal["dual", "single"] = "dual"
    """'dual' (long parties get the lower, short parties pay the higher of forward and
    imbalance price) or 'single' (one imbalance price for all)."""
    value_of_lost_load_per_mwh: PositiveFloat = 6000.0
    """Cost of unserved energy (currency/MWh), > 0; GB's BSC uses 6000 GBP/MWh."""
    curtailment_cost_per_mwh: NonNegativeFloat = 0.0
    """Cost to the system of spilling surplus energy no reserve covers (currency/MWh), >= 0."""
    initial_price_per_mwh: float = 50.0
    """Reference price before the first trade (currency/MWh), between floor and cap."""
    grace_factor_frac: OpenFraction = 0.1
    """Performance verification, in [0, 1): a reserve provider delivering at least
    (1 - grace) of the activated energy keeps its full availability payment."""
    zones: PositiveInt = 1
    """Number of price zones (>= 1); every participant's zone is below it. For future use."""

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
    capacity_mw: PositiveFloat
    """Maximum output (MW), > 0."""
    min_stable_mw: NonNegativeFloat
    """Minimum stable output while on (MW), in [0, capacity_mw]."""
    marginal_cost_per_mwh: float
    """Fuel, carbon and variable O&M cost of one more MWh (currency/MWh)."""
    startup_cost: NonNegativeFloat = 0.0
    """Cost of one start (currency per start), >= 0."""
    ramp_mw_per_min: PositiveFloat
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
    capacity_mw: PositiveFloat
    """Installed capacity (MW), > 0."""
    marginal_cost_per_mwh: float = 0.0
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
    power_mw: PositiveFloat
    """Largest charge or discharge power (MW), > 0."""
    energy_mwh: PositiveFloat
    """Usable energy capacity (MWh), > 0."""
    round_trip_efficiency_frac: PositiveFraction
    """Energy out / energy in over a full cycle, in (0, 1]."""
    initial_soc_frac: Fraction
    """State of charge at the start (fraction of energy_mwh), in [min_soc_frac, max_soc_frac]."""
    min_soc_frac: Fraction = 0.0
    """Lowest allowed state of charge (fraction of energy_mwh), below max_soc_frac."""
    max_soc_frac: Fraction = 1.0
    """Highest allowed state of charge (fraction of energy_mwh)."""
    degradation_cost_per_mwh: NonNegativeFloat = 0.0
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
    peak_mw: PositiveFloat
    """Peak demand (MW), > 0; the expected load is the profile scaled to it."""
    value_per_mwh: PositiveFloat
    """Willingness to pay for energy (currency/MWh), > 0."""
    profile: Profile | None = None
    """Expected load; None: the generated shape named by profile_type."""
    forecast_error: ForecastError
    """Forecast error of the load (std as a fraction of peak_mw)."""
    flexible_frac: Fraction = 0.0
    """Share of the load it can curtail or shift as demand response, in [0, 1]."""
    zone: NonNegativeInt = 0
    """Price zone, < market.zones."""

    @property
    def load_profile(self) -> ShapeProfile | CsvProfile:
        """The profile in force: ``profile`` or the generated shape of ``profile_type``."""
        return self.profile if self.profile is not None else ShapeProfile(shape=self.profile_type)


# --------------------------------------------------------------------------- broker


class Broker(_Model):
    """The balancing authority's rule-of-thumb parameters."""

    reserve_z: NonNegativeFloat = 2.0
    """Default reserve rule: reserve (MW) = z x the standard deviation of the system's
    forecast error; >= 0."""
    max_availability_price_per_mw_h: NonNegativeFloat = 100.0
    """Most the broker pays to hold reserve (currency per MW per hour), >= 0."""
    max_utilisation_price_per_mwh: float | None = None
    """Most the broker pays for activated reserve energy (currency/MWh), within the price
    bounds; None (the default) becomes market.price_cap_per_mwh on loading."""


Participant = ThermalProducer | WindProducer | SolarProducer | StorageProducer | Consumer
"""Any producer or consumer."""

# --------------------------------------------------------------------------- scenario


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
            else:
                profile, size = getattr(x, "profile", None), getattr(x, "capacity_mw", 0.0)
            if isinstance(profile, CsvProfile):
                try:  # read and check the file now, so a bad series fails at load time
                    profile_series(profile, m.n_periods, m.period_min, None, size)
                except ProfileError as exc:
                    p.append((f"{path}.profile.csv", str(profile.csv), str(exc)))
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


# --------------------------------------------------------------------------- formatting

_TAGS: dict[str, type[BaseModel]] = {
    "thermal": ThermalProducer,
    "wind": WindProducer,
    "solar": SolarProducer,
    "storage": StorageProducer,
    "shape": ShapeProfile,
    "csv": CsvProfile,
}


def _strip(tp: Any) -> Any:
    """Remove Annotated and Optional wrappers from a type."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, type(int | None)):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _walk(loc: tuple[str | int, ...]) -> tuple[str, Any]:
    """Readable path of a pydantic error location, and the type found there.

    Union tags (``thermal``, ``csv``, ...) that pydantic inserts are dropped from the path.
    """
    tp: Any = Scenario
    path = ""
    for item in loc:
        tp = _strip(tp) if tp is not None else None
        if isinstance(item, int):
            path += f"[{item}]"
            args = get_args(tp) if tp is not None else ()
            tp = args[0] if args else None
            continue
        if isinstance(tp, type) and issubclass(tp, BaseModel) and item in tp.model_fields:
            tp = tp.model_fields[item].annotation
        elif tp is not None and get_origin(tp) in (Union, type(int | None)) and item in _TAGS:
            tp = _TAGS[item]
            continue
        else:
            tp = None
        path += f".{item}" if path else str(item)
    return path, tp


def _join(path: str, field: str) -> str:
    return f"{path}.{field}" if path and field else path or field


def _problems(err: ValidationError) -> tuple[Problem, ...]:
    out: list[Problem] = []
    for e in err.errors(include_url=False):
        loc = tuple(e["loc"])
        kind = e["type"]
        ctx = e.get("ctx") or {}
        value = e.get("input", MISSING)
        path, _ = _walk(loc)
        if kind == "elecbay_checks":
            out.extend(Problem(_join(path, f), v, m) for f, v, m in ctx["problems"])
        elif kind == "missing":
            out.append(Problem(path, MISSING, "required field is missing"))
        elif kind == "extra_forbidden":
            _, parent = _walk(loc[:-1])
            parent = _strip(parent)
            message = "unknown field"
            if isinstance(parent, type) and issubclass(parent, BaseModel):
                fields = list(parent.model_fields)
                close = difflib.get_close_matches(str(loc[-1]), fields, n=1)
                if close:
                    message += f" (did you mean {close[0]!r}?)"
                message += f"; allowed: {', '.join(fields)}"
            out.append(Problem(path, value, message))
        elif kind in ("union_tag_invalid", "union_tag_not_found"):
            tag = ctx.get("tag", MISSING)
            allowed = ", ".join(PRODUCER_TYPES)
            msg = (
                "unknown asset type" if kind == "union_tag_invalid" else "required field is missing"
            )
            out.append(Problem(_join(path, "type"), tag, f"{msg}; allowed: {allowed}"))
        else:
            out.append(Problem(path, value, e["msg"]))
    return tuple(out)


def _error(source: str, problems: tuple[Problem, ...]) -> ScenarioError:
    n = len(problems)
    lines = [f"invalid scenario {source} ({n} problem{'s' if n != 1 else ''}):"]
    lines += [f"  {p}" for p in problems]
    return ScenarioError("\n".join(lines), problems, source)


# --------------------------------------------------------------------------- loading


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses duplicate keys instead of keeping the last."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            mark = key_node.start_mark
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", mark)
        out[key] = loader.construct_object(value_node, deep=True)
    return out


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


_SCENARIO_KEYS = frozenset({"market", "producers", "consumers", "broker"})


def shipped_scenarios() -> list[str]:
    """Names of the scenarios shipped in ``configs/`` (package ``elecbay_configs``).

    A shipped YAML file is a scenario when its top level has at least one of ``market``,
    ``producers``, ``consumers`` or ``broker``; other YAML there (``demo_book.yaml``, an
    order book for ``elecbay clear``) is skipped. A file that is not valid YAML is listed,
    so that loading it reports the error.
    """
    names = []
    for item in resources.files(_CONFIG_PACKAGE).iterdir():
        if not item.name.endswith(".yaml"):
            continue
        try:
            data = yaml.safe_load(item.read_text(encoding="utf-8"))
        except yaml.YAMLError:
            data = dict.fromkeys(_SCENARIO_KEYS)
        if isinstance(data, dict) and _SCENARIO_KEYS & set(data):
            names.append(item.name[: -len(".yaml")])
    return sorted(names)


def _parse_yaml(text: str, origin: str) -> dict[str, Any]:
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"{origin}: YAML error{where}: {problem}", source=origin) from None
    if data is None:
        raise ScenarioError(f"{origin}: empty scenario file", source=origin)
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{origin}: the top level must be a mapping of fields (name, market, producers, "
            f"consumers, broker), not a {type(data).__name__}",
            source=origin,
        )
    return data


def _read_source(source: Any) -> tuple[dict[str, Any], str, Path | None]:
    """Return (raw data, origin for messages, folder relative CSV paths start from)."""
    if source is None:
        source = "default"
    if isinstance(source, Scenario):
        return source.model_dump(mode="json"), repr(source.name), None
    if isinstance(source, Mapping):
        return copy.deepcopy(dict(source)), "<dict>", None
    if not isinstance(source, str | os.PathLike):
        raise ScenarioError(
            f"scenario source must be a shipped name, a YAML path or a dict, not "
            f"{type(source).__name__}"
        )
    text = os.fspath(source)
    is_name = isinstance(source, str) and re.fullmatch(r"[A-Za-z0-9_\-]+", text) is not None
    if is_name:
        resource = resources.files(_CONFIG_PACKAGE).joinpath(f"{text}.yaml")
        if resource.is_file():
            base = Path(str(resource)).parent if isinstance(resource, Path) else None
            return _parse_yaml(resource.read_text(encoding="utf-8"), f"'{text}'"), f"'{text}'", base
    path = Path(text)
    origin = f"'{path}'"
    if not path.is_file():
        hint = f" and no shipped scenario of that name (shipped: {', '.join(shipped_scenarios())})"
        raise ScenarioError(
            f"scenario file {origin} not found{hint if is_name else ''}", source=origin
        )
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{origin}: cannot read scenario file: {exc}", source=origin) from None
    return _parse_yaml(raw, origin), origin, path.resolve().parent


def _split_key(key: str) -> list[str | int]:
    parts: list[str | int] = []
    for token in re.findall(r"[^.\[\]]+|\[\d+\]", key):
        parts.append(int(token[1:-1]) if token.startswith("[") else token)
    return [int(p) if isinstance(p, str) and p.isdigit() else p for p in parts]


def _merge(target: dict[str, Any], update: Mapping[str, Any]) -> None:
    for k, v in update.items():
        if isinstance(v, Mapping) and isinstance(target.get(k), dict):
            _merge(target[k], v)
        else:
            target[k] = copy.deepcopy(v)


def _apply_override(data: dict[str, Any], key: str, value: Any) -> None:
    """Set ``key`` (dotted, list indices as numbers) in ``data``; merge a mapping value."""
    parts = _split_key(key)
    if not parts:
        raise ScenarioError(f"override {key!r}: empty key")
    node: Any = data
    for depth, part in enumerate(parts):
        where = ".".join(str(q) for q in parts[:depth]) or "<scenario>"
        if isinstance(node, list):
            if not isinstance(part, int) or not -len(node) <= part < len(node):
                raise ScenarioError(
                    f"override {key!r}: {where} is a list of {len(node)} entries; "
                    f"{part!r} is not an index into it"
                )
        elif isinstance(node, dict):
            part = str(part)
        else:
            raise ScenarioError(f"override {key!r}: {where} is a {type(node).__name__}")
        if depth == len(parts) - 1:
            break
        if isinstance(node, dict) and not isinstance(node.get(part), dict | list):
            node[part] = {}
        node = node[part]
    current = node[part] if isinstance(node, list) else node.get(part)
    if isinstance(value, Mapping) and isinstance(current, dict):
        _merge(current, value)
    else:
        node[part] = copy.deepcopy(value)


def load_scenario(
    source: str | os.PathLike[str] | Mapping[str, Any] | Scenario | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    base_dir: str | os.PathLike[str] | None = None,
    **kw_overrides: Any,
) -> Scenario:
    """Load, override and validate a scenario.

    Args:
        source: ``None`` (the shipped ``default``), the name of a shipped scenario (see
            :func:`shipped_scenarios`), a path to a YAML file, a dict of fields, or a
            :class:`Scenario` (re-validated with the overrides).
        overrides: dotted keys (``{"market.days": 2}``, ``{"producers.0.capacity_mw": 500}``
            or ``{"producers[0].capacity_mw": 500}``) or nested dicts
            (``{"market": {"days": 2}}``, merged into the existing mapping). Lists are
            replaced whole unless indexed.
        base_dir: folder relative CSV profile paths start from; default: the YAML file's
            folder, or the working directory for a dict.
        **kw_overrides: more overrides, applied after ``overrides``:
            ``load_scenario("small", **{"market.days": 2})`` or
            ``load_scenario("small", market={"days": 2})``.

    Returns:
        The validated, frozen scenario. CSV profile paths are absolute and their files
        have been read and checked.

    Raises:
        ScenarioError: a missing or unreadable file, a YAML error, a bad override, or one
            line per invalid field naming its path, value and the allowed range or values.
    """
    data, origin, found_dir = _read_source(source)
    for key, value in {**(overrides or {}), **kw_overrides}.items():
        _apply_override(data, key, value)
    folder = Path(base_dir) if base_dir is not None else found_dir or Path.cwd()
    try:
        return Scenario.model_validate(data, context={"base_dir": folder})
    except ValidationError as exc:
        raise _error(origin, _problems(exc)) from None
