"""Property tests of the uniform-price call auction against an independent LP oracle.

The oracle is scipy's HiGHS linear programme, which knows nothing of price levels,
sorting or pro rata sharing:

    maximise  sum(bid_price * x) - sum(ask_price * y)
    s.t.      sum(x) == sum(y),  0 <= x <= bid_qty,  0 <= y <= ask_qty

gives the optimal welfare; a second LP maximises ``sum(x)`` subject to the welfare
staying at that optimum (less a tiny slack) and gives the largest welfare-optimal
volume. Everything else (marginal-level structure, pro rata, the supporting price
interval) is checked directly against the spec from the returned fills.

Books are drawn so that the awkward cases are common: prices from small integer
sets (many exact ties), bids exactly equal to asks, empty sides, all-rejected books,
zero quantities, negative prices, and quantities spanning eight orders of magnitude.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from elecbay_env.clearing import clear, clear_batch

FLOOR = -500.0
CAP = 4000.0
RTOL = 1e-9
"""Spec: an unfilled residual below 1e-9 of the order (or level) counts as filled..."""
ATOL = 1e-9
"""...as does one below 1e-9 MW."""
HIGHS_OPTIONS = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}

PROPERTY = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CHEAP = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Book(NamedTuple):
    bp: np.ndarray
    bq: np.ndarray
    ap: np.ndarray
    aq: np.ndarray


def _book(bp, bq, ap, aq) -> Book:
    return Book(*(np.asarray(v, dtype=np.float64).reshape(-1) for v in (bp, bq, ap, aq)))


# ---------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------

PRICE_MODES = ("small", "negative", "tenths", "wide", "pool")
QTY_MODES = ("int", "dyadic", "magnitudes")
SHAPES = ("any", "any", "any", "empty_bids", "empty_asks", "empty_both", "rejected", "equal")


def _window(a: int, b: int, lo: int, hi: int) -> st.SearchStrategy[int]:
    """Integers in [a, b] clipped to [lo, hi]; [lo, lo + (b - a)] if that is empty."""
    a2, b2 = max(a, lo), min(b, hi)
    if a2 > b2:
        a2, b2 = lo, min(hi, lo + (b - a))
    return st.integers(a2, b2)


def _price_strategy(draw, mode: str, lo: int = int(FLOOR), hi: int = int(CAP)):
    if mode == "small":  # integers 0..20: exact ties are frequent
        return _window(0, 20, lo, hi).map(float)
    if mode == "negative":
        return _window(-30, 5, lo, hi).map(float)
    if mode == "tenths":  # -5.0 .. 10.0 in steps of 0.1: ties, and inexact decimals
        return _window(-50, 100, lo * 10, hi * 10).map(lambda i: i / 10)
    if mode == "wide":
        return st.integers(lo, hi).map(float)
    # a few cent prices, reused: ties, non-integer prices
    pool = draw(st.lists(st.integers(lo * 100, hi * 100), min_size=1, max_size=5, unique=True))
    return st.sampled_from([c / 100 for c in pool])


def _qty_strategy(mode: str, positive: bool = False):
    if mode == "int":
        return st.integers(1 if positive else 0, 10).map(float)
    if mode == "dyadic":  # exact binary fractions: every partial sum is exact
        return st.integers(1 if positive else 0, 4096).map(lambda i: i / 64)
    magnitudes = st.one_of(
        st.floats(-4.0, 4.0).map(lambda e: 10.0**e),  # 1e-4 .. 1e4 MW
        st.floats(1e-3, 1e3, allow_nan=False, allow_infinity=False),
    )
    return magnitudes if positive else st.one_of(st.just(0.0), magnitudes)


@st.composite
def books(draw, max_orders: int = 10, shapes=SHAPES, qty_modes=QTY_MODES, lo=FLOOR, hi=CAP):
    """A random order book (as a :class:`Book`) with prices in [lo, hi]."""
    lo, hi = int(lo), int(hi)
    shape = draw(st.sampled_from(shapes))
    qmode = draw(st.sampled_from(qty_modes))
    qty = _qty_strategy(qmode)
    nb = 0 if shape in ("empty_bids", "empty_both") else draw(st.integers(1, max_orders))
    na = 0 if shape in ("empty_asks", "empty_both") else draw(st.integers(1, max_orders))
    if shape == "rejected":  # every bid strictly below every ask
        split = draw(st.integers(lo + 1, hi))
        bid_prices = st.integers(max(lo, split - 5), split - 1).map(float)
        ask_prices = st.integers(split, min(hi, split + 5)).map(float)
    elif shape == "equal":  # bids <= p <= asks, one of each exactly at p: zero-surplus trade
        p = draw(st.one_of(_window(0, 20, lo, hi), st.integers(lo, hi)))
        bid_prices = st.integers(max(lo, p - 3), p).map(float)
        ask_prices = st.integers(p, min(hi, p + 3)).map(float)
    else:
        mode = draw(st.sampled_from(PRICE_MODES))
        bid_prices = ask_prices = _price_strategy(draw, mode, lo, hi)
    bp = draw(st.lists(bid_prices, min_size=nb, max_size=nb))
    ap = draw(st.lists(ask_prices, min_size=na, max_size=na))
    bq = draw(st.lists(qty, min_size=nb, max_size=nb))
    aq = draw(st.lists(qty, min_size=na, max_size=na))
    if shape == "equal":
        bp[0] = ap[0] = float(p)
        bq[0] = draw(_qty_strategy(qmode, positive=True))
        aq[0] = draw(_qty_strategy(qmode, positive=True))
    return _book(bp, bq, ap, aq)


ks = st.one_of(st.sampled_from([0.0, 0.5, 1.0]), st.floats(0.0, 1.0))


# ---------------------------------------------------------------------------
# The oracle
# ---------------------------------------------------------------------------


class Oracle(NamedTuple):
    welfare: float
    max_volume: float
    welfare_tol: float
    volume_tol: float


def lp_oracle(book: Book) -> Oracle:
    """Optimal welfare and largest welfare-optimal volume, by scipy's HiGHS LP."""
    bp, bq, ap, aq = book
    nb, na = bp.size, ap.size
    qsum = float(bq.sum() + aq.sum())
    if nb == 0 or na == 0:
        return Oracle(0.0, 0.0, 1e-12, ATOL)
    spread = max(float(bp.max() - ap.min()), 0.0)
    gross = float(np.abs(bp) @ bq + np.abs(ap) @ aq)
    c = np.concatenate([-bp, ap])  # minimise -welfare
    a_eq = np.concatenate([np.ones(nb), -np.ones(na)])[None, :]
    bounds = np.column_stack([np.zeros(nb + na), np.concatenate([bq, aq])])
    res = linprog(c, A_eq=a_eq, b_eq=[0.0], bounds=bounds, method="highs", options=HIGHS_OPTIONS)
    assert res.status == 0, res.message
    welfare = -float(res.fun)

    # Largest volume with welfare >= optimum - eps; eps grows only if HiGHS calls the
    # tight problem infeasible through its own rounding.
    eps = 1e-15 * max(gross, 1.0)
    for _ in range(10):
        res2 = linprog(
            np.concatenate([-np.ones(nb), np.zeros(na)]),
            A_ub=c[None, :],
            b_ub=[eps - welfare],
            A_eq=a_eq,
            b_eq=[0.0],
            bounds=bounds,
            method="highs",
            options=HIGHS_OPTIONS,
        )
        if res2.status == 0:
            break
        eps *= 10.0
    else:
        raise AssertionError(f"volume LP failed: {res2.message}")
    max_volume = -float(res2.fun)

    gaps = np.abs(bp[:, None] - ap[None, :])
    gaps = gaps[gaps > 0]
    gap = float(gaps.min()) if gaps.size else math.inf
    # The auction may drop dust (RTOL of the volume, or ATOL MW) at a surplus of at
    # most `spread` per MW; the relaxed LP may gain eps / gap extra zero-ish-surplus MW.
    welfare_tol = RTOL * abs(welfare) + (RTOL * max_volume + ATOL) * spread + 1e-12 * gross + 1e-12
    volume_tol = RTOL * max_volume + ATOL + eps / gap + 1e-12 * qsum
    return Oracle(welfare, max_volume, welfare_tol, volume_tol)


