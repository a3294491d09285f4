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

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from .profiles import ProfileError, profile_series
from .registration import warn_never_qualify
from .schema_constraints import DistributionConstraint, constraint_problems
from .schema_day_ahead import DayAhead
from .schema_fields import (
    MAX_ENERGY_MWH,
    MAX_EPISODE_PERIODS,
    MAX_MONEY,
    MAX_POWER_MW,
    MAX_PRICE_PER_MWH,
    MINUTES_PER_DAY,
    BidSteps,
    DayMinutes,
    Fraction,
    NonNegativeEnergy,
    NonNegativePrice,
    OpenFraction,
    PositiveEnergy,
    PositiveInt,
    PositivePrice,
    Price,
    _bounded,
    _check,
    _Model,
    _num,
)
from .schema_flexibility import Flexibility, flexibility_problems
from .schema_network import Border, border_problems
from .schema_participants import (
    PRODUCER_TYPES,
    Broker,
    Consumer,
    Participant,
    Producer,
    SolarProducer,
    StorageProducer,
    ThermalProducer,
    WindProducer,
)
from .schema_participation import OptionsMarket, Prequalification
from .schema_profiles import (
    CsvProfile,
    DataProfile,
    DataSource,
    ForecastError,
    PriceIndex,
    Profile,
    ShapeProfile,
)

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
    day_ahead: DayAhead | None = None
    """A day-ahead auction before the per-period one (docs/day_ahead.md); None (the
    default): the single-settlement market."""
    prequalification: Prequalification | None = None
    """Pre-qualification rules per service (docs/participation.md); None (the default):
    no checks."""
    options: OptionsMarket | None = None
    """Bilateral options on power (docs/participation.md); None (the default): none."""

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
    distribution_constraints: tuple[DistributionConstraint, ...] = ()
    """Distribution constraints with active network management (docs/flexibility.md);
    empty (the default): none."""
    data: DataSource | None = None
    """Real data: episodes start on its dates and ``{data: column}`` profiles read it;
    None (the default): generated or CSV profiles only, every episode alike."""
    flexibility: Flexibility | None = None
    """Flexibility services the operator buys (docs/flexibility.md); None: none."""

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
        p += flexibility_problems(self)
        warn_never_qualify(self)
        p += constraint_problems(self)
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
