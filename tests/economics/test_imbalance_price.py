"""The GB-style imbalance price: hand-worked examples and an independent oracle.

Kernels: :func:`elecbay_env.kernels.balancing.gb_price` (the stack price before bounds),
:func:`system_price` (gb_single's bound by the forward price, floor and cap),
:func:`party_price` and :func:`loss_of_load_probability`. Units: MWh, currency per MWh.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elecbay_env.kernels.balancing import (
    DUAL,
    GB_SINGLE,
    LEGACY_DUAL,
    LEGACY_SINGLE,
    gb_price,
    legacy_price,
    loss_of_load_probability,
    party_price,
    system_price,
)

VOLL = 6000.0
FWD = 50.0


def price(up=(), down=(), unserved=0.0, curtailed=0.0, rsp=0.0, dmat=0.1, par=1.0,
          curtail_cost=0.0):  # fmt: skip
    """gb_price of stacks given as [(MWh, price), ...] per direction, one row each."""
    n = max(len(up), len(down), 1)
    up_mwh, up_p, dn_mwh, dn_p = (np.zeros(n) for _ in range(4))
    for i, (v, p) in enumerate(up):
        up_mwh[i], up_p[i] = v, p
    for i, (v, p) in enumerate(down):
        dn_mwh[i], dn_p[i] = v, p
    key, vol = np.empty(n + 1), np.empty(n + 1)
    return gb_price(
        up_mwh, up_p, dn_mwh, dn_p, n, unserved, curtailed, rsp, FWD, VOLL, curtail_cost,
        dmat, par, key, vol,
    )  # fmt: skip


# --------------------------------------------------------------------------- by hand


def test_nothing_activated_gives_the_forward_price() -> None:
    assert price() == (FWD, 0.0)


def test_short_system_prices_the_most_expensive_mwh() -> None:
    # up: 10 MWh at 60 and 5 MWh at 80; net 15 MWh short. The most expensive 1 MWh of the
    # stack is the 80 action: price 80.
    assert price(up=[(10, 60), (5, 80)]) == (80.0, 15.0)


def test_minority_stack_cancels_the_most_expensive_actions() -> None:
    # up 10 @ 60 and 5 @ 80; down 6 @ 30. Net 9 MWh short: the 6 MWh of down actions cancel
    # the 5 MWh at 80 and 1 MWh at 60; 9 MWh at 60 remain -> 60.
    assert price(up=[(10, 60), (5, 80)], down=[(6, 30)]) == (60.0, 9.0)


def test_par_averages_the_top_mwh() -> None:
    # up 0.4 MWh at 200 and 10 MWh at 50: the top 1 MWh is 0.4 x 200 + 0.6 x 50 = 110
    p, _ = price(up=[(0.4, 200), (10, 50)])
    assert p == pytest.approx(110.0)
    # PAR 5 MWh: (0.4 x 200 + 4.6 x 50) / 5 = 62
    p, _ = price(up=[(0.4, 200), (10, 50)], par=5.0)
    assert p == pytest.approx(62.0)


def test_actions_under_dmat_are_tagged_out() -> None:
    # 0.05 MWh at 1000 is below DMAT 0.1: it neither sets the price nor counts in NIV
    assert price(up=[(0.05, 1000), (10, 50)]) == (50.0, 10.0)


def test_scarcity_price_reprices_up_reserve() -> None:
    # up 10 @ 50 with a reserve scarcity price of 300: priced at max(50, 300) = 300
    assert price(up=[(10, 50)], rsp=300.0)[0] == 300.0
    # a scarcity price below the utilisation price changes nothing
    assert price(up=[(10, 50)], rsp=20.0)[0] == 50.0


def test_unserved_energy_counts_at_voll_for_its_mwh_only() -> None:
    # 0.2 MWh unserved (at 6000) tops a stack of 10 MWh at 50:
    # 0.2 x 6000 + 0.8 x 50 = 1240, not 6000 for the whole period
    assert price(up=[(10, 50)], unserved=0.2)[0] == pytest.approx(1240.0)
    # 5 MWh unserved: the top MWh is all at VoLL
    assert price(up=[(10, 50)], unserved=5.0)[0] == pytest.approx(VOLL)


def test_long_system_prices_the_lowest_bid() -> None:
    # down actions: 10 MWh where the provider pays 20, 5 MWh where it pays 5. Long by 15:
    # the most expensive for the system is the one that pays least: price 5.
    assert price(down=[(10, 20), (5, 5)]) == (5.0, -15.0)
    # with 3 MWh of up actions the minority cancels 3 MWh of the 5 @ 5: 2 @ 5 remain,
    # and the top 1 MWh is at 5 still; with 6 MWh the 5 @ 5 are gone and 20 sets it.
    assert price(up=[(3, 90)], down=[(10, 20), (5, 5)])[0] == 5.0
    assert price(up=[(6, 90)], down=[(10, 20), (5, 5)])[0] == 20.0


def test_curtailment_tops_the_long_stack_at_minus_its_cost() -> None:
    # 0.5 MWh curtailed at cost 10 (price -10) and 10 MWh of down at 5:
    # 0.5 x (-10) + 0.5 x 5 = -2.5
    assert price(down=[(10, 5)], curtailed=0.5, curtail_cost=10.0)[0] == pytest.approx(-2.5)


def test_stacks_that_cancel_give_the_forward_price() -> None:
    assert price(up=[(4, 90)], down=[(4, 20)]) == (FWD, 0.0)


def test_gb_single_is_bounded_by_the_forward_price_on_the_systems_side() -> None:
    # short system (NIV > 0): at least the forward price; long: at most
    assert system_price(40.0, 5.0, FWD, GB_SINGLE, -500.0, 4000.0) == FWD
    assert system_price(90.0, 5.0, FWD, GB_SINGLE, -500.0, 4000.0) == 90.0
    assert system_price(60.0, -5.0, FWD, GB_SINGLE, -500.0, 4000.0) == FWD
    assert system_price(10.0, -5.0, FWD, GB_SINGLE, -500.0, 4000.0) == 10.0
    # dual leaves the price as it is (the bound is per party); floor and cap always apply
    assert system_price(40.0, 5.0, FWD, DUAL, -500.0, 4000.0) == 40.0
    assert system_price(9000.0, 5.0, FWD, DUAL, -500.0, 4000.0) == 4000.0
    assert system_price(-900.0, -5.0, FWD, GB_SINGLE, -500.0, 4000.0) == -500.0


@pytest.mark.parametrize("scheme", [DUAL, LEGACY_DUAL])
def test_dual_party_prices(scheme: int) -> None:
    assert party_price(+3.0, 80.0, FWD, scheme) == FWD  # long gets the lower
    assert party_price(-3.0, 80.0, FWD, scheme) == 80.0  # short pays the higher
    assert party_price(+3.0, 20.0, FWD, scheme) == 20.0
    assert party_price(-3.0, 20.0, FWD, scheme) == FWD


@pytest.mark.parametrize("scheme", [GB_SINGLE, LEGACY_SINGLE])
def test_single_party_price(scheme: int) -> None:
    assert party_price(+3.0, 80.0, FWD, scheme) == 80.0
    assert party_price(-3.0, 20.0, FWD, scheme) == 20.0


def test_legacy_rule_prices_the_whole_period_at_voll() -> None:
    # the first version's cliff: any unserved MWh puts the period at VoLL
    assert legacy_price(10.0, 0.01, 0.0, 80.0, np.inf, FWD, VOLL, 0.0) == VOLL
    assert legacy_price(10.0, 0.0, 0.0, 80.0, np.inf, FWD, VOLL, 0.0) == 80.0


def test_loss_of_load_probability_values() -> None:
    assert loss_of_load_probability(0.0, 100.0) == pytest.approx(0.5)
    assert loss_of_load_probability(100.0, 100.0) == pytest.approx(0.158655, rel=1e-5)
    assert loss_of_load_probability(200.0, 100.0) == pytest.approx(0.0227501, rel=1e-5)
    assert loss_of_load_probability(-100.0, 100.0) == pytest.approx(0.841345, rel=1e-5)


@given(st.floats(-1e4, 1e4), st.floats(-1e4, 1e4), st.floats(1.0, 1e3))
def test_loss_of_load_probability_falls_with_the_margin(a: float, b: float, sigma: float) -> None:
    lo, hi = min(a, b), max(a, b)
    p_lo, p_hi = loss_of_load_probability(lo, sigma), loss_of_load_probability(hi, sigma)
    assert 0.0 <= p_hi <= p_lo <= 1.0


# --------------------------------------------------------------------------- oracle


def oracle(up, down, unserved, curtailed, rsp, dmat, par, curtail_cost):
    """The same rule written differently: expand each stack into a step function of
    price against cumulative MWh from its most expensive end and integrate it over the
    window [minority, minority + PAR] with numpy (no sorting loop, no skip counter)."""
    ups = [(v, max(p, rsp)) for v, p in up if v >= dmat] + ([(unserved, VOLL)] if unserved else [])
    dns = [(v, p) for v, p in down if v >= dmat]
    dns += [(curtailed, -curtail_cost)] if curtailed else []
    net = sum(v for v, _ in ups) - sum(v for v, _ in dns)
    if abs(net) <= 1e-9:
        return FWD
    main, minor, sign = (ups, dns, 1.0) if net > 0 else (dns, ups, -1.0)
    # most expensive first: for the long stack that is the lowest price
    main = sorted(main, key=lambda a: -sign * a[1])
    vols = np.array([v for v, _ in main])
    prices = np.array([p for _, p in main])
    edges = np.concatenate([[0.0], np.cumsum(vols)])
    a = sum(v for v, _ in minor)
    b = min(a + par, edges[-1])
    if b - a <= 1e-9:
        return FWD
    overlap = np.clip(np.minimum(edges[1:], b) - np.maximum(edges[:-1], a), 0.0, None)
    return float((overlap * prices).sum() / overlap.sum())


stack = st.lists(st.tuples(st.floats(0.0, 50.0), st.floats(-500.0, 4000.0)), min_size=0, max_size=6)


@settings(max_examples=300, deadline=None)
@given(
    stack, stack, st.floats(0.0, 5.0), st.floats(0.0, 5.0), st.floats(0.0, 3000.0),
    st.sampled_from([0.0, 0.1, 1.0]), st.sampled_from([0.5, 1.0, 10.0]), st.floats(0.0, 100.0),
)  # fmt: skip
def test_gb_price_matches_an_independent_oracle(
    up, down, unserved, curtailed, rsp, dmat, par, curtail_cost
) -> None:
    got, _ = price(up, down, unserved, curtailed, rsp, dmat, par, curtail_cost)
    want = oracle(up, down, unserved, curtailed, rsp, dmat, par, curtail_cost)
    assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-6)
