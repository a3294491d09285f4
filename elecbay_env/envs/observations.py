"""Observations: what each agent may know before gate closure, as float32 rows.

:func:`observe` turns the engine's state into an (E, N, F) array: row ``i`` is agent
``i``'s observation, padded to the widest role. Traders (producers and consumers)
see public market information and their own private asset data; the broker sees
public information and system aggregates. No agent sees another's costs, values,
state of charge or position. Every value is clipped into its documented bounds
(:func:`feature_bounds`), so observations always lie in the space.

Features, in order: ``TRADER_FEATURES`` (producers and consumers) and
``BROKER_FEATURES``, then, in a scenario with zones only, each role's zone features
(:mod:`.zone_observations`; :func:`feature_names` lists them all);
``FEATURE_MEANINGS`` and ``FEATURE_UNITS`` say what each means and its unit, and
:func:`observation_table` writes the tables of docs/environment.md from them (bounds
computed from the scenario).
"""

from __future__ import annotations

import numpy as np

from ..kernels import kinds
from ..kernels.observe import ERR_CLIP, observe_markets, observe_markets_serial
from ..params import MarketParams
from ..state import MarketState
from .codecs import STEP_SLACK
from .constraint_observations import MEANINGS as ANM_MEANINGS
from .constraint_observations import add_constraints, constraint_bounds, constraint_feature_names
from .day_ahead_observations import MEANINGS as DA_MEANINGS
from .day_ahead_observations import add_day_ahead, day_ahead_bounds, day_ahead_feature_names
from .zone_observations import widen, zone_feature_bounds, zone_feature_names, zone_meaning

TRADER_FEATURES = (
    "time_sin", "time_cos", "progress", "last_price", "last_imbalance_price", "last_niv",
    "demand_forecast", "renewable_forecast", "own_forecast", "own_capacity",
    "own_cost_or_value", "own_min_stable", "own_level", "own_headroom", "own_soc",
    "own_hours_run", "own_outage_left", "own_on", "own_last_contract", "own_last_imbalance",
    "own_last_error", "own_kind", "own_startup_cost", "own_energy", "own_round_trip",
    "own_flexible", "own_ramp", "own_hours_off",
)  # fmt: skip
BROKER_FEATURES = (
    "time_sin", "time_cos", "progress", "last_price", "last_imbalance_price", "last_niv",
    "demand_forecast", "renewable_forecast", "forecast_error_std", "thermal_available",
    "last_unserved", "last_curtailed", "last_activated_up", "last_activated_down",
    "value_of_lost_load", "largest_infeed", "net_demand_ramp",
)  # fmt: skip
N_FEATURES = max(len(TRADER_FEATURES), len(BROKER_FEATURES))
_ERR_CLIP = ERR_CLIP


def feature_names(params: MarketParams, role: str) -> tuple[str, ...]:
    """Every feature of ``role`` in order: the role's own, then its zone features."""
    own = TRADER_FEATURES if role == "trader" else BROKER_FEATURES
    return (
        own
        + zone_feature_names(params, role)
        + day_ahead_feature_names(params, role)
        + constraint_feature_names(params, role)
    )


def n_features(params: MarketParams) -> int:
    """F, the padded width of the (E, N, F) observations of this scenario."""
    return max(len(feature_names(params, r)) for r in ("trader", "broker"))


def _scales(params: MarketParams) -> dict[str, float]:
    """Scenario-wide magnitudes the bounds are built from."""
    kind = params.kind[0]
    cap = params.cap_mw[0]
    consumer = kind == kinds.CONSUMER
    renewable = (kind == kinds.WIND) | (kind == kinds.SOLAR)
    peak_load = float(params.forecast_mw[consumer].sum(axis=0).max(initial=0.0))
    system_mw = float(cap.sum()) + peak_load
    return {
        "floor": float(params.price_floor.min()),
        "cap": float(params.price_cap.max()),
        "system_mwh": 2.0 * system_mw * params.period_h,
        "demand_mw": max(peak_load, 1.0),
        "renewable_mw": max(float(cap[renewable].sum()), 1.0),
        "row_mw": max(float(cap.max()), float(params.forecast_mw.max(initial=0.0)), 1.0),
        "value": max(float(params.value_per_mwh.max()), float(params.cost_per_mwh.max()), 1.0),
        "cost_lo": min(float(params.cost_per_mwh.min()), 0.0),
        # a unit on at the start counts its minimum run time as already done
        "hours": (params.n_periods + float(params.min_run.max(initial=0))) * params.period_h,
        "outage": float(max(params.outage_periods.max(), 1)),
        "startup": max(float(params.startup_cost.max()), 1.0),
        "voll": max(float(params.voll_per_mwh.max()), 1.0),
        "thermal_mw": max(float(cap[kind == kinds.THERMAL].sum()), 1.0),
        "energy": max(float((params.soc_max_mwh - params.soc_min_mwh).max()), 1.0),
        "ramp": max(float(params.ramp_mw_per_min.max()), 1.0),
        "hours_off": (params.n_periods + float(params.min_off.max(initial=0))) * params.period_h,
    }


