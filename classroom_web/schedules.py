"""Role cards and induced schedules of the live classroom: who holds which units.

A :class:`Card` is one seat's private role: a buyer's unit values or a seller's unit
costs (currency per unit; per MWh in the electricity experiments), each unit of
``unit_qty`` (1 unit, or MW for one settlement period). Units trade in order: a buyer's
most valuable unit first, a seller's cheapest first.

Shipped schedules:

* :func:`smith_1962_test1`: Smith (1962), Journal of Political Economy 70(2), Test 1:
  11 buyers and 11 sellers with one unit each, values 3.25 down to 0.75 and costs 0.75 up
  to 3.25 in steps of 0.25; predicted quantity 6 at price 2.00 (the paper's prediction).
* :func:`gode_sunder_market1`: a market in the shape of Gode and Sunder (1993), Journal of
  Political Economy 101(1), market 1: 12 traders (6 buyers, 6 sellers) with several units
  each, prices within 1..200. The unit values below are elecbay's own; the paper's chart is
  not reproduced here (docs/classroom.md).
* :func:`electricity_cards`: one seat per generator (its capacity in blocks at its marginal
  cost) and per load (its demand in blocks at its value of energy) of a scenario.

:func:`equilibrium` gives the competitive equilibrium of any set of cards by clearing the
truthful book with :func:`elecbay_env.clear` (k = 0.5).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

BUYER = "buyer"
SELLER = "seller"


@dataclass(frozen=True)
class Card:
    """One seat's private role card.

    ``limits`` are unit values (buyer, highest first) or unit costs (seller, lowest
    first), currency per unit; every unit is ``unit_qty`` (1, or MW for one period).
    """

    role: str  # BUYER or SELLER
    limits: tuple[float, ...]  # (U,) currency per unit (per MWh in electricity)
    unit_qty: float = 1.0  # units (or MW) per unit of the card
    label: str = ""  # e.g. "ccgt" in the electricity experiments

    @property
    def side(self) -> str:
        """``"bid"`` for a buyer, ``"ask"`` for a seller."""
        return "bid" if self.role == BUYER else "ask"


@dataclass(frozen=True)
class Schedule:
    """The cards of one experiment and the price range orders must lie in."""

    name: str
    title: str
    source: str  # attribution shown on the teacher's page
    cards: tuple[Card, ...]
    price_range: tuple[float, float]  # (floor, cap), currency per unit
    unit: str = "unit"  # what one unit is ("unit", "MWh")


@dataclass(frozen=True)
class Equilibrium:
    """The competitive equilibrium of a schedule (per period)."""

    quantity: float  # units (or MWh) traded
    price: float  # midpoint of the supporting interval, currency per unit
    price_lo: float
    price_hi: float
    max_surplus: float  # sum of value - cost of the efficient trades, currency


def _curve(cards: Sequence[Card], role: str) -> tuple[np.ndarray, np.ndarray]:
    prices = [p for c in cards if c.role == role for p in c.limits]
    qty = [c.unit_qty for c in cards if c.role == role for _ in c.limits]
    return np.asarray(prices, np.float64), np.asarray(qty, np.float64)


def equilibrium(cards: Sequence[Card]) -> Equilibrium:
    """Clear the truthful book (every unit bid at its value, asked at its cost).

    The quantity and maximum surplus do not depend on k; the price is the midpoint of the
    interval of prices that support the efficient allocation.
    """
    from elecbay_env import clear

    bp, bq = _curve(cards, BUYER)
    ap, aq = _curve(cards, SELLER)
    r = clear(bp, bq, ap, aq, k=0.5)
    surplus = float(bp @ r.bid_fill - ap @ r.ask_fill)
    return Equilibrium(float(r.volume), float(r.price), float(r.price_lo), float(r.price_hi),
                       surplus)  # fmt: skip


def curves(cards: Sequence[Card]) -> dict[str, list[list[float]]]:
    """Demand (values, highest first) and supply (costs, lowest first) as step points
    ``[[cumulative quantity, price], ...]`` for the teacher's chart."""
    out = {}
    for role, key, desc in ((BUYER, "demand", True), (SELLER, "supply", False)):
        p, q = _curve(cards, role)
        order = np.argsort(-p if desc else p, kind="stable")
        cum = np.cumsum(q[order])
        out[key] = [[float(x), float(y)] for x, y in zip(cum, p[order], strict=True)]
    return out


