"""GB in two zones: Scotland (zone 0) and England-Wales (zone 1) across boundary B6.

:func:`gb2024_two_zone` builds the scenario from the shipped ``gb2024`` (so it follows
every calibration of that file) by moving part of the fleet and of the demand north of
the boundary and adding the border:

* B6 is the transmission boundary between SP Transmission's network and National Grid
  Electricity Transmission's, i.e. between Scotland and England (NESO, Electricity Ten
  Year Statement, "Scottish boundaries"). Its limit here, :data:`B6_MW` in both
  directions, is an assumption of the order of the boundary capability NESO publishes
  there and in its "Year Ahead Constraint Limits" data (B6 among the main boundaries);
  read the current figure from those sources before quoting results in MW.
* Scotland: winter peak gross demand about 4 GW against some 17.8 GW of generation
  capacity (NESO ETYS, Scottish boundaries), so it exports most of the time. Here it
  holds :data:`SCOTTISH_DEMAND_SHARE` of national demand (4 GW of the 45.2 GW peak), most
  onshore and some offshore wind, the hydro fleet, and one AGR station's worth of
  nuclear (Torness); the shares in :data:`NORTH` are assumptions, rounded.
* Interconnectors, pumped storage, batteries, gas and the rest stay south (a
  simplification: Cruachan and Foyers pumped storage and the Moyle link are Scottish).

Balancing stays national (docs/zones.md): the border binds the forward market, where
Scottish wind behind a full B6 is not sold and so not produced (curtailed).
"""

from __future__ import annotations

import copy
from typing import Any

from .config import Scenario, load_scenario

B6_MW = 6600.0
"""Assumed B6 limit, MW, north to south and back (see the module docstring)."""
SCOTTISH_DEMAND_SHARE = 0.09
"""Scotland's share of national demand: ~4 GW of the 45.2 GW 2024 peak (NESO ETYS)."""
NORTH: dict[str, float] = {
    "wind_onshore": 8000.0 / 12384.0,  # ~8 GW of GB onshore wind is Scottish (assumption)
    "wind_offshore": 3500.0 / 17068.0,  # Beatrice, Moray East, Seagreen, ... (assumption)
    "nuclear_agr": 900.0 / 3300.0,  # Torness, at the group's availability (assumption)
    "hydro": 1.0,  # GB's reservoir hydro is almost all Scottish
}
"""Share of each gb2024 producer group moved north (1: the whole group)."""
_SCALED = ("capacity_mw", "min_stable_mw", "startup_cost", "ramp_mw_per_min")


def _split(p: dict[str, Any], share: float) -> list[dict[str, Any]]:
    if share >= 1.0:
        return [dict(p, zone=0)]
    north = copy.deepcopy(p)
    north["name"] = f"{p['name']}_scotland"
    north["zone"] = 0
    south = dict(p, zone=1)
    for key in _SCALED:
        if key in p and p[key] is not None:
            north[key] = p[key] * share
            south[key] = p[key] * (1.0 - share)
    return [north, south]


def gb2024_two_zone(boundary_mw: float = B6_MW, **overrides: Any) -> Scenario:
    """The ``gb2024`` scenario split into Scotland (zone 0) and England-Wales (zone 1).

    Args:
        boundary_mw: the B6 limit in both directions (MW, >= 0).
        **overrides: dotted scenario overrides applied last (``{"market.days": 2}``).
    """
    data = load_scenario("gb2024").model_dump(mode="json")
    data["name"] = "gb2024_two_zone"
    data["description"] = (
        "gb2024 in two zones: Scotland (zone 0) and England-Wales (zone 1) across the B6 "
        f"boundary ({boundary_mw:g} MW each way); most onshore wind, hydro and one nuclear "
        "station north, most demand south."
    )
    producers = []
    for p in data["producers"]:
        producers += _split(p, NORTH[p["name"]]) if p["name"] in NORTH else [dict(p, zone=1)]
    data["producers"] = producers
    consumers = []
    for c in data["consumers"]:
        c = dict(c, zone=1)
        profile = c.get("profile") or {}
        if profile.get("data") == "nd_mw":  # a share of national demand: part is Scottish
            c["profile"] = dict(
                profile, share_frac=profile["share_frac"] * (1 - SCOTTISH_DEMAND_SHARE)
            )
            c["peak_mw"] = c["peak_mw"] * (1 - SCOTTISH_DEMAND_SHARE)
        consumers.append(c)
    scottish = copy.deepcopy(next(c for c in data["consumers"] if c["name"] == "domestic"))
    scottish.update(
        name="demand_scotland",
        zone=0,
        peak_mw=4100.0,  # 9 % of the 2024 ND peak (45.2 GW) is 4.07 GW
        profile={"data": "nd_mw", "scale": "mw", "share_frac": SCOTTISH_DEMAND_SHARE},
    )
    consumers.append(scottish)
    data["consumers"] = consumers
    data["market"]["zones"] = 2
    data["borders"] = [
        {"name": "B6", "from_zone": 0, "to_zone": 1, "forward_mw": boundary_mw,
         "backward_mw": boundary_mw}
    ]  # fmt: skip
    return load_scenario(data, **overrides)