# ---------------------------------------------------------------------------
# Checks against the spec
# ---------------------------------------------------------------------------


def _is_full(fill, qty):
    """Filled up to the spec's dust tolerance."""
    return qty - fill <= np.maximum(RTOL * qty, ATOL)


def _marginal_side(price, qty, fill, sign):
    """Check the marginal-level structure of one side; return (marginal price or None).

    ``sign`` is +1 for bids (higher is better) and -1 for asks.
    """
    live = qty > 0
    accepted = live & (fill > 0)
    if not accepted.any():
        return None
    key = sign * price
    m = key[accepted].min()
    better, worse, at = live & (key > m), live & (key < m), live & (key == m)
    # strictly better than the marginal level: full
    np.testing.assert_allclose(fill[better], qty[better], rtol=1e-12, atol=0)
    # strictly worse: nothing at all
    assert np.all(fill[worse] == 0.0), (price[worse], fill[worse])
    # at the margin: one common fill ratio (pro rata)
    ratios = fill[at] / qty[at]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-12, atol=0)
    return sign * m


def _levels(price, qty, fill):
    """Per distinct price (positive quantities only): (price, accepted, unfilled, ambiguous)."""
    out = []
    for p in np.unique(price[qty > 0]):
        sel = (price == p) & (qty > 0)
        q_lvl = float(qty[sel].sum())
        resid = float((qty[sel] - fill[sel]).sum())
        thr = max(RTOL * q_lvl, ATOL)
        ambiguous = thr / 1e3 < resid < thr * 1e3
        out.append((float(p), bool(np.any(fill[sel] > 0)), resid > thr, ambiguous))
    return out


