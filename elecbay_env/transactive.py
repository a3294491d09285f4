"""The ledger as TeMIX products and transactive states (MECHANISMS.md section 5; seed 004).

:func:`temix_records` retells a recorded :class:`~elecbay_env.ledger.Ledger` in the
TeMIX vocabulary (OASIS EMIX issue EMIX-377). Every record carries a ``product``:

* ``power`` -- a subscription for constant MW over one delivery interval (a period);
* ``transport`` -- moving power between two interfaces (a zonal border: the
  transmission owner's congestion rent);
* ``option_power`` -- the right to ``call`` (buy) or ``put`` (sell) power at a strike:
  reserve is one (premium = availability payment, strike = utilisation price,
  exercise = activation; up reserve a call on the provider's extra output, down reserve
  a put), and so are the bilateral options of :mod:`elecbay_env.options`;
* ``option_transport`` -- an option on transport (no mechanism writes one yet);

and a ``state``: ``interest`` (indication of interest: none is recorded, every order
binds), ``tender`` (a binding order, ``expires`` at the gate closure of its delivery
period), ``transaction`` (accepted and binding), ``delivery`` (the metered outcome and
what it settles) or ``publish`` (the cleared price, agent ``market``). ``event`` says
what happened: ``order``, ``price``, ``trade``, ``premium``, ``exercise``, ``expire``,
``imbalance``, ``residual``, ``performance``, ``cost``, ``value``, ``congestion_rent``,
``clipped`` or
``rejected``.

Money is the ledger's: each statement line becomes exactly one record with the same
``amount`` (a :class:`~decimal.Decimal`, ``None`` on records that carry none: orders,
procured reserve, publish). Columns: :data:`COLUMNS`; ``mw`` is power (MW), ``mwh``
energy (MWh), ``price`` currency per MWh, ``premium`` currency per MW per hour.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np

from .ledger import CONGESTION_RENT, Ledger, round_price

PRODUCTS = ("power", "transport", "option_power", "option_transport")
STATES = ("interest", "tender", "transaction", "delivery", "publish")
COLUMNS = (
    "market", "period", "agent", "product", "state", "event", "option", "side",
    "mw", "mwh", "price", "premium", "expires", "amount",
)  # fmt: skip

# statement component -> (product, state, event)
COMPONENT_STATES: dict[str, tuple[str, str, str]] = {
    "forward_energy": ("power", "transaction", "trade"),
    "imbalance": ("power", "delivery", "imbalance"),
    "balancing_energy": ("option_power", "delivery", "exercise"),
    "availability": ("option_power", "transaction", "premium"),
    "performance_adjustment": ("option_power", "delivery", "performance"),
    "residual_reallocation": ("power", "delivery", "residual"),
    "production_cost": ("power", "delivery", "cost"),
    "startup_cost": ("power", "delivery", "cost"),
    "consumption_value": ("power", "delivery", "value"),
    "unserved_energy_cost": ("power", "delivery", "cost"),
    "curtailment_cost": ("power", "delivery", "cost"),
    CONGESTION_RENT: ("transport", "delivery", "congestion_rent"),
    "option_premium": ("option_power", "transaction", "premium"),
    "option_exercise": ("option_power", "delivery", "exercise"),
    "option_expired": ("option_power", "delivery", "expire"),
    "reserve_rejected": ("option_power", "tender", "rejected"),
    "flexibility_rejected": ("option_power", "tender", "rejected"),
    "curtailment_rejected": ("transport", "tender", "rejected"),
    "risk_clipped": ("power", "tender", "clipped"),
    "risk_rejected": ("power", "tender", "rejected"),
}
"""How each statement component is told as a TeMIX product, state and event."""


def _record(**kw: Any) -> dict[str, Any]:
    rec = dict.fromkeys(COLUMNS)
    rec.update(kw)
    return rec


def _side(mwh: float) -> str | None:
    return "sell" if mwh > 0 else "buy" if mwh < 0 else None


def _orders(ledger: Ledger, p: int, e: int, period: int) -> list[dict[str, Any]]:
    """The tenders of one market and period: forward steps and reserve offers."""
    recorded = ledger.orders[p]
    if recorded is None:
        return []
    step_price, step_qty, res_qty, res_avail, res_util = recorded[:5]
    out = []
    for i, agent in enumerate(ledger.agents):
        for s in np.flatnonzero(step_qty[e, i]):
            q = float(step_qty[e, i, s])
            out.append(_record(
                market=e, period=period, agent=agent, product="power", state="tender",
                event="order", side=_side(q), mw=abs(q), mwh=abs(q) * ledger.period_h,
                price=round_price(float(step_price[e, i, s])), expires=period,
            ))  # fmt: skip
        for d, option in enumerate(("call", "put")):
            q = float(res_qty[e, i, d])
            if q > 0.0:
                out.append(_record(
                    market=e, period=period, agent=agent, product="option_power",
                    state="tender", event="order", option=option, side="sell", mw=q,
                    price=round_price(float(res_util[e, i, d])),
                    premium=round_price(float(res_avail[e, i, d])), expires=period,
                ))  # fmt: skip
    return out


def temix_records(ledger: Ledger, places: int = 6) -> list[dict[str, Any]]:
    """Every recorded order, trade and settlement as a TeMIX record (:data:`COLUMNS`).

    Per market and period: the tenders (when the engine recorded its orders), the
    published price, the reserve procured (call = up, put = down, no amount), then one
    record per statement line with its amount (:meth:`Ledger.statements`).
    """
    by_key: dict[tuple[int, int], list[dict[str, object]]] = {}
    for r in ledger.statements(places):
        by_key.setdefault((int(r["market"]), int(r["period"])), []).append(r)  # type: ignore[arg-type]
    out: list[dict[str, Any]] = []
    for p, periods in enumerate(ledger.periods):
        for e, period in enumerate(periods.tolist()):
            out += _orders(ledger, p, e, period)
            price = float(ledger.published_prices[p][e])
            if price == price:
                out.append(_record(
                    market=e, period=period, agent="market", product="power",
                    state="publish", event="price", price=round_price(price),
                ))  # fmt: skip
            reserved = ledger.reserved[p][e]
            for i, d in zip(*np.nonzero(reserved > 0.0), strict=True):
                out.append(_record(
                    market=e, period=period, agent=ledger.agents[i], product="option_power",
                    state="transaction", event="trade", option=("call", "put")[d],
                    side="sell", mw=float(reserved[i, d]),
                ))  # fmt: skip
            for r in by_key.pop((e, period), []):
                product, state, event = COMPONENT_STATES[str(r["component"])]
                mwh = float(r["mwh"])  # type: ignore[arg-type]
                option = None
                if product == "option_power" and event == "exercise" and mwh != 0.0:
                    option = "call" if mwh > 0 else "put"
                amount: Decimal = r["amount"]  # type: ignore[assignment]
                out.append(_record(
                    market=e, period=period, agent=r["agent"], product=product, state=state,
                    event=event, option=option, side=_side(mwh), mwh=mwh, price=r["price"],
                    amount=amount,
                ))  # fmt: skip
    return out


_OPTION_STATES = {
    "tender": ("tender", "order"),
    "lapsed": ("tender", "expire"),
    "transaction": ("transaction", "trade"),
    "exercised": ("transaction", "exercise"),
    "settled": ("delivery", "exercise"),
    "expired": ("delivery", "expire"),
}


def option_records(book: Any) -> list[dict[str, Any]]:
    """The bilateral options of an :class:`~elecbay_env.options.OptionsBook` in their
    present TeMIX state, one record each (``agent`` the writer; ``period`` the delivery
    period, ``expires`` the exercise deadline; ``price`` the strike, ``premium`` the
    premium in currency per MWh)."""
    out = []
    for c in book.contracts.values():
        state, event = _OPTION_STATES[c.state]
        out.append(_record(
            market=c.market, period=c.delivery, agent=c.writer, product="option_power",
            state=state, event=event, option=c.kind, side="sell", mw=c.mw,
            mwh=c.mw * book.period_h, price=c.strike, premium=c.premium,
            expires=c.delivery - book.lead,
        ))  # fmt: skip
    return out
