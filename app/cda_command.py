"""``elecbay cda ORDERS``: replay orders through the continuous double auction.

The orders (YAML ``orders:`` list of ``{side, who, price, qty}`` or CSV with the
columns ``side,who,price,qty``; :mod:`elecbay_env.order_books`) arrive one at a time
in file order at :class:`elecbay_env.cda.ContinuousDoubleAuction`: an order that
crosses the book trades at once with the resting orders, best price first, then
earliest, each trade at the resting order's price; the rest of it rests. The command
prints every trade (who bought from whom, at what price, how much, and which order
triggered it), then the orders still resting and each trader's surplus. Without a
file it replays the embedded ``configs/demo_cda.csv``. docs/cda.md shows a run.
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources

import numpy as np

from elecbay_env.cda import ContinuousDoubleAuction, Trades
from elecbay_env.clearing import DEFAULT_PRICE_CAP, DEFAULT_PRICE_FLOOR
from elecbay_env.order_books import Book, BookError, read_book, read_book_text

DEMO_ORDERS = "demo_cda.csv"
CDA_HELP = """\
Replay orders, in file order, through the continuous double auction and print the
trades. An incoming order that crosses the book trades at once at the RESTING order's
price (best price first, then earliest); what is left of it rests.

ORDERS is CSV (header side,who,price,qty; side bid/buy or ask/sell/offer; one order per
row, in time order) or YAML (orders: a list of {side, who, price, qty}). Prices in
currency per MWh, quantities in MW (> 0, at most 1e9). A malformed file prints one line
naming the file and the problem and exits with code 2. docs/cda.md explains a run."""


class Replay:
    """The outcome of replaying a book's orders.

    Attributes:
        book: the orders replayed.
        auction: the auction after the last order.
        trades: every trade in the order it happened.
        owner_names: trader name of each owner label (index = label).
    """

    def __init__(self, book: Book, price_floor: float, price_cap: float) -> None:
        self.book = book
        self.owner_names: list[str] = []
        labels: dict[str, int] = {}
        for o in book.orders:
            labels.setdefault(o.who, len(labels))
        self.owner_names = list(labels)
        self.auction = ContinuousDoubleAuction(
            capacity=max(len(book.orders), 1), price_floor=price_floor, price_cap=price_cap
        )
        if book.orders:
            try:
                self.auction.process(
                    "submit",
                    np.array([o.side for o in book.orders]),
                    np.array([o.price for o in book.orders]),
                    np.array([o.qty for o in book.orders]),
                    owner=np.array([labels[o.who] for o in book.orders], dtype=np.int64),
                )
            except ValueError as exc:  # prices outside the bounds
                raise BookError(f"{book.source}: {exc} (orders numbered from 0)") from None
        self.trades: Trades = self.auction.trades

    def surplus(self) -> dict[str, tuple[float, float, float]]:
        """Each trader's (MW bought, MW sold, surplus in currency per hour): a buyer
        gains ``qty x (its limit - trade price)``, a seller ``qty x (price - its limit)``."""
        out = {name: [0.0, 0.0, 0.0] for name in self.owner_names}
        orders = self.book.orders
        t = self.trades
        for b, s, p, q in zip(t.buy_id, t.sell_id, t.price, t.qty, strict=True):
            buyer, seller = orders[int(b)], orders[int(s)]
            out[buyer.who][0] += float(q)
            out[buyer.who][2] += float(q) * (buyer.price - float(p))
            out[seller.who][1] += float(q)
            out[seller.who][2] += float(q) * (float(p) - seller.price)
        return {k: (v[0], v[1], v[2]) for k, v in out.items()}


def format_replay(r: Replay) -> str:
    """The text ``elecbay cda`` prints."""
    orders = r.book.orders
    t = r.trades
    lines = [f"{len(orders)} orders, {len(t.qty)} trades"]
    lines.append(
        f"{'trade':>5}  {'by order':>10}  {'buyer':<12} {'seller':<12} {'price':>9} {'qty MW':>8}"
    )
    for k in range(len(t.qty)):
        b, s = int(t.buy_id[k]), int(t.sell_id[k])
        trigger = b if t.aggressor[k] > 0 else s
        by = f"{trigger} ({orders[trigger].side})"
        lines.append(
            f"{k:>5}  {by:>10}  {orders[b].who:<12} {orders[s].who:<12} {t.price[k]:>9.2f} "
            f"{t.qty[k]:>8.2f}"
        )
    book = r.auction.book()
    lines.append("resting orders (best first)")
    for name, side in (("bid", book.bids), ("ask", book.asks)):
        for oid, price, qty in zip(side.order_id, side.price, side.qty, strict=True):
            lines.append(
                f"  {name}  order {int(oid):>3}  {orders[int(oid)].who:<12} {price:>9.2f} "
                f"{qty:>8.2f} MW"
            )
    if not len(book.bids.order_id) and not len(book.asks.order_id):
        lines.append("  (none)")
    lines.append("surplus per trader (currency per hour of delivery: MW x per MWh)")
    per = r.surplus()
    width = max([len(w) for w in per] + [6])
    lines.append(f"  {'trader':<{width}} {'bought MW':>10} {'sold MW':>10} {'surplus':>12}")
    for who, (bought, sold, s) in per.items():
        lines.append(f"  {who:<{width}} {bought:>10.2f} {sold:>10.2f} {s:>12,.2f}")
    total = sum(v[2] for v in per.values())
    lines.append(f"  {'total':<{width}} {'':>10} {'':>10} {total:>12,.2f}")
    return "\n".join(lines)


def load(path: str | None) -> Book:
    """The orders at ``path``, or the embedded ``configs/demo_cda.csv`` for None."""
    if path is None:
        text = resources.files("elecbay_configs").joinpath(DEMO_ORDERS).read_text()
        return read_book_text(f"configs/{DEMO_ORDERS} (embedded)", text, cda=True, fmt="csv")
    return read_book(path, cda=True)


def replay(book: Book) -> Replay:
    """Replay ``book``'s orders with its price bounds (default the EU day-ahead ones).

    Raises:
        BookError: bad bounds or an order price outside them.
    """
    floor = book.settings.get("price_floor", DEFAULT_PRICE_FLOOR)
    cap = book.settings.get("price_cap", DEFAULT_PRICE_CAP)
    for name, value in (("price_floor", floor), ("price_cap", cap)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BookError(f"{book.source}: {name}={value!r} is not a number")
    try:
        return Replay(book, float(floor), float(cap))
    except ValueError as exc:
        if isinstance(exc, BookError):
            raise
        raise BookError(f"{book.source}: {exc}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``elecbay cda``."""
    parser.add_argument("orders", nargs="?", default=None, metavar="ORDERS",
                        help="CSV or YAML file of orders in time order (default: the "
                             f"embedded configs/{DEMO_ORDERS})")  # fmt: skip


def run_command(args: argparse.Namespace) -> int:
    """``elecbay cda``: 0 on success, 2 (one line on stderr) for a bad file."""
    try:
        book = load(args.orders)
        r = replay(book)
    except BookError as exc:
        print(f"elecbay cda: error: {exc}", file=sys.stderr)
        return 2
    print(f"orders: {book.source}")
    print(format_replay(r))
    return 0
