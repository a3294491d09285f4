"""The kernels' index sorts against numpy's stable argsort (the documented tie rule).

Books with many equal prices (drawn from a few price levels), signed zeros, padded
entries and lengths on both sides of the insertion/merge and merge/radix thresholds.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from elecbay_env.kernels import sorting
from elecbay_env.kernels.auction import sort_row as auction_sort_row
from elecbay_env.kernels.sorting import (
    SMALL_SORT,
    insertion_sort_row,
    merge_sort_row,
    radix_sort_row,
    sort_pairs_descending,
    sort_row,
)

SORTS = (sort_row, merge_sort_row, radix_sort_row, insertion_sort_row)


def _book(draw, max_n: int) -> tuple[np.ndarray, int]:
    n = draw(st.integers(0, max_n))
    pad = draw(st.integers(0, 5))
    levels = draw(st.integers(1, 8))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    grid = np.concatenate([[-0.0, 0.0], rng.uniform(-500.0, 4000.0, levels)])
    price = rng.choice(grid, size=n + pad)
    if draw(st.booleans()):  # some books arrive already in order, or reversed
        price[:n] = np.sort(price[:n])[:: draw(st.sampled_from([1, -1]))]
    return price, n


@st.composite
def books(draw, max_n: int = 300):
    return _book(draw, max_n)


def _expected(price: np.ndarray, n: int, descending: bool) -> np.ndarray:
    key = -price[:n] if descending else price[:n]
    return np.concatenate([np.argsort(key, kind="stable"), np.arange(n, price.shape[0])])


@settings(max_examples=300, deadline=None)
@given(books(), st.booleans())
def test_every_sort_is_numpys_stable_argsort(book, descending):
    price, n = book
    want = _expected(price, n, descending)
    for sort in SORTS:
        order = np.full(price.shape[0], -1, np.int64)
        sort(price, n, descending, order)
        assert np.array_equal(order, want), sort


def test_auction_sorts_with_the_same_function():
    assert auction_sort_row is sort_row


def test_threshold_lengths_and_large_books_with_ties():
    rng = np.random.default_rng(5)
    small = (SMALL_SORT - 1, SMALL_SORT, SMALL_SORT + 1, 2 * sorting.RUN + 1)
    radix = (sorting.RADIX_SORT, sorting.RADIX_SORT + 1, 5_000, 80_000)
    for n in (*small, *radix):
        price = rng.integers(0, 40, n).astype(float)  # every price repeats
        for descending in (True, False):
            order = np.empty(n, np.int64)
            sort_row(price, n, descending, order)
            assert np.array_equal(order, _expected(price, n, descending))


@settings(max_examples=200, deadline=None)
@given(books(max_n=120))
def test_pairs_sort_descending_stably_with_their_values(book):
    key, n = book
    val = np.arange(key.shape[0], dtype=float) * 1.5
    order = _expected(key, n, True)[:n]
    k2, v2 = key.copy(), val.copy()
    sort_pairs_descending(k2, v2, n)
    assert np.array_equal(k2[:n], key[order])
    assert np.array_equal(v2[:n], val[order])
    assert np.array_equal(k2[n:], key[n:]) and np.array_equal(v2[n:], val[n:])


@settings(max_examples=40, deadline=None)
@given(books(max_n=3 * sorting.RADIX_SORT), st.booleans())
def test_large_books_about_the_radix_threshold(book, descending):
    price, n = book
    order = np.full(price.shape[0], -1, np.int64)
    sort_row(price, n, descending, order)
    assert np.array_equal(order, _expected(price, n, descending))


def test_radix_keys_span_signs_magnitudes_and_extremes():
    rng = np.random.default_rng(9)
    special = [0.0, -0.0, 1e-300, -1e-300, 5e-324, -5e-324, 1e300, -1e300, np.inf, -np.inf]
    price = np.concatenate([rng.choice(special, 3000), rng.normal(0, 1e6, 3000)])
    rng.shuffle(price)
    for descending in (True, False):
        order = np.empty(price.shape[0], np.int64)
        radix_sort_row(price, price.shape[0], descending, order)
        assert np.array_equal(order, _expected(price, price.shape[0], descending))