def feature_bounds(params: MarketParams, role: str) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) float32 bounds of one role's features (``"trader"`` or ``"broker"``)."""
    s = _scales(params)
    # the forecast error of a load can push it above its expected value
    load_mw = s["row_mw"] * (1.0 + _ERR_CLIP)
    common = [
        (-1.0, 1.0), (-1.0, 1.0), (0.0, 1.0), (s["floor"], s["cap"]), (s["floor"], s["cap"]),
        (-s["system_mwh"], s["system_mwh"]), (0.0, s["demand_mw"]), (0.0, s["renewable_mw"]),
    ]  # fmt: skip
    if role == "trader":
        own = [
            (0.0, load_mw), (0.0, s["row_mw"]), (min(s["cost_lo"], s["floor"]), s["value"]),
            (0.0, s["row_mw"]), (-load_mw, s["row_mw"]), (0.0, s["row_mw"]), (0.0, 1.0),
            (0.0, s["hours"]), (0.0, s["outage"]), (0.0, 1.0),
            (-load_mw, STEP_SLACK * s["row_mw"]),
            (-load_mw * params.period_h * 2, load_mw * params.period_h * 2),
            (-_ERR_CLIP, _ERR_CLIP), (0.0, float(kinds.CONSUMER)), (0.0, s["startup"]),
            (0.0, s["energy"]), (0.0, 1.0), (0.0, 1.0), (0.0, s["ramp"]),
            (0.0, s["hours_off"]),
        ]  # fmt: skip
    elif role == "broker":
        mwh = s["system_mwh"]
        own = [
            (0.0, s["demand_mw"] + s["renewable_mw"]), (0.0, s["thermal_mw"]), (0.0, mwh),
            (0.0, mwh), (0.0, mwh), (0.0, mwh), (0.0, s["voll"]), (0.0, s["row_mw"]),
            (-s["demand_mw"] - s["renewable_mw"], s["demand_mw"] + s["renewable_mw"]),
        ]  # fmt: skip
    else:
        raise ValueError(f"role={role!r}: allowed values are 'trader', 'broker'")
    bounds = np.array(common + own, dtype=np.float64)
    z_lo, z_hi = zone_feature_bounds(params, role)
    d_lo, d_hi = day_ahead_bounds(params, role, -load_mw, STEP_SLACK * s["row_mw"])
    c_lo, c_hi = constraint_bounds(params, role)
    lo = np.concatenate([bounds[:, 0], z_lo, d_lo, c_lo])
    hi = np.concatenate([bounds[:, 1], z_hi, d_hi, c_hi])
    return lo.astype(np.float32), hi.astype(np.float32)


def row_bounds(params: MarketParams) -> tuple[np.ndarray, np.ndarray]:
    """(N, F) float32 low and high bounds of every row's (padded) features."""
    broker = params.kind[0] == kinds.BROKER
    lo = np.zeros((params.n_rows, n_features(params)), np.float32)
    hi = np.zeros((params.n_rows, n_features(params)), np.float32)
    for role, rows in (("trader", ~broker), ("broker", broker)):
        low, high = feature_bounds(params, role)
        lo[rows, : len(low)] = low
        hi[rows, : len(high)] = high
    return lo, hi


