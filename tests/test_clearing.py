"""clear() / clear_batch(): input checking, no mutation, result types, docstring, dust.

The allocation itself is property-tested against an LP oracle in
tests/kernels/test_auction.py.
"""

from __future__ import annotations

import doctest
import itertools
import math
import re

import numpy as np
import pytest

import elecbay_env.clearing as clearing
from elecbay_env.clearing import BatchClearingResult, ClearingResult, clear, clear_batch

BOOK = {
    "bid_price": [50.0, 40.0, 35.0],
    "bid_qty": [1.0, 2.0, 0.5],
    "ask_price": [30.0, 45.0],
    "ask_qty": [1.5, 1.0],
}
ORDER_ARGS = tuple(BOOK)
FIELDS = (
    "price",
    "volume",
    "bid_fill",
    "ask_fill",
    "bid_price_paid",
    "ask_price_received",
    "price_lo",
    "price_hi",
)


def _names(message: str, name: str) -> bool:
    """Whether ``message`` names the argument ``name`` as a word of its own."""
    return re.search(rf"(?<![A-Za-z_]){re.escape(name)}(?![A-Za-z_])", message) is not None


def _with(**changes):
    kwargs = {k: list(v) for k, v in BOOK.items()}
    kwargs.update(changes)
    return kwargs


def _set(name, index, value):
    values = list(BOOK[name])
    values[index] = value
    return {name: values}


nan, inf = math.nan, math.inf

# (id, keyword changes to BOOK, argument the message must name, fragments of the allowed range)
BAD_INPUTS = [
    ("bid_price_nan", _set("bid_price", 1, nan), "bid_price", ["finite"]),
    ("bid_price_inf", _set("bid_price", 0, inf), "bid_price", ["finite"]),
    ("bid_price_-inf", _set("bid_price", 2, -inf), "bid_price", ["finite"]),
    ("ask_price_nan", _set("ask_price", 0, nan), "ask_price", ["finite"]),
    ("ask_price_inf", _set("ask_price", 1, inf), "ask_price", ["finite"]),
    ("bid_price_above_cap", _set("bid_price", 0, 4000.5), "bid_price", ["-500", "4000"]),
    ("bid_price_below_floor", _set("bid_price", 2, -500.5), "bid_price", ["-500", "4000"]),
    ("ask_price_above_cap", _set("ask_price", 1, 5000.0), "ask_price", ["-500", "4000"]),
    ("ask_price_below_floor", _set("ask_price", 0, -501.0), "ask_price", ["-500", "4000"]),
    ("bid_qty_negative", _set("bid_qty", 1, -1.0), "bid_qty", ["[0"]),
    ("bid_qty_tiny_negative", _set("bid_qty", 0, -1e-300), "bid_qty", ["[0"]),
    ("bid_qty_nan", _set("bid_qty", 2, nan), "bid_qty", ["[0"]),
    ("bid_qty_inf", _set("bid_qty", 0, inf), "bid_qty", ["[0"]),
    ("ask_qty_negative", _set("ask_qty", 0, -0.5), "ask_qty", ["[0"]),
    ("ask_qty_nan", _set("ask_qty", 1, nan), "ask_qty", ["[0"]),
    ("ask_qty_inf", _set("ask_qty", 0, inf), "ask_qty", ["[0"]),
    ("bid_qty_short", {"bid_qty": [1.0, 2.0]}, "bid_qty", []),
    ("bid_price_short", {"bid_price": [50.0]}, "bid_price", []),
    ("ask_qty_long", {"ask_qty": [1.0, 1.0, 1.0]}, "ask_qty", []),
    ("ask_price_short", {"ask_price": []}, "ask_price", []),
    ("k_negative", {"k": -0.1}, "k", ["[0, 1]"]),
    ("k_above_one", {"k": 1.0 + 1e-12}, "k", ["[0, 1]"]),
    ("k_nan", {"k": nan}, "k", ["[0, 1]"]),
    ("k_inf", {"k": inf}, "k", ["[0, 1]"]),
    ("pricing_unknown", {"pricing": "discriminatory"}, "pricing", ["uniform", "pay_as_bid"]),
    ("pricing_case", {"pricing": "Uniform"}, "pricing", ["uniform", "pay_as_bid"]),
    ("pricing_empty", {"pricing": ""}, "pricing", ["uniform", "pay_as_bid"]),
    ("custom_cap", {"price_cap": 45.0}, "bid_price", ["45"]),
    ("custom_floor", {"price_floor": 32.0}, "ask_price", ["32"]),
    ("bid_price_2d", {"bid_price": [[50.0, 40.0, 35.0]]}, "bid_price", []),
    ("ask_qty_not_numbers", {"ask_qty": ["one", "two"]}, "ask_qty", []),
]


