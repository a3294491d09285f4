"""Pre-qualification of flexibility offers and curtailment trading (docs/participation.md).

With ``market.prequalification`` in the scenario, a row that does not qualify
(:func:`elecbay_env.registration.prequalify`) for ``flexibility`` or
``curtailment_trading`` cannot take part in it:

* :func:`screen_flex_offer` -- its flexibility offer (capacity > 0 MW) is set to
  nothing (0 MW) before it stands; other rows' offers are unchanged.
* :func:`screen_quotes` -- its curtailment bid or ask is left out of the auction.
* :func:`screen_trade` -- a bilateral curtailment trade with it as buyer or seller is
  not recorded.

Each rejection is a :class:`~elecbay_env.risk_limits.NoticeBatch` queued on the
engine's :class:`~elecbay_env.participation.Participation` (:meth:`reject`): the next
period's notice in the agent's info and a zero-amount statement line (component
``flexibility_rejected``, MWh = the MW offered x the period length; or
``curtailment_rejected``, MWh 0), the same path as rejected reserve offers. Without
``market.prequalification`` nothing here runs.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from .registration import prequalify
from .risk_limits import NoticeBatch

SCREENED = ("flexibility", "curtailment_trading")
"""Services screened here (reserve is screened in :mod:`elecbay_env.participation`)."""


class Rejecter(Protocol):
    """What the screens need of a :class:`~elecbay_env.participation.Participation`."""

    agents: list[str]
    period_h: float
    unqualified_for: dict[str, dict[int, str]]

    def reject(self, batch: NoticeBatch) -> None: ...


def unqualified_for(scenario: Any, agents: list[str]) -> dict[str, dict[int, str]]:
    """Per screened service, ``{row: reason}`` of the rows that do not qualify (every
    dict empty without ``market.prequalification``)."""
    out: dict[str, dict[int, str]] = {s: {} for s in SCREENED}
    if scenario.market.prequalification is None:
        return out
    for service in SCREENED:
        for agent, q in prequalify(scenario, service).items():
            if not q.qualified:
                out[service][agents.index(agent)] = q.reason
    return out


def screen_flex_offer(part: Rejecter, service: str, capacity_mw: np.ndarray) -> np.ndarray:
    """``capacity_mw`` (E, N) MW with the offers of unqualified rows set to 0 (a copy
    when any is; else the same array); each rejection queued as a notice.

    Args:
        part: the engine's participation rules.
        service: the flexibility service's name (for the notice).
        capacity_mw: (E, N) MW offered, >= 0.
    """
    bad = part.unqualified_for["flexibility"]
    if not bad:
        return capacity_mw
    rows = np.fromiter(bad, np.int64)
    offered = capacity_mw[:, rows]  # (E, U) MW
    e, u = np.nonzero(offered > 0.0)
    if e.size == 0:
        return capacity_mw
    mw = offered[e, u]
    why = [bad[int(i)] for i in rows]

    def reason(k: int) -> str:
        return (f"flexibility offer of {mw[k]:g} MW to service {service!r} rejected: "
                f"not pre-qualified: {why[u[k]]}")  # fmt: skip

    part.reject(NoticeBatch("flexibility_rejected", e, rows[u], mw * part.period_h, reason))
    out = capacity_mw.copy()
    out[:, rows] = 0.0
    return out


def _notice(part: Rejecter, e: int, rows: list[int], texts: list[str]) -> None:
    n = len(rows)
    part.reject(
        NoticeBatch(
            "curtailment_rejected",
            np.full(n, e, np.int64),
            np.array(rows, np.int64),
            np.zeros(n),
            lambda k: texts[k],
        )
    )


def screen_quotes(
    part: Rejecter, bids: dict[int, float], asks: dict[int, float], e: int = 0
) -> tuple[dict[int, float], dict[int, float]]:
    """The curtailment ``bids`` and ``asks`` (row -> currency per MWh) of market ``e``
    without those of unqualified rows; each left out is a notice."""
    bad = part.unqualified_for["curtailment_trading"]
    rows: list[int] = []
    texts: list[str] = []
    kept = []
    for side, book in (("bid", bids), ("ask", asks)):
        keep = {}
        for row, price in book.items():
            if row in bad:
                rows.append(row)
                texts.append(f"curtailment {side} at {price:g} per MWh rejected: "
                             f"not pre-qualified: {bad[row]}")  # fmt: skip
            else:
                keep[row] = price
        kept.append(keep)
    if rows:
        _notice(part, e, rows, texts)
    return kept[0], kept[1]


def screen_trade(part: Rejecter, buyer: int, seller: int, e: int = 0) -> bool:
    """Whether a curtailment trade between ``buyer`` and ``seller`` in market ``e`` may
    stand; when not, both counterparties get a notice naming the unqualified row."""
    bad = part.unqualified_for["curtailment_trading"]
    who = [r for r in (buyer, seller) if r in bad]
    if not who:
        return True
    a = part.agents
    why = "; ".join(bad[r] for r in who)
    text = (f"curtailment trade (buyer {a[buyer]}, seller {a[seller]}) rejected: "
            f"not pre-qualified: {why}")  # fmt: skip
    _notice(part, e, [buyer, seller], [text, text])
    return False