def observe(
    params: MarketParams,
    state: MarketState,
    bounds: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """(E, N, F) float32 observations of every agent for the coming period.

    Row ``i`` holds agent ``i``'s features (traders :data:`TRADER_FEATURES`, the
    broker :data:`BROKER_FEATURES`), zero-padded to F = :data:`N_FEATURES`.

    Args:
        params, state: the markets.
        bounds: :func:`row_bounds` of ``params`` (computed when None; pass them to
            save the work every period).
    """
    lo, hi = row_bounds(params) if bounds is None else bounds
    out = np.empty((params.n_markets, params.n_rows, N_FEATURES), np.float32)
    run = observe_markets if params.n_markets >= 64 else observe_markets_serial
    run(params, state, np.ascontiguousarray(lo[:, :N_FEATURES]),
        np.ascontiguousarray(hi[:, :N_FEATURES]), out)  # fmt: skip
    if params.n_zones > 1:
        out = widen(params, out, state, len(TRADER_FEATURES), len(BROKER_FEATURES), lo.shape[1])
    if params.da_slots > 0:
        starts = {
            r: len(feature_names(params, r)) - len(day_ahead_feature_names(params, r))
            for r in ("trader", "broker")
        }
        out = add_day_ahead(params, state, out, starts, (lo, hi))
    if params.n_constraints > 0:
        starts = {
            r: len(feature_names(params, r)) - len(constraint_feature_names(params, r))
            for r in ("trader", "broker")
        }
        out = add_constraints(params, state, out, starts, (lo, hi))
    return out


FEATURE_MEANINGS: dict[str, str] = {
    "time_sin": "sin(2 pi x time of day) of the period about to be traded",
    "time_cos": "cos(2 pi x time of day)",
    "progress": "periods elapsed / periods in the episode",
    "last_price": "last clearing price that traded (the reference)",
    "last_imbalance_price": "last period's imbalance price",
    "last_niv": "last period's net imbalance volume, + short",
    "demand_forecast": "public forecast of total load this period",
    "renewable_forecast": "public forecast of wind + solar this period",
    "own_forecast": "own available MW (renewable, thermal not in outage) or expected load",
    "own_capacity": "capacity / power rating / peak load",
    "own_cost_or_value": "marginal (or degradation) cost; a consumer's value",
    "own_min_stable": "thermal minimum stable output",
    "own_level": "own net injection in the last meter interval",
    "own_headroom": "MW it could still add above its level now",
    "own_soc": "storage state of charge / energy capacity",
    "own_hours_run": "thermal hours on in a row",
    "own_outage_left": "periods of forced outage still to run",
    "own_on": "thermal unit running",
    "own_last_contract": "last period's net forward position, + sold",
    "own_last_imbalance": "last period's own imbalance, metered - contracted - instructed",
    "own_last_error": "last realised relative forecast error (clipped to [-3, 3])",
    "own_kind": "asset kind code ("
    + ", ".join(f"{code} {name}" for code, name in enumerate(kinds.NAMES[: kinds.BROKER]))
    + ")",
    "own_startup_cost": "cost of one start",
    "own_energy": "storage energy it can hold between its bounds",
    "own_round_trip": "storage round-trip efficiency",
    "own_flexible": "consumer's flexible share of load",
    "own_ramp": "thermal ramp rate (0 for other kinds)",
    "own_hours_off": "thermal hours off in a row (0 while running)",
    "forecast_error_std": "sqrt(sum (std_frac x forecast)^2) over renewables and loads",
    "thermal_available": "capacity of thermal units not in outage",
    "last_unserved": "energy unserved last period",
    "last_curtailed": "surplus curtailed last period",
    "last_activated_up": "up reserve activated last period",
    "last_activated_down": "down reserve activated last period",
    "value_of_lost_load": "cost of unserved energy",
    "largest_infeed": "largest output of a thermal unit that can trip (single loss)",
    "net_demand_ramp": "change of (demand - renewable) forecast from the last period",
}
"""What each observation feature means (the Meaning column of docs/environment.md); the
asset-kind codes come from :mod:`elecbay_env.kernels.kinds`."""
FEATURE_UNITS = {
    "time_sin": "-", "time_cos": "-", "progress": "fraction", "last_price": "currency/MWh",
    "last_imbalance_price": "currency/MWh", "last_niv": "MWh", "demand_forecast": "MW",
    "renewable_forecast": "MW", "own_forecast": "MW", "own_capacity": "MW",
    "own_cost_or_value": "currency/MWh", "own_min_stable": "MW", "own_level": "MW",
    "own_headroom": "MW", "own_soc": "fraction", "own_hours_run": "h",
    "own_outage_left": "periods", "own_on": "0/1", "own_last_contract": "MW",
    "own_last_imbalance": "MWh", "own_last_error": "fraction", "own_kind": "code",
    "own_startup_cost": "currency", "own_energy": "MWh", "own_round_trip": "fraction",
    "own_flexible": "fraction", "forecast_error_std": "MW", "thermal_available": "MW",
    "last_unserved": "MWh", "last_curtailed": "MWh", "last_activated_up": "MWh",
    "last_activated_down": "MWh", "value_of_lost_load": "currency/MWh",
    "largest_infeed": "MW", "net_demand_ramp": "MW", "own_ramp": "MW/min",
    "own_hours_off": "h",
}  # fmt: skip


def observation_table(params: MarketParams, role: str) -> str:
    """A Markdown table (Index, Name, Meaning, Min, Max, Unit) of one role's observation."""
    names = feature_names(params, role)
    lo, hi = feature_bounds(params, role)
    lines = [
        "| Index | Name | Meaning | Min | Max | Unit |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for i, name in enumerate(names):
        meaning, unit = (
            (FEATURE_MEANINGS[name], FEATURE_UNITS[name])
            if name in FEATURE_MEANINGS
            else DA_MEANINGS[name]
            if name in DA_MEANINGS
            else ANM_MEANINGS[name]
            if name in ANM_MEANINGS
            else zone_meaning(name)
        )
        lines.append(f"| {i} | {name} | {meaning} | {lo[i]:.6g} | {hi[i]:.6g} | {unit} |")
    return "\n".join(lines)