@pytest.mark.parametrize(
    "changes, name, fragments", [b[1:] for b in BAD_INPUTS], ids=[b[0] for b in BAD_INPUTS]
)
def test_bad_input_names_the_argument(changes, name, fragments):
    with pytest.raises(ValueError) as info:
        clear(**_with(**changes))
    message = str(info.value)
    assert _names(message, name), f"{message!r} does not name {name!r}"
    for fragment in fragments:
        assert fragment in message, f"{message!r} does not state the range ({fragment!r})"


def test_single_value_errors_blame_the_right_array():
    """A NaN quantity is the quantity's fault, a NaN price the price's (not the neighbour's)."""
    for name in ORDER_ARGS:
        with pytest.raises(ValueError) as info:
            clear(**_with(**_set(name, 0, nan)))
        message = str(info.value)
        assert _names(message, name), message
        assert not any(_names(message, o) for o in ORDER_ARGS if o != name), message


def test_orders_exactly_at_floor_and_cap_are_accepted():
    r = clear([4000.0, -500.0], [1.0, 1.0], [-500.0, 4000.0], [1.0, 1.0])
    assert r.volume == 1.0
    assert (r.price_lo, r.price_hi) == (-500.0, 4000.0)
    r = clear([10.0], [1.0], [5.0], [1.0], price_floor=5.0, price_cap=10.0)
    assert (r.volume, r.price) == (1.0, 7.5)


def test_empty_books_are_valid():
    for bp, ap in (([], []), ([10.0], []), ([], [10.0])):
        r = clear(bp, [1.0] * len(bp), ap, [1.0] * len(ap))
        assert r.volume == 0.0 and math.isnan(r.price)
        assert r.bid_fill.shape == (len(bp),) and r.ask_fill.shape == (len(ap),)


# --- clear_batch --------------------------------------------------------------------


def _batch(**changes):
    kwargs = {
        "bid_price": np.array([[50.0, 40.0, 0.0], [20.0, 10.0, 15.0]]),
        "bid_qty": np.array([[1.0, 2.0, 0.0], [1.0, 1.0, 1.0]]),
        "ask_price": np.array([[30.0, 45.0], [12.0, 0.0]]),
        "ask_qty": np.array([[1.5, 1.0], [2.0, 0.0]]),
        "n_bids": np.array([2, 3]),
        "n_asks": np.array([2, 1]),
    }
    kwargs.update(changes)
    return kwargs


def _batch_set(name, index, value):
    arr = _batch()[name].copy()
    arr[index] = value
    return {name: arr}


BAD_BATCH = [
    ("bid_price_nan_real", _batch_set("bid_price", (1, 2), nan), "bid_price", ["[1, 2]"]),
    ("ask_qty_negative_real", _batch_set("ask_qty", (0, 1), -1.0), "ask_qty", ["[0, 1]"]),
    ("bid_price_above_cap", _batch_set("bid_price", (0, 0), 4001.0), "bid_price", ["4000"]),
    ("n_bids_too_large", {"n_bids": np.array([4, 3])}, "n_bids", ["[0, 3]"]),
    ("n_bids_negative", {"n_bids": np.array([-1, 3])}, "n_bids", ["[0, 3]"]),
    ("n_bids_float", {"n_bids": np.array([2.0, 3.0])}, "n_bids", []),
    ("n_asks_shape", {"n_asks": np.array([2, 1, 1])}, "n_asks", []),
    ("k_per_row_out_of_range", {"k": np.array([0.5, 1.5])}, "k", ["[0, 1]"]),
    ("k_per_row_nan", {"k": np.array([nan, 0.5])}, "k", ["[0, 1]"]),
    ("k_shape", {"k": np.array([0.5, 0.5, 0.5])}, "k", []),
    ("pricing", {"pricing": "vickrey"}, "pricing", ["uniform", "pay_as_bid"]),
    ("bid_qty_shape", {"bid_qty": np.ones((2, 2))}, "bid_qty", []),
    (
        "ask_price_markets",
        {"ask_price": np.ones((3, 2)), "ask_qty": np.ones((3, 2))},
        "ask_price",
        [],
    ),
    ("bid_price_1d", {"bid_price": np.array([50.0, 40.0, 0.0])}, "bid_price", []),
    ("floor_not_below_cap", {"price_floor": 10.0, "price_cap": 10.0}, "price_floor", []),
    ("floor_nan", {"price_floor": nan}, "price_floor", []),
]


