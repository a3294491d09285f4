"""``elecbay clear [BOOK]``: clear one order book, print fills and surplus, plot the curves.

The book is a YAML or CSV file (:mod:`elecbay_env.order_books` describes both
formats); without one the embedded demonstration book ``configs/demo_book.yaml`` is
cleared. The output lists every order with its fill and price, the clearing price and
volume, and the **surplus**: each filled bid gains ``fill x (its price - the price it
pays)``, each filled ask ``fill x (the price it receives - its price)``, summed per
side (buyers', sellers', total) and per trader. Quantities are MW held over the
period, so surplus is in currency per hour of delivery (MW x currency per MWh).

``--plot PATH`` draws the demand (bids, highest first) and supply (asks, lowest first)
step curves with the clearing point and, under uniform pricing, the two surpluses as
shaded areas. A malformed book prints one line ``elecbay clear: error: FILE: ...`` and
exits with code 2.
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from elecbay_env.clearing import DEFAULT_PRICE_CAP, DEFAULT_PRICE_FLOOR, ClearingResult, clear
from elecbay_env.order_books import Book, BookError, read_book, read_book_text

DEMO_BOOK = "demo_book.yaml"
CLEAR_HELP = """\
Clear one order book (a uniform-price call auction) and print every order's fill, the
clearing price and volume, and the surplus of buyers, sellers and each trader.

BOOK is YAML (bids: and asks: lists of {who, price, qty}; offers: is another name for
asks:) or CSV (header side,who,price,qty; side bid/buy or ask/sell/offer). Prices in
currency per MWh, quantities in MW (>= 0, at most 1e9). Surplus is in currency per
hour of delivery (MW x per MWh). --plot PATH draws the two step curves with the
clearing point. A malformed book: one line naming the file and the problem, exit 2."""


class Cleared:
    """A cleared book: its orders as arrays, the clearing result and the surplus.

    Attributes:
        bid_who, ask_who: traders of the bids and asks, in file order.
        bid_price, bid_qty, ask_price, ask_qty: (Nb,) and (Na,) arrays (per MWh, MW).
        k, pricing: the rule the book was cleared with.
        result: the :class:`~elecbay_env.clearing.ClearingResult`.
        bid_surplus, ask_surplus: (Nb,), (Na,) surplus of each order (currency per hour).
    """

    def __init__(self, book: Book, result_of: Any, k: float, pricing: str) -> None:
        self.k = float(k)
        self.pricing = pricing
        bids, asks = book.side("bid"), book.side("ask")
        self.bid_who = [o.who for o in bids]
        self.ask_who = [o.who for o in asks]
        self.bid_price = np.array([o.price for o in bids], dtype=np.float64)
        self.bid_qty = np.array([o.qty for o in bids], dtype=np.float64)
        self.ask_price = np.array([o.price for o in asks], dtype=np.float64)
        self.ask_qty = np.array([o.qty for o in asks], dtype=np.float64)
        self.result: ClearingResult = result_of(
            self.bid_price, self.bid_qty, self.ask_price, self.ask_qty
        )
        r = self.result
        self.bid_surplus = np.where(
            r.bid_fill > 0, r.bid_fill * (self.bid_price - np.nan_to_num(r.bid_price_paid)), 0.0
        )
        self.ask_surplus = np.where(
            r.ask_fill > 0,
            r.ask_fill * (np.nan_to_num(r.ask_price_received) - self.ask_price),
            0.0,
        )

    @property
    def buyers_surplus(self) -> float:
        """Sum of the bids' surplus (currency per hour)."""
        return float(self.bid_surplus.sum())

    @property
    def sellers_surplus(self) -> float:
        """Sum of the asks' surplus (currency per hour)."""
        return float(self.ask_surplus.sum())

    def per_trader(self) -> dict[str, tuple[float, float, float]]:
        """Each trader's (MW bought, MW sold, surplus), in order of first appearance."""
        out: dict[str, list[float]] = {}
        r = self.result
        for who, fill, s in zip(self.bid_who, r.bid_fill, self.bid_surplus, strict=True):
            row = out.setdefault(who, [0.0, 0.0, 0.0])
            row[0] += float(fill)
            row[2] += float(s)
        for who, fill, s in zip(self.ask_who, r.ask_fill, self.ask_surplus, strict=True):
            row = out.setdefault(who, [0.0, 0.0, 0.0])
            row[1] += float(fill)
            row[2] += float(s)
        return {k: (v[0], v[1], v[2]) for k, v in out.items()}


