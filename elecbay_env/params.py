"""Read-only market parameters, built once from a validated scenario.

:class:`MarketParams` is a named tuple of arrays (kernels take it as it is). Every
per-participant field has shape (E, N): E markets, N rows in agent-id order
(:mod:`elecbay_env.roles`), so markets in one batch may differ. Nothing derived is
stored beside its source, except where a kernel needs the derived form only
(``eff``, the one-way efficiency ``sqrt(round_trip)``; ``soc_*_mwh`` from fractions).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from .constraint_params import constraint_fields, empty_fields
from .kernels import kinds
from .kernels.balancing import SCHEMES
from .roles import agent_ids
from .zonal import Network, network

if TYPE_CHECKING:
    from .config import Scenario


_ANM_OFF = empty_fields()


class MarketParams(NamedTuple):
    """Parameters of E markets. Units in the names; shapes in the comments."""

    kind: np.ndarray  # (E, N) int64 asset kind, see kernels/kinds.py
    cap_mw: np.ndarray  # (E, N) capacity; storage power; consumer peak load
    min_stable_mw: np.ndarray  # (E, N) thermal minimum stable output
    cost_per_mwh: np.ndarray  # (E, N) marginal cost; storage degradation per MWh moved
    startup_cost: np.ndarray  # (E, N) currency per start
    ramp_mw_per_min: np.ndarray  # (E, N) thermal ramp rate
    min_run: np.ndarray  # (E, N) int64 minimum run time, periods
    min_off: np.ndarray  # (E, N) int64 minimum off time, periods
    outage_prob: np.ndarray  # (E, N) forced-outage probability per running period
    outage_periods: np.ndarray  # (E, N) int64 outage duration, periods
    soc_min_mwh: np.ndarray  # (E, N) storage energy bounds
    soc_max_mwh: np.ndarray  # (E, N)
    eff: np.ndarray  # (E, N) storage one-way efficiency, sqrt(round trip)
    value_per_mwh: np.ndarray  # (E, N) consumer value of energy
    shifted_value_per_mwh: np.ndarray  # (E, N) consumer value of instructed extra energy
    flexible_frac: np.ndarray  # (E, N) consumer flexible share of load
    err_std: np.ndarray  # (E, N) relative forecast-error standard deviation
    err_ar1: np.ndarray  # (E, N) AR(1) persistence of the forecast error
    forecast_mw: np.ndarray  # (N, T_src) expected available MW (renewables) / load
    data_row: np.ndarray  # (E, N) int64 1: the row follows the dataset (real values)
    init_on: np.ndarray  # (E, N) int64 thermal on at the start
    init_level_mw: np.ndarray  # (E, N) net injection at the start
    init_soc_mwh: np.ndarray  # (E, N)
    k: np.ndarray  # (E,) price position in the supporting interval
    price_floor: np.ndarray  # (E,) currency per MWh
    price_cap: np.ndarray  # (E,)
    voll_per_mwh: np.ndarray  # (E,) value of lost load
    curtailment_cost_per_mwh: np.ndarray  # (E,)
    grace_frac: np.ndarray  # (E,) performance-verification grace factor
    initial_price: np.ndarray  # (E,) reference price before the first trade
    dmat_mwh: np.ndarray  # (E,) balancing actions below it do not set the price
    par_mwh: np.ndarray  # (E,) volume the imbalance price averages over
    pay_as_bid: bool
    imbalance_scheme: int  # a code of kernels.balancing.SCHEMES
    residual_reallocation: bool  # imbalance cash back to the parties (cost-neutral broker)
    period_min: int
    meter_min: int
    ramp_min: int  # minutes a contract profile ramps from the previous position
    bid_steps: int
    episode_periods: int  # T, periods in an episode (T_src >= T with a dataset)
    zone: np.ndarray  # (E, N) int64 price zone of each row (the broker's is 0)
    cap_forward_mw: np.ndarray  # (E, B) border limit from border_from to border_to
    cap_backward_mw: np.ndarray  # (E, B) border limit back
    n_zones: int  # Z, price zones (1: the single national market)
    # the radial network of Z zones and B borders as elecbay_env.zonal.Network lays it out
    # (flat: a parallel kernel takes no nested tuples); one zone, no borders: national
    net_border_from: np.ndarray  # (B,) int64
    net_border_to: np.ndarray  # (B,) int64
    net_isolated: np.ndarray  # (Z,) bool
    net_bfs: np.ndarray  # (Z,) int64
    net_parent: np.ndarray  # (Z,) int64
    net_p_border: np.ndarray  # (Z,) int64
    net_p_dir: np.ndarray  # (Z,) int64
    net_child_ptr: np.ndarray  # (Z + 1,) int64
    net_children: np.ndarray  # (Z - 1,) int64
    # the day-ahead market (docs/day_ahead.md); da_slots == 0: off, single settlement
    da_slots: int = 0  # S = 2 x periods per day: a ring of day-ahead positions by t % S
    da_gate: int = 0  # period of the day whose action is the day-ahead curve
    da_shape: bool = True  # spread a curve by each row's forecast shape over the day
    # distribution constraints (docs/flexibility.md); n_constraints == 0: off
    n_constraints: int = 0  # K
    anm_dir: np.ndarray = _ANM_OFF["anm_dir"]  # (E, K) +1 export, -1 import
    anm_limit_mw: np.ndarray = _ANM_OFF["anm_limit_mw"]  # (E, K, T)
    anm_member: np.ndarray = _ANM_OFF["anm_member"]  # (E, K, T, N) int64 1: behind it
    anm_nonfirm: np.ndarray = _ANM_OFF["anm_nonfirm"]  # (E, N) int64 1: may be curtailed
    anm_rank: np.ndarray = _ANM_OFF["anm_rank"]  # (E, N) int64 place in the order, 0 first
    anm_pro_rata: np.ndarray = _ANM_OFF["anm_pro_rata"]  # (E, K) int64 1: pro rata
    anm_comp: np.ndarray = _ANM_OFF["anm_comp"]  # (E, K) compensation per MWh curtailed

    @property
    def n_markets(self) -> int:
        """E."""
        return self.kind.shape[0]

    @property
    def n_rows(self) -> int:
        """N, broker included."""
        return self.kind.shape[1]

    @property
    def n_periods(self) -> int:
        """T, periods in an episode."""
        return self.episode_periods

    @property
    def n_borders(self) -> int:
        """B, borders between zones."""
        return self.net_border_from.shape[0]

    @property
    def net(self) -> Network:
        """The network as :func:`elecbay_env.zonal.network` returns it."""
        return Network(self.n_zones, *(getattr(self, f"net_{k}") for k in Network._fields[1:]))

    @property
    def n_meters(self) -> int:
        """M, meter reads a period."""
        return self.period_min // self.meter_min

    @property
    def period_h(self) -> float:
        """Hours in a period."""
        return self.period_min / 60.0

    @property
    def meter_h(self) -> float:
        """Hours in a meter interval."""
        return self.meter_min / 60.0


def source_periods(scenario: Scenario) -> int:
    """T_src, columns of the forecast table: the dataset's periods, or one episode's."""
    if scenario.data is None:
        return scenario.market.n_periods
    from .datasets import load_dataset

    ds = load_dataset(scenario.data.csv, scenario.data.time_column)
    return ds.n_days * scenario.market.periods_per_day


def _series(scenario: Scenario, profile: Any, n_periods: int, size_mw: float) -> np.ndarray:
    from .datasets import load_dataset
    from .profiles import data_series, profile_series
    from .schema import DataProfile

    market = scenario.market
    if isinstance(profile, DataProfile):
        assert scenario.data is not None
        ds = load_dataset(scenario.data.csv, scenario.data.time_column)
        return data_series(profile, ds, market.period_min, size_mw)
    return profile_series(profile, n_periods, market.period_min, None, size_mw)


def _row_fields(scenario: Scenario) -> tuple[list[dict], np.ndarray]:
    """Per-row parameter values and the (N, T_src) forecast table."""
    from .profiles import daily_shape
    from .schema import DataProfile

    market = scenario.market
    n_periods = source_periods(scenario)
    rows: list[dict] = []
    forecasts: list[np.ndarray] = []
    zero = np.zeros(n_periods)
    for p in scenario.producers:
        row = dict.fromkeys(_ROW_KEYS, 0.0)
        row.update(min_run=1, min_off=1, outage_periods=1, eff=1.0, init_on=0)
        if p.type == "thermal":
            row.update(
                kind=kinds.THERMAL, cap_mw=p.capacity_mw, min_stable_mw=p.min_stable_mw,
                cost_per_mwh=p.marginal_cost_per_mwh, startup_cost=p.startup_cost,
                ramp_mw_per_min=p.ramp_mw_per_min, min_run=p.min_run_periods,
                min_off=p.min_off_periods, outage_prob=p.forced_outage_prob_per_period,
                outage_periods=p.outage_duration_periods, init_on=int(p.initial_on),
                init_level_mw=(p.initial_output_frac * p.capacity_mw if p.initial_on else 0.0),
            )  # fmt: skip
            forecasts.append(zero)
        elif p.type in ("wind", "solar"):
            row.update(
                kind=kinds.WIND if p.type == "wind" else kinds.SOLAR, cap_mw=p.capacity_mw,
                cost_per_mwh=p.marginal_cost_per_mwh, err_std=p.forecast_error.std_frac,
                err_ar1=p.forecast_error.ar1,
            )  # fmt: skip
            row["data_row"] = int(isinstance(p.profile, DataProfile))
            forecasts.append(_series(scenario, p.profile, n_periods, p.capacity_mw))
        elif p.type == "storage":
            row.update(
                kind=kinds.STORAGE, cap_mw=p.power_mw,
                cost_per_mwh=p.degradation_cost_per_mwh,
                soc_min_mwh=p.min_soc_frac * p.energy_mwh,
                soc_max_mwh=p.max_soc_frac * p.energy_mwh,
                eff=float(np.sqrt(p.round_trip_efficiency_frac)),
                init_soc_mwh=p.initial_soc_frac * p.energy_mwh,
            )  # fmt: skip
            forecasts.append(zero)
        else:  # pragma: no cover - the schema admits no other type
            raise ValueError(f"producer {p.name!r}: unknown type {p.type!r}")
        rows.append(row)
    for c in scenario.consumers:
        row = dict.fromkeys(_ROW_KEYS, 0.0)
        row.update(
            kind=kinds.CONSUMER, cap_mw=c.peak_mw, value_per_mwh=c.value_per_mwh,
            shifted_value_per_mwh=c.shifted_value_per_mwh,
            flexible_frac=c.flexible_frac, err_std=c.forecast_error.std_frac,
            err_ar1=c.forecast_error.ar1, min_run=1, min_off=1, outage_periods=1, eff=1.0,
            init_on=0,
        )  # fmt: skip
        if c.profile is None:
            shape = daily_shape(c.profile_type, market.periods_per_day)
            series = np.resize(shape, n_periods) * c.peak_mw
        else:
            series = _series(scenario, c.profile, n_periods, c.peak_mw)
        row["data_row"] = int(isinstance(c.profile, DataProfile))
        row["init_level_mw"] = -float(series[0])
        forecasts.append(series)
        rows.append(row)
    broker = dict.fromkeys(_ROW_KEYS, 0.0)
    broker.update(kind=kinds.BROKER, min_run=1, min_off=1, outage_periods=1, eff=1.0, init_on=0)
    rows.append(broker)
    forecasts.append(zero)
    return rows, np.asarray(forecasts, dtype=np.float64)


_ROW_KEYS = (
    "kind", "cap_mw", "min_stable_mw", "cost_per_mwh", "startup_cost", "ramp_mw_per_min",
    "min_run", "min_off", "outage_prob", "outage_periods", "soc_min_mwh", "soc_max_mwh", "eff",
    "value_per_mwh", "shifted_value_per_mwh", "flexible_frac", "err_std", "err_ar1", "init_on",
    "init_level_mw", "init_soc_mwh", "data_row",
)  # fmt: skip
_INT_KEYS = {"kind", "min_run", "min_off", "outage_periods", "init_on", "data_row"}
_EPISODE_KEYS = {"cost_per_mwh", "value_per_mwh", "shifted_value_per_mwh"}
"""Writable: the engine sets them per episode when the scenario has a price index."""


def build_params(scenario: Scenario, n_markets: int = 1) -> MarketParams:
    """Arrays of E identical markets from a validated scenario (read-only).

    Args:
        scenario: a validated :class:`elecbay_env.config.Scenario`.
        n_markets: E, the number of markets in the batch (>= 1).
    """
    if not isinstance(n_markets, int | np.integer) or n_markets < 1:
        raise ValueError(f"n_markets={n_markets!r}: allowed range is integers >= 1")
    rows, forecast = _row_fields(scenario)
    market = scenario.market
    fields: dict[str, object] = {}
    for key in _ROW_KEYS:
        dtype = np.int64 if key in _INT_KEYS else np.float64
        row = np.array([r[key] for r in rows], dtype=dtype)
        fields[key] = np.repeat(row[None, :], n_markets, axis=0)
    per_market = {
        "k": market.k,
        "price_floor": market.price_floor_per_mwh,
        "price_cap": market.price_cap_per_mwh,
        "voll_per_mwh": market.value_of_lost_load_per_mwh,
        "curtailment_cost_per_mwh": market.curtailment_cost_per_mwh,
        "grace_frac": market.grace_factor_frac,
        "initial_price": market.initial_price_per_mwh,
        "dmat_mwh": market.dmat_mwh,
        "par_mwh": market.par_mwh,
    }
    for key, value in per_market.items():
        fields[key] = np.full(n_markets, float(value))
    forecast.setflags(write=False)
    fields["forecast_mw"] = forecast
    for key, value in fields.items():
        if isinstance(value, np.ndarray) and key not in _EPISODE_KEYS:
            value.setflags(write=False)
    fields.update(_network_fields(scenario, n_markets))
    return MarketParams(
        **fields,
        pay_as_bid=market.pricing == "pay_as_bid",
        imbalance_scheme=SCHEMES.index(market.imbalance_pricing),
        residual_reallocation=bool(market.residual_reallocation),
        period_min=int(market.period_min),
        meter_min=int(market.meter_interval_min),
        ramp_min=int(market.ramp_min),
        bid_steps=int(market.bid_steps),
        episode_periods=int(market.n_periods),
        **_day_ahead_fields(scenario),
        **constraint_fields(scenario, n_markets),
    )


def _day_ahead_fields(scenario: Scenario) -> dict[str, object]:
    """The day-ahead ring size and gate period; zero slots when the market has none."""
    market = scenario.market
    da = market.day_ahead
    if da is None:
        return {"da_slots": 0, "da_gate": 0, "da_shape": True}
    return {
        "da_slots": 2 * market.periods_per_day,
        "da_gate": da.gate_hour * 60 // market.period_min,
        "da_shape": bool(da.shape),
    }


def _network_fields(scenario: Scenario, n_markets: int) -> dict[str, object]:
    """Zones of the rows, border limits (E, B) and the checked network."""
    market = scenario.market
    zones = [x.zone for x in scenario.participants] + [0]  # the broker is national
    borders = scenario.borders
    net = network(market.zones, [b.from_zone for b in borders], [b.to_zone for b in borders])
    out: dict[str, object] = {
        "zone": np.repeat(np.array(zones, np.int64)[None, :], n_markets, axis=0),
        "cap_forward_mw": np.repeat(
            np.array([[b.forward_mw for b in borders]], np.float64).reshape(1, -1), n_markets, 0
        ),
        "cap_backward_mw": np.repeat(
            np.array([[b.backward_mw for b in borders]], np.float64).reshape(1, -1), n_markets, 0
        ),
        "n_zones": int(net.n_zones),
    }
    for key in Network._fields[1:]:
        out[f"net_{key}"] = getattr(net, key)
    for value in out.values():
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
    return out


def agents_of(scenario: Scenario) -> list[str]:
    """Agent ids of a scenario in row order."""
    return agent_ids(len(scenario.producers), len(scenario.consumers))
