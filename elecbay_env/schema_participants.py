"""Scenario models of the market's participants: producers, consumers and the broker.

Producers are told apart by their ``type`` (:data:`Producer`: thermal, wind, solar or
storage); a :class:`Consumer` is a load with a value of energy; the :class:`Broker`
holds the balancing authority's reserve rule. Powers in MW, energies in MWh, prices in
currency per MWh (see :mod:`elecbay_env.schema_fields` for the ranges). Re-exported
from :mod:`elecbay_env.schema`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from .schema_constraints import ConnectionDate, Firm
from .schema_fields import (
    MAX_MONEY,
    Fraction,
    NonNegativeInt,
    NonNegativePower,
    NonNegativePrice,
    OpenFraction,
    PositiveEnergy,
    PositiveFraction,
    PositiveInt,
    PositivePower,
    PositivePrice,
    Price,
    _bounded,
    _check,
    _Model,
    _num,
)
from .schema_participation import RiskLimits
from .schema_profiles import CsvProfile, DataProfile, ForecastError, Profile, ShapeProfile

__all__ = [
    "PRODUCER_TYPES",
    "Broker",
    "Consumer",
    "Participant",
    "Producer",
    "SolarProducer",
    "StorageProducer",
    "ThermalProducer",
    "WindProducer",
]

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
    connection_date: ConnectionDate = None
    firm: Firm = True
    risk: RiskLimits | None = None
    """Risk limits on its orders (docs/participation.md); None: none."""

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
    connection_date: ConnectionDate = None
    firm: Firm = True
    risk: RiskLimits | None = None
    """Risk limits on its orders (docs/participation.md); None: none."""


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
    connection_date: ConnectionDate = None
    firm: Firm = True
    risk: RiskLimits | None = None
    """Risk limits on its orders (docs/participation.md); None: none."""

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
    connection_date: ConnectionDate = None
    firm: Firm = True
    risk: RiskLimits | None = None
    """Risk limits on its orders (docs/participation.md); None: none."""

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
