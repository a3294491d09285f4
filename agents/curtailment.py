"""Baselines of distribution-constraint flexibility: the network operator and the
curtailment trader (docs/flexibility.md, "Distribution constraints").

:class:`CurtailmentTrader` values curtailment at its lost margin per MWh, the forward
reference price minus its marginal cost (a subsidised unit's cost is negative, so losing
output costs it more) minus the compensation it would receive; it bids that value to be
relieved when the look-ahead expects it to be curtailed, and otherwise asks it to take
another's curtailment when it has output to give up behind the constraint.
:class:`NetworkOperator` is the rule-based operator: each day at the gate it publishes
the look-ahead, collects the traders' bids and asks, and clears the call auction
(:func:`elecbay_env.curtailment_trading.run_auction`). Active network management itself is
in the engine.
"""

from __future__ import annotations

import numpy as np

from elecbay_env.constraints import lookahead
from elecbay_env.curtailment_trading import Trade, run_auction
from elecbay_env.envs.constraint_observations import expected_injection
from elecbay_env.kernels import kinds
from elecbay_env.params import MarketParams
from elecbay_env.service_prequal import Rejecter
from elecbay_env.state import MarketState


def curtailment_cost_per_mwh(params: MarketParams, row: int, ref_price: float, e: int = 0) -> float:
    """What one MWh of curtailment costs ``row`` (currency per MWh): the forward price it
    no longer earns less the marginal cost it saves, less the compensation it receives."""
    kind = int(params.kind[e, row])
    exo = kind in (kinds.WIND, kinds.SOLAR, kinds.CONSUMER)
    comp = 0.0
    if exo and params.n_constraints:
        behind = params.anm_member[e, :, :, row].any(axis=1)
        comp = float(params.anm_comp[e][behind].max(initial=0.0))
    return float(ref_price - params.cost_per_mwh[e, row] - comp)


class CurtailmentTrader:
    """One non-firm row's curtailment trading: a bid to be relieved or an ask to take."""

    def __init__(self, row: int) -> None:
        self.row = row

    def quote(
        self, params: MarketParams, state: MarketState, expected_mw: np.ndarray, t0: int, e: int = 0
    ) -> tuple[str, float] | None:
        """``("bid", price)``, ``("ask", price)`` or None for the day from ``t0``.

        ``expected_mw`` (N, H): every row's expected net injection (MW)."""
        if not params.anm_nonfirm[e, self.row]:
            return None
        _, curtailed = lookahead(params, expected_mw, t0, e)
        cost = curtailment_cost_per_mwh(params, self.row, float(state.ref_price[e]), e)
        if curtailed[self.row].sum() > 0.0:
            return "bid", cost
        if expected_mw[self.row].max() > 0.0:
            return "ask", cost
        return None


class NetworkOperator:
    """The rule-based network operator: look-ahead, then the daily curtailment auction."""

    def __init__(self, params: MarketParams) -> None:
        self.traders = [
            CurtailmentTrader(i) for i in range(params.n_rows - 1) if params.anm_nonfirm[0, i]
        ]

    def expected(self, params: MarketParams, state: MarketState, t0: int, e: int = 0) -> np.ndarray:
        """(N, H) expected net injection over the day from ``t0`` (the look-ahead's input)."""
        day = 1440 // params.period_min
        return np.stack([expected_injection(params, state, t0 + j)[e] for j in range(day)], 1)

    def run_day(
        self,
        params: MarketParams,
        state: MarketState,
        t0: int,
        e: int = 0,
        participation: Rejecter | None = None,
    ) -> list[Trade]:
        """Collect every trader's quote for the day from ``t0`` and clear the auction
        (quotes of rows not pre-qualified left out when ``participation``, the
        engine's, is given)."""
        expected = self.expected(params, state, t0, e)
        bids: dict[int, float] = {}
        asks: dict[int, float] = {}
        for trader in self.traders:
            q = trader.quote(params, state, expected, t0, e)
            if q is not None:
                (bids if q[0] == "bid" else asks)[trader.row] = q[1]
        return run_auction(params, state, expected, t0, bids, asks, e, participation)
