"""The classroom market's rules, hand-worked: CDA, call auction, checks, figures."""

from __future__ import annotations

import math

import numpy as np
import pytest
from elecbay_classroom.market import ClassMarket, OrderError
from elecbay_classroom.schedules import BUYER, SELLER, Card, Schedule, smith_1962_test1
from hypothesis import given, settings
from hypothesis import strategies as st


def _tiny(mech: str = "cda") -> ClassMarket:
    cards = (Card(BUYER, (10.0, 6.0)), Card(BUYER, (8.0,)), Card(SELLER, (2.0, 7.0)),
             Card(SELLER, (4.0,)))  # fmt: skip
    m = ClassMarket(Schedule("t", "t", "", cards, (0.0, 20.0)), mech)
    m.open_period()
    return m


def test_cda_trades_at_the_resting_price_and_books_profits() -> None:
    m = _tiny()
    assert m.submit(2, "ask", 5.0) == []
    (t,) = m.submit(0, "bid", 9.0)
    assert (t["buyer"], t["seller"], t["price"]) == (0, 2, 5.0)
    assert m.seats[0].profit == 10.0 - 5.0 and m.seats[2].profit == 5.0 - 2.0
    # the equilibrium: 10/2, 8/4 trade (6 < 7): max surplus 8 + 4 = 12
    assert m.eq.max_surplus == 12.0
    assert m.efficiency(1) == pytest.approx(8.0 / 12.0)
    assert m.alpha(1) == pytest.approx(100 * abs(5.0 - m.eq.price) / m.eq.price)
    # the next units: buyer 0 now values 6, seller 2 costs 7
    with pytest.raises(OrderError, match="above your value 6"):
        m.submit(0, "bid", 6.5)


def test_a_new_order_replaces_the_resting_one() -> None:
    m = _tiny()
    m.submit(2, "ask", 9.0)
    m.submit(2, "ask", 12.0)  # replaces 9.0
    assert m.cda.best_ask() == 12.0
    assert m.submit(1, "bid", 8.0) == []  # would have crossed 9.0? no; and not 12.0
    assert m.cancel(2) and math.isnan(m.cda.best_ask())


@pytest.mark.parametrize(("seat", "side", "price", "field", "text"), [
    (0, "ask", 5.0, "side", "only send 'bid'"),
    (2, "bid", 5.0, "side", "only send 'ask'"),
    (0, "bid", 11.0, "price", "above your value 10"),
    (2, "ask", 1.0, "price", "below your cost 2"),
    (0, "bid", -1.0, "price", r"allowed range \[0, 20\]"),
    (0, "bid", "x", "price", "expected a number"),
    (0, "bid", float("nan"), "price", "finite"),
    (0, "bid", True, "price", "expected a number"),
])  # fmt: skip
def test_bad_orders_name_the_field_and_change_nothing(seat, side, price, field, text) -> None:
    m = _tiny()
    m.submit(3, "ask", 6.0)
    before = (len(m.orders), m.cda.best_bid(), m.cda.best_ask())
    with pytest.raises(OrderError, match=text) as exc:
        m.submit(seat, side, price)
    assert exc.value.field == field
    assert (len(m.orders), m.cda.best_bid(), m.cda.best_ask())[0] == before[0]
    assert m.cda.best_ask() == 6.0 and math.isnan(m.cda.best_bid())


def test_no_units_left() -> None:
    m = _tiny()
    m.submit(3, "ask", 4.0)
    m.submit(1, "bid", 8.0)
    with pytest.raises(OrderError, match="no units left"):
        m.submit(1, "bid", 8.0)


def test_call_auction_clears_at_one_price_hand_worked() -> None:
    m = _tiny("call")
    m.submit(0, "bid", 9.0, unit=0)
    m.submit(0, "bid", 5.0, unit=1)
    m.submit(1, "bid", 8.0)
    m.submit(2, "ask", 3.0, unit=0)
    m.submit(3, "ask", 4.0)
    m.submit(2, "ask", 7.0, unit=1)
    assert m.trades == []
    trades = m.close_period()
    # bids 9, 8, 5 vs asks 3, 4, 7: 2 units trade; supporting interval [4, 5]... the
    # third bid 5 < third ask 7, so the price lies in [max(4, 5), min(8, 7)] = [5, 7] -> 6
    assert len(trades) == 2 and {t["price"] for t in trades} == {6.0}
    assert m.period_surplus[1] == pytest.approx((10 + 8) - (2 + 4))
    assert m.efficiency(1) == pytest.approx(1.0)


def test_call_unit_is_checked() -> None:
    m = _tiny("call")
    with pytest.raises(OrderError, match=r"allowed values are 0\.\.1") as exc:
        m.submit(0, "bid", 5.0, unit=2)
    assert exc.value.field == "unit"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 21), st.floats(0, 5)), max_size=80),
       st.sampled_from(["cda", "call"]))  # fmt: skip
def test_invariants_under_any_order_flow(flow, mech) -> None:
    """Whatever students send: nobody trades more units than the card has, nobody loses
    money (no-loss rule), and profits add up to the realised surplus."""
    m = ClassMarket(smith_1962_test1(), mech)
    m.open_period()
    for seat, price in flow:
        try:
            m.submit(seat, m.seats[seat].card.side, price)
        except OrderError:
            pass
    m.close_period()
    for s in m.seats:
        assert s.traded <= len(s.card.limits) + 1e-9
        assert s.profit >= -1e-9
    total = sum(s.profit for s in m.seats)
    assert total == pytest.approx(m.period_surplus[1], abs=1e-9)
    assert m.efficiency(1) <= 1.0 + 1e-9
    bought = sum(t["qty"] for t in m.trades)
    assert bought == pytest.approx(sum(s.traded for s in m.seats if s.card.role == BUYER))


def test_no_seat_gains_by_splitting_or_repeating_orders() -> None:
    """An exploit attempt: sending the same crossing order many times (or re-sending after
    a trade) cannot trade more units than the card holds nor raise profit above what one
    honest order per unit earns against the same counterparties."""
    honest, greedy = _tiny(), _tiny()
    for m, repeats in ((honest, 1), (greedy, 5)):
        m.submit(3, "ask", 4.0)
        m.submit(2, "ask", 5.0)
        for _ in range(repeats):
            try:
                m.submit(1, "bid", 8.0)
            except OrderError:
                pass
    assert greedy.seats[1].traded == honest.seats[1].traded == 1
    assert greedy.seats[1].profit == honest.seats[1].profit
    assert np.isclose(sum(s.profit for s in greedy.seats), greedy.period_surplus[1])