def clear_book(book: Book, k: float | None = None, pricing: str | None = None) -> Cleared:
    """Clear ``book`` with its own settings, ``k`` and ``pricing`` overriding them.

    Raises:
        BookError: a bad setting in the book or a book :func:`clear` refuses.
    """
    s = book.settings
    kk = k if k is not None else s.get("k", 0.5)
    rule = pricing or s.get("pricing", "uniform")
    floor = s.get("price_floor", DEFAULT_PRICE_FLOOR)
    cap = s.get("price_cap", DEFAULT_PRICE_CAP)
    for name, value in (("k", kk), ("price_floor", floor), ("price_cap", cap)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BookError(f"{book.source}: {name}={value!r} is not a number")

    def result_of(bp: Any, bq: Any, ap: Any, aq: Any) -> ClearingResult:
        try:
            return clear(bp, bq, ap, aq, k=kk, pricing=rule, price_floor=floor, price_cap=cap)
        except ValueError as exc:
            raise BookError(f"{book.source}: {exc}") from None

    return Cleared(book, result_of, kk, str(rule))


def _money(x: float) -> str:
    return f"{x:,.2f}"


def format_cleared(c: Cleared) -> str:
    """The text ``elecbay clear`` prints: orders and fills, price, surplus per side and
    per trader."""
    r = c.result
    lines = [
        f"{'side':<5} {'who':<14} {'price':>9} {'qty MW':>9} {'filled MW':>10} "
        f"{'trades at':>10} {'surplus':>10}"
    ]
    for side, who, price, qty, fill, paid, surplus in (
        ("bid", c.bid_who, c.bid_price, c.bid_qty, r.bid_fill, r.bid_price_paid, c.bid_surplus),
        ("ask", c.ask_who, c.ask_price, c.ask_qty, r.ask_fill, r.ask_price_received,
         c.ask_surplus),
    ):  # fmt: skip
        for i in range(len(who)):
            at = "-" if np.isnan(paid[i]) else f"{paid[i]:.2f}"
            lines.append(
                f"{side:<5} {who[i]:<14} {price[i]:>9.2f} {qty[i]:>9.2f} {fill[i]:>10.2f} "
                f"{at:>10} {surplus[i]:>10.2f}"
            )
    if r.volume > 0:
        lines.append(
            f"clearing price {r.price:.2f} per MWh (supporting interval "
            f"[{r.price_lo:.2f}, {r.price_hi:.2f}]), volume {r.volume:.2f} MW"
        )
    else:
        lines.append("no trade: the book does not cross (price NaN)")
    total = c.buyers_surplus + c.sellers_surplus
    lines.append("surplus (currency per hour of delivery: MW x per MWh)")
    lines.append(f"  buyers   {_money(c.buyers_surplus):>14}")
    lines.append(f"  sellers  {_money(c.sellers_surplus):>14}")
    lines.append(f"  total    {_money(total):>14}")
    lines.append("surplus per trader")
    per = c.per_trader()
    width = max([len(w) for w in per] + [6])
    lines.append(f"  {'trader':<{width}} {'bought MW':>10} {'sold MW':>10} {'surplus':>14}")
    for who, (bought, sold, s) in per.items():
        lines.append(f"  {who:<{width}} {bought:>10.2f} {sold:>10.2f} {_money(s):>14}")
    return "\n".join(lines)


def _steps(price: NDArray[np.float64], qty: NDArray[np.float64], descending: bool):
    """Step curve of one side: x (cumulative MW, N+1) and y (price of each step, N+1)."""
    order = np.argsort(-price if descending else price, kind="stable")
    p, q = price[order], qty[order]
    x = np.concatenate([[0.0], np.cumsum(q)])
    y = np.concatenate([p, p[-1:]]) if len(p) else np.zeros(1)
    return x, y


def plot_book(c: Cleared, path: str | Path, title: str = "") -> Path:
    """Draw the demand and supply step curves and the clearing point into ``path`` (PNG
    or any suffix matplotlib writes); returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    r = c.result
    fig = Figure(figsize=(7.5, 5.0), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    if len(c.bid_price):
        xd, yd = _steps(c.bid_price, c.bid_qty, descending=True)
        ax.step(xd, yd, where="post", color="tab:blue", lw=1.8, label="demand (bids)")
    if len(c.ask_price):
        xs, ys = _steps(c.ask_price, c.ask_qty, descending=False)
        ax.step(xs, ys, where="post", color="tab:orange", lw=1.8, label="supply (asks)")
    if r.volume > 0:
        if c.pricing == "uniform":
            grid = np.linspace(0.0, r.volume, 400)
            demand = yd[np.minimum(np.searchsorted(xd, grid, side="right") - 1, len(yd) - 1)]
            supply = ys[np.minimum(np.searchsorted(xs, grid, side="right") - 1, len(ys) - 1)]
            ax.fill_between(grid, r.price, demand, where=demand >= r.price, color="tab:blue",
                            alpha=0.15, label="buyers' surplus")  # fmt: skip
            ax.fill_between(grid, supply, r.price, where=supply <= r.price, color="tab:orange",
                            alpha=0.15, label="sellers' surplus")  # fmt: skip
        ax.axhline(r.price, color="grey", lw=0.8, ls="--")
        ax.axvline(r.volume, color="grey", lw=0.8, ls="--")
        ax.plot([r.volume], [r.price], "o", color="k", ms=7, zorder=5,
                label=f"clearing point: {r.volume:g} MW at {r.price:.2f}")  # fmt: skip
    else:
        ax.text(0.5, 0.95, "no trade: the curves do not cross", transform=ax.transAxes,
                ha="center", va="top")  # fmt: skip
    ax.set_xlabel("quantity (MW)")
    ax.set_ylabel("price (currency per MWh)")
    ax.set_xlim(left=0.0)
    ax.set_title(title or "order book: supply and demand", fontsize=10)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out)
    return out


def load(path: str | None) -> Book:
    """The book at ``path``, or the embedded demonstration book for None."""
    if path is None:
        text = resources.files("elecbay_configs").joinpath(DEMO_BOOK).read_text()
        return read_book_text(f"configs/{DEMO_BOOK} (embedded)", text)
    return read_book(path)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``elecbay clear``."""
    parser.add_argument("book", nargs="?", default=None, metavar="BOOK",
                        help="YAML or CSV order book (default: the embedded "
                             "configs/demo_book.yaml)")  # fmt: skip
    parser.add_argument("--k", type=float, default=None,
                        help="price position in the supporting interval, in [0, 1] "
                             "(default: the book's k, else 0.5)")  # fmt: skip
    parser.add_argument("--pricing", choices=["uniform", "pay_as_bid"], default=None,
                        help="uniform (pay as clear, the default) or pay_as_bid")  # fmt: skip
    parser.add_argument(
        "--plot",
        default=None,
        metavar="PATH",
        help="also draw the supply and demand curves into PATH (.png)",
    )


def run_command(args: argparse.Namespace) -> int:
    """``elecbay clear``: 0 on success, 2 (one line on stderr) for a bad book or option."""
    try:
        book = load(args.book)
        cleared = clear_book(book, args.k, args.pricing)
    except BookError as exc:
        print(f"elecbay clear: error: {exc}", file=sys.stderr)
        return 2
    plot = Path(args.plot) if args.plot else None
    if plot is not None and not plot.parent.is_dir():
        print(f"elecbay clear: error: --plot {plot}: folder {plot.parent} does not exist",
              file=sys.stderr)  # fmt: skip
        return 2
    print(f"order book: {book.source}  (k={cleared.k:g}, pricing={cleared.pricing})")
    print(format_cleared(cleared))
    if plot is not None:
        plot_book(cleared, plot, f"order book {Path(book.source).name}")
        print(f"wrote {plot}")
    return 0
