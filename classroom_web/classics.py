"""Bots alone reproduce the classics: Gode and Sunder (1993) and Smith (1962).

:func:`bot_sessions` plays whole sessions of the shipped schedules with one bot kind on
every seat (no clock: ``steps`` arrivals per period) and returns each seed's efficiency and
each period's mean trade price and Smith's coefficient of convergence. ``scripts/
classroom_page.py`` prints these next to the papers' figures into docs/classroom.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from elecbay_classroom.bots import Bot, run_bots_period
from elecbay_classroom.market import ClassMarket
from elecbay_classroom.schedules import Schedule

GS_TABLE2_MARKET1 = {"zi-u": 90.0, "zi-c": 99.9, "human": 99.7}
"""Gode and Sunder (1993) Table 2, market 1: mean allocative efficiency, percent."""
SMITH_TEST1_PRICES = (1.80, 1.86, 2.02, 2.03, 2.03)
"""Smith (1962) Test 1: mean trade price in periods 1-5 (human traders)."""


@dataclass
class BotSessions:
    """Bots alone on a schedule: per seed and per period."""

    efficiency: np.ndarray  # (S,) realised / maximum surplus over all periods
    mean_price: np.ndarray  # (S, P) mean trade price per period (NaN without trades)
    alpha: np.ndarray  # (S, P) Smith's coefficient of convergence, percent
    trades: np.ndarray  # (S, P) trades per period


def bot_sessions(schedule: Schedule, kind: str, seeds: Sequence[int], periods: int = 6,
                 steps: int = 500, mechanism: str = "cda") -> BotSessions:  # fmt: skip
    """Sessions with a bot of ``kind`` on every seat, one per seed (seeded draws)."""
    s, p = len(seeds), periods
    out = BotSessions(np.zeros(s), np.full((s, p), np.nan), np.full((s, p), np.nan),
                      np.zeros((s, p)))  # fmt: skip
    for i, seed in enumerate(seeds):
        market = ClassMarket(schedule, mechanism)
        bots = {j: Bot(kind) for j in range(len(market.seats))}
        rng = np.random.default_rng([seed, len(kind)])
        for _ in range(periods):
            run_bots_period(market, bots, rng, steps)
        out.efficiency[i] = market.efficiency()
        for t in range(p):
            prices = [x["price"] for x in market.trades if x["period"] == t + 1]
            out.trades[i, t] = len(prices)
            if prices:
                out.mean_price[i, t] = float(np.mean(prices))
                out.alpha[i, t] = market.alpha(t + 1)
    return out


def classics_table(seeds: int = 20, steps: int = 500) -> str:
    """Bots alone next to the papers' figures (the table in docs/classroom.md)."""
    from elecbay_classroom.schedules import equilibrium, gode_sunder_market1, smith_1962_test1
    from elecbay_evaluate.classroom.common import fmt_ci, format_table

    gs, sm = gode_sunder_market1(), smith_1962_test1()
    rows = []
    res: dict[tuple[str, str], BotSessions] = {}
    for sched, periods in ((gs, 6), (sm, 5)):
        for kind in ("zi-c", "zi-u"):
            r = bot_sessions(sched, kind, range(seeds), periods, steps)
            res[sched.name, kind] = r
            paper = GS_TABLE2_MARKET1[kind] if sched is gs else None
            rows.append([f"{sched.name} ({periods} periods)", kind.upper(),
                         fmt_ci(100 * r.efficiency),
                         f"{paper:.1f} (market 1)" if paper else "-",
                         fmt_ci(np.nanmean(r.alpha, axis=1))])  # fmt: skip
    head = format_table(["market", "bots", "efficiency %", "paper %", "Smith's alpha %"], rows)
    p_star = equilibrium(sm.cards).price
    prices = np.nanmean(res["smith", "zi-c"].mean_price, axis=0)
    lines = [
        f"bots alone, {seeds} seeds, {steps} arrivals per period; mean [95 % bootstrap "
        "interval over seeds]",
        head,
        "",
        f"Smith (1962) Test 1, mean trade price by period (predicted {p_star:.2f}):",
        "  ZI-C bots      " + "  ".join(f"{p:.2f}" for p in prices),
        "  paper (humans) " + "  ".join(f"{p:.2f}" for p in SMITH_TEST1_PRICES),
        "Gode and Sunder (1993) Table 2, market 1: human traders "
        f"{GS_TABLE2_MARKET1['human']:.1f} %",
    ]
    return "\n".join(lines) + "\n"