def expected_interval(book: Book, bid_fill, ask_fill):
    """[max(a_m, b_r), min(b_m, a_r)] from the fills, and whether dust makes it ambiguous."""
    bl = _levels(book.bp, book.bq, bid_fill)
    al = _levels(book.ap, book.aq, ask_fill)
    b_m = min(p for p, acc, _, _ in bl if acc)
    a_m = max(p for p, acc, _, _ in al if acc)
    b_r = max((p for p, _, unf, _ in bl if unf), default=-math.inf)
    a_r = min((p for p, _, unf, _ in al if unf), default=math.inf)
    ambiguous = any(amb for *_, amb in bl + al)
    return max(a_m, b_r), min(b_m, a_r), ambiguous


def check_supports(book: Book, bid_fill, ask_fill, p: float) -> None:
    """Price p supports the allocation: everyone in the money fills, no one out of it does."""
    bp, bq, ap, aq = book
    assert np.all(_is_full(bid_fill, bq)[bp > p]), f"a bid priced above {p} is not full"
    assert np.all(_is_full(ask_fill, aq)[ap < p]), f"an ask priced below {p} is not full"
    assert np.all(bid_fill[bp < p] == 0.0), f"a bid priced below {p} fills"
    assert np.all(ask_fill[ap > p] == 0.0), f"an ask priced above {p} fills"


def check_result(book: Book, r, k: float, pricing="uniform", floor=FLOOR, cap=CAP) -> Oracle:
    """Every spec property of one clearing result; returns the oracle for reuse."""
    bp, bq, ap, aq = book
    bf, af = r.bid_fill, r.ask_fill
    assert bf.shape == bp.shape and af.shape == ap.shape
    assert r.bid_price_paid.shape == bp.shape and r.ask_price_received.shape == ap.shape
    oracle = lp_oracle(book)
    qsum = float(bq.sum() + aq.sum())

    # fills within [0, qty]
    assert np.all((bf >= 0.0) & (bf <= bq)), bf
    assert np.all((af >= 0.0) & (af <= aq)), af

    if r.volume == 0.0:  # no trade
        assert oracle.max_volume <= oracle.volume_tol, (
            f"no trade, but the LP trades {oracle.max_volume} MW"
        )
        assert math.isnan(r.price) and math.isnan(r.price_lo) and math.isnan(r.price_hi)
        assert np.all(bf == 0.0) and np.all(af == 0.0)
        assert np.all(np.isnan(r.bid_price_paid)) and np.all(np.isnan(r.ask_price_received))
        return oracle

    assert r.volume > 0.0
    # balance: bought == sold == volume
    assert math.isclose(bf.sum(), r.volume, rel_tol=1e-12, abs_tol=1e-12 * qsum)
    assert math.isclose(af.sum(), r.volume, rel_tol=1e-12, abs_tol=1e-12 * qsum)

    # welfare optimal (LP), and the largest welfare-optimal volume (second LP)
    welfare = float(bp @ bf - ap @ af)
    assert abs(welfare - oracle.welfare) <= oracle.welfare_tol, (welfare, oracle)
    assert abs(r.volume - oracle.max_volume) <= oracle.volume_tol, (r.volume, oracle)

    # marginal-level structure and pro rata
    b_m = _marginal_side(bp, bq, bf, +1)
    a_m = _marginal_side(ap, aq, af, -1)
    assert b_m is not None and a_m is not None and a_m <= b_m

    # the price and its interval
    lo, hi = r.price_lo, r.price_hi
    exp_lo, exp_hi, ambiguous = expected_interval(book, bf, af)
    assert lo <= hi, (lo, hi)
    if not ambiguous:
        assert (lo, hi) == (exp_lo, exp_hi), f"interval {(lo, hi)}, spec {(exp_lo, exp_hi)}"
    assert floor <= r.price <= cap
    assert lo <= r.price <= hi
    assert math.isclose(r.price, lo + k * (hi - lo), rel_tol=1e-12, abs_tol=1e-9)
    for p in (lo, r.price, hi):
        check_supports(book, bf, af, p)

    # prices paid and received
    for own, fill, paid in ((bp, bf, r.bid_price_paid), (ap, af, r.ask_price_received)):
        filled = fill > 0
        assert np.all(np.isnan(paid[~filled]))
        expected = own[filled] if pricing == "pay_as_bid" else np.full(filled.sum(), r.price)
        np.testing.assert_array_equal(paid[filled], expected)
    return oracle


