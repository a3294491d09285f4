"""(a) Zero-intelligence traders in a continuous double auction: ``elecbay classroom zi``.

Induced values and costs in the style of Smith (1962) and Gode & Sunder (1993):
budget-constrained traders (ZI-C) reach almost the whole surplus; unconstrained ones
(ZI-U) do not, and their prices do not converge. Every random draw comes from the seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from elecbay_evaluate.classroom.common import (
    Outcome,
    error_bars,
    figure,
    fmt_ci,
    format_table,
    mean_ci,
    seed_text,
)

ZI_PRICE_RANGE = (1.0, 200.0)
"""Range of ZI prices, as in Gode & Sunder (1993): ZI-U draws from all of it, ZI-C from
``[price_lo, value]`` (buyers) and ``[cost, price_hi]`` (sellers)."""
ZI_VALUES = (160.0, 60.0)
"""Buyers' unit values, evenly spaced from the highest to the lowest (currency per MWh)."""
ZI_COSTS = (40.0, 140.0)
"""Sellers' unit costs, evenly spaced from the lowest to the highest (currency per MWh)."""


@dataclass(frozen=True)
class ZIMarket:
    """Induced values and costs, and their competitive equilibrium (one unit = 1 MWh)."""

    values: np.ndarray  # (nb,) buyers' values, currency per MWh, highest first
    costs: np.ndarray  # (ns,) sellers' costs, lowest first
    price: float  # competitive equilibrium price (midpoint of the supporting interval)
    price_lo: float  # supporting interval of the equilibrium price
    price_hi: float
    quantity: float  # equilibrium units traded per period
    max_surplus: float  # surplus of the equilibrium allocation per period


def zi_market(n_buyers: int = 10, n_sellers: int = 10) -> ZIMarket:
    """The induced schedule: values ``linspace(160, 60)``, costs ``linspace(40, 140)``.

    The maximum surplus and the equilibrium price come from clearing the truthful book
    (every buyer bids its value, every seller asks its cost) with
    :func:`elecbay_env.clear` (k = 0.5: the midpoint of the supporting interval).
    """
    from elecbay_env import clear

    values = np.linspace(*ZI_VALUES, n_buyers)
    costs = np.linspace(*ZI_COSTS, n_sellers)
    r = clear(values, np.ones(n_buyers), costs, np.ones(n_sellers), k=0.5)
    surplus = float(values @ r.bid_fill - costs @ r.ask_fill)
    return ZIMarket(values, costs, r.price, r.price_lo, r.price_hi, r.volume, surplus)


@dataclass
class ZISession:
    """One ZI session (one seed, one trader type): every trade, every period's surplus."""

    price: np.ndarray  # (K,) trade prices in order
    period: np.ndarray  # (K,) period of each trade
    surplus: np.ndarray  # (P,) realised surplus per period: value - cost of each trade


