"""Bilateral options on power between participants (TeMIX option power products).

Enabled by ``market.options`` (:class:`~elecbay_env.schema.OptionsMarket`). The
choice: a Python API on the engine (``engine.participation.options``, an
:class:`OptionsBook`), not an action field, so every action and observation space is
unchanged; scripted agents, classroom runs and tests write and exercise options by
calling it between periods.

Life of an option (one market ``e``; periods count from the episode's start):

1. :meth:`OptionsBook.write` -- the writer tenders a ``call`` (the holder may buy
   power) or a ``put`` (the holder may sell power) of ``mw`` for delivery period
   ``delivery``, at ``strike`` (currency per MWh) for ``premium`` (currency per MWh of
   the underlying energy ``mw x period_h``). State ``tender``, which expires
   unbought at the exercise deadline ``delivery - expiry_lead_periods``.
2. :meth:`OptionsBook.buy` -- the holder accepts: state ``transaction``. The premium
   ``premium x mw x period_h`` goes from holder to writer in the next period run
   (statement component ``option_premium``).
3. :meth:`OptionsBook.exercise` -- the holder exercises while the market's next
   period is at or before the deadline: state ``exercised``.
4. At the delivery period the option settles in cash against that period's forward
   price ``P`` (the clearing price, or the last one when nothing traded): an exercised
   call pays the holder ``(P - strike) x mw x period_h``, a put ``(strike - P) x mw x
   period_h``, from the writer (component ``option_exercise``; negative when the holder
   exercised out of the money). An option not exercised expires (state ``expired``,
   a zero-amount ``option_expired`` line for both).

Cash settlement means the writer always honours the option, whatever it can deliver:
writing options one cannot honour earns the premium and pays the payoff. Every
option line of the holder has its opposite on the writer's statement, so option cash
sums to zero; it adds to both rewards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

KINDS = ("call", "put")


@dataclass
class OptionContract:
    """One option; ``state`` is ``tender``, ``transaction``, ``exercised``,
    ``settled``, ``expired`` or ``lapsed`` (a tender nobody bought)."""

    id: int
    market: int
    writer: str
    holder: str
    kind: str  # "call" or "put"
    mw: float  # MW of the underlying power
    strike: float  # currency per MWh
    premium: float  # currency per MWh of the underlying energy
    delivery: int  # delivery period (from the episode's start)
    written: int  # period the tender was made before
    state: str = "tender"
    premium_paid: bool = False
    settled_price: float = float("nan")  # P of the delivery period, once settled


class OptionsBook:
    """The options of E markets.

    Args:
        settings: the scenario's ``market.options``.
        agents: agent ids in row order.
        n_markets: E.
        period_h: the settlement period (hours).
        n_periods: periods in an episode.
    """

    def __init__(
        self, settings: Any, agents: list[str], n_markets: int, period_h: float, n_periods: int
    ) -> None:
        self.lead = int(settings.expiry_lead_periods)
        self.max_mw = float(settings.max_mw)
        self.agents = list(agents)
        self.row = {a: i for i, a in enumerate(agents)}
        self.n_markets = n_markets
        self.period_h = period_h
        self.n_periods = n_periods
        self.contracts: dict[int, OptionContract] = {}
        self._next_id = 0
        self.t = np.zeros(n_markets, np.int64)  # next period of each market

    def reset(self, mask: np.ndarray) -> None:
        """Forget the options of the markets where ``mask`` (E,) is true."""
        self.contracts = {k: c for k, c in self.contracts.items() if not mask[c.market]}
        self.t[mask] = 0

    def _agent(self, field: str, agent: str) -> None:
        if agent not in self.row or agent == "broker_0":
            allowed = ", ".join(a for a in self.agents if a != "broker_0")
            raise ValueError(f"{field}={agent!r}: allowed: {allowed}")

    def _get(self, option_id: int) -> OptionContract:
        c = self.contracts.get(option_id)
        if c is None:
            raise ValueError(f"option_id={option_id!r}: no such option")
        return c

    def write(
        self,
        writer: str,
        kind: str,
        mw: float,
        strike: float,
        premium: float,
        delivery: int,
        market: int = 0,
    ) -> int:
        """Tender an option (state ``tender``); returns its id.

        Raises:
            ValueError: naming the field and its allowed range (nothing is recorded).
        """
        self._agent("writer", writer)
        if kind not in KINDS:
            raise ValueError(f"kind={kind!r}: allowed values are call, put")
        if not 0 <= market < self.n_markets:
            raise ValueError(f"market={market}: allowed range is [0, {self.n_markets - 1}]")
        if not (np.isfinite(mw) and 0 < mw <= self.max_mw):
            raise ValueError(f"mw={mw!r}: allowed range is (0, {self.max_mw:g}] MW")
        for name, value in (("strike", strike), ("premium", premium)):
            if not (np.isfinite(value) and abs(value) <= 1e7):
                raise ValueError(f"{name}={value!r}: allowed range is [-1e7, 1e7] per MWh")
        if premium < 0:
            raise ValueError(f"premium={premium!r}: allowed range is [0, 1e7] per MWh")
        first = int(self.t[market]) + self.lead
        if not first <= delivery < self.n_periods:
            raise ValueError(
                f"delivery={delivery!r}: allowed range is [{first}, {self.n_periods - 1}] "
                f"(next period + expiry_lead_periods, episode end)"
            )
        c = OptionContract(
            self._next_id, market, writer, "", kind, float(mw), float(strike),
            float(premium), int(delivery), int(self.t[market]),
        )  # fmt: skip
        self.contracts[c.id] = c
        self._next_id += 1
        return c.id

    def deadline(self, option_id: int) -> int:
        """The last period before whose run the option may be bought or exercised."""
        return self._get(option_id).delivery - self.lead

    def _open(self, c: OptionContract, what: str, state: str) -> None:
        if c.state != state:
            raise ValueError(f"option {c.id} is {c.state}: only a {state} can be {what}")
        if self.t[c.market] > c.delivery - self.lead:
            raise ValueError(
                f"option {c.id}: {what} by period {c.delivery - self.lead} "
                f"(delivery {c.delivery} - expiry_lead_periods {self.lead}); "
                f"the market is at period {int(self.t[c.market])}"
            )

    def buy(self, option_id: int, holder: str) -> None:
        """The holder accepts a tender (state ``transaction``; the premium is paid in
        the next period run)."""
        c = self._get(option_id)
        self._agent("holder", holder)
        if holder == c.writer:
            raise ValueError(f"holder={holder!r}: must differ from the writer")
        self._open(c, "bought", "tender")
        c.holder, c.state = holder, "transaction"

    def exercise(self, option_id: int, holder: str) -> None:
        """The holder exercises (state ``exercised``), before the deadline."""
        c = self._get(option_id)
        if holder != c.holder:
            raise ValueError(f"holder={holder!r}: only {c.holder or 'its holder'} may exercise")
        self._open(c, "exercised", "transaction")
        c.state = "exercised"

    def settle(self, t: np.ndarray, price: np.ndarray, reward: np.ndarray) -> list[dict]:
        """Cash of the period each market just ran (``t`` (E,), its forward price
        ``price`` (E,)): premiums and exercises added to ``reward`` (E, N) in place;
        returns the statement lines (market, agent, component, mwh, price, amount)."""
        lines: list[dict] = []
        h = self.period_h

        def pay(c: OptionContract, comp: str, payer: str, payee: str, amount: float, p):
            mwh = c.mw * h
            for agent, sign in ((payee, 1.0), (payer, -1.0)):
                reward[c.market, self.row[agent]] += sign * amount
                lines.append(
                    dict(market=c.market, agent=agent, component=comp, mwh=mwh, price=p,
                         amount=sign * amount + 0.0, option=c.id)
                )  # fmt: skip

        for c in self.contracts.values():
            now = int(t[c.market])
            if c.state == "tender" and now >= c.delivery - self.lead:
                c.state = "lapsed"
            if c.state in ("transaction", "exercised") and not c.premium_paid:
                c.premium_paid = True
                pay(c, "option_premium", c.holder, c.writer, c.premium * c.mw * h, c.premium)
            if now == c.delivery and c.state in ("transaction", "exercised"):
                p = float(price[c.market])
                c.settled_price = p
                if c.state == "exercised":
                    gain = (p - c.strike) if c.kind == "call" else (c.strike - p)
                    pay(c, "option_exercise", c.writer, c.holder, gain * c.mw * h, c.strike)
                    c.state = "settled"
                else:
                    pay(c, "option_expired", c.writer, c.holder, 0.0, c.strike)
                    c.state = "expired"
        self.t[:] = t + 1
        return lines