@pytest.mark.parametrize(
    "changes, name, fragments", [b[1:] for b in BAD_BATCH], ids=[b[0] for b in BAD_BATCH]
)
def test_batch_bad_input_names_the_argument(changes, name, fragments):
    with pytest.raises(ValueError) as info:
        clear_batch(**_batch(**changes))
    message = str(info.value)
    assert _names(message, name), f"{message!r} does not name {name!r}"
    for fragment in fragments:
        assert fragment in message, f"{message!r} lacks {fragment!r}"


def test_batch_ignores_garbage_past_the_counts():
    """Entries past n_bids/n_asks may hold anything, NaN and negative quantities included."""
    kw = _batch()
    kw["bid_price"][0, 2] = nan
    kw["bid_qty"][0, 2] = -inf
    kw["ask_price"][1, 1] = inf
    kw["ask_qty"][1, 1] = nan
    r = clear_batch(**kw)
    clean = clear_batch(**_batch())
    for field in FIELDS:
        np.testing.assert_array_equal(getattr(r, field), getattr(clean, field))
    assert r.bid_fill[0, 2] == 0.0 and math.isnan(r.bid_price_paid[0, 2])
    assert r.ask_fill[1, 1] == 0.0 and math.isnan(r.ask_price_received[1, 1])


# --- inputs are never mutated -------------------------------------------------------


@pytest.mark.parametrize("pricing", ["uniform", "pay_as_bid"])
def test_clear_does_not_mutate_inputs(pricing):
    # unsorted, with ties, a zero quantity and a partial fill at the margin
    arrays = {
        "bid_price": np.array([40.0, 50.0, 40.0, 35.0, 60.0]),
        "bid_qty": np.array([3.0, 1.0, 1.0, 0.0, 0.5]),
        "ask_price": np.array([45.0, 20.0, 30.0, 20.0]),
        "ask_qty": np.array([1.0, 2.0, 1.0, 0.25]),
    }
    copies = {k: v.copy() for k, v in arrays.items()}
    r = clear(**arrays, k=0.3, pricing=pricing)
    assert r.volume > 0
    for name, arr in arrays.items():
        np.testing.assert_array_equal(arr, copies[name], err_msg=name)
    # outputs are new arrays: writing to them leaves the inputs alone
    for out in (r.bid_fill, r.ask_fill, r.bid_price_paid, r.ask_price_received):
        assert not any(np.shares_memory(out, arr) for arr in arrays.values())


def test_clear_accepts_read_only_inputs():
    arrays = [np.array(v) for v in BOOK.values()]
    for arr in arrays:
        arr.flags.writeable = False
    r = clear(*arrays, pricing="pay_as_bid")
    assert r.volume > 0


@pytest.mark.parametrize("pricing", ["uniform", "pay_as_bid"])
def test_clear_batch_does_not_mutate_inputs(pricing):
    kw = _batch(k=np.array([0.2, 0.9]), price_floor=np.array([-500.0, -100.0]))
    kw["bid_price"][0, 2] = nan  # garbage in the padding is left alone too
    copies = {k: np.copy(v) for k, v in kw.items()}
    r = clear_batch(**kw, pricing=pricing)
    assert np.all(r.volume > 0)
    for name, arr in kw.items():
        np.testing.assert_array_equal(arr, copies[name], err_msg=name)
    for arr in kw.values():
        arr.flags.writeable = False
    clear_batch(**kw, pricing=pricing)  # and read-only inputs are fine


# --- result types -------------------------------------------------------------------


def test_clear_result_types():
    r = clear(**BOOK)
    assert isinstance(r, ClearingResult)
    assert r._fields == FIELDS
    for name in ("price", "volume", "price_lo", "price_hi"):
        assert isinstance(getattr(r, name), float), name
    for name, n in (
        ("bid_fill", 3),
        ("bid_price_paid", 3),
        ("ask_fill", 2),
        ("ask_price_received", 2),
    ):
        arr = getattr(r, name)
        assert isinstance(arr, np.ndarray) and arr.dtype == np.float64 and arr.shape == (n,), name
    # integer and list inputs are converted
    ri = clear([50, 40, 35], [1, 2, 1], [30, 45], [3, 1])
    assert ri.bid_fill.dtype == np.float64 and isinstance(ri.price, float)


def test_clear_no_trade_result_types():
    r = clear([10.0], [1.0], [20.0], [1.0])
    assert isinstance(r, ClearingResult)
    assert r.volume == 0.0 and isinstance(r.volume, float)
    assert all(math.isnan(v) for v in (r.price, r.price_lo, r.price_hi))
    assert r.bid_fill.dtype == np.float64 and r.ask_price_received.dtype == np.float64