def zi_session(
    market: ZIMarket,
    constrained: bool,
    seed: int,
    periods: int = 10,
    steps: int = 400,
    price_range: tuple[float, float] = ZI_PRICE_RANGE,
) -> ZISession:
    """Trading periods of a continuous double auction among ZI traders.

    Each period starts with an empty book and every trader active with one unit. At
    each of ``steps`` order submissions an active trader is picked uniformly at random;
    its previous order (if still resting) is cancelled and it submits a new one at a
    price drawn uniformly from ``price_range`` (ZI-U) or, ZI-C, from ``[lo, value]``
    (buyer) or ``[cost, hi]`` (seller). A crossing order trades at the resting order's
    price (:class:`elecbay_env.cda.ContinuousDoubleAuction`); both traders are then done
    for the period. A period ends early when one side has no active trader left.
    """
    from elecbay_env.cda import ContinuousDoubleAuction

    lo, hi = price_range
    nb = len(market.values)
    limit = np.concatenate([market.values, market.costs])
    rng = np.random.default_rng([seed, int(constrained)])
    cda = ContinuousDoubleAuction(capacity=steps + 1, price_floor=lo, price_cap=hi)
    prices: list[float] = []
    trade_period: list[int] = []
    surplus = np.zeros(periods)
    for t in range(periods):
        cda.reset()
        active = list(range(len(limit)))
        left = [len(limit) - nb, nb]  # active sellers, active buyers
        resting = np.full(len(limit), -1, np.int64)
        done = 0
        u = rng.random((steps, 2))
        for s in range(steps):
            if not (left[0] and left[1]):
                break
            i = active[int(u[s, 0] * len(active))]
            buyer = i < nb
            if resting[i] >= 0:
                cda.cancel(int(resting[i]))
            if not constrained:
                a, b = lo, hi
            else:
                a, b = (lo, limit[i]) if buyer else (limit[i], hi)
            resting[i] = cda.submit("bid" if buyer else "ask", a + u[s, 1] * (b - a), 1.0, i)
            if cda.n_trades == done:
                continue
            done = cda.n_trades
            trade = cda.trades
            other = cda.order(int(trade.sell_id[-1] if buyer else trade.buy_id[-1])).owner
            for j in (i, other):
                active.remove(j)
                left[int(j < nb)] -= 1
            surplus[t] += limit[min(i, other)] - limit[max(i, other)]
            prices.append(float(trade.price[-1]))
            trade_period.append(t)
    return ZISession(np.array(prices), np.array(trade_period, np.int64), surplus)


@dataclass
class ZIResult:
    """The ZI experiment: per trader type ("ZI-U", "ZI-C"), one entry per seed."""

    market: ZIMarket
    seeds: list[int]
    periods: int
    steps: int
    efficiency: dict[str, np.ndarray]  # (S,) realised / maximum surplus over all periods
    rms: dict[str, np.ndarray]  # (S,) RMS deviation of trade prices from the CE price
    trades: dict[str, np.ndarray]  # (S,) trades per period
    example: dict[str, ZISession]  # the first seed's session, for the plot


def run_zi(
    n_buyers: int = 10,
    n_sellers: int = 10,
    periods: int = 10,
    seeds: Sequence[int] = range(20),
    steps_per_trader: int = 20,
) -> ZIResult:
    """ZI-U and ZI-C over ``seeds`` (each seed: ``periods`` periods of ``steps_per_trader
    x (buyers + sellers)`` order submissions)."""
    market = zi_market(n_buyers, n_sellers)
    steps = steps_per_trader * (n_buyers + n_sellers)
    seeds = list(seeds)
    res = ZIResult(market, seeds, periods, steps, {}, {}, {}, {})
    for name, constrained in (("ZI-U", False), ("ZI-C", True)):
        sessions = [zi_session(market, constrained, s, periods, steps) for s in seeds]
        res.efficiency[name] = np.array(
            [x.surplus.sum() / (periods * market.max_surplus) for x in sessions]
        )
        res.rms[name] = np.array(
            [np.sqrt(np.mean((x.price - market.price) ** 2)) if x.price.size else np.nan
             for x in sessions]
        )  # fmt: skip
        res.trades[name] = np.array([x.price.size / periods for x in sessions])
        res.example[name] = sessions[0]
    return res