def clear_book(book: Book, **kw):
    return clear(book.bp, book.bq, book.ap, book.aq, **kw)


# ---------------------------------------------------------------------------
# Worked examples, by hand
# ---------------------------------------------------------------------------

INF = math.inf

# (id, bids [(price, qty)], asks [(price, qty)], k, price, volume, bid fills, ask fills, lo, hi)
WORKED = [
    # Docstring book. Bid 30 meets ask 10: 1 MW. Next bid 20 < next ask 25: stop.
    # b_m=30, a_m=10, b_r=20 (bid 20 unfilled), a_r=25 -> [max(10,20), min(30,25)] = [20,25];
    # k=0.5 -> 22.5.
    ("docstring", [(30, 1), (20, 1)], [(10, 1), (25, 1)], 0.5, 22.5, 1.0, [1, 0], [1, 0], 20, 25),
    # Pro rata on the bid side. Demand: 60 -> 2 MW, 40 -> 6 MW cumulative. Supply: 20 -> 4,
    # 45 -> 9. Crossing ends at 4 MW (bid 40 < ask 45). Bid 60 takes 2; the two bids at 40
    # share the other 2 MW pro rata 3:1 -> 1.5 and 0.5. b_m=40, a_m=20, b_r=40 (2 MW left
    # at 40), a_r=45 -> [max(20,40), min(40,45)] = [40,40].
    (
        "pro_rata_bids",
        [(40, 3), (60, 2), (40, 1)],
        [(20, 4), (45, 5)],
        0.5,
        40.0,
        4.0,
        [1.5, 2, 0.5],
        [4, 0],
        40,
        40,
    ),
    # Pro rata on the ask side: one bid of 3 MW at 50, asks 2 and 6 MW at 20 share 3 MW
    # as 3/8 each -> 0.75 and 2.25. b_m=50, a_m=20, b_r=-inf, a_r=20 -> [20, 20].
    ("pro_rata_asks", [(50, 3)], [(20, 2), (20, 6)], 0.5, 20.0, 3.0, [3], [0.75, 2.25], 20, 20),
    # Bid exactly equal to ask: zero surplus, but the largest volume trades (2 MW).
    # b_m=a_m=30, b_r=-inf, a_r=30 (1 MW of the ask left) -> [30, 30].
    ("equal_prices", [(30, 2)], [(30, 3)], 0.5, 30.0, 2.0, [2], [2], 30, 30),
    # Ties on both sides meeting exactly: demand 50 -> 2 MW, supply 10 -> 2 MW; then
    # bid 35 < ask 40. Volume 2. b_m=50, a_m=10, b_r=35, a_r=40 -> [35, 40];
    # k=0.25 -> 35 + 0.25*5 = 36.25.
    (
        "tie_interval",
        [(50, 1), (35, 2), (50, 1)],
        [(10, 1), (40, 5), (10, 1)],
        0.25,
        36.25,
        2.0,
        [1, 0, 1],
        [1, 0, 1],
        35,
        40,
    ),
    # Negative prices. Demand -10 -> 5, -50 -> 10. Supply -100 -> 3, -20 -> 7.
    # (-10 vs -100): 3; (-10 vs -20): 5 = all of bid -10; (-50 vs -20): stop. Volume 5:
    # ask -100 full (3), ask -20 gives 2 of 4. b_m=-10, a_m=-20, b_r=-50, a_r=-20 ->
    # [max(-20,-50), min(-10,-20)] = [-20, -20].
    (
        "negative",
        [(-10, 5), (-50, 5)],
        [(-100, 3), (-20, 4)],
        0.5,
        -20.0,
        5.0,
        [5, 0],
        [3, 2],
        -20,
        -20,
    ),
    # Everything clears, nothing left on either side: b_r=-inf, a_r=+inf ->
    # [a_m, b_m] = [60, 100]; k=0.5 -> 80.
    ("all_clear", [(100, 5)], [(60, 5)], 0.5, 80.0, 5.0, [5], [5], 60, 100),
    # Zero-quantity orders hold no volume, so they neither trade nor bound the price:
    # bid 100 and ask 30 have qty 0. b_m=50, a_m=20, b_r=-inf, a_r=+inf -> [20, 50] -> 35.
    (
        "zero_qty",
        [(100, 0), (50, 1)],
        [(20, 1), (30, 0)],
        0.5,
        35.0,
        1.0,
        [0, 1],
        [1, 0],
        20,
        50,
    ),
    # Orders at the floor and the cap: [a_m, b_m] = [-500, 4000]; k=1 -> 4000, k=0 -> -500.
    ("at_bounds_k1", [(4000, 1)], [(-500, 1)], 1.0, 4000.0, 1.0, [1], [1], -500, 4000),
    ("at_bounds_k0", [(4000, 1)], [(-500, 1)], 0.0, -500.0, 1.0, [1], [1], -500, 4000),
    # Unequal marginal quantities: demand 3 MW at 50, supply 1 at 10 then 5 at 20.
    # Volume 3: ask 10 full, ask 20 gives 2 of 5. b_m=50, a_m=20, b_r=-inf, a_r=20 -> [20,20].
    ("partial_ask", [(50, 3)], [(10, 1), (20, 5)], 0.5, 20.0, 3.0, [3], [1, 2], 20, 20),
    # No crossing: bid 10 < ask 20 -> no trade.
    ("no_cross", [(10, 1)], [(20, 1)], 0.5, math.nan, 0.0, [0], [0], math.nan, math.nan),
    # One empty side -> no trade.
    ("no_asks", [(10, 1)], [], 0.5, math.nan, 0.0, [0], [], math.nan, math.nan),
]


