"""Bots that fill seats of a classroom market: what order each sends next.

* ``zi-u``: zero intelligence, unconstrained (Gode and Sunder 1993): a price drawn
  uniformly from the whole allowed range, losses allowed.
* ``zi-c``: zero intelligence, constrained: a buyer draws from ``[floor, value]``, a
  seller from ``[cost, cap]``; never a loss.
* ``merit``: truthful merit order: bids its value, asks its cost.
* ``markup``: a seller asks ``cost x (1 + markup)`` and withholds the share ``withhold``
  of its units (its last ones); a buyer bids ``value / (1 + markup)``.

Every draw comes from the :class:`numpy.random.Generator` passed in (the session's,
seeded), so a session with the same seed and the same arrivals replays exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from elecbay_classroom.market import ClassMarket
from elecbay_classroom.schedules import BUYER

BOT_KINDS = ("zi-u", "zi-c", "merit", "markup")


@dataclass
class Bot:
    """A bot's kind and parameters (markup and withheld share for ``markup``)."""

    kind: str
    markup: float = 0.5
    withhold: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in BOT_KINDS:
            raise ValueError(f"bot kind {self.kind!r}: allowed values are {BOT_KINDS}")
        if not (math.isfinite(self.markup) and 0.0 <= self.markup <= 10.0):
            raise ValueError(f"markup={self.markup!r}: allowed range is [0, 10]")
        if not (math.isfinite(self.withhold) and 0.0 <= self.withhold <= 1.0):
            raise ValueError(f"withhold={self.withhold!r}: allowed range is [0, 1]")

    def price(self, market: ClassMarket, seat: int, unit: int, rng: np.random.Generator):
        """The bot's price for ``unit`` of ``seat`` (currency per unit)."""
        card = market.seats[seat].card
        limit = card.limits[unit]
        lo, hi = market.floor, market.cap
        buyer = card.role == BUYER
        if self.kind == "zi-u":
            return float(lo + rng.random() * (hi - lo))
        if self.kind == "zi-c":
            a, b = (lo, limit) if buyer else (limit, hi)
            return float(a + rng.random() * (b - a))
        if self.kind == "merit":
            return float(limit)
        p = limit / (1.0 + self.markup) if buyer else limit * (1.0 + self.markup)
        return float(min(max(p, lo), hi))

    def units(self, market: ClassMarket, seat: int) -> int:
        """How many of the seat's units the bot offers (markup sellers withhold some)."""
        card = market.seats[seat].card
        n = len(card.limits)
        if self.kind == "markup" and card.role != BUYER:
            return n - round(self.withhold * n)
        return n

    def can_act(self, market: ClassMarket, seat: int) -> bool:
        """Whether the bot has a unit left to order in the CDA."""
        return math.ceil(market.seats[seat].traded - 1e-9) < self.units(market, seat)

    def act(self, market: ClassMarket, seat: int, rng: np.random.Generator, t: float = 0.0):
        """Send the bot's next order(s): CDA, one for the next unit; call auction, one for
        every unit it offers. Returns the trades made (CDA)."""
        s = market.seats[seat]
        free = self.kind == "zi-u"
        if market.mechanism == "call":
            for u in range(self.units(market, seat)):
                market.submit(seat, s.card.side, self.price(market, seat, u, rng), u, t,
                              source=self.kind, allow_loss=free)  # fmt: skip
            return []
        u = math.ceil(s.traded - 1e-9)
        if u >= self.units(market, seat):
            return []
        return market.submit(seat, s.card.side, self.price(market, seat, u, rng), None, t,
                             source=self.kind, allow_loss=free)  # fmt: skip


def run_bots_period(market: ClassMarket, bots: dict[int, Bot], rng: np.random.Generator,
                    steps: int) -> None:  # fmt: skip
    """One period among bots only (no clock): ``steps`` arrivals, each from a bot picked
    uniformly among those with units left; the period opens and closes here.

    In a call auction every bot orders once and the book clears at the end.
    """
    market.open_period()
    seats = sorted(bots)
    if market.mechanism == "call":
        for i in seats:
            bots[i].act(market, i, rng)
        market.close_period()
        return
    u = rng.random(steps)
    for k in range(steps):
        active = [i for i in seats if bots[i].can_act(market, i)]
        buyers = [i for i in active if market.seats[i].card.role == BUYER]
        if not buyers or len(buyers) == len(active):
            break
        i = active[int(u[k] * len(active))]
        bots[i].act(market, i, rng, float(k))
    market.close_period()
