"""Order books read from YAML or CSV files, for ``elecbay clear`` and ``elecbay cda``.

Two file formats, chosen by the suffix (``.yaml``/``.yml`` or ``.csv``):

**YAML**: a mapping with the lists ``bids`` (buyers) and ``asks`` (sellers; ``offers``
is accepted as another name for ``asks``) of ``{who, price, qty}`` (``quantity`` is
accepted for ``qty``; ``who`` is optional), and optionally ``name``,
``description``, ``k``, ``pricing``, ``price_floor`` and ``price_cap``. For
``elecbay cda`` the list is ``orders`` (in time order) of ``{side, who, price, qty}``.

**CSV**: a header row and one order per row, columns ``side,who,price,qty`` (``who``
optional, any column order). ``side`` is ``bid`` (also ``buy``) or ``ask`` (also
``sell``, ``offer``). Rows are in time order (this matters for ``elecbay cda`` only).

Units: prices in currency per MWh, quantities in MW. Every number must be finite,
quantities >= 0 (> 0 for the CDA) and ``|price|``, ``qty`` <= :data:`MAX_ABS_PRICE`
and :data:`MAX_QTY` (the bounds of :func:`elecbay_env.clearing.clear`). A file that
breaks a rule raises :class:`BookError` with one line naming the file, the row and the
problem; nothing is guessed and unknown keys or columns are refused.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .clearing import MAX_ABS_PRICE, MAX_QTY
from .numbers import parse_strict_float

SIDE_NAMES = {"bid": "bid", "buy": "bid", "ask": "ask", "sell": "ask", "offer": "ask"}
"""Accepted spellings of a side, and the side each means."""
BOOK_KEYS = ("name", "description", "k", "pricing", "price_floor", "price_cap")
"""Optional top-level keys of a YAML book besides its order lists."""
ROW_ALIASES = {"quantity": "qty"}
"""Other accepted names of an order's fields."""
CSV_COLUMNS = ("side", "who", "price", "qty")


class BookError(ValueError):
    """A malformed order-book file; the message is one line naming the file."""


@dataclass
class Order:
    """One order: ``side`` ``"bid"`` or ``"ask"``, ``who`` the trader, ``price``
    (currency per MWh), ``qty`` (MW)."""

    side: str
    who: str
    price: float
    qty: float


@dataclass
class Book:
    """An order book read from a file: its orders in file order and its settings."""

    source: str
    orders: list[Order]
    settings: dict[str, Any] = field(default_factory=dict)

    def side(self, side: str) -> list[Order]:
        """The orders of ``side`` (``"bid"`` or ``"ask"``) in file order."""
        return [o for o in self.orders if o.side == side]


