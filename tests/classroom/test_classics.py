"""Bots alone reproduce the classics (docs/classroom.md shows the figures)."""

from __future__ import annotations

import numpy as np
from elecbay_classroom.classics import bot_sessions
from elecbay_classroom.schedules import equilibrium, gode_sunder_market1, smith_1962_test1


def test_gode_sunder_zi_c_near_full_efficiency_zi_u_well_below() -> None:
    """Gode and Sunder (1993) Table 2, market 1: ZI-C 99.9 %, ZI-U 90.0 % (paper)."""
    s = gode_sunder_market1()
    zic = bot_sessions(s, "zi-c", range(10), periods=6)
    ziu = bot_sessions(s, "zi-u", range(10), periods=6)
    assert zic.efficiency.mean() >= 0.97
    assert zic.efficiency.min() >= 0.90
    assert ziu.efficiency.mean() <= zic.efficiency.mean() - 0.05


def test_smith_schedule_converges_to_the_predicted_price() -> None:
    """ZI-C traders on Smith's Test 1 cards: late prices near 2.00, closer than early ones."""
    s = smith_1962_test1()
    p_star = equilibrium(s.cards).price
    res = bot_sessions(s, "zi-c", range(20), periods=5)
    late = np.nanmean(res.mean_price[:, -1])
    assert abs(late - p_star) <= 0.15
    assert np.nanmean(res.alpha) < 25.0  # percent
    unconstrained = bot_sessions(s, "zi-u", range(20), periods=5)
    assert np.nanmean(unconstrained.alpha) > np.nanmean(res.alpha)


def test_same_seed_same_session() -> None:
    s = gode_sunder_market1()
    a = bot_sessions(s, "zi-c", [3], periods=2)
    b = bot_sessions(s, "zi-c", [3], periods=2)
    np.testing.assert_array_equal(a.mean_price, b.mean_price)
    assert a.efficiency[0] == b.efficiency[0]