@pytest.mark.parametrize(
    "bids, asks, k, price, volume, bid_fill, ask_fill, lo, hi",
    [w[1:] for w in WORKED],
    ids=[w[0] for w in WORKED],
)
def test_worked_examples(bids, asks, k, price, volume, bid_fill, ask_fill, lo, hi):
    bp, bq = (list(c) for c in zip(*bids, strict=True)) if bids else ([], [])
    ap, aq = (list(c) for c in zip(*asks, strict=True)) if asks else ([], [])
    book = _book(bp, bq, ap, aq)
    r = clear_book(book, k=k)
    np.testing.assert_allclose(r.bid_fill, bid_fill, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(r.ask_fill, ask_fill, rtol=1e-12, atol=1e-12)
    assert r.volume == pytest.approx(volume, rel=1e-12)
    np.testing.assert_array_equal([r.price, r.price_lo, r.price_hi], [price, lo, hi])
    check_result(book, r, k)


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------


@PROPERTY
@given(book=books(), k=ks, pricing=st.sampled_from(["uniform", "pay_as_bid"]))
def test_matches_lp_oracle(book, k, pricing):
    check_result(book, clear_book(book, k=k, pricing=pricing), k, pricing)


@PROPERTY
@given(book=books(max_orders=40), k=ks)
def test_matches_lp_oracle_large_books(book, k):
    check_result(book, clear_book(book, k=k), k)


@CHEAP
@given(book=books(), k=st.floats(0.0, 1.0))
def test_k_endpoints(book, k):
    r0, r1, rk = (clear_book(book, k=kk) for kk in (0.0, 1.0, k))
    for r in (r1, rk):  # the allocation and its interval do not depend on k
        np.testing.assert_array_equal(r.bid_fill, r0.bid_fill)
        np.testing.assert_array_equal(r.ask_fill, r0.ask_fill)
        np.testing.assert_array_equal(
            [r.volume, r.price_lo, r.price_hi], [r0.volume, r0.price_lo, r0.price_hi]
        )
    np.testing.assert_array_equal(r0.price, r0.price_lo)  # k=0 gives lo (NaN if no trade)
    np.testing.assert_array_equal(r1.price, r1.price_hi)  # k=1 gives hi


@pytest.mark.parametrize(
    "bid, ask",
    [
        # [lo, hi] = [0.2, 0.9]; in floating point 0.2 + 1.0 * (0.9 - 0.2) = 0.8999999999999999,
        # so "price = lo + k * (hi - lo)" taken literally misses hi by one ulp.
        (0.9, 0.2),
        (-1.8, -5.0),
        (885.23, -315.62),
        # -10 + 1.0 * (-3.6 - -10) = -3.5999999999999996 > hi = -3.6: the price then lies
        # outside [lo, hi] and the only bid pays more than its own limit.
        (-3.6, -10.0),
    ],
)
def test_k_endpoints_are_exact(bid, ask):
    """k=0 gives lo and k=1 gives hi exactly, not to rounding (spec: "k=1 gives hi")."""
    r0 = clear([bid], [1.0], [ask], [1.0], k=0.0)
    r1 = clear([bid], [1.0], [ask], [1.0], k=1.0)
    assert (r0.price_lo, r0.price_hi) == (ask, bid)
    assert r0.price == ask
    assert r1.price == bid, f"k=1 gives {r1.price!r}, price_hi is {r1.price_hi!r}"
    check_result(_book([bid], [1.0], [ask], [1.0]), r1, 1.0)


@st.composite
def permuted(draw, qty_modes=QTY_MODES):
    book = draw(books(max_orders=25, qty_modes=qty_modes))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return book, rng.permutation(book.bp.size), rng.permutation(book.ap.size)


@CHEAP
@given(case=permuted(), k=ks)
def test_permutation_invariance(case, k):
    book, pb, pa = case
    r = clear_book(book, k=k)
    s = clear(book.bp[pb], book.bq[pb], book.ap[pa], book.aq[pa], k=k)
    np.testing.assert_array_equal(
        [s.price, s.price_lo, s.price_hi], [r.price, r.price_lo, r.price_hi]
    )
    # Fills agree to rounding (the level sums are added in another order).
    atol = 1e-15 * float(book.bq.sum() + book.aq.sum())
    np.testing.assert_allclose(s.bid_fill, r.bid_fill[pb], rtol=1e-12, atol=atol)
    np.testing.assert_allclose(s.ask_fill, r.ask_fill[pa], rtol=1e-12, atol=atol)
    assert s.volume == pytest.approx(r.volume, rel=1e-12, abs=atol)


@CHEAP
@given(case=permuted(qty_modes=("int", "dyadic")), k=ks)
def test_permutation_invariance_exact(case, k):
    """With exactly representable quantities every sum is exact: fills must match bit for bit."""
    book, pb, pa = case
    r = clear_book(book, k=k)
    s = clear(book.bp[pb], book.bq[pb], book.ap[pa], book.aq[pa], k=k)
    np.testing.assert_array_equal(s.bid_fill, r.bid_fill[pb])
    np.testing.assert_array_equal(s.ask_fill, r.ask_fill[pa])
    np.testing.assert_array_equal(
        [s.price, s.volume, s.price_lo, s.price_hi], [r.price, r.volume, r.price_lo, r.price_hi]
    )


@CHEAP
@given(book=books(), k=ks)
def test_pay_as_bid(book, k):
    u = clear_book(book, k=k, pricing="uniform")
    p = clear_book(book, k=k, pricing="pay_as_bid")
    np.testing.assert_array_equal(p.bid_fill, u.bid_fill)
    np.testing.assert_array_equal(p.ask_fill, u.ask_fill)
    np.testing.assert_array_equal(
        [p.price, p.volume, p.price_lo, p.price_hi], [u.price, u.volume, u.price_lo, u.price_hi]
    )
    for own, fill, paid_u, paid_p in (
        (book.bp, u.bid_fill, u.bid_price_paid, p.bid_price_paid),
        (book.ap, u.ask_fill, u.ask_price_received, p.ask_price_received),
    ):
        filled = fill > 0
        np.testing.assert_array_equal(paid_p[filled], own[filled])
        np.testing.assert_array_equal(paid_u[filled], np.full(filled.sum(), u.price))
        assert np.all(np.isnan(paid_p[~filled])) and np.all(np.isnan(paid_u[~filled]))


NO_TRADE_SHAPES = ("empty_bids", "empty_asks", "empty_both", "rejected")


@CHEAP
@given(book=books(shapes=NO_TRADE_SHAPES), k=ks, pricing=st.sampled_from(["uniform", "pay_as_bid"]))
def test_no_trade(book, k, pricing):
    r = clear_book(book, k=k, pricing=pricing)
    assert r.volume == 0.0
    assert math.isnan(r.price) and math.isnan(r.price_lo) and math.isnan(r.price_hi)
    assert np.all(r.bid_fill == 0.0) and np.all(r.ask_fill == 0.0)
    assert np.all(np.isnan(r.bid_price_paid)) and np.all(np.isnan(r.ask_price_received))
    oracle = lp_oracle(book)
    assert oracle.max_volume <= oracle.volume_tol, oracle


@CHEAP
@given(book=books(shapes=("any", "equal")), k=ks)
def test_zero_quantities_never_trade(book, k):
    """All quantities zero: nothing trades, whatever the prices."""
    book = Book(book.bp, np.zeros_like(book.bq), book.ap, np.zeros_like(book.aq))
    r = clear_book(book, k=k)
    assert r.volume == 0.0 and math.isnan(r.price)
    assert np.all(r.bid_fill == 0.0) and np.all(r.ask_fill == 0.0)


@CHEAP
@given(book=books(shapes=("equal",)), k=ks)
def test_equal_price_crossing(book, k):
    """Bids <= p <= asks, some of each exactly at p: the zero-surplus volume trades at p.

    Volume = min(bid MW at p, ask MW at p); the side with MW left at p pins both ends of
    the interval (and if neither has, b_r < p < a_r), so lo = hi = p for every k.
    """
    p = book.bp[0]
    r = clear_book(book, k=k)
    expected = min(book.bq[book.bp == p].sum(), book.aq[book.ap == p].sum())
    assert r.volume == pytest.approx(expected, rel=1e-12)
    assert (r.price, r.price_lo, r.price_hi) == (p, p, p)
    check_result(book, r, k)


@st.composite
def bounded_books(draw):
    floor = draw(st.integers(-1000, 100))
    cap = floor + draw(st.integers(1, 300))
    return floor, cap, draw(books(lo=floor, hi=cap))


@CHEAP
@given(case=bounded_books(), k=ks)
def test_custom_floor_and_cap(case, k):
    """Orders anywhere in [floor, cap], including exactly at the bounds."""
    floor, cap, book = case
    r = clear_book(book, k=k, price_floor=floor, price_cap=cap)
    check_result(book, r, k, floor=floor, cap=cap)
    if r.volume > 0:
        assert floor <= r.price_lo <= r.price_hi <= cap


# ---------------------------------------------------------------------------
# Batches
# ---------------------------------------------------------------------------

GARBAGE = np.array([np.nan, np.inf, -np.inf, -1e300, 1e300, -7.0, 0.0, 5.0, 1e9])


def _pad(rows, width, rng):
    out = rng.choice(GARBAGE, size=(len(rows), width))
    for e, row in enumerate(rows):
        out[e, : row.size] = row
    return out


@st.composite
def batches(draw, max_markets=6, max_orders=10):
    n = draw(st.integers(1, max_markets))
    bks = [draw(books(max_orders=max_orders)) for _ in range(n)]
    nb = np.array([b.bp.size for b in bks])
    na = np.array([b.ap.size for b in bks])
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    wb = int(nb.max()) + draw(st.integers(0, 3))
    wa = int(na.max()) + draw(st.integers(0, 3))
    arrays = (
        _pad([b.bp for b in bks], wb, rng),
        _pad([b.bq for b in bks], wb, rng),
        _pad([b.ap for b in bks], wa, rng),
        _pad([b.aq for b in bks], wa, rng),
    )
    counts_kind = draw(st.sampled_from(["int64", "int32", "list", "none"]))
    if counts_kind == "none" and (np.any(nb != wb) or np.any(na != wa)):
        counts_kind = "int64"  # None means "every column", only valid without padding
    if counts_kind == "none":
        n_bids = n_asks = None
    elif counts_kind == "list":
        n_bids, n_asks = nb.tolist(), na.tolist()
    else:
        n_bids, n_asks = nb.astype(counts_kind), na.astype(counts_kind)
    k = draw(st.one_of(ks, st.lists(ks, min_size=n, max_size=n).map(np.array)))
    floor = draw(st.sampled_from([FLOOR, -1000.0, "per_row"]))
    floor = np.full(n, FLOOR) if floor == "per_row" else floor
    cap = draw(st.sampled_from([CAP, 5000.0]))
    return bks, arrays, n_bids, n_asks, k, floor, cap


def check_batch_rows(bks, rb, k, pricing, floor, cap):
    n = len(bks)
    ke = np.broadcast_to(np.asarray(k, dtype=float), (n,))
    fe = np.broadcast_to(np.asarray(floor, dtype=float), (n,))
    ce = np.broadcast_to(np.asarray(cap, dtype=float), (n,))
    for e, b in enumerate(bks):
        s = clear_book(b, k=ke[e], pricing=pricing, price_floor=fe[e], price_cap=ce[e])
        nb, na = b.bp.size, b.ap.size
        np.testing.assert_array_equal(
            [rb.price[e], rb.volume[e], rb.price_lo[e], rb.price_hi[e]],
            [s.price, s.volume, s.price_lo, s.price_hi],
        )
        np.testing.assert_array_equal(rb.bid_fill[e, :nb], s.bid_fill)
        np.testing.assert_array_equal(rb.ask_fill[e, :na], s.ask_fill)
        np.testing.assert_array_equal(rb.bid_price_paid[e, :nb], s.bid_price_paid)
        np.testing.assert_array_equal(rb.ask_price_received[e, :na], s.ask_price_received)
        # padded entries: no fill, no price
        assert np.all(rb.bid_fill[e, nb:] == 0.0) and np.all(rb.ask_fill[e, na:] == 0.0)
        assert np.all(np.isnan(rb.bid_price_paid[e, nb:]))
        assert np.all(np.isnan(rb.ask_price_received[e, na:]))


@CHEAP
@given(case=batches(), pricing=st.sampled_from(["uniform", "pay_as_bid"]))
def test_batch_matches_single(case, pricing):
    bks, (bp, bq, ap, aq), n_bids, n_asks, k, floor, cap = case
    rb = clear_batch(bp, bq, ap, aq, n_bids, n_asks, k, pricing, floor, cap)
    n = len(bks)
    assert rb.price.shape == rb.volume.shape == rb.price_lo.shape == rb.price_hi.shape == (n,)
    assert rb.bid_fill.shape == rb.bid_price_paid.shape == bp.shape
    assert rb.ask_fill.shape == rb.ask_price_received.shape == ap.shape
    check_batch_rows(bks, rb, k, pricing, floor, cap)


@pytest.mark.parametrize("seed", [0, 1])
def test_large_batch_parallel_path(seed):
    """E >= 64 takes the threaded kernel: rows still equal clear(), and meet the oracle."""
    rng = np.random.default_rng(seed)
    n = 100
    bks = []
    for _ in range(n):
        nb, na = rng.integers(0, 30, 2)
        pool = rng.integers(-20, 21, 6).astype(float)  # few prices: ties and equal crossings
        qty = lambda m: np.where(rng.random(m) < 0.1, 0.0, 10 ** rng.uniform(-4, 4, m))  # noqa: E731
        bks.append(_book(rng.choice(pool, nb), qty(nb), rng.choice(pool, na), qty(na)))
    nb = np.array([b.bp.size for b in bks])
    na = np.array([b.ap.size for b in bks])
    arrays = [_pad([getattr(b, f) for b in bks], w, rng) for f, w in
              (("bp", 30), ("bq", 30), ("ap", 30), ("aq", 30))]  # fmt: skip
    k = rng.random(n)
    rb = clear_batch(*arrays, nb, na, k)
    check_batch_rows(bks, rb, k, "uniform", FLOOR, CAP)
    for e, b in enumerate(bks):
        check_result(b, clear_book(b, k=k[e]), k[e])


def test_batch_matches_single_exactly_for_long_books():
    """Exact equality must hold for books of hundreds of orders too.

    Long rows with many tied prices are where a sort that is not stable may order a
    tie differently in the padded (E, N) row than in the bare (N,) book; the level sums
    are then added in another order and the fills can differ in the last bit.
    """
    rng = np.random.default_rng(2024)
    n, width = 8, 420
    bks = []
    for _ in range(n):
        nb, na = rng.integers(250, 400, 2)
        bks.append(
            _book(
                rng.integers(0, 6, nb).astype(float),
                10 ** rng.uniform(-3, 3, nb),
                rng.integers(0, 6, na).astype(float),
                10 ** rng.uniform(-3, 3, na),
            )
        )
    arrays = [_pad([getattr(b, f) for b in bks], width, rng) for f in ("bp", "bq", "ap", "aq")]
    nb = np.array([b.bp.size for b in bks])
    na = np.array([b.ap.size for b in bks])
    rb = clear_batch(*arrays, nb, na, 0.5)
    worst = 0.0
    for e, b in enumerate(bks):
        s = clear_book(b)
        for batch_fill, fill, qty in (
            (rb.bid_fill[e, : b.bp.size], s.bid_fill, b.bq),
            (rb.ask_fill[e, : b.ap.size], s.ask_fill, b.aq),
        ):
            worst = max(worst, float(np.max(np.abs(batch_fill - fill) / qty)))
    assert worst == 0.0, f"batch and single fills differ (largest relative gap {worst:.3g})"
    check_batch_rows(bks, rb, 0.5, "uniform", FLOOR, CAP)
