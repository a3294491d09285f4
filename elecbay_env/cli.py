"""The ``elecbay`` command: ``elecbay run`` (the main job) and ``elecbay clear BOOK``.

Until the PettingZoo environment lands, ``run`` clears the demonstration order book
shipped in ``configs/demo_book.yaml`` and prints the result.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from .clearing import DEFAULT_PRICE_CAP, DEFAULT_PRICE_FLOOR, ClearingResult, clear


def _read_book(path: str | None) -> tuple[str, dict[str, Any]]:
    if path is None:
        text = resources.files("elecbay_configs").joinpath("demo_book.yaml").read_text()
        return "configs/demo_book.yaml (embedded)", yaml.safe_load(text)
    p = Path(path)
    if not p.is_file():
        raise SystemExit(f"elecbay: order book file not found: {p}")
    try:
        return str(p), yaml.safe_load(p.read_text())
    except yaml.YAMLError as exc:
        raise SystemExit(f"elecbay: {p} is not valid YAML: {exc}") from None


def _side(book: dict[str, Any], key: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    rows = book.get(key) or []
    if not isinstance(rows, list):
        raise SystemExit(f"elecbay: '{key}' must be a list of {{who, price, qty}}")
    who, price, qty = [], [], []
    for i, row in enumerate(rows):
        try:
            who.append(str(row.get("who", f"{key}_{i}")))
            price.append(float(row["price"]))
            qty.append(float(row["qty"]))
        except (KeyError, TypeError, ValueError, AttributeError):
            raise SystemExit(f"elecbay: {key}[{i}] needs numbers 'price' and 'qty'") from None
    return who, np.array(price), np.array(qty)


def format_result(
    bid_who: list[str],
    bid_price: np.ndarray,
    bid_qty: np.ndarray,
    ask_who: list[str],
    ask_price: np.ndarray,
    ask_qty: np.ndarray,
    r: ClearingResult,
) -> str:
    """A text table of a cleared book: every order with its fill, then the summary."""
    lines = [
        f"{'side':<5} {'who':<14} {'price':>9} {'qty MW':>9} {'filled MW':>10} {'trades at':>10}"
    ]
    for side, who, price, qty, fill, paid in (
        ("bid", bid_who, bid_price, bid_qty, r.bid_fill, r.bid_price_paid),
        ("ask", ask_who, ask_price, ask_qty, r.ask_fill, r.ask_price_received),
    ):
        for i in range(len(who)):
            at = "-" if np.isnan(paid[i]) else f"{paid[i]:.2f}"
            lines.append(
                f"{side:<5} {who[i]:<14} {price[i]:>9.2f} {qty[i]:>9.2f} {fill[i]:>10.2f} {at:>10}"
            )
    if r.volume > 0:
        lines.append(
            f"clearing price {r.price:.2f} per MWh (supporting interval "
            f"[{r.price_lo:.2f}, {r.price_hi:.2f}]), volume {r.volume:.2f} MW"
        )
    else:
        lines.append("no trade: the book does not cross (price NaN)")
    return "\n".join(lines)


def _cmd_clear(args: argparse.Namespace) -> int:
    source, book = _read_book(args.book)
    bid_who, bp, bq = _side(book, "bids")
    ask_who, ap, aq = _side(book, "asks")
    k = args.k if args.k is not None else float(book.get("k", 0.5))
    pricing = args.pricing or book.get("pricing", "uniform")
    try:
        r = clear(bp, bq, ap, aq, k=k, pricing=pricing,
                  price_floor=float(book.get("price_floor", DEFAULT_PRICE_FLOOR)),
                  price_cap=float(book.get("price_cap", DEFAULT_PRICE_CAP)))  # fmt: skip
    except ValueError as exc:
        raise SystemExit(f"elecbay: {source}: {exc}") from None
    print(f"order book: {source}  (k={k}, pricing={pricing})")
    print(format_result(bid_who, bp, bq, ask_who, ap, aq, r))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``elecbay`` command."""
    parser = argparse.ArgumentParser(
        prog="elecbay", description="elecbay: a multi-agent electricity-market environment."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, helptext in (
        ("run", "the main job (for now: clear the embedded demonstration order book)"),
        ("clear", "clear an order book given as YAML (bids and asks of {who, price, qty})"),
    ):
        p = sub.add_parser(name, help=helptext, description=helptext)
        p.add_argument(
            "book", nargs="?", default=None,
            help="YAML order book (default: the embedded configs/demo_book.yaml)",
        )  # fmt: skip
        p.add_argument("--k", type=float, default=None, help="price position in [0, 1]")
        p.add_argument("--pricing", choices=["uniform", "pay_as_bid"], default=None)
        p.set_defaults(func=_cmd_clear)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``elecbay`` console script."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
