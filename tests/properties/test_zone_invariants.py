"""Invariants of the engine with zones (issue 15), on random networks and orders.

Random zone assignments of the ``small`` and ``default`` participants to 2-4 zones on a
random tree (or forest) of borders with random limits, random valid orders
(:func:`elecbay_env.testing.random_orders`), both uniform-price imbalance schemes:

* money: the agents' cash plus the transmission owner's rent is zero each period;
* energy per zone: each zone's net forward position (MW sold - bought) equals its net
  export over its borders; flows within the limits;
* settlement: every forward fill is paid at its zone's price; the rent is the price
  difference times the flow, never negative;
* batch = single: market ``e`` of a batch equals the same market run alone.
"""

from __future__ import annotations

import copy

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from elecbay_env.config import load_scenario
from elecbay_env.engine import Engine
from elecbay_env.kernels import ledger_codes as L
from elecbay_env.testing import random_orders

BASES = {name: load_scenario(name).model_dump() for name in ("small", "default")}
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def zonal_scenarios(draw: st.DrawFn):
    data = copy.deepcopy(BASES[draw(st.sampled_from(sorted(BASES)))])
    n_zones = draw(st.integers(2, 4))
    data["market"].update(
        zones=n_zones,
        days=1,
        imbalance_pricing=draw(st.sampled_from(["gb_single", "dual"])),
        k=draw(st.sampled_from([0.0, 0.5, 1.0])),
    )
    borders = []
    for z in range(1, n_zones):
        if draw(st.integers(0, 4)) == 0:
            continue  # a forest: this zone has no border to the zones before it
        other = draw(st.integers(0, z - 1))
        u, v = (z, other) if draw(st.booleans()) else (other, z)
        limit = st.sampled_from([0.0, 1e6]) | st.floats(0.0, 400.0)
        borders.append(
            {"from_zone": u, "to_zone": v, "forward_mw": draw(limit), "backward_mw": draw(limit)}
        )
    data["borders"] = borders
    for x in data["producers"] + data["consumers"]:
        x["zone"] = draw(st.integers(0, n_zones - 1))
    return load_scenario(data)


def _net_export(zone_count: int, borders, flow: np.ndarray) -> np.ndarray:
    out = np.zeros((flow.shape[0], zone_count))
    for b, border in enumerate(borders):
        out[:, border.from_zone] += flow[:, b]
        out[:, border.to_zone] -= flow[:, b]
    return out


@given(sc=zonal_scenarios(), seed=st.integers(0, 2**31), spread=st.floats(0.0, 1.5))
@SETTINGS
def test_money_energy_and_prices_per_zone(sc, seed: int, spread: float) -> None:
    eng = Engine(sc, n_markets=2)
    eng.reset(seed=seed)
    rng = np.random.default_rng(seed)
    zone = eng.params.zone[0]
    h = eng.params.period_h
    for _ in range(6):
        orders = random_orders(eng.params, eng.state, rng, spread)
        out = eng.step(orders)
        cash = out.ledger_amount[:, :, : L.N_CASH]
        turnover = np.abs(cash).sum(axis=(1, 2)) + abs(out.congestion_rent) + 1.0
        assert np.all(np.abs(cash.sum(axis=(1, 2)) + out.congestion_rent) <= 1e-9 * turnover)
        limit_f, limit_b = eng.params.cap_forward_mw, eng.params.cap_backward_mw
        assert np.all(out.flow_mw <= limit_f * (1 + 1e-12) + 1e-9)
        assert np.all(out.flow_mw >= -limit_b * (1 + 1e-12) - 1e-9)
        export = _net_export(sc.market.zones, sc.borders, out.flow_mw)
        for z in range(sc.market.zones):
            position = out.contract_mw[:, zone == z].sum(axis=1)
            scale = np.abs(out.contract_mw).sum(axis=1) + 1.0
            assert np.all(np.abs(position - export[:, z]) <= 1e-9 * scale)
        # every fill at its zone's price
        fill = out.step_fill_mw
        paid = np.where(fill != 0.0, out.step_paid, 0.0)
        price = out.zone_price[:, zone][:, :, None] * np.ones_like(fill)
        assert np.allclose(paid[fill != 0.0], price[fill != 0.0], rtol=0, atol=1e-12 * 4000)
        # rent = price difference x flow x hours, never negative
        rent = np.zeros(2)
        for b, border in enumerate(sc.borders):
            f = out.flow_mw[:, b]
            diff = out.zone_price[:, border.to_zone] - out.zone_price[:, border.from_zone]
            # a zone without a price (no trade) only carries flows within rounding: no rent
            rent += np.where((f != 0.0) & np.isfinite(diff), diff * f, 0.0) * h
        assert np.allclose(out.congestion_rent, rent, rtol=1e-9, atol=1e-6)
        assert np.all(out.congestion_rent >= -1e-6)


@given(sc=zonal_scenarios(), seed=st.integers(0, 2**31))
@SETTINGS
def test_batch_equals_single_with_zones(sc, seed: int) -> None:
    batch = Engine(sc, n_markets=2)
    batch.reset(seed=seed)
    single = Engine(sc, n_markets=1)
    single.reset(seed=seed + 1)  # market e of a batch is seeded seed + e
    rng = np.random.default_rng(seed)
    for _ in range(4):
        orders = random_orders(batch.params, batch.state, rng, 0.5)
        one = type(orders)(*(np.array(a[1:2], copy=True) for a in orders))
        a = batch.step(orders)
        b = single.step(one)
        for name in ("zone_price", "flow_mw", "congestion_rent", "ledger_amount", "reward"):
            np.testing.assert_array_equal(getattr(a, name)[1:2], getattr(b, name), err_msg=name)