def _cards(role: str, rows: Sequence[Sequence[float]], qty: float = 1.0) -> list[Card]:
    return [Card(role, tuple(float(v) for v in r), qty) for r in rows]


def smith_1962_test1() -> Schedule:
    """Smith (1962) Test 1: 11 buyers and 11 sellers, one unit each, 0.75..3.25."""
    steps = [0.75 + 0.25 * i for i in range(11)]
    cards = _cards(BUYER, [[v] for v in reversed(steps)]) + _cards(SELLER, [[c] for c in steps])
    return Schedule(
        "smith", "Smith (1962) Test 1",
        "V. L. Smith (1962), An experimental study of competitive market behavior, "
        "J. Political Economy 70(2), Test 1: predicted quantity 6, price 2.00",
        tuple(cards), (0.0, 5.0), "unit",
    )  # fmt: skip


GS_VALUES = ((190, 150, 120), (180, 145, 110), (170, 140, 100), (165, 130, 90),
             (160, 125, 80), (155, 115, 70))  # fmt: skip
"""Buyers' unit values of the shipped Gode-Sunder-style market (elecbay's own figures)."""
GS_COSTS = ((20, 60, 95), (30, 65, 105), (40, 75, 115), (45, 80, 125), (50, 85, 135),
            (55, 90, 145))  # fmt: skip
"""Sellers' unit costs of the shipped Gode-Sunder-style market (elecbay's own figures)."""


def gode_sunder_market1() -> Schedule:
    """A 12-trader market (6 buyers, 6 sellers, 3 units each) in the shape of Gode and
    Sunder (1993) market 1, prices within 1..200 (see the module docstring)."""
    cards = _cards(BUYER, GS_VALUES) + _cards(SELLER, GS_COSTS)
    return Schedule(
        "gode_sunder", "Gode-Sunder style market (12 traders)",
        "after D. K. Gode and S. Sunder (1993), Allocative efficiency of markets with "
        "zero-intelligence traders, J. Political Economy 101(1), market 1 (12 traders, "
        "prices 1..200); unit values are elecbay's own",
        tuple(cards), (1.0, 200.0), "unit",
    )  # fmt: skip


WIND_AVAILABILITY = 0.5
"""Share of a wind or solar farm's capacity offered in a classroom period."""
LOAD_SHARE = 0.8
"""Share of each load's peak demanded in a classroom period."""


def electricity_cards(scenario: str = "small", blocks: int = 3) -> Schedule:
    """One seat per generator and per load of ``scenario``, each in ``blocks`` blocks.

    A generator offers its capacity (wind and solar: :data:`WIND_AVAILABILITY` of it) at
    its marginal cost; a load bids :data:`LOAD_SHARE` of its peak at its value of energy
    (currency per MWh). Storage is left out. Block sizes are MW for one period.
    """
    from elecbay_env import load_scenario

    s = load_scenario(scenario)
    cards: list[Card] = []
    for p in s.producers:
        if p.type == "storage":
            continue
        cap = p.capacity_mw * (1.0 if p.type == "thermal" else WIND_AVAILABILITY)
        cost = float(getattr(p, "marginal_cost_per_mwh", 0.0) or 0.0)
        cards.append(Card(SELLER, (cost,) * blocks, cap / blocks, p.name))
    for c in s.consumers:
        cards.append(Card(BUYER, (float(c.value_per_mwh),) * blocks,
                          c.peak_mw * LOAD_SHARE / blocks, c.name))  # fmt: skip
    top = max(max(c.limits) for c in cards)
    return Schedule(
        "electricity", f"Electricity period ({s.name} scenario)",
        f"elecbay scenario {s.name!r}: generators offer capacity at marginal cost, loads "
        "bid their value of energy (one half-hour period, MW blocks)",
        tuple(cards), (0.0, float(top)), "MWh",
    )  # fmt: skip
