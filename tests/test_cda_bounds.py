"""The continuous double auction's own API refuses what the clearing functions refuse
(issue 14, item 8): quantities beyond 1e9 MW, complex numbers, unbounded price limits;
the book is unchanged after a refused order."""

from __future__ import annotations

import numpy as np
import pytest

from elecbay_env.cda import ContinuousDoubleAuction
from elecbay_env.clearing import MAX_ABS_PRICE, MAX_QTY


def _book() -> ContinuousDoubleAuction:
    cda = ContinuousDoubleAuction(capacity=8)
    cda.submit("bid", 40.0, 5.0)
    return cda


def test_submit_bounds_the_quantity_and_leaves_the_book_alone() -> None:
    cda = _book()
    before = (cda.next_order_id, cda.best_bid(), cda.best_ask(), cda.n_trades)
    with pytest.raises(ValueError, match=r"qty=2000000000.0: allowed range is \(0, 1e\+09\] MW"):
        cda.submit("ask", 30.0, 2 * MAX_QTY)
    with pytest.raises(ValueError, match="expected a number"):
        cda.submit("ask", 30.0, 1 + 2j)
    assert (cda.next_order_id, cda.best_bid(), cda.best_ask(), cda.n_trades) == before
    cda.submit("ask", 30.0, MAX_QTY)  # the bound itself is allowed


def test_process_refuses_huge_and_complex_columns() -> None:
    cda = _book()
    with pytest.raises(ValueError, match=r"qty\[1\]=.*allowed range is \(0, 1e\+09\] MW"):
        cda.process("submit", ["ask", "ask"], [30.0, 31.0], [1.0, 1e12])
    with pytest.raises(ValueError, match="price: complex numbers are not allowed"):
        cda.process("submit", ["ask"], np.array([30.0 + 1j]), [1.0])
    assert cda.next_order_id == 1  # nothing applied


def test_price_limits_are_bounded() -> None:
    with pytest.raises(ValueError, match=r"price_floor=.*must lie in"):
        ContinuousDoubleAuction(price_floor=-10 * MAX_ABS_PRICE)
    with pytest.raises(ValueError, match="must lie in"):
        ContinuousDoubleAuction(price_cap=float("inf"))