def zi_table(res: ZIResult) -> str:
    """The printed table of :func:`run_zi`."""
    m = res.market
    head = [
        "Zero-intelligence traders in a continuous double auction (Gode & Sunder 1993)",
        f"market: {len(m.values)} buyers (unit values {m.values[0]:g} down to {m.values[-1]:g}), "
        f"{len(m.costs)} sellers (unit costs {m.costs[0]:g} up to {m.costs[-1]:g})",
        f"competitive equilibrium: {m.quantity:g} units at {m.price:.2f} (supporting interval "
        f"[{m.price_lo:.2f}, {m.price_hi:.2f}]), maximum surplus {m.max_surplus:.2f} per period",
        f"{seed_text(res.seeds)} x {res.periods} periods x {res.steps} order submissions; "
        f"ZI prices within [{ZI_PRICE_RANGE[0]:g}, {ZI_PRICE_RANGE[1]:g}]",
        "",
    ]
    rows = []
    for name in res.efficiency:
        alpha = 100.0 * res.rms[name] / m.price
        rows.append([name, fmt_ci(100.0 * res.efficiency[name]), fmt_ci(res.rms[name]),
                     fmt_ci(alpha), fmt_ci(res.trades[name])])  # fmt: skip
    headers = ["traders", "efficiency %", "RMS price - p*", "Smith's alpha %", "trades/period"]
    foot = ("mean [95 % bootstrap interval over seeds]; alpha (Smith 1962) = 100 x RMS "
            "deviation of trade prices from p* / p*")  # fmt: skip
    return "\n".join(head) + "\n" + format_table(headers, rows) + "\n" + foot


def plot_zi(res: ZIResult, path: Path) -> Path:
    """Demand and supply, the first seed's trade prices for each type, and efficiency."""
    m = res.market
    fig = figure(13.0, 6.5)
    grid = fig.add_gridspec(2, 3, width_ratios=(1.0, 1.6, 0.9))
    ax_sd = fig.add_subplot(grid[:, 0])
    units = np.arange(len(m.values) + 1)
    ax_sd.step(units, np.r_[m.values, m.values[-1]], where="post", label="demand (values)")
    units = np.arange(len(m.costs) + 1)
    ax_sd.step(units, np.r_[m.costs, m.costs[-1]], where="post", label="supply (costs)")
    ax_sd.axhline(m.price, color="k", lw=0.8, ls="--", label=f"p* = {m.price:.1f}")
    ax_sd.set(xlabel="units (MWh)", ylabel="currency per MWh", title="induced schedules")
    ax_sd.legend(fontsize=8)
    colors = {"ZI-U": "tab:red", "ZI-C": "tab:green"}
    for row, name in enumerate(res.example):
        ax = fig.add_subplot(grid[row, 1])
        ses = res.example[name]
        ax.plot(np.arange(ses.price.size), ses.price, ".-", ms=3, lw=0.6, color=colors[name])
        for t in np.flatnonzero(np.diff(ses.period)):
            ax.axvline(t + 0.5, color="grey", lw=0.5, alpha=0.5)
        ax.axhspan(m.price_lo, m.price_hi, color="k", alpha=0.12)
        ax.axhline(m.price, color="k", lw=0.8, ls="--")
        ax.set_ylim(*ZI_PRICE_RANGE)
        ax.set_ylabel("trade price")
        ax.set_title(f"{name}: trade prices, seed {res.seeds[0]} (periods split by lines)",
                     fontsize=9)  # fmt: skip
    ax.set_xlabel("trade number")
    names = list(res.efficiency)
    for row, (what, data, scale) in enumerate(
        (("efficiency %", res.efficiency, 100.0), ("RMS price - p*", res.rms, 1.0))
    ):
        ax = fig.add_subplot(grid[row, 2])
        stats = np.array([mean_ci(scale * data[n]) for n in names])
        bars = error_bars(stats)
        ax.bar(names, stats[:, 0], yerr=bars, capsize=4, color=[colors[n] for n in names])
        ax.set_title(f"{what} (95 % interval)", fontsize=9)
    fig.suptitle("Zero-intelligence traders in a continuous double auction "
                 "(after Smith 1962, Gode & Sunder 1993)", fontsize=11)  # fmt: skip
    fig.tight_layout()
    fig.savefig(path)
    return path


def zi_outcome(res: ZIResult) -> Outcome:
    rows = [
        {"traders": n, "seed": s, "efficiency": float(res.efficiency[n][i]),
         "rms_price_deviation": float(res.rms[n][i]), "trades_per_period": float(res.trades[n][i])}
        for n in res.efficiency for i, s in enumerate(res.seeds)
    ]  # fmt: skip
    return Outcome("zi", zi_table(res), rows, lambda p: plot_zi(res, p), res)
