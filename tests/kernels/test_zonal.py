"""The zonal auction against an independent linear programme (scipy's HiGHS).

Primal: maximise sum(bid_price * bid_fill) - sum(ask_price * ask_fill) subject to
0 <= fills <= qty, one balance per zone (bought - sold = net import) and
-cap_backward <= flow <= cap_forward. Dual face: every price vector p that, with
non-negative multipliers for the bounds, reaches the primal optimum; its range per
zone (min and max of p_z over the face, two LPs per zone) is what a zone's supporting
interval must equal. Random books: 2 to 5 zones on random trees and forests, borders
of zero, small, one-sided and ample capacity, prices on a coarse grid (ties), zones
with only bids or only offers.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from elecbay_env import clear, clear_zonal, clear_zonal_batch

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FLOOR, CAP = -500.0, 4000.0
TOL = 1e-6


@st.composite
def markets(draw, min_zones: int = 2, max_zones: int = 5):
    """(book, network): a random book on a random tree or forest."""
    z = draw(st.integers(min_zones, max_zones))
    b_from, b_to, c_f, c_b = [], [], [], []
    for child in range(1, z):
        if draw(st.integers(0, 5)) == 0:  # sometimes a forest
            continue
        par = draw(st.integers(0, child - 1))
        pair = (child, par) if draw(st.booleans()) else (par, child)
        b_from.append(pair[0])
        b_to.append(pair[1])
        kind = draw(st.sampled_from(["zero", "small", "ample", "one-way"]))
        small = draw(st.sampled_from([0.5, 1.0, 2.5, 4.0]))
        c_f.append({"zero": 0.0, "small": small, "ample": 1e3, "one-way": small}[kind])
        c_b.append({"zero": 0.0, "small": small, "ample": 1e3, "one-way": 0.0}[kind])
    price = st.sampled_from([-20.0, 0.0, 10.0, 20.0, 25.0, 30.0, 40.0, 55.0, 70.0])
    qty = st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 7.25])
    side = st.lists(st.tuples(price, qty, st.integers(0, z - 1)), min_size=1, max_size=12)
    bids, asks = draw(side), draw(side)
    k = draw(st.sampled_from([0.0, 0.5, 1.0, 0.3]))
    book = tuple(np.array([o[i] for o in orders], dtype=float if i < 2 else np.int64)
                 for orders in (bids, asks) for i in range(3))  # fmt: skip
    return book, (z, np.array(b_from, np.int64), np.array(b_to, np.int64),
                  np.array(c_f), np.array(c_b)), k  # fmt: skip


def _balance_matrix(book, net):
    bp, _, bz, ap, _, az = book
    z, b_from, b_to = net[:3]
    nb, na, nf = len(bp), len(ap), len(b_from)
    a_eq = np.zeros((z, nb + na + nf))
    a_eq[bz, np.arange(nb)] = 1.0  # bought
    a_eq[az, nb + np.arange(na)] = -1.0  # sold
    a_eq[b_from, nb + na + np.arange(nf)] = 1.0  # exported
    a_eq[b_to, nb + na + np.arange(nf)] = -1.0
    return a_eq


def lp_optimum(book, net):
    """Primal welfare optimum (currency per hour)."""
    bp, bq, _, ap, aq, _ = book
    c = np.concatenate([-bp, ap, np.zeros(len(net[1]))])
    bounds = [(0, q) for q in bq] + [(0, q) for q in aq]
    bounds += [(-b, f) for f, b in zip(net[3], net[4], strict=True)]
    a_eq = _balance_matrix(book, net)
    res = linprog(c, A_eq=a_eq, b_eq=np.zeros(net[0]), bounds=bounds, method="highs")
    assert res.status == 0
    return -res.fun, res


def dual_slack(welfare: float) -> float:
    """Room above the optimum on the dual face (HiGHS solves to about 1e-9)."""
    return 1e-8 * (1.0 + abs(welfare))


def lp_price_ranges(book, net, welfare):
    """(Z, 2): least and greatest p_z over the optimal dual face, p within [FLOOR, CAP]."""
    bp, bq, bz, ap, aq, az = book
    z, b_from, b_to, c_f, c_b = net
    nb, na, nf = len(bp), len(ap), len(b_from)
    n = z + nb + na + 2 * nf  # p, u (bids), v (asks), w+ , w-
    a_ub, b_ub = [], []
    for i in range(nb):  # u_i >= bp_i - p_z
        row = np.zeros(n)
        row[bz[i]], row[z + i] = -1.0, -1.0
        a_ub.append(row)
        b_ub.append(-bp[i])
    for j in range(na):  # v_j >= p_z - ap_j
        row = np.zeros(n)
        row[az[j]], row[z + nb + j] = 1.0, -1.0
        a_ub.append(row)
        b_ub.append(ap[j])
    a_eq, b_eq = [], []
    for b in range(nf):  # w+ - w- = p_to - p_from
        row = np.zeros(n)
        row[z + nb + na + b], row[z + nb + na + nf + b] = 1.0, -1.0
        row[b_to[b]] -= 1.0
        row[b_from[b]] += 1.0
        a_eq.append(row)
        b_eq.append(0.0)
    obj = np.concatenate([np.zeros(z), bq, aq, c_f, c_b])
    a_ub.append(obj)
    b_ub.append(welfare + dual_slack(welfare))
    bounds = [(FLOOR, CAP)] * z + [(0, None)] * (n - z)
    out = np.empty((z, 2))
    for zone in range(z):
        for s, sign in enumerate((1.0, -1.0)):
            c = np.zeros(n)
            c[zone] = sign
            res = linprog(c, A_ub=np.array(a_ub), b_ub=b_ub, A_eq=np.array(a_eq) if nf else None,
                          b_eq=b_eq if nf else None, bounds=bounds, method="highs")  # fmt: skip
            assert res.status == 0
            out[zone, s] = sign * res.fun
    return out


def welfare_of(book, r):
    bp, _, _, ap, _, _ = book
    return float(bp @ r.bid_fill - ap @ r.ask_fill)


def _args(book, net, k):
    return (*book, net[0], net[1], net[2], net[3], net[4])


def zonal(book, net, k=0.5):
    return clear_zonal(*_args(book, net, k), k=k)


@SETTINGS
@given(markets())
def test_against_the_linear_programme(case):
    book, net, k = case
    bp, bq, bz, ap, aq, az = book
    z, b_from, b_to, c_f, c_b = net
    r = zonal(book, net, k)
    welfare, _ = lp_optimum(book, net)
    scale = 1.0 + abs(welfare) + float(np.sum(np.abs(bp) * bq) + np.sum(np.abs(ap) * aq))
    assert abs(welfare_of(book, r) - welfare) <= TOL * scale
    assert np.all(r.bid_fill >= 0) and np.all(r.bid_fill <= bq)
    assert np.all(r.ask_fill >= 0) and np.all(r.ask_fill <= aq)
    assert np.all(r.flow <= c_f + 1e-9) and np.all(r.flow >= -c_b - 1e-9)
    # Balance per zone, including flows.
    net_import = np.zeros(z)
    np.add.at(net_import, b_to, r.flow)
    np.add.at(net_import, b_from, -r.flow)
    np.testing.assert_allclose(np.bincount(bz, r.bid_fill, z), r.zone_bought, atol=1e-9)
    np.testing.assert_allclose(np.bincount(az, r.ask_fill, z), r.zone_sold, atol=1e-9)
    np.testing.assert_allclose(r.zone_bought - r.zone_sold, net_import, atol=1e-8)
    assert math.isclose(r.volume, r.bid_fill.sum(), rel_tol=1e-9, abs_tol=1e-9)
    # Each zone's fills are supported by its price.
    price = r.zone_price
    for p, q, zz, fill, sign in ((bp, bq, bz, r.bid_fill, 1.0), (ap, aq, az, r.ask_fill, -1.0)):
        for i in range(len(p)):
            pz = price[zz[i]]
            if math.isnan(pz):
                assert fill[i] == 0.0
            elif sign * (p[i] - pz) > 1e-9:
                assert fill[i] == pytest.approx(q[i], rel=1e-9, abs=1e-9)
            elif sign * (p[i] - pz) < -1e-9:
                assert fill[i] == 0.0
    # Complementarity and the rent.
    for b in range(len(b_from)):
        f, pf, pt = r.flow[b], price[b_from[b]], price[b_to[b]]
        if -c_b[b] + 1e-9 < f < c_f[b] - 1e-9:
            assert pf == pt or (math.isnan(pf) and math.isnan(pt))
        if f > 1e-9:
            assert pf <= pt
        if f < -1e-9:
            assert pf >= pt
        assert r.congestion_rent[b] == (0.0 if f == 0.0 else (pt - pf) * f)
        assert r.congestion_rent[b] >= -1e-9
    # Prices inside the LP's dual range; the supporting interval is that range.
    # (The slack moves a range end by at most slack / 0.5 MW, the smallest quantity.)
    ranges = lp_price_ranges(book, net, welfare)
    tol_p = 3.0 * dual_slack(welfare) / 0.5 + 1e-7
    for zz in range(z):
        if math.isnan(price[zz]):
            continue
        lo, hi = ranges[zz]
        assert lo - tol_p <= price[zz] <= hi + tol_p, (zz, ranges, r)
        assert r.zone_price_lo[zz] == pytest.approx(lo, abs=tol_p), (zz, ranges, r)
        assert r.zone_price_hi[zz] == pytest.approx(hi, abs=tol_p), (zz, ranges, r)


@SETTINGS
@given(markets(), st.randoms(use_true_random=False))
def test_permutation_invariance(case, rnd):
    book, net, k = case
    bp, bq, bz, ap, aq, az = book
    pb = np.array(rnd.sample(range(len(bp)), len(bp)), dtype=np.int64)
    pa = np.array(rnd.sample(range(len(ap)), len(ap)), dtype=np.int64)
    r = zonal(book, net, k)
    s = zonal((bp[pb], bq[pb], bz[pb], ap[pa], aq[pa], az[pa]), net, k)
    np.testing.assert_array_equal(r.zone_price, s.zone_price)
    np.testing.assert_array_equal(r.flow, s.flow)
    np.testing.assert_array_equal(r.bid_fill[pb], s.bid_fill)
    np.testing.assert_array_equal(r.ask_fill[pa], s.ask_fill)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(markets(3, 3), min_size=1, max_size=6))
def test_batch_equals_single(cases):
    net = cases[0][1]  # one network for the batch; each row its own book and k
    e = len(cases)
    width_b = max(len(c[0][0]) for c in cases) + 1
    width_a = max(len(c[0][3]) for c in cases) + 2
    arrays = [
        np.full((e, width_b), 7.0),
        np.full((e, width_b), 3.0),
        np.zeros((e, width_b), int),
        np.full((e, width_a), 9.0),
        np.full((e, width_a), 5.0),
        np.zeros((e, width_a), int),
    ]
    for row, (book, _, _) in enumerate(cases):
        for a, v in zip(arrays, book, strict=True):
            a[row, : len(v)] = v
    nb = np.array([len(c[0][0]) for c in cases])
    na = np.array([len(c[0][3]) for c in cases])
    ks = np.array([c[2] for c in cases])
    caps_f = np.tile(net[3], (e, 1)) * np.linspace(0.5, 1.5, e)[:, None]
    r = clear_zonal_batch(*arrays, *net[:3], caps_f, net[4], n_bids=nb, n_asks=na, k=ks)
    for row, (book, _, k) in enumerate(cases):
        s = clear_zonal(*book, *net[:3], caps_f[row], net[4], k=k)
        np.testing.assert_array_equal(r.zone_price[row], s.zone_price)
        np.testing.assert_array_equal(r.flow[row], s.flow)
        np.testing.assert_array_equal(r.congestion_rent[row], s.congestion_rent)
        np.testing.assert_array_equal(r.bid_fill[row, : nb[row]], s.bid_fill)
        np.testing.assert_array_equal(r.ask_fill[row, : na[row]], s.ask_fill)
        assert not r.bid_fill[row, nb[row] :].any() and not r.ask_fill[row, na[row] :].any()
        assert r.volume[row] == s.volume


def _random_book(rng, n_bids, n_asks):
    bp = np.round(rng.uniform(0.0, 200.0, n_bids), 2)
    ap = np.round(rng.uniform(0.0, 200.0, n_asks), 2)
    bp[::3] = np.round(bp[::3], -1)  # ties at multiples of 10
    ap[::3] = np.round(ap[::3], -1)
    bq = rng.uniform(0.1, 50.0, n_bids)
    aq = rng.uniform(0.1, 50.0, n_asks)
    bq[::5] = 0.0
    return bp, bq, ap, aq


@pytest.mark.parametrize("k", [0.0, 0.5, 1.0, 0.37])
def test_one_zone_without_borders_is_clear_bit_for_bit(k):
    rng = np.random.default_rng(15)
    for n_bids, n_asks in [(0, 0), (1, 0), (1, 1), (3, 5), (10, 10), (40, 7), (200, 200)] * 5:
        bp, bq, ap, aq = _random_book(rng, n_bids, n_asks)
        c = clear(bp, bq, ap, aq, k=k)
        r = clear_zonal(bp, bq, np.zeros(n_bids, int), ap, aq, np.zeros(n_asks, int), 1, [], [],
                        0.0, 0.0, k=k)  # fmt: skip
        np.testing.assert_array_equal(r.zone_price, [c.price])
        np.testing.assert_array_equal(r.zone_price_lo, [c.price_lo])
        np.testing.assert_array_equal(r.zone_price_hi, [c.price_hi])
        assert r.volume == c.volume or (r.volume == 0.0 and c.volume == 0.0)
        np.testing.assert_array_equal(r.bid_fill, c.bid_fill)
        np.testing.assert_array_equal(r.ask_fill, c.ask_fill)
        assert r.flow.shape == (0,) and r.congestion_rent.shape == (0,)


def test_zones_joined_by_an_ample_border_clear_as_one():
    rng = np.random.default_rng(3)
    for _ in range(30):
        bp, bq, ap, aq = _random_book(rng, 30, 25)
        bz, az = rng.integers(0, 2, 30), rng.integers(0, 2, 25)
        c = clear(bp, bq, ap, aq)
        r = clear_zonal(bp, bq, bz, ap, aq, az, 2, [1], [0], 1e6, 1e6)
        np.testing.assert_allclose(r.zone_price, [c.price, c.price], rtol=1e-12)
        np.testing.assert_allclose(r.volume, c.volume, rtol=1e-9)
        np.testing.assert_allclose(r.bid_fill, c.bid_fill, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(r.ask_fill, c.ask_fill, rtol=1e-9, atol=1e-9)
        assert r.congestion_rent[0] == 0.0


def test_two_zones_uncongested_by_hand():
    # Zone 0 (north): offers 100 MW at 10 and 100 MW at 30. Zone 1 (south): a bid for
    # 150 MW at 60 and an offer of 100 MW at 50. Border 0 -> 1 of 200 MW each way.
    # As one market: 150 MW from 100 @ 10 + 50 @ 30; the 30 offer is marginal (50 of
    # its 100 MW left), so the supporting interval is [30, 30] and both prices are 30.
    # The border carries 150 MW < 200: not full, equal prices, no rent.
    # Welfare = 150 * 60 - 100 * 10 - 50 * 30 = 6500.
    r = clear_zonal([60.0], [150.0], [1], [10.0, 30.0, 50.0], [100.0, 100.0, 100.0], [0, 0, 1],
                    2, [0], [1], 200.0, 200.0)  # fmt: skip
    assert r.flow.tolist() == [150.0]
    assert r.zone_price.tolist() == [30.0, 30.0]
    assert r.ask_fill.tolist() == [100.0, 50.0, 0.0]
    assert r.congestion_rent.tolist() == [0.0]
    assert r.volume == 150.0


def test_two_zones_congested_by_hand():
    # The same book with an 80 MW border. Zone 1 imports 80 MW (full), so zone 0 sells
    # 80 of its 100 MW at 10: its marginal offer sets [10, 10], price 10. Zone 1 serves
    # the other 70 MW from its own offer at 50 (70 of 100 MW): price 50. Flow goes
    # from cheap (10) to dear (50); rent = (50 - 10) * 80 = 3200 per hour.
    # Welfare = 150 * 60 - 80 * 10 - 70 * 50 = 4700 (+ 3200 rent is in the welfare).
    r = clear_zonal([60.0], [150.0], [1], [10.0, 30.0, 50.0], [100.0, 100.0, 100.0], [0, 0, 1],
                    2, [0], [1], 80.0, 80.0)  # fmt: skip
    assert r.flow.tolist() == [80.0]
    assert r.zone_price.tolist() == [10.0, 50.0]
    assert r.ask_fill.tolist() == [80.0, 0.0, 70.0]
    assert r.congestion_rent.tolist() == [3200.0]
    assert r.zone_bought.tolist() == [0.0, 150.0] and r.zone_sold.tolist() == [80.0, 70.0]


def test_a_full_border_that_does_not_bind_keeps_one_price():
    # Zone 0 has 2 MW at 10, zone 1 a bid for 2 MW at 50; the border is exactly 2 MW.
    # It is full, but the prices need not separate: the supporting prices are
    # {p0 in [10, 50], p1 in [10, 50], p0 <= p1}, whose k = 0.5 point is 30 for both.
    r = clear_zonal([50.0], [2.0], [1], [10.0], [2.0], [0], 2, [0], [1], 2.0, 2.0)
    assert r.flow.tolist() == [2.0]
    assert r.zone_price.tolist() == [30.0, 30.0]
    assert r.zone_price_lo.tolist() == [10.0, 10.0] and r.zone_price_hi.tolist() == [50.0, 50.0]


def test_bad_network_and_zones():
    book = ([50.0], [2.0], [1], [10.0], [2.0], [0])
    with pytest.raises(ValueError, match="meshed networks are not supported"):
        clear_zonal(*book, 3, [0, 1, 2], [1, 2, 0], 1.0, 1.0)
    with pytest.raises(ValueError, match="a border from a zone to itself"):
        clear_zonal(*book, 2, [1], [1], 1.0, 1.0)
    with pytest.raises(ValueError, match="duplicate borders"):
        clear_zonal(*book, 2, [0, 1], [1, 0], 1.0, 1.0)
    with pytest.raises(ValueError, match=r"border_to\[0\]=2: allowed range is \[0, n_zones - 1\]"):
        clear_zonal(*book, 2, [0], [2], 1.0, 1.0)
    with pytest.raises(ValueError, match=r"cap_forward\[0\]=-1.0: allowed range is \[0, 1e\+09\]"):
        clear_zonal(*book, 2, [0], [1], -1.0, 1.0)
    with pytest.raises(ValueError, match=r"cap_backward\[0\]=nan"):
        clear_zonal(*book, 2, [0], [1], 1.0, math.nan)
    with pytest.raises(ValueError, match=r"bid_zone\[0\]=1: allowed range is \[0, n_zones - 1\]"):
        clear_zonal(*book, 1, [], [], 0.0, 0.0)
    with pytest.raises(ValueError, match=r"ask_zone\[0\]=-1"):
        clear_zonal([50.0], [2.0], [0], [10.0], [2.0], [-1], 1, [], [], 0.0, 0.0)
    with pytest.raises(ValueError, match="n_zones=0: allowed values are integers >= 1"):
        clear_zonal([], [], [], [], [], [], 0, [], [], 0.0, 0.0)
    with pytest.raises(ValueError, match="bid_zone: expected integer"):
        clear_zonal([50.0], [2.0], [0.5], [10.0], [2.0], [0], 1, [], [], 0.0, 0.0)
    with pytest.raises(ValueError, match=r"bid_price\[0\]=nan: prices must be finite"):
        clear_zonal([math.nan], [2.0], [0], [10.0], [2.0], [0], 1, [], [], 0.0, 0.0)
    with pytest.raises(ValueError, match=r"k=1.5: allowed range is \[0, 1\]"):
        clear_zonal(*book, 2, [0], [1], 1.0, 1.0, k=1.5)
    with pytest.raises(ValueError, match=r"ask_qty\[0\]=-2.0: allowed range is \[0, 1e\+09\] MW"):
        clear_zonal([50.0], [2.0], [0], [10.0], [-2.0], [0], 1, [], [], 0.0, 0.0)


def test_batch_bad_inputs_name_the_row():
    bp = np.array([[50.0], [40.0]])
    with pytest.raises(ValueError, match=r"bid_zone\[1, 0\]=3"):
        clear_zonal_batch(bp, bp, [[0], [3]], bp, bp, [[0], [0]], 2, [0], [1], 1.0, 1.0)
    with pytest.raises(ValueError, match=r"cap_forward\[1, 0\]=-1.0"):
        clear_zonal_batch(bp, bp, [0], bp, bp, [1], 2, [0], [1], [[1.0], [-1.0]], 1.0)
