"""Shared cases of the distribution-constraint tests."""

from __future__ import annotations

from elecbay_env.config import load_scenario


def three_units(limits, allocation: str = "lifo", firm_extra: bool = False) -> dict:
    """Three non-firm wind farms (connected 2010, 2015, 2020) behind one export limit."""
    sc = load_scenario("small").model_dump()
    wind = sc["producers"][1]
    units = []
    for name, date in (("a", "2010-01-01"), ("b", "2015-01-01"), ("c", "2020-01-01")):
        units.append({**wind, "name": name, "firm": False, "connection_date": date})
    if firm_extra:
        units.append({**wind, "name": "f"})
    sc["producers"] = [sc["producers"][0], *units]
    members = ["a", "b", "c"] + (["f"] if firm_extra else [])
    sc["distribution_constraints"] = [
        {"name": "gsp", "limit_mw": limits, "members": members, "allocation": allocation}
    ]
    return sc
