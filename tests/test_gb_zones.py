"""GB in two zones (issue 15, item 3): Scotland and England-Wales across B6.

Played with the baseline line-up on the two windiest and two calmest days of 2024 in
the data (mean wind capacity factor about 0.85 and 0.81; 0.05 and 0.06), once with the
B6 limit and once with an unlimited border, paired by date and seed.
"""

from __future__ import annotations

import numpy as np
import pytest
from elecbay_evaluate.zones import play_zonal

from elecbay_env.gb_zones import B6_MW, gb2024_two_zone

WINDY = ["2024-12-22", "2024-11-24"]
CALM = ["2024-11-09", "2024-02-24"]


@pytest.fixture(scope="module")
def runs():
    dates = WINDY + CALM
    return play_zonal(gb2024_two_zone(), dates=dates), play_zonal(gb2024_two_zone(1e6), dates=dates)


def test_the_scenario_puts_wind_north_and_demand_south() -> None:
    sc = gb2024_two_zone()
    wind = [p for p in sc.producers if p.type == "wind"]
    north_onshore = sum(p.capacity_mw for p in wind if p.zone == 0 and "onshore" in p.name)
    south_onshore = sum(p.capacity_mw for p in wind if p.zone == 1 and "onshore" in p.name)
    assert north_onshore > south_onshore
    assert any(
        p.zone == 0 and p.technology == "nuclear" for p in sc.producers if p.type == "thermal"
    )
    share = {0: 0.0, 1: 0.0}
    for c in sc.consumers:
        if c.profile is not None and getattr(c.profile, "data", None) == "nd_mw":
            share[c.zone] += c.profile.share_frac
    assert share[0] + share[1] == pytest.approx(1.0)
    assert share[1] > 0.8
    (b6,) = sc.borders
    assert (b6.name, b6.from_zone, b6.to_zone, b6.forward_mw) == ("B6", 0, 1, B6_MW)


def test_windy_days_separate_prices_and_curtail_scottish_wind(runs) -> None:
    limited, free = runs
    for e in range(len(WINDY)):
        full = limited.full[e, :, 0]
        assert full.mean() > 0.5, "B6 should bind in most periods of a windy day"
        p = limited.zone_price[e]
        assert np.all(p[full, 0] < p[full, 1]), "Scotland clears below England-Wales"
        assert np.all(limited.flow_mw[e, full, 0] > 0.0)  # north to south
        assert limited.rent[e].sum() > 0.0
        # the wind Scotland had but could not export is curtailed behind the boundary
        assert limited.curtailed_mw[e, :, 0].sum() > 2.0 * free.curtailed_mw[e, :, 0].sum()
        assert not free.full[e].any()
        np.testing.assert_allclose(free.zone_price[e, :, 0], free.zone_price[e, :, 1])


def test_calm_days_do_not_separate(runs) -> None:
    limited, _free = runs
    for e in range(len(WINDY), len(WINDY) + len(CALM)):
        assert not limited.full[e].any()
        np.testing.assert_allclose(limited.zone_price[e, :, 0], limited.zone_price[e, :, 1])
        assert np.all(limited.rent[e] == 0.0)
