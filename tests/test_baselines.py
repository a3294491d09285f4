"""Flexibility baselines (elecbay_env.baselines): a hand-worked example per method and
properties of the adjustment and of delivery."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from elecbay_env.baselines import (
    bounded_baseline,
    consumption_mwh,
    delivered_mwh,
    historical_baseline,
    nominated_baseline,
    performance,
    profile_baseline,
    same_day_adjustment,
    similar_days,
)

H5 = 5 / 60  # hours in a 5-minute interval


def test_consumption_is_minus_net_injection():
    assert consumption_mwh(np.array([-0.5, 0.25])).tolist() == [0.5, -0.25]


def test_nominated_by_hand():
    # 6 MW nominated, three 5-minute intervals: 0.5 MWh each
    b = nominated_baseline(np.array([6.0]), 3, H5)
    assert b.shape == (1, 3)
    np.testing.assert_allclose(b, [[0.5, 0.5, 0.5]])
    # 6 MW nominated, metered 4.8, 3.6 and 6.6 MW: delivered 1.2, 2.4 and 0 MW, i.e.
    # 0.1, 0.2 and 0 MWh (a consumption above the baseline delivers nothing, not less)
    metered = np.array([[4.8, 3.6, 6.6]]) * H5
    d = delivered_mwh(b, metered, accepted_mwh=np.array([[3.0 * H5]]))
    np.testing.assert_allclose(d, [[0.1, 0.2, 0.0]])


def test_default_profile_by_hand():
    # profile 12, 6 MW over 5 minutes: 1.0 and 0.5 MWh; metered 9 and 6 MW: delivered
    # 3 MW (0.25 MWh), capped at the 2 MW accepted (1/6 MWh), and 0
    b = profile_baseline(np.array([12.0, 6.0]), H5)
    np.testing.assert_allclose(b, [1.0, 0.5])
    d = delivered_mwh(b, np.array([9.0, 6.0]) * H5, accepted_mwh=2.0 * H5)
    np.testing.assert_allclose(d, [2.0 * H5, 0.0])


def test_turn_up_by_hand():
    # baseline 1.0 MWh, metered 1.3 and 0.8: a turn-up delivered 0.3 and 0
    d = delivered_mwh(np.array([1.0, 1.0]), np.array([1.3, 0.8]), 1.0, "turn_up")
    np.testing.assert_allclose(d, [0.3, 0.0])


def test_similar_days_by_hand():
    # types oldest first: days 0-4 weekdays, 5-6 weekend, 7-9 weekdays
    types = np.array([0, 0, 0, 0, 0, 1, 1, 0, 0, 0])
    assert similar_days(types, 0, 3).tolist() == [7, 8, 9]
    assert similar_days(types, 1, 10).tolist() == [5, 6]
    assert similar_days(types, 0, 10).tolist() == [0, 1, 2, 3, 4, 7, 8, 9]
    assert similar_days(types, 2, 10).tolist() == []


def test_historical_by_hand():
    # five past days, two intervals each; weekend day 3 is not similar to a weekday
    history = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [100.0, 100.0], [7.0, 8.0]])
    types = np.array([0, 0, 0, 1, 0])
    # last 3 weekdays: days 1, 2, 4 -> (3 + 5 + 7) / 3 = 5 and (4 + 6 + 8) / 3 = 6
    np.testing.assert_allclose(historical_baseline(history, types, 0, 3), [5.0, 6.0])
    # the last 10 weekdays are the 4 there are: (1 + 3 + 5 + 7) / 4 = 4, 5
    np.testing.assert_allclose(historical_baseline(history, types, 0, 10), [4.0, 5.0])
    np.testing.assert_allclose(historical_baseline(history, types, 1, 10), [100.0, 100.0])
    assert np.isnan(historical_baseline(history, types, 2, 10)).all()
    # leading axes (markets, rows) pass through
    stacked = np.stack([history, 2 * history])
    np.testing.assert_allclose(historical_baseline(stacked, types, 0, 3), [[5, 6], [10, 12]])


def test_same_day_adjustment_by_hand():
    base = np.array([1.0, 1.0, 1.0, 1.0])  # the historical average before the event
    # ran 0.1 above on average: raised by 0.1 (within the 20 % cap of 0.2)
    above = base + np.array([0.0, 0.2, 0.2, 0.0])
    np.testing.assert_allclose(same_day_adjustment(base, above, 0.2), 0.1)
    # ran below: never lowered
    assert same_day_adjustment(base, base - 0.3, 0.2) == 0.0
    # inflated by 1.0 before the event: capped at 20 % of 1.0
    np.testing.assert_allclose(same_day_adjustment(base, base + 1.0, 0.2), 0.2)
    # a baseline of zero (an idle battery) cannot be raised at all
    assert same_day_adjustment(np.zeros(4), np.full(4, 5.0), 0.2) == 0.0
    # no window: no adjustment
    assert same_day_adjustment(np.zeros((2, 0)), np.zeros((2, 0)), 0.2).tolist() == [0, 0]


def test_performance_by_hand():
    ratio, kept = performance(np.array([1.0, 0.9, 0.4, 0.0, 2.0]), np.array([1.0] * 4 + [0]), 0.5)
    np.testing.assert_allclose(ratio, [1.0, 0.9, 0.4, 0.0, 1.0])
    np.testing.assert_allclose(kept, [1.0, 0.9, 0.0, 0.0, 1.0])


finite = st.floats(-50.0, 50.0, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    arrays(np.float64, 8, elements=finite),
    arrays(np.float64, 8, elements=finite),
    st.floats(0.0, 1.0),
)
def test_adjustment_bounds(base, metered, cap):
    adj = same_day_adjustment(base, metered, cap)
    assert 0.0 <= adj <= cap * max(base.mean(), 0.0) + 1e-12
    # raising the metered consumption before the event never lowers the adjustment
    assert same_day_adjustment(base, metered + 1.0, cap) >= adj - 1e-12


@settings(max_examples=200, deadline=None)
@given(
    arrays(np.float64, 6, elements=finite),
    arrays(np.float64, 6, elements=finite),
    st.floats(0.0, 10.0),
    st.sampled_from(["turn_down", "turn_up"]),
)
def test_delivery_never_above_accepted(base, metered, accepted, direction):
    d = delivered_mwh(base, metered, accepted, direction)
    assert (d >= 0.0).all() and (d <= accepted).all()


def test_bounded_baseline_by_hand():
    # expected load 1.0 MWh per interval, cap 20 %: a history of 1.5 is cut to 1.2,
    # one of 0.7 raised to 0.8, 1.1 kept; a battery (profile 0) is held at 0
    b = bounded_baseline(np.array([1.5, 0.7, 1.1]), np.array([1.0, 1.0, 1.0]), 0.2)
    np.testing.assert_allclose(b, [1.2, 0.8, 1.1])
    assert bounded_baseline(np.array([3.0, -2.0]), np.zeros(2), 0.2).tolist() == [0.0, 0.0]
    # a negative profile (a generator's net injection read as consumption) keeps order
    np.testing.assert_allclose(bounded_baseline(np.array([0.0]), np.array([-1.0]), 0.2), -0.8)
