"""A local energy market of N prosumers: the ``community`` scenario generator.

:func:`community_scenario` builds a :class:`~elecbay_env.config.Scenario` whose rows
are N household assets trading in one local market, a retailer that connects the
community to the grid, and the broker (N + 3 agents):

* prosumer rows, assigned in a repeating pattern of 20 (so every N has the same mix to
  within one pattern): 8 household loads, 5 rooftop solar arrays, 3 home batteries,
  2 electric vehicles (EV) and 2 heat pumps. Each size is the typical size below times
  a lognormal factor (sigma 0.3) drawn from ``seed``, so prosumers differ;
* ``retailer_import``: the grid connection as a seller of any quantity at the import
  price (a thermal row without start-up cost, minimum stable level or ramp limit);
* ``retailer_export``: the grid connection as a buyer of surplus at the export price
  (a fully flexible flat load as large as the rooftop solar);
* the broker (balancing reserve, as every scenario).

Rooftop solar follows the GB 2024 national solar capacity factor (``solar_cf`` of the
shipped ``gb2024`` dataset, :mod:`elecbay_env.datasets`; episodes are real UTC days of
the dataset's ``train`` split) with ``data=True``, else the generated solar shape.
Loads use the generated shapes (:mod:`elecbay_env.profiles`).

Typical sizes (MW per asset; currency GBP per MWh):

=================  ====================================================================
household load     peak 0.0008 MW: an Ofgem typical domestic consumption value of
                   2 700 kWh a year is 0.31 kW on average; the residential shape's peak
                   is about 2.5 times its mean (assumption); value 6 000 (VoLL: a home
                   does not respond in the market), flexible 5 % (assumption)
rooftop solar      0.004 MW (4 kWp, the common size of a GB domestic array; assumption)
home battery       0.005 MW, 0.0135 MWh, 90 % round trip (the published ratings of a
                   Tesla Powerwall 2), degradation cost 20 per MWh (assumption)
EV                 peak 0.007 MW (a 7 kW home charger; assumption), ``ev_fleet`` shape,
                   value 300, flexible 60 % (smart charging; assumption)
heat pump          peak 0.003 MW electrical (assumption), residential shape, value
                   1 000, flexible 30 % (pre-heating; assumption)
import price       245 per MWh (about the Ofgem default tariff cap unit rate for
                   electricity in late 2024, 24.5 p/kWh; rounded)
export price       150 per MWh (a fixed export tariff of the size GB suppliers offered
                   in 2024; assumption)
=================  ====================================================================
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .config import Scenario, load_scenario

PATTERN = ("home",) * 8 + ("solar",) * 5 + ("battery",) * 3 + ("ev",) * 2 + ("heat_pump",) * 2
"""Prosumer row ``j`` is an asset of kind ``PATTERN[j % 20]``."""
MAX_PROSUMERS = 100_000
"""Largest N accepted (the market clears N x bid_steps orders a period)."""
IMPORT_PRICE = 245.0
"""Currency per MWh the retailer sells grid energy at."""
EXPORT_PRICE = 150.0
"""Currency per MWh the retailer pays for exported energy."""
SIZE_SIGMA = 0.3
"""Standard deviation of log(size factor) across prosumers."""
HOME_PEAK_MW = 0.0008
SOLAR_MW = 0.004
BATTERY_MW = 0.005
BATTERY_MWH = 0.0135
EV_PEAK_MW = 0.007
HEAT_PUMP_PEAK_MW = 0.003


def _error(std: float) -> dict[str, float]:
    return {"std_frac": std, "ar1": 0.8}


def _asset(kind: str, j: int, f: float, data: bool) -> tuple[str, dict[str, Any]]:
    """("producers" or "consumers", the YAML entry) of prosumer ``j`` with size factor f."""
    name = f"{kind}_{j}"
    if kind == "home":
        return "consumers", {
            "name": name, "profile_type": "residential", "peak_mw": HOME_PEAK_MW * f,
            "value_per_mwh": 6000.0, "forecast_error": _error(0.1), "flexible_frac": 0.05,
        }  # fmt: skip
    if kind == "ev":
        return "consumers", {
            "name": name, "profile_type": "ev_fleet", "peak_mw": EV_PEAK_MW * f,
            "value_per_mwh": 300.0, "forecast_error": _error(0.2), "flexible_frac": 0.6,
        }  # fmt: skip
    if kind == "heat_pump":
        return "consumers", {
            "name": name, "profile_type": "residential", "peak_mw": HEAT_PUMP_PEAK_MW * f,
            "value_per_mwh": 1000.0, "forecast_error": _error(0.1), "flexible_frac": 0.3,
        }  # fmt: skip
    if kind == "solar":
        profile = {"data": "solar_cf", "scale": "capacity_frac"} if data else {"shape": "solar"}
        return "producers", {
            "type": "solar", "name": name, "capacity_mw": SOLAR_MW * f,
            "marginal_cost_per_mwh": 0.0, "profile": profile, "forecast_error": _error(0.1),
        }  # fmt: skip
    return "producers", {
        "type": "storage", "name": name, "power_mw": BATTERY_MW * f,
        "energy_mwh": BATTERY_MWH * f, "round_trip_efficiency_frac": 0.9,
        "initial_soc_frac": 0.5, "min_soc_frac": 0.05, "max_soc_frac": 0.95,
        "degradation_cost_per_mwh": 20.0,
    }  # fmt: skip


def community_scenario(
    n_prosumers: int = 100,
    *,
    days: int = 1,
    bid_steps: int = 1,
    seed: int = 0,
    data: bool = True,
    **overrides: Any,
) -> Scenario:
    """A local energy market of ``n_prosumers`` household assets (module docstring).

    Args:
        n_prosumers: prosumer rows, 1 to :data:`MAX_PROSUMERS`; the scenario has
            ``n_prosumers + 3`` agents (two retailer rows and the broker).
        days: episode length in days (``market.days``).
        bid_steps: steps per bid curve.
        seed: draws the prosumers' size factors (the market's own randomness is
            seeded at reset, as always).
        data: rooftop solar on the GB 2024 solar capacity factor (real days) if true,
            else on the generated solar shape (no dates).
        **overrides: dotted scenario overrides applied last, e.g.
            ``**{"market.price_cap_per_mwh": 2000}``.

    Raises:
        ValueError: ``n_prosumers`` out of range.
    """
    if (
        isinstance(n_prosumers, bool)
        or not isinstance(n_prosumers, int | np.integer)
        or not 1 <= n_prosumers <= MAX_PROSUMERS
    ):
        raise ValueError(
            f"n_prosumers={n_prosumers!r}: allowed range is 1 to {MAX_PROSUMERS} (an integer)"
        )
    factor = np.random.default_rng(seed).lognormal(0.0, SIZE_SIGMA, int(n_prosumers))
    rows: dict[str, list[dict[str, Any]]] = {"producers": [], "consumers": []}
    for j in range(int(n_prosumers)):
        side, entry = _asset(PATTERN[j % len(PATTERN)], j, float(factor[j]), data)
        rows[side].append(entry)
    load = sum(c["peak_mw"] for c in rows["consumers"])
    solar = sum(p.get("capacity_mw", 0.0) for p in rows["producers"])
    grid_mw = 2.0 * load + 1e-3
    rows["producers"].append({
        "type": "thermal", "name": "retailer_import", "technology": "grid",
        "capacity_mw": grid_mw, "min_stable_mw": 0.0, "marginal_cost_per_mwh": IMPORT_PRICE,
        "ramp_mw_per_min": grid_mw, "initial_on": True, "initial_output_frac": 0.0,
    })  # fmt: skip
    rows["consumers"].append({
        "name": "retailer_export", "profile_type": "commercial", "profile": {"shape": "flat"},
        "peak_mw": max(solar, 1e-3), "value_per_mwh": EXPORT_PRICE,
        "forecast_error": _error(0.0), "flexible_frac": 1.0,
    })  # fmt: skip
    spec: dict[str, Any] = {
        "name": f"community_{n_prosumers}",
        "description": f"A local energy market of {n_prosumers} prosumer assets, a retailer "
        "(grid import and export) and the broker.",
        "market": {
            "period_min": 30,
            "meter_interval_min": 5,
            "days": days,
            "bid_steps": bid_steps,
            "price_floor_per_mwh": 0.0,
            "price_cap_per_mwh": 1000.0,
            "initial_price_per_mwh": EXPORT_PRICE,
        },
        **rows,
    }
    if data:
        spec["data"] = {"csv": "gb2024", "time_column": "utc_start", "split": "train"}
    return load_scenario(spec, overrides=overrides)
