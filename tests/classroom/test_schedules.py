"""Role cards and their competitive equilibrium, against the papers and an LP oracle."""

from __future__ import annotations

import numpy as np
from elecbay_classroom.schedules import (
    BUYER,
    SELLER,
    Card,
    curves,
    electricity_cards,
    equilibrium,
    gode_sunder_market1,
    smith_1962_test1,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog


def test_smith_test1_prediction_is_the_papers() -> None:
    """Smith (1962) Test 1: predicted quantity 6 and price 2.00 (MECHANISMS.md 8)."""
    s = smith_1962_test1()
    assert sum(c.role == BUYER for c in s.cards) == 11
    assert sum(c.role == SELLER for c in s.cards) == 11
    eq = equilibrium(s.cards)
    assert eq.quantity == 6 and eq.price == 2.0 == eq.price_lo == eq.price_hi
    # hand-worked: (3.25 - 0.75) + (3.00 - 1.00) + ... + (2.00 - 2.00)
    assert eq.max_surplus == sum(2.5 - 0.5 * k for k in range(6)) == 7.5


def test_gode_sunder_market_has_twelve_traders_in_1_to_200() -> None:
    s = gode_sunder_market1()
    assert len(s.cards) == 12 and s.price_range == (1.0, 200.0)
    assert all(1 <= v <= 200 for c in s.cards for v in c.limits)
    eq = equilibrium(s.cards)
    assert eq.price_lo <= eq.price <= eq.price_hi and eq.quantity > 0


def test_electricity_cards_price_at_the_marginal_generator() -> None:
    s = electricity_cards("small")
    eq = equilibrium(s.cards)
    assert eq.price == 54.0  # the CCGT's marginal cost sets the price (small.yaml)
    labels = {c.label for c in s.cards}
    assert {"ccgt", "wind", "households", "factory"} == labels


def _lp_surplus(cards: list[Card]) -> float:
    """Maximum surplus as an LP over unit fills (HiGHS): max sum(v x) - sum(c y), sum x = sum y."""
    v = [(p, c.unit_qty) for c in cards if c.role == BUYER for p in c.limits]
    k = [(p, c.unit_qty) for c in cards if c.role == SELLER for p in c.limits]
    obj = np.r_[[-p for p, _ in v], [p for p, _ in k]]
    a_eq = np.r_[[1.0] * len(v), [-1.0] * len(k)][None, :]
    bounds = [(0, q) for _, q in v] + [(0, q) for _, q in k]
    r = linprog(obj, A_eq=a_eq, b_eq=[0.0], bounds=bounds, method="highs")
    return -r.fun


prices = st.floats(1, 200, allow_nan=False).map(lambda x: round(x, 2))
cards_st = st.lists(
    st.builds(lambda role, lim, q: Card(role, tuple(sorted(lim, reverse=role == BUYER)), q),
              st.sampled_from([BUYER, SELLER]), st.lists(prices, min_size=1, max_size=3),
              st.sampled_from([1.0, 2.5])),
    min_size=2, max_size=8,
).filter(lambda cs: {c.role for c in cs} == {BUYER, SELLER})  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(cards_st)
def test_max_surplus_matches_an_lp(cards: list[Card]) -> None:
    eq = equilibrium(cards)
    assert abs(eq.max_surplus - _lp_surplus(cards)) <= 1e-6 * max(1.0, eq.max_surplus)


def test_curves_are_monotone_steps() -> None:
    c = curves(gode_sunder_market1().cards)
    d = np.array(c["demand"])
    s = np.array(c["supply"])
    assert (np.diff(d[:, 0]) > 0).all() and (np.diff(d[:, 1]) <= 0).all()
    assert (np.diff(s[:, 0]) > 0).all() and (np.diff(s[:, 1]) >= 0).all()