def _number(source: str, where: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or value is None:
        raise BookError(f"{source}: {where}: {name}={value!r} is not a number")
    if isinstance(value, int | float):
        x = float(value)
    elif isinstance(value, str):
        try:
            x = parse_strict_float(value)
        except ValueError:
            raise BookError(f"{source}: {where}: {name}={value!r} is not a number") from None
    else:
        raise BookError(f"{source}: {where}: {name}={value!r} is not a number")
    if not math.isfinite(x):
        raise BookError(f"{source}: {where}: {name}={value!r} must be finite (not NaN or inf)")
    return x


def _order(source: str, where: str, side: str, who: Any, price: Any, qty: Any, cda: bool) -> Order:
    p = _number(source, where, "price", price)
    q = _number(source, where, "qty", qty)
    if abs(p) > MAX_ABS_PRICE:
        raise BookError(
            f"{source}: {where}: price={p!r} outside the allowed range "
            f"[-{MAX_ABS_PRICE:g}, {MAX_ABS_PRICE:g}] per MWh"
        )
    low = "(0" if cda else "[0"
    if q < 0 or (cda and q == 0) or q > MAX_QTY:
        raise BookError(
            f"{source}: {where}: qty={q!r} outside the allowed range {low}, {MAX_QTY:g}] MW"
        )
    return Order(side, str(who), p, q)


def _side_name(source: str, where: str, value: Any) -> str:
    key = str(value).strip().lower()
    if key not in SIDE_NAMES:
        raise BookError(f"{source}: {where}: side={value!r}; allowed: {', '.join(SIDE_NAMES)}")
    return SIDE_NAMES[key]


def _yaml_rows(source: str, book: dict[str, Any], key: str, side: str | None, cda: bool):
    rows = book.get(key)
    if rows is None:
        return []
    if not isinstance(rows, list):
        raise BookError(f"{source}: '{key}' must be a list of orders {{who, price, qty}}")
    fields = {"who", "price", "qty", "quantity"} | ({"side"} if side is None else set())
    out = []
    for i, row in enumerate(rows):
        where = f"{key}[{i}]"
        if not isinstance(row, dict):
            raise BookError(f"{source}: {where}: expected a mapping {{who, price, qty}}")
        unknown = sorted(set(map(str, row)) - fields)
        if unknown:
            raise BookError(
                f"{source}: {where}: unknown key {unknown[0]!r}; "
                f"allowed: {', '.join(sorted(fields))}"
            )
        row = {ROW_ALIASES.get(k, k): v for k, v in row.items()}
        for need in ("price", "qty") + (("side",) if side is None else ()):
            if need not in row:
                raise BookError(f"{source}: {where}: missing key '{need}'")
        s = side if side is not None else _side_name(source, where, row["side"])
        who = row.get("who", f"{s}_{i}")
        out.append(_order(source, where, s, who, row["price"], row["qty"], cda))
    return out


def _from_yaml(source: str, text: str, cda: bool) -> Book:
    try:
        book = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        first = " ".join(str(exc).split())
        raise BookError(f"{source}: not valid YAML ({first})") from None
    if book is None:
        raise BookError(f"{source}: the file is empty (expected a YAML order book)")
    if isinstance(book, str) and "," in book:
        raise BookError(f"{source}: looks like CSV, not YAML: name the file .csv")
    if not isinstance(book, dict):
        raise BookError(
            f"{source}: expected a mapping with 'bids' and 'asks' at the top level, "
            f"got a {type(book).__name__}"
        )
    lists = ("orders",) if cda else ("bids", "asks", "offers")
    allowed = set(BOOK_KEYS) | set(lists)
    unknown = sorted(set(map(str, book)) - allowed)
    if unknown:
        raise BookError(
            f"{source}: unknown key {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}"
        )
    if not cda and "asks" in book and "offers" in book:
        raise BookError(f"{source}: give 'asks' or 'offers' (the same thing), not both")
    settings = {k: book[k] for k in BOOK_KEYS if k in book}
    if cda:
        if "orders" not in book:
            raise BookError(f"{source}: missing key 'orders' (the orders in time order)")
        orders = _yaml_rows(source, book, "orders", None, cda)
    else:
        if not any(k in book for k in lists):
            raise BookError(f"{source}: missing keys 'bids' and 'asks'")
        ask_key = "offers" if "offers" in book else "asks"
        orders = _yaml_rows(source, book, "bids", "bid", cda)
        orders += _yaml_rows(source, book, ask_key, "ask", cda)
    return Book(source, orders, settings)


def _from_csv(source: str, text: str, cda: bool) -> Book:
    if not text.strip():
        raise BookError(f"{source}: the file is empty (expected a header {','.join(CSV_COLUMNS)})")
    rows = list(csv.reader(io.StringIO(text)))
    header = [h.strip().lower() for h in rows[0]]
    if any(":" in h for h in rows[0]) and len(header) == 1:
        raise BookError(f"{source}: looks like YAML, not CSV: name the file .yaml")
    dup = sorted({h for h in header if header.count(h) > 1})
    if dup:
        raise BookError(f"{source}: duplicate column {dup[0]!r} in the header")
    unknown = [h for h in header if ROW_ALIASES.get(h, h) not in CSV_COLUMNS]
    if unknown:
        raise BookError(
            f"{source}: unknown column {unknown[0]!r}; allowed: {', '.join(CSV_COLUMNS)}"
        )
    header = [ROW_ALIASES.get(h, h) for h in header]
    for need in ("side", "price", "qty"):
        if need not in header:
            raise BookError(f"{source}: missing column '{need}' (header: {','.join(header)})")
    orders = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        where = f"line {line}"
        if len(row) != len(header):
            raise BookError(f"{source}: {where}: {len(row)} cells, the header has {len(header)}")
        cell = dict(zip(header, (c.strip() for c in row), strict=True))
        side = _side_name(source, where, cell["side"])
        who = cell.get("who") or f"{side}_{line}"
        orders.append(_order(source, where, side, who, cell["price"], cell["qty"], cda))
    return Book(source, orders, {})


def read_book(path: str | Path, cda: bool = False) -> Book:
    """Read the order book at ``path`` (``.yaml``/``.yml`` or ``.csv``).

    Args:
        path: the file.
        cda: read an order stream for the continuous double auction (YAML key
            ``orders`` with a ``side`` per order; quantities > 0).

    Raises:
        BookError: one line naming the file and the problem.
    """
    p = Path(path)
    if not p.is_file():
        raise BookError(f"{p}: file not found")
    suffix = p.suffix.lower()
    if suffix not in (".yaml", ".yml", ".csv"):
        raise BookError(f"{p}: unknown suffix {p.suffix!r}; name the file .yaml or .csv")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BookError(f"{p}: cannot be read ({exc.__class__.__name__})") from None
    if suffix == ".csv":
        return _from_csv(str(p), text, cda)
    return _from_yaml(str(p), text, cda)


def read_book_text(source: str, text: str, cda: bool = False, fmt: str = "yaml") -> Book:
    """:func:`read_book` for text (the embedded demonstration books); ``fmt`` is
    ``"yaml"`` or ``"csv"`` and ``source`` names the text in messages."""
    if fmt == "csv":
        return _from_csv(source, text, cda)
    return _from_yaml(source, text, cda)