def test_clear_batch_result_types():
    r = clear_batch(**_batch())
    assert isinstance(r, BatchClearingResult)
    assert r._fields == FIELDS
    for name in ("price", "volume", "price_lo", "price_hi"):
        arr = getattr(r, name)
        assert arr.dtype == np.float64 and arr.shape == (2,), name
    for name, shape in (
        ("bid_fill", (2, 3)),
        ("bid_price_paid", (2, 3)),
        ("ask_fill", (2, 2)),
        ("ask_price_received", (2, 2)),
    ):
        arr = getattr(r, name)
        assert arr.dtype == np.float64 and arr.shape == shape, name


def test_clear_batch_default_counts_and_scalar_k():
    """n_bids=None means every column; a scalar k applies to every row."""
    kw = _batch(n_bids=None, n_asks=None)
    kw["bid_qty"][0, 2] = 0.0
    r = clear_batch(**kw, k=0.25)
    for e in range(2):
        s = clear(kw["bid_price"][e], kw["bid_qty"][e], kw["ask_price"][e], kw["ask_qty"][e], 0.25)
        np.testing.assert_array_equal([r.price[e], r.volume[e]], [s.price, s.volume])
        np.testing.assert_array_equal(r.bid_fill[e], s.bid_fill)


# --- the docstring ------------------------------------------------------------------


def test_docstring_example():
    r = clear([30.0, 20.0], [1.0, 1.0], [10.0, 25.0], [1.0, 1.0])
    assert (float(r.volume), float(r.price)) == (1.0, 22.5)


def test_module_doctests():
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = finder.find(clearing, "elecbay_env.clearing")
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0
    assert result.failed == 0


# --- dust ---------------------------------------------------------------------------


@pytest.mark.parametrize("order", list(itertools.permutations(range(4))))
def test_dust_does_not_pin_the_price_bids(order):
    """0.1 + 0.2 + 0.7 MW of bids at 50 against 1.0 MW offered at 30, and a bid at 40.

    Exactly, the three bids at 50 buy the whole 1.0 MW, the bid at 40 gets nothing:
    b_m = 50, a_m = 30, b_r = 40, a_r = +inf -> [lo, hi] = [40, 50]. In floating point the
    sum at 50 is 1.0 or 0.9999999999999999 depending on the order of addition; that
    1e-16 MW of dust must not hand the bid at 40 a fill that pins the price at 40.
    """
    bp = np.array([50.0, 50.0, 50.0, 40.0])[list(order)]
    bq = np.array([0.1, 0.2, 0.7, 1.0])[list(order)]
    r = clear(bp, bq, [30.0], [1.0])
    assert (r.price_lo, r.price_hi, r.price) == (40.0, 50.0, 45.0)
    assert np.all(r.bid_fill[bp == 40.0] == 0.0)
    np.testing.assert_allclose(r.bid_fill[bp == 50.0], bq[bp == 50.0], rtol=1e-12)
    assert r.volume == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize("order", list(itertools.permutations(range(4))))
def test_dust_does_not_pin_the_price_asks(order):
    """The mirror image: 0.1 + 0.2 + 0.7 MW offered at 30, a 1.0 MW bid at 50, an offer at 40.

    b_m = 50, a_m = 30, b_r = -inf, a_r = 40 -> [30, 40], price 35.
    """
    ap = np.array([30.0, 30.0, 30.0, 40.0])[list(order)]
    aq = np.array([0.1, 0.2, 0.7, 1.0])[list(order)]
    r = clear([50.0], [1.0], ap, aq)
    assert (r.price_lo, r.price_hi, r.price) == (30.0, 40.0, 35.0)
    assert np.all(r.ask_fill[ap == 40.0] == 0.0)
    assert r.volume == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize(
    "bid_qty, interval",
    [
        # 1e-12 MW of the 1 MW bid at 50 stays unfilled: below 1e-9 relative, so the bid
        # counts as filled and b_r = 40 (the other bid) -> [max(30, 40), min(50, inf)].
        (1.0 + 1e-12, (40.0, 50.0)),
        # 1e-3 MW bid, 5e-10 MW unfilled: 5e-7 relative but below 1e-9 MW absolute.
        (1e-3 + 5e-10, (40.0, 50.0)),
        # 1e-6 MW unfilled is real volume: b_r = 50 -> [max(30, 50), 50] = [50, 50].
        (1.0 + 1e-6, (50.0, 50.0)),
    ],
)
def test_residual_dust_threshold(bid_qty, interval):
    """A bid at 50 slightly larger than the only offer (at 30), and a second bid at 40."""
    ask_qty = 1.0 if bid_qty > 0.5 else 1e-3
    r = clear([50.0, 40.0], [bid_qty, 1.0], [30.0], [ask_qty])
    assert (r.price_lo, r.price_hi) == interval
    assert r.volume == pytest.approx(ask_qty, rel=1e-12)
    assert r.bid_fill[1] == 0.0
