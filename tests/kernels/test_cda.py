"""The continuous double auction (elecbay_env.cda and kernels/cda.py).

Hand-made books check price-time priority, trade prices and cancels; hypothesis
checks random event streams against a slow plain-Python order book written
independently below (``RefBook``), and the bulk path against one event at a time.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from elecbay_env.cda import CANCEL, SUBMIT, ContinuousDoubleAuction

TOL = 1e-9


# --------------------------------------------------------------------------- reference
class RefBook:
    """A deliberately naive order book: a list of orders, scanned in full per step."""

    def __init__(self) -> None:
        self.orders: list[dict] = []
        self.trades: list[tuple[int, int, float, float, int]] = []

    def submit(self, side: int, price: float, qty: float) -> int:
        oid = len(self.orders)
        self.orders.append({"side": side, "price": price, "qty": qty, "open": qty, "status": ""})
        rem = qty
        while True:
            if side == 1:
                # Bids buy from the cheapest ask at or below their price, oldest first.
                crossing = [
                    (o["price"], i)
                    for i, o in enumerate(self.orders)
                    if o["status"] == "resting" and o["side"] == -1 and o["price"] <= price
                ]
            else:
                crossing = [
                    (-o["price"], i)
                    for i, o in enumerate(self.orders)
                    if o["status"] == "resting" and o["side"] == 1 and o["price"] >= price
                ]
            if not crossing:
                break
            best = min(crossing)[1]
            resting = self.orders[best]
            q = min(rem, resting["open"])
            buy, sell = (oid, best) if side == 1 else (best, oid)
            self.trades.append((buy, sell, resting["price"], q, side))
            resting["open"] -= q
            rem -= q
            if resting["open"] <= max(TOL * resting["qty"], TOL):
                resting["open"] = 0.0
                resting["status"] = "filled"
            if rem <= max(TOL * qty, TOL):
                rem = 0.0
                break
        self.orders[oid]["open"] = rem
        self.orders[oid]["status"] = "resting" if rem > 0 else "filled"
        return oid

    def cancel(self, oid: int) -> bool:
        if not 0 <= oid < len(self.orders) or self.orders[oid]["status"] != "resting":
            return False
        self.orders[oid]["status"] = "cancelled"
        return True

    def side(self, side: int) -> list[int]:
        """Resting order ids of one side, best first."""
        ids = [
            i for i, o in enumerate(self.orders) if o["status"] == "resting" and o["side"] == side
        ]
        return sorted(ids, key=lambda i: (-side * self.orders[i]["price"], i))


# --------------------------------------------------------------------------- helpers
def apply(cda: ContinuousDoubleAuction, event: tuple) -> int | bool:
    if event[0] == "submit":
        _, side, price, qty = event
        return cda.submit(side, price, qty)
    return cda.cancel(event[1])


def as_arrays(events: list[tuple]) -> dict:
    n = len(events)
    kind = np.array([SUBMIT if e[0] == "submit" else CANCEL for e in events], dtype=np.int64)
    side = np.array([1 if e[0] == "submit" and e[1] == "bid" else -1 for e in events])
    price = np.array([e[2] if e[0] == "submit" else np.nan for e in events])
    qty = np.array([e[3] if e[0] == "submit" else np.nan for e in events])
    order_id = np.array([e[1] if e[0] == "cancel" else 0 for e in events], dtype=np.int64)
    return {
        "kind": kind.reshape(n),
        "side": side.reshape(n),
        "price": price.reshape(n),
        "qty": qty.reshape(n),
        "order_id": order_id.reshape(n),
    }


def trade_rows(cda: ContinuousDoubleAuction) -> list[tuple]:
    t = cda.trades
    return list(
        zip(
            t.buy_id.tolist(),
            t.sell_id.tolist(),
            t.price.tolist(),
            t.qty.tolist(),
            t.aggressor.tolist(),
            strict=True,
        )
    )


def assert_not_crossed(cda: ContinuousDoubleAuction) -> None:
    bid, ask = cda.best_bid(), cda.best_ask()
    if not (math.isnan(bid) or math.isnan(ask)):
        assert bid < ask, f"crossed book: best bid {bid} >= best ask {ask}"


def assert_same_state(a: ContinuousDoubleAuction, b: ContinuousDoubleAuction) -> None:
    ta, tb = a.trades, b.trades
    for name in ta._fields:
        np.testing.assert_array_equal(getattr(ta, name), getattr(tb, name), err_msg=name)
    for side in ("bids", "asks"):
        sa, sb = getattr(a.book(), side), getattr(b.book(), side)
        for name in sa._fields:
            np.testing.assert_array_equal(getattr(sa, name), getattr(sb, name), err_msg=name)
    assert a.next_order_id == b.next_order_id
    for oid in range(a.next_order_id):
        assert a.order(oid) == b.order(oid)


def snapshot(cda: ContinuousDoubleAuction) -> tuple:
    book = cda.book()
    return (
        cda.next_order_id,
        trade_rows(cda),
        [a.tolist() for a in book.bids],
        [a.tolist() for a in book.asks],
    )


# --------------------------------------------------------------------------- priority
def test_better_price_trades_first_at_the_resting_price():
    cda = ContinuousDoubleAuction()
    a42 = cda.submit("ask", 42.0, 1.0)
    a40 = cda.submit("ask", 40.0, 1.0)
    a41 = cda.submit("ask", 41.0, 1.0)
    bid = cda.submit("bid", 41.5, 3.0)
    assert trade_rows(cda) == [(bid, a40, 40.0, 1.0, 1), (bid, a41, 41.0, 1.0, 1)]
    # The 42 ask is above the bid's limit: the remaining 1 MW of the bid rests at 41.5.
    assert cda.best_bid() == 41.5
    assert cda.best_ask() == 42.0
    assert cda.order(bid).remaining == 1.0
    assert cda.order(a42).status == "resting"


def test_earlier_order_first_at_equal_price():
    cda = ContinuousDoubleAuction()
    b0 = cda.submit("bid", 50.0, 1.0)
    b1 = cda.submit("bid", 50.0, 1.0)
    b2 = cda.submit("bid", 50.0, 1.0)
    b_better = cda.submit("bid", 50.5, 0.5)
    ask = cda.submit("ask", 49.0, 2.0)
    assert trade_rows(cda) == [
        (b_better, ask, 50.5, 0.5, -1),
        (b0, ask, 50.0, 1.0, -1),
        (b1, ask, 50.0, 0.5, -1),
    ]
    bids = cda.book().bids
    assert bids.order_id.tolist() == [b1, b2]
    assert bids.qty.tolist() == [0.5, 1.0]


def test_a_partly_filled_order_keeps_its_time_priority():
    cda = ContinuousDoubleAuction()
    first = cda.submit("ask", 30.0, 2.0)
    second = cda.submit("ask", 30.0, 2.0)
    cda.submit("bid", 30.0, 1.0)  # partly fills `first`
    later = cda.submit("bid", 31.0, 1.5)
    assert trade_rows(cda)[1:] == [(later, first, 30.0, 1.0, 1), (later, second, 30.0, 0.5, 1)]


def test_resubmitted_order_goes_to_the_back_of_its_price():
    cda = ContinuousDoubleAuction()
    a = cda.submit("ask", 30.0, 1.0)
    b = cda.submit("ask", 30.0, 1.0)
    assert cda.cancel(a)
    a2 = cda.submit("ask", 30.0, 1.0)
    assert cda.book().asks.order_id.tolist() == [b, a2]
    bid = cda.submit("bid", 30.0, 1.0)
    assert trade_rows(cda) == [(bid, b, 30.0, 1.0, 1)]


def test_a_sell_aggressor_trades_at_the_resting_bid_price():
    cda = ContinuousDoubleAuction()
    bid = cda.submit("bid", 80.0, 2.0, owner=7)
    ask = cda.submit("ask", -20.0, 1.0, owner=9)
    assert trade_rows(cda) == [(bid, ask, 80.0, 1.0, -1)]
    assert cda.order(ask).status == "filled"
    assert cda.order(bid).remaining == 1.0
    assert cda.book().bids.owner.tolist() == [7]


def test_no_trade_when_prices_do_not_cross():
    cda = ContinuousDoubleAuction()
    cda.submit("bid", 39.99, 1.0)
    cda.submit("ask", 40.0, 1.0)
    assert cda.n_trades == 0
    assert (cda.best_bid(), cda.best_ask()) == (39.99, 40.0)


def test_no_dust_order_stays_in_the_book():
    cda = ContinuousDoubleAuction()
    ask = cda.submit("ask", 10.0, 1.0)
    bid = cda.submit("bid", 10.0, 1.0 - 1e-12)  # leaves 1e-12 MW of the ask
    assert cda.order(ask).status == "filled"
    assert cda.order(bid).status == "filled"
    assert len(cda.book().asks.order_id) == 0
    ask = cda.submit("ask", 10.0, 1.0)
    bid = cda.submit("bid", 10.0, 1.0 + 1e-12)  # leaves 1e-12 MW of the bid
    assert cda.order(bid).status == "filled"
    assert len(cda.book().bids.order_id) == 0
    assert math.isnan(cda.best_bid()) and math.isnan(cda.best_ask())


# --------------------------------------------------------------------------- cancel
def test_cancel_removes_the_order_and_it_never_trades():
    cda = ContinuousDoubleAuction()
    cheap = cda.submit("ask", 20.0, 1.0)
    dear = cda.submit("ask", 25.0, 1.0)
    assert cda.cancel(cheap) is True
    assert cda.best_ask() == 25.0
    assert cda.order(cheap).status == "cancelled"
    assert cda.order(cheap).remaining == 1.0
    bid = cda.submit("bid", 30.0, 5.0)
    assert trade_rows(cda) == [(bid, dear, 25.0, 1.0, 1)]
    assert cda.cancel(cheap) is False  # already cancelled
    assert cda.cancel(dear) is False  # filled
    assert cda.cancel(-1) is False
    assert cda.cancel(10**12) is False
    assert cda.cancel(np.int64(bid)) is True  # the bid's resting remainder
    assert math.isnan(cda.best_bid())


def test_cancel_deep_in_the_book_keeps_priority_of_the_rest():
    cda = ContinuousDoubleAuction(capacity=2)
    ids = [cda.submit("bid", 10.0 + (i % 7), 1.0) for i in range(50)]
    for oid in ids[::3]:
        assert cda.cancel(oid)
    expected = sorted(
        (oid for i, oid in enumerate(ids) if i % 3), key=lambda oid: (-(10.0 + oid % 7), oid)
    )
    assert cda.book().bids.order_id.tolist() == expected
    ask = cda.submit("ask", 0.0, 100.0)
    assert [t[0] for t in trade_rows(cda)] == expected
    assert cda.book().asks.qty.tolist() == [100.0 - len(expected)]
    assert cda.order(ask).remaining == 100.0 - len(expected)


@pytest.mark.parametrize("side", ["bid", "ask"])
def test_mass_cancels_keep_the_book_in_priority_order(side):
    # Cancelling most of a deep book (which compacts the kernel's storage) must
    # leave the survivors in exact price-time order.
    rng = np.random.default_rng(3)
    cda = ContinuousDoubleAuction(capacity=16)
    sign = 1 if side == "bid" else -1
    prices = np.round(rng.uniform(10.0, 20.0, 1000), 0)
    ids = [cda.submit(side, p, 1.0) for p in prices]
    gone = set(rng.choice(1000, 900, replace=False).tolist())
    for oid in ids:
        if oid in gone:
            assert cda.cancel(oid)
    expected = sorted(set(ids) - gone, key=lambda oid: (-sign * prices[oid], oid))
    snap = cda.book().bids if side == "bid" else cda.book().asks
    assert snap.order_id.tolist() == expected
    best = cda.best_bid() if side == "bid" else cda.best_ask()
    assert best == prices[expected[0]]
    other = "ask" if side == "bid" else "bid"
    cda.submit(other, 15.0, 1000.0)
    hit = [t[1 if side == "ask" else 0] for t in trade_rows(cda)]
    assert hit == [oid for oid in expected if sign * (prices[oid] - 15.0) >= 0]


# --------------------------------------------------------------------------- storage
def test_storage_grows_and_nothing_is_lost():
    cda = ContinuousDoubleAuction(capacity=1)
    n = 3000
    for i in range(n):
        cda.submit("bid", 10.0 + (i % 100) / 100, 1.0)
        cda.submit("ask", 20.0 + (i % 100) / 100, 1.0)
    book = cda.book()
    assert len(book.bids.order_id) == n and len(book.asks.order_id) == n
    assert cda.best_bid() == 10.99 and cda.best_ask() == 20.0
    # One sweep makes more trades than the initial trade storage holds.
    res = cda.process(["submit"], ["ask"], [0.0], [float(n)])
    assert len(res.trades.qty) == n
    assert res.trades.qty.sum() == n
    assert res.trades.seq.tolist() == list(range(n))
    assert len(cda.book().bids.order_id) == 0


def test_reset_empties_everything():
    cda = ContinuousDoubleAuction(capacity=4)
    for i in range(20):
        cda.submit("bid" if i % 2 else "ask", 40.0 + (i % 5), 1.0)
    cda.reset()
    assert cda.next_order_id == 0 and cda.n_trades == 0
    assert math.isnan(cda.best_bid()) and math.isnan(cda.best_ask())
    assert cda.submit("ask", 40.0, 1.0) == 0
    assert cda.submit("bid", 40.0, 1.0) == 1
    assert trade_rows(cda) == [(1, 0, 40.0, 1.0, 1)]


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"side": "buy"}, r"side='buy': allowed values are 'bid' or 'ask'"),
        ({"side": 0}, r"side=0: allowed values"),
        ({"side": True}, r"side=True: allowed values"),
        ({"side": [1]}, r"side=\[1\]: allowed values"),
        ({"price": math.nan}, r"price=nan: prices must be finite"),
        ({"price": math.inf}, r"price=inf: prices must be finite"),
        ({"price": -math.inf}, r"price=-inf: prices must be finite"),
        ({"price": -500.01}, r"price=-500.01: allowed range is .* = \[-500.0, 4000.0\]"),
        ({"price": 4000.5}, r"price=4000.5: allowed range is .* = \[-500.0, 4000.0\]"),
        ({"price": "cheap"}, r"price='cheap': expected a number"),
        ({"qty": 0.0}, r"qty=0.0: allowed range is \(0, 1e\+09\] MW"),
        ({"qty": -1.0}, r"qty=-1.0: allowed range is \(0, 1e\+09\] MW"),
        ({"qty": math.nan}, r"qty=nan: allowed range is \(0, 1e\+09\] MW"),
        ({"qty": math.inf}, r"qty=inf: allowed range is \(0, 1e\+09\] MW"),
        ({"owner": 1.5}, r"owner=1.5: expected an integer"),
    ],
)
def test_submit_rejects_bad_input_and_leaves_the_book_alone(kwargs, match):
    cda = ContinuousDoubleAuction()
    cda.submit("bid", 40.0, 1.0)
    cda.submit("ask", 45.0, 2.0)
    before = snapshot(cda)
    args = {"side": "ask", "price": 30.0, "qty": 1.0} | kwargs  # would trade if valid
    with pytest.raises(ValueError, match=match):
        cda.submit(**args)
    assert snapshot(cda) == before


def test_bounds_are_inclusive_and_configurable():
    cda = ContinuousDoubleAuction(price_floor=0.0, price_cap=100.0)
    cda.submit("ask", 0.0, 1.0)
    cda.submit("bid", 100.0, 2.0)
    assert trade_rows(cda) == [(1, 0, 0.0, 1.0, 1)]
    with pytest.raises(ValueError, match=r"price=-0.5: allowed range is .* \[0.0, 100.0\]"):
        cda.submit("bid", -0.5, 1.0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"capacity": 0}, r"capacity=0: allowed range is \[1, inf\)"),
        ({"capacity": 2.5}, r"capacity=2.5: expected an integer"),
        ({"price_floor": 10.0, "price_cap": 10.0}, r"price_floor < price_cap"),
        ({"price_cap": math.nan}, r"must lie in"),
    ],
)
def test_constructor_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ContinuousDoubleAuction(**kwargs)


def test_cancel_and_order_reject_non_integer_ids():
    cda = ContinuousDoubleAuction()
    cda.submit("bid", 1.0, 1.0)
    with pytest.raises(ValueError, match=r"order_id=1.0: expected an integer"):
        cda.cancel(1.0)
    with pytest.raises(ValueError, match=r"order_id='0': expected an integer"):
        cda.cancel("0")
    with pytest.raises(ValueError, match=r"order_id=1: allowed range is \[0, 1\)"):
        cda.order(1)
    assert cda.order(0).status == "resting"


@pytest.mark.parametrize(
    ("column", "value", "match"),
    [
        ("kind", "modify", r"kind\[3\]='modify': allowed values are 'submit' or 'cancel'"),
        ("kind", 2, r"kind\[3\]=.*2.*: allowed values are 'submit' or 'cancel'"),
        ("side", "sell", r"side\[3\]='sell': allowed values are 'bid' or 'ask'"),
        ("side", 0, r"side\[3\]=.*0.*: allowed values"),
        ("price", np.nan, r"price\[3\]=nan: prices must be finite"),
        ("price", np.inf, r"price\[3\]=inf: prices must be finite"),
        ("price", 5000.0, r"price\[3\]=5000.0: allowed range is .* \[-500.0, 4000.0\]"),
        ("price", -501.0, r"price\[3\]=-501.0: allowed range"),
        ("qty", 0.0, r"qty\[3\]=0.0: allowed range is \(0, 1e\+09\] MW"),
        ("qty", np.nan, r"qty\[3\]=nan: allowed range is \(0, 1e\+09\] MW"),
        ("qty", -2.0, r"qty\[3\]=-2.0: allowed range is \(0, 1e\+09\] MW"),
        ("owner", 1.5, r"owner\[3\]=1.5: expected an integer"),
    ],
)
def test_process_rejects_bad_input_without_applying_anything(column, value, match):
    cda = ContinuousDoubleAuction(capacity=1)
    cda.submit("bid", 40.0, 1.0)
    cda.submit("ask", 45.0, 2.0)
    before = snapshot(cda)
    events = {
        "kind": np.array(["submit"] * 6, dtype=object),
        "side": np.array(["ask", "bid", "ask", "bid", "ask", "bid"], dtype=object),
        "price": np.array([39.0, 46.0, 30.0, 50.0, 41.0, 41.0]),
        "qty": np.ones(6),
        "owner": np.arange(6, dtype=float),
    }
    events[column][3] = value
    originals = {k: v.copy() for k, v in events.items()}
    with pytest.raises(ValueError, match=match):
        cda.process(**events)
    assert snapshot(cda) == before
    for k, v in events.items():
        np.testing.assert_array_equal(v, originals[k])


def test_process_length_mismatch_and_missing_order_ids():
    cda = ContinuousDoubleAuction()
    with pytest.raises(ValueError, match=r"qty: length 2 differs"):
        cda.process(["submit"] * 3, "bid", [1.0, 2.0, 3.0], [1.0, 1.0])
    with pytest.raises(ValueError, match=r"order_id: needed for cancel events"):
        cda.process(["submit", "cancel"], "bid", 1.0, 1.0)
    assert cda.next_order_id == 0


def test_process_ignores_the_fields_cancels_do_not_use_and_never_mutates_inputs():
    cda = ContinuousDoubleAuction()
    kind = np.array([SUBMIT, SUBMIT, CANCEL, CANCEL, SUBMIT])
    side = np.array([1, -1, 0, 99, -1])
    price = np.array([50.0, 60.0, np.nan, np.inf, 45.0])
    qty = np.array([2.0, 1.0, -1.0, np.nan, 1.0])
    order_id = np.array([0, 0, 1, 7, 0])
    copies = [a.copy() for a in (kind, side, price, qty, order_id)]
    res = cda.process(kind, side, price, qty, order_id=order_id, owner=3)
    assert res.order_id.tolist() == [0, 1, -1, -1, 2]
    assert res.cancelled.tolist() == [False, False, True, False, False]
    assert list(zip(res.trades.buy_id, res.trades.sell_id, res.trades.price, strict=True)) == [
        (0, 2, 50.0)
    ]
    assert res.trades.aggressor.tolist() == [-1]
    assert cda.order(0).owner == 3
    for a, c in zip((kind, side, price, qty, order_id), copies, strict=True):
        np.testing.assert_array_equal(a, c)


# --------------------------------------------------------------------------- hypothesis
PRICES = st.integers(0, 12).map(lambda k: 40.0 + 0.5 * k)  # a coarse grid: many ties
QTYS = st.one_of(
    st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0, 1.0 - 1e-12, 1.0 + 1e-12, 1.0 / 3.0]),
    st.floats(0.001, 10.0, allow_nan=False, allow_infinity=False),
)
SUBMIT_EVENT = st.tuples(st.just("submit"), st.sampled_from(["bid", "ask"]), PRICES, QTYS)
CANCEL_EVENT = st.tuples(st.just("cancel"), st.integers(-2, 50))
EVENTS = st.lists(st.one_of(SUBMIT_EVENT, SUBMIT_EVENT, SUBMIT_EVENT, CANCEL_EVENT), max_size=60)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(events=EVENTS, capacity=st.sampled_from([1, 3, 64]))
def test_random_streams_match_the_reference_book(events, capacity):
    cda = ContinuousDoubleAuction(capacity=capacity)
    ref = RefBook()
    for event in events:
        got = apply(cda, event)
        if event[0] == "submit":
            assert got == ref.submit(1 if event[1] == "bid" else -1, event[2], event[3])
        else:
            assert got == ref.cancel(event[1])
        assert_not_crossed(cda)
    assert trade_rows(cda) == ref.trades
    book = cda.book()
    assert book.bids.order_id.tolist() == ref.side(1)
    assert book.asks.order_id.tolist() == ref.side(-1)
    for oid, o in enumerate(ref.orders):
        info = cda.order(oid)
        assert (info.status, info.remaining, info.price) == (o["status"], o["open"], o["price"])
    best_bid = ref.orders[ref.side(1)[0]]["price"] if ref.side(1) else math.nan
    assert cda.best_bid() == best_bid or (math.isnan(best_bid) and math.isnan(cda.best_bid()))


@SETTINGS
@given(events=EVENTS)
def test_quantity_is_conserved_and_trades_respect_limits(events):
    cda = ContinuousDoubleAuction(capacity=2)
    for event in events:
        apply(cda, event)
    t = cda.trades
    assert np.all(t.qty > 0.0)
    traded = np.zeros(cda.next_order_id)
    np.add.at(traded, t.buy_id, t.qty)
    np.add.at(traded, t.sell_id, t.qty)
    for oid in range(cda.next_order_id):
        info = cda.order(oid)
        # Filled: traded == qty up to the dust allowance; resting or cancelled:
        # traded + remaining == qty (what rests or was withdrawn is the rest).
        assert abs(traded[oid] + info.remaining - info.qty) <= 2 * max(TOL * info.qty, TOL)
        if info.status == "filled":
            assert info.remaining == 0.0
        else:
            assert info.remaining > max(TOL * info.qty, TOL)
    for buy, sell, price, aggressor in zip(t.buy_id, t.sell_id, t.price, t.aggressor, strict=True):
        b, s = cda.order(int(buy)), cda.order(int(sell))
        assert b.side == 1 and s.side == -1
        resting, incoming = (s, b) if aggressor == 1 else (b, s)
        assert incoming.order_id > resting.order_id
        assert price == resting.price  # each trade at the resting order's price
        assert b.price >= price >= s.price  # within both limits


@SETTINGS
@given(events=EVENTS, split=st.integers(0, 60), capacity=st.sampled_from([1, 4]))
def test_bulk_process_equals_one_event_at_a_time(events, split, capacity):
    one = ContinuousDoubleAuction(capacity=capacity)
    results = [apply(one, e) for e in events]
    bulk = ContinuousDoubleAuction(capacity=capacity)
    head, tail = events[:split], events[split:]
    res = [bulk.process(**as_arrays(part)) for part in (head, tail) if part]
    assert_same_state(one, bulk)
    got = []
    for r in res:
        got += [int(o) if o >= 0 else bool(c) for o, c in zip(r.order_id, r.cancelled, strict=True)]
    assert got == results
    t = one.trades
    for name in t._fields:
        np.testing.assert_array_equal(
            np.concatenate([getattr(r.trades, name) for r in res] or [getattr(t, name)[:0]]),
            getattr(t, name),
        )


def test_bulk_equals_one_at_a_time_on_a_long_zi_stream():
    rng = np.random.default_rng(7)
    n = 20_000
    kind = np.where(rng.random(n) < 0.15, CANCEL, SUBMIT)
    side = np.where(rng.random(n) < 0.5, 1, -1)
    price = np.round(rng.normal(50.0, 5.0, n), 1)
    qty = rng.uniform(0.1, 3.0, n)
    owner = rng.integers(0, 10, n)
    order_id = rng.integers(0, np.arange(1, n + 1))  # any id issued so far, or later
    bulk = ContinuousDoubleAuction(capacity=8)
    res = bulk.process(kind, side, price, qty, owner, order_id)
    one = ContinuousDoubleAuction(capacity=8)
    for i in range(n):
        if kind[i] == SUBMIT:
            assert one.submit(int(side[i]), price[i], qty[i], int(owner[i])) == res.order_id[i]
        else:
            assert one.cancel(int(order_id[i])) == res.cancelled[i]
    assert_same_state(one, bulk)
    assert res.cancelled.sum() > 100 and len(res.trades.qty) > 1000  # the stream exercised both
    assert_not_crossed(bulk)


def test_process_broadcasts_single_values_and_accepts_no_events():
    cda = ContinuousDoubleAuction()
    res = cda.process([], [], [], [])
    assert res.order_id.shape == (0,) and res.trades.qty.shape == (0,)
    res = cda.process("submit", "bid", [1.0, 2.0, 3.0], 1.0, owner=[4, 5, 6])
    assert res.order_id.tolist() == [0, 1, 2]
    assert cda.book().bids.owner.tolist() == [6, 5, 4]
    res = cda.process("cancel", "bid", np.nan, np.nan, order_id=[0, 0, 9])
    assert res.cancelled.tolist() == [True, False, False]
    assert cda.book().bids.order_id.tolist() == [2, 1]
