"""Classroom experiments: three short runs that show educators how markets behave.

Each is one command, prints a table of its figures (mean and 95 % interval over
seeds) and writes a plot, the table and the per-seed results into ``--out``
(default ``runs/classroom-<name>``); ``docs/classroom.md`` shows a real run of each.

* ``elecbay classroom zi`` (:func:`run_zi`): zero-intelligence traders in the
  continuous double auction with induced values and costs, in the style of Smith
  (1962) and Gode & Sunder (1993). Budget-constrained traders (ZI-C) reach almost the
  whole surplus; unconstrained ones (ZI-U) do not, and their prices do not converge.
* ``elecbay classroom withholding`` (:func:`run_withholding`): one large producer of
  the uniform-price env market marks up its offers and withholds capacity while
  everyone else bids truthfully: the price rises and efficiency falls; its profit
  rises only while the markup keeps it at the margin of the merit order.
* ``elecbay classroom reserve`` (:func:`run_reserve`): the rule-based broker's reserve
  z trades availability cost against balancing-energy and unserved-energy cost.

Same options, same numbers: every random draw comes from the seeds.
"""

from __future__ import annotations

import argparse
import csv
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

EXPERIMENTS = ("zi", "withholding", "reserve")
PLOT_NAME = "{name}.png"
TABLE_NAME = "table.txt"
RESULTS_NAME = "results.csv"


class OptionError(ValueError):
    """An experiment option the scenario cannot serve (e.g. an unknown producer id)."""


# ---------------------------------------------------------------------------- statistics


def mean_ci(x: Sequence[float] | np.ndarray) -> tuple[float, float, float]:
    """Mean over seeds and its 95 % bootstrap interval: ``(mean, lo, hi)``.

    The interval is :func:`elecbay_evaluate.metrics.bootstrap_ci` (BCa, seeded), the one
    the tournament evaluator reports; NaN bounds with fewer than two values.
    """
    from elecbay_evaluate.metrics import bootstrap_ci

    a = np.asarray(x, dtype=np.float64).ravel()
    lo, hi = bootstrap_ci(a)
    return float(a.mean()), lo, hi


def fmt_ci(x: Sequence[float] | np.ndarray, places: int = 1) -> str:
    """``mean [lo, hi]`` (just the mean with a single value)."""
    m, lo, hi = mean_ci(x)
    if math.isnan(lo):
        return f"{m:,.{places}f}"
    return f"{m:,.{places}f} [{lo:,.{places}f}, {hi:,.{places}f}]"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain text table: first column left-aligned, the others right-aligned."""
    cols = list(zip(headers, *rows, strict=True))
    widths = [max(len(c) for c in col) for col in cols]

    def line(cells: Sequence[str]) -> str:
        out = [f"{cells[0]:<{widths[0]}}"]
        out += [f"{c:>{w}}" for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def _figure(width: float, height: float) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _errorbar(ax: Any, x: Any, samples: Sequence[np.ndarray], **kw: Any) -> None:
    """Means with 95 % interval bars (no bars where an interval is undefined)."""
    stats = np.array([mean_ci(s) for s in samples])
    ax.errorbar(x, stats[:, 0], yerr=_err(stats), capsize=3, **kw)


def _err(stats: np.ndarray) -> np.ndarray:
    """(2, K) error-bar lengths from (K, 3) rows of (mean, lo, hi); 0 where undefined."""
    return np.nan_to_num(np.abs(stats[:, 1:] - stats[:, :1]).T)


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@dataclass
class Outcome:
    """What one experiment produced: the printed table, per-seed rows, and a plotter."""

    name: str
    table: str
    rows: list[dict[str, Any]]
    plot: Callable[[Path], Path]
    result: Any

    def write(self, out: Path) -> list[Path]:
        """Write the plot, ``table.txt`` and ``results.csv`` into ``out`` (created)."""
        out.mkdir(parents=True, exist_ok=True)
        (out / TABLE_NAME).write_text(self.table + "\n")
        return [
            self.plot(out / PLOT_NAME.format(name=self.name)),
            out / TABLE_NAME,
            _write_csv(out / RESULTS_NAME, self.rows),
        ]


# ------------------------------------------------------------------ (a) zero intelligence

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
        f"{_seed_text(res.seeds)} x {res.periods} periods x {res.steps} order submissions; "
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
    fig = _figure(13.0, 6.5)
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
        ax.bar(names, stats[:, 0], yerr=_err(stats), capsize=4, color=[colors[n] for n in names])
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


# ---------------------------------------------------------------------- env episodes


@dataclass
class EpisodeTotals:
    """Sums over one env episode (N agents, C ledger components)."""

    amount: np.ndarray  # (N, C) ledger amounts summed over the episode, + received
    mwh: np.ndarray  # (N, C) ledger quantities summed over the episode (forward: + sold)
    unserved_mwh: float
    reserved_up_mw: float  # mean up reserve procured per period
    metrics: dict[str, Any] | None  # elecbay_evaluate.metrics figures, when asked for


def play(env: Any, policies: dict[str, Any], seed: int, metrics: bool = False) -> EpisodeTotals:
    """One episode of ``env`` from ``reset(seed=seed)`` with ``policies``.

    With ``metrics``, the episode is also watched by
    :class:`elecbay_evaluate.metrics.EpisodeMetrics` (allocative efficiency, prices,
    profits: the same figures as the tournament evaluator).
    """
    watch = None
    if metrics:
        from elecbay_evaluate.metrics import EpisodeMetrics

        watch = EpisodeMetrics(env.engine.params, env.possible_agents)
    obs, _ = env.reset(seed=seed)
    states: dict[str, Any] = dict.fromkeys(env.possible_agents)
    amount = mwh = 0.0
    unserved = reserved = 0.0
    for t in range(env.num_periods):
        actions = {}
        for agent in env.agents:
            actions[agent], states[agent] = policies[agent].predict(
                obs[agent], states[agent], episode_start=t == 0
            )
        in_outage = env.engine.state.outage_left[0] > 0
        obs, *_ = env.step(actions)
        out = env.last_outcome
        if watch is not None:
            watch.record(t, in_outage, env.last_orders, out)
        amount = amount + out.ledger_amount[0]
        mwh = mwh + out.ledger_mwh[0]
        unserved += float(out.unserved_mwh[0])
        reserved += float(out.reserved_mw[0, :, 0].sum())
    figures = watch.result() if watch is not None else None
    return EpisodeTotals(
        np.asarray(amount), np.asarray(mwh), unserved, reserved / env.num_periods, figures
    )


# ------------------------------------------------------------------ (b) withholding

WITHHOLD_AGENT = "producer_2"
"""The strategic producer of the default scenario: ``ccgt_1``, 600 MW at 54 per MWh."""
MARKUPS = (0.0, 0.2, 0.5, 1.0)
"""Markups (fraction of marginal cost) of the strategic producer."""
WITHHOLDS = (0.0, 0.2, 0.4)
"""Shares of its capacity the strategic producer withholds."""


@dataclass
class WithholdingResult:
    """The withholding experiment: per (markup, withholding), one entry per seed."""

    scenario: str
    days: int
    seeds: list[int]
    agent: str
    asset: str
    markups: list[float]
    withholds: list[float]
    price: np.ndarray  # (M, W, S) mean clearing price, currency per MWh
    profit: np.ndarray  # (M, W, S) the strategic producer's profit per day
    efficiency: np.ndarray  # (M, W, S) allocative efficiency of the forward market
    lost_surplus: np.ndarray  # (M, W, S) maximum - realised surplus per day (deadweight)
    sold_mwh: np.ndarray  # (M, W, S) the strategic producer's forward sales per day


def run_withholding(
    markups: Sequence[float] = MARKUPS,
    withholds: Sequence[float] = WITHHOLDS,
    days: int = 3,
    seeds: Sequence[int] = range(5),
    agent: str = WITHHOLD_AGENT,
    scenario: str = "default",
) -> WithholdingResult:
    """Every (markup, withholding) of ``agent`` over every seed; everyone else truthful.

    The strategic producer plays the policy spec ``"markup:MARKUP,WITHHOLD"``
    (:class:`elecbay_agents.markup.MarkupPolicy`: offers at ``cost x (1 + markup)``,
    ``1 - withhold`` of its capacity, reserve offers the same way); every other trader
    plays merit order, the broker its rule (the baseline of
    :func:`elecbay_agents.registry.make_policies`). Profit is the producer's reward
    (cash - production and start-up cost) per day.
    """
    from elecbay_agents.registry import make_policies

    from elecbay_env.envs.parallel import parallel_env
    from elecbay_env.kernels.ledger_codes import FORWARD

    env = parallel_env(scenario, **{"market.days": days})
    if agent not in env.possible_agents or not agent.startswith("producer_"):
        producers = [a for a in env.possible_agents if a.startswith("producer_")]
        raise OptionError(f"agent {agent!r}: expected one of {producers}")
    row = env.possible_agents.index(agent)
    seeds = list(seeds)
    shape = (len(markups), len(withholds), len(seeds))
    res = WithholdingResult(
        scenario, days, seeds, agent, env.scenario.producers[row].name,
        [float(m) for m in markups], [float(w) for w in withholds],
        *(np.zeros(shape) for _ in range(5)),
    )  # fmt: skip
    for i, m in enumerate(res.markups):
        for j, w in enumerate(res.withholds):
            policies = make_policies(env, {agent: f"markup:{m!r},{w!r}"})
            for k, seed in enumerate(seeds):
                ep = play(env, policies, seed, metrics=True)
                fig = ep.metrics
                res.price[i, j, k] = fig["price_mean"]
                res.profit[i, j, k] = fig["profit"][agent] / days
                res.efficiency[i, j, k] = fig["efficiency"]
                res.lost_surplus[i, j, k] = (fig["max_surplus"] - fig["realised_surplus"]) / days
                res.sold_mwh[i, j, k] = ep.mwh[row, FORWARD] / days
    return res


def withholding_table(res: WithholdingResult) -> str:
    """The printed table of :func:`run_withholding`."""
    head = [
        f"Market power: {res.agent} ({res.asset}) marks up its offers and withholds capacity; "
        "everyone else bids truthfully",
        f"scenario {res.scenario!r}, {_days(res.days)}, {_seed_text(res.seeds)}; "
        "uniform-price auction; profit and lost surplus per day",
        "",
    ]
    rows = []
    for i, m in enumerate(res.markups):
        for j, w in enumerate(res.withholds):
            rows.append([
                f"{m:g}", f"{w:g}", fmt_ci(res.price[i, j], 2),
                fmt_ci(res.profit[i, j] / 1e3, 1), f"{res.sold_mwh[i, j].mean():,.0f}",
                fmt_ci(100.0 * res.efficiency[i, j], 3),
                f"{res.lost_surplus[i, j].mean() / 1e3:,.1f}",
            ])  # fmt: skip
    headers = ["markup", "withheld", "mean price", "profit k/day", "sold MWh/day",
               "efficiency %", "lost surplus k/day"]  # fmt: skip
    foot = (
        "mean [95 % bootstrap interval over seeds]; mean price: mean clearing price per MWh; "
        "profit: the producer's reward\n(cash - production and start-up cost; k = thousands); "
        "efficiency: realised / maximum surplus of the forward market"
    )
    return "\n".join(head) + "\n" + format_table(headers, rows) + "\n" + foot


def plot_withholding(res: WithholdingResult, path: Path) -> Path:
    """Mean price, the producer's profit and efficiency vs markup, a line per withholding."""
    fig = _figure(13.0, 4.6)
    axes = fig.subplots(1, 3)
    panels = (
        (res.price, 1.0, "mean clearing price (per MWh)"),
        (res.profit, 1e-3, f"{res.asset} profit (thousands per day)"),
        (res.efficiency, 100.0, "allocative efficiency (%)"),
    )
    for ax, (data, scale, title) in zip(axes, panels, strict=True):
        for j, w in enumerate(res.withholds):
            _errorbar(ax, res.markups, [scale * data[i, j] for i in range(len(res.markups))],
                      fmt="o-", label=f"withholds {w:.0%}")  # fmt: skip
        ax.set(xlabel="markup (fraction of marginal cost)", title=title)
        ax.set_xticks(res.markups)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"Market power of {res.asset} ({res.agent}), scenario {res.scenario!r}: "
                 f"{_seed_text(res.seeds)} x {_days(res.days)} (95 % intervals)",
                 fontsize=11)  # fmt: skip
    fig.tight_layout()
    fig.savefig(path)
    return path


def withholding_outcome(res: WithholdingResult) -> Outcome:
    rows = [
        {"markup": m, "withhold": w, "seed": s, "mean_price": res.price[i, j, k],
         "profit_per_day": res.profit[i, j, k], "sold_mwh_per_day": res.sold_mwh[i, j, k],
         "efficiency": res.efficiency[i, j, k], "lost_surplus_per_day": res.lost_surplus[i, j, k]}
        for i, m in enumerate(res.markups) for j, w in enumerate(res.withholds)
        for k, s in enumerate(res.seeds)
    ]  # fmt: skip
    return Outcome("withholding", withholding_table(res), rows,
                   lambda p: plot_withholding(res, p), res)  # fmt: skip


def _days(days: int) -> str:
    return f"{days} day{'s' * (days != 1)}"


def _seed_text(seeds: Sequence[int]) -> str:
    n = len(seeds)
    return f"seed {seeds[0]}" if n == 1 else f"{n} seeds ({seeds[0]}..{seeds[-1]})"


# --------------------------------------------------------------------- (c) reserve

RESERVE_Z = (0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0)
"""Reserve levels of the rule-based broker, in standard deviations of the forecast error."""


@dataclass
class ReserveResult:
    """The reserve experiment: per z, per seed, costs per day (currency)."""

    scenario: str
    days: int
    seeds: list[int]
    z: list[float]
    voll: float  # value of lost load, currency per MWh
    availability: np.ndarray  # (Z, S) availability payments of the broker per day
    balancing: np.ndarray  # (Z, S) net balancing-energy payments of the broker per day
    unserved_mwh: np.ndarray  # (Z, S) unserved energy per day
    reserved_mw: np.ndarray  # (Z, S) mean up reserve procured

    @property
    def unserved_cost(self) -> np.ndarray:
        """(Z, S) value of lost load x unserved energy, per day."""
        return self.voll * self.unserved_mwh

    @property
    def total(self) -> np.ndarray:
        """(Z, S) availability + balancing energy + unserved-energy cost, per day."""
        return self.availability + self.balancing + self.unserved_cost

    @property
    def best(self) -> int:
        """Index of the z with the lowest mean total cost."""
        return int(np.argmin(self.total.mean(axis=1)))


def run_reserve(
    z: Sequence[float] = RESERVE_Z,
    days: int = 3,
    seeds: Sequence[int] = range(5),
    scenario: str = "default",
) -> ReserveResult:
    """Every z over every seed: merit-order traders, the rule-based broker with that z
    (policy spec ``"rule_based_broker:Z"``).

    The seed fixes the forecast errors and forced outages, so every z meets the same
    weather and the same outages (common random numbers).
    """
    from elecbay_agents.registry import make_policies

    from elecbay_env.envs.parallel import parallel_env
    from elecbay_env.kernels.ledger_codes import AVAILABILITY, BALANCING

    env = parallel_env(scenario, **{"market.days": days})
    broker = env.possible_agents.index("broker_0")
    seeds = list(seeds)
    shape = (len(z), len(seeds))
    voll = float(env.scenario.market.value_of_lost_load_per_mwh)
    zeros = (np.zeros(shape) for _ in range(4))
    res = ReserveResult(scenario, days, seeds, [float(x) for x in z], voll, *zeros)
    for i, zi in enumerate(res.z):
        policies = make_policies(env, {"broker": f"rule_based_broker:{zi!r}"})
        for j, seed in enumerate(seeds):
            ep = play(env, policies, seed)
            res.availability[i, j] = -ep.amount[broker, AVAILABILITY] / days
            res.balancing[i, j] = -ep.amount[broker, BALANCING] / days
            res.unserved_mwh[i, j] = ep.unserved_mwh / days
            res.reserved_mw[i, j] = ep.reserved_up_mw
    return res


def reserve_table(res: ReserveResult) -> str:
    """The printed table of :func:`run_reserve`."""
    head = [
        "Reserve sizing: the rule-based broker holds z x the forecast-error std as reserve",
        f"scenario {res.scenario!r}, {_days(res.days)}, {_seed_text(res.seeds)}; "
        f"costs in thousands per day; VoLL {res.voll:,.0f} per MWh",
        "",
    ]
    rows = []
    for i, z in enumerate(res.z):
        rows.append([
            f"{z:g}", f"{res.reserved_mw[i].mean():,.1f}",
            f"{res.availability[i].mean() / 1e3:,.1f}", f"{res.balancing[i].mean() / 1e3:,.1f}",
            f"{res.unserved_mwh[i].mean():,.1f}", f"{res.unserved_cost[i].mean() / 1e3:,.1f}",
            fmt_ci(res.total[i] / 1e3, 1), "<- min" if i == res.best else "",
        ])  # fmt: skip
    headers = ["z", "reserve MW", "availability", "balancing energy", "unserved MWh",
               "unserved cost", "total", ""]  # fmt: skip
    foot = (
        "reserve MW: mean up reserve procured; availability: paid for reserve held; "
        "balancing energy: paid for activated\nreserve, net of what down activations pay back; "
        "unserved cost = VoLL x unserved MWh; total = the three costs,\n"
        "mean [95 % bootstrap interval over seeds]; other columns: means over seeds"
    )
    per_seed = ", ".join(f"{res.z[i]:g}" for i in np.argmin(res.total, axis=0))
    best = f"lowest total per seed (seeds in order) at z = {per_seed}"
    return "\n".join(head) + "\n" + format_table(headers, rows) + "\n" + foot + "\n" + best


def plot_reserve(res: ReserveResult, path: Path) -> Path:
    """Each cost vs z (log scale), and the total per seed and on average, minimum marked."""
    fig = _figure(12.5, 4.8)
    ax_c, ax_t = fig.subplots(1, 2)
    parts = {
        "availability": res.availability,
        "balancing energy (net)": res.balancing,
        "unserved energy (VoLL x MWh)": res.unserved_cost,
        "total": res.total,
    }
    styles = (("o-", "tab:blue"), ("s-", "tab:orange"), ("^-", "tab:red"), ("*--", "k"))
    for (label, data), (style, color) in zip(parts.items(), styles, strict=True):
        ax_c.plot(res.z, data.mean(axis=1) / 1e3, style, color=color, label=label)
    ax_c.set_yscale("symlog", linthresh=1.0)
    ax_c.set(xlabel="reserve z (standard deviations of the forecast error)",
             ylabel="thousands per day (log scale)", title="costs vs reserve")  # fmt: skip
    ax_c.legend(fontsize=8)
    for j in range(len(res.seeds)):
        ax_t.plot(res.z, res.total[:, j] / 1e3, color="grey", lw=0.7, alpha=0.6,
                  label="one seed" if j == 0 else None)  # fmt: skip
    _errorbar(ax_t, res.z, list(res.total / 1e3), fmt="ko-", label="mean, 95 % interval")
    b = res.best
    ax_t.plot([res.z[b]], [res.total[b].mean() / 1e3], "r*", ms=16,
              label=f"minimum: z = {res.z[b]:g}")  # fmt: skip
    ax_t.set_yscale("log")
    ax_t.set(xlabel="reserve z", ylabel="thousands per day (log scale)",
             title="total cost: availability + balancing + unserved")  # fmt: skip
    ax_t.legend(fontsize=8)
    fig.suptitle(f"Reserve sizing, scenario {res.scenario!r}: {_seed_text(res.seeds)} x "
                 f"{_days(res.days)}", fontsize=11)  # fmt: skip
    fig.tight_layout()
    fig.savefig(path)
    return path


def reserve_outcome(res: ReserveResult) -> Outcome:
    rows = [
        {"z": z, "seed": s, "reserved_up_mw": res.reserved_mw[i, j],
         "availability_per_day": res.availability[i, j], "balancing_per_day": res.balancing[i, j],
         "unserved_mwh_per_day": res.unserved_mwh[i, j],
         "unserved_cost_per_day": res.unserved_cost[i, j], "total_per_day": res.total[i, j]}
        for i, z in enumerate(res.z) for j, s in enumerate(res.seeds)
    ]  # fmt: skip
    return Outcome("reserve", reserve_table(res), rows, lambda p: plot_reserve(res, p), res)


# ------------------------------------------------------------------------- command

CLASSROOM_HELP = """\
Classroom experiments, one command each (docs/classroom.md):

  zi           zero-intelligence traders in a continuous double auction with induced
               values and costs (Smith 1962; Gode & Sunder 1993): efficiency and price
               convergence of budget-constrained (ZI-C) vs unconstrained (ZI-U) traders
  withholding  one large producer marks up its offers and withholds capacity in the
               uniform-price market: mean price, its profit, allocative efficiency
  reserve      the broker's reserve z: availability vs balancing-energy and
               unserved-energy cost, and the z with the lowest total

Prints a table (mean and 95 % bootstrap interval over seeds) and writes the plot
(<name>.png), table.txt and results.csv (one row per seed and setting) into --out.
Same options, same numbers."""

_DEFAULTS: dict[str, dict[str, dict[str, Any]]] = {
    "zi": {
        "full": {"seeds": 20, "periods": 10, "buyers": 10, "sellers": 10},
        "quick": {"seeds": 8, "periods": 5, "buyers": 10, "sellers": 10},
    },
    "withholding": {
        "full": {"seeds": 10, "days": 3, "producer": WITHHOLD_AGENT, "markups": MARKUPS,
                 "withholds": WITHHOLDS},
        "quick": {"seeds": 2, "days": 1, "producer": WITHHOLD_AGENT, "markups": MARKUPS,
                  "withholds": WITHHOLDS},
    },
    "reserve": {
        "full": {"seeds": 10, "days": 3, "z": RESERVE_Z},
        "quick": {"seeds": 2, "days": 1, "z": (0.0, 1.0, 2.0, 4.0, 8.0, 16.0)},
    },
}  # fmt: skip
"""Sizes of each experiment: default and ``--quick``; options given override them."""


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _floats(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers, got {text!r}"
        ) from None
    if not values or not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"expected comma-separated finite numbers, got {text!r}")
    return values


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``elecbay classroom`` (:mod:`elecbay_env.cli` adds the subcommand)."""
    parser.add_argument("experiment", choices=EXPERIMENTS, help="which experiment to run")
    parser.add_argument("--quick", action="store_true",
                        help="a small run (seconds) for a first look or a test")  # fmt: skip
    parser.add_argument("--seeds", type=_int, default=None, metavar="N",
                        help="seeds to average over (default: zi 20, withholding 10, "
                             "reserve 10; --quick: 8, 2, 2)")  # fmt: skip
    parser.add_argument("--first-seed", type=_int, default=0, metavar="S",
                        help="seeds are S, S+1, ..., S+N-1 (default: %(default)s)")  # fmt: skip
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="output folder, created if missing (default: "
                             "runs/classroom-<experiment>)")  # fmt: skip
    zi = parser.add_argument_group("zi")
    zi.add_argument("--buyers", type=_int, default=None, metavar="N",
                    help="buyers, one unit each (default: 10)")  # fmt: skip
    zi.add_argument("--sellers", type=_int, default=None, metavar="N",
                    help="sellers, one unit each (default: 10)")  # fmt: skip
    zi.add_argument("--periods", type=_int, default=None, metavar="N",
                    help="trading periods per seed (default: 10; --quick: 5)")  # fmt: skip
    env = parser.add_argument_group("withholding and reserve")
    env.add_argument(
        "--days",
        type=_int,
        default=None,
        metavar="N",
        help="days of the default scenario per run (default: 3; --quick: 1)",
    )
    env.add_argument("--producer", default=None, metavar="AGENT",
                     help=f"withholding: the strategic producer (default: {WITHHOLD_AGENT}, "
                          "ccgt_1)")  # fmt: skip
    env.add_argument(
        "--markups",
        type=_floats,
        default=None,
        metavar="LIST",
        help="withholding: markups, comma-separated (default: 0,0.2,0.5,1)",
    )
    env.add_argument("--withholds", type=_floats, default=None, metavar="LIST",
                     help="withholding: withheld shares (default: 0,0.2,0.4)")  # fmt: skip
    env.add_argument(
        "--z",
        type=_floats,
        default=None,
        metavar="LIST",
        help="reserve: values of z (default: 0,0.5,1,2,3,4,6,8,12,16)",
    )


def _options(args: argparse.Namespace) -> dict[str, Any]:
    """The experiment's sizes: its defaults (full or quick), overridden by the options."""
    from elecbay_env.cli import UsageError

    name = args.experiment
    opts = dict(_DEFAULTS[name]["quick" if args.quick else "full"])
    for other, sizes in _DEFAULTS.items():
        for key in set(sizes["full"]) - set(opts):
            if getattr(args, key, None) is not None:
                raise UsageError(f"--{key}: applies to the {other} experiment, not {name}")
    for key in opts:
        if getattr(args, key) is not None:
            opts[key] = getattr(args, key)
    least = {"seeds": 1, "days": 1, "periods": 1, "buyers": 2, "sellers": 2}
    for key, low in least.items():
        if key in opts and opts[key] < low:
            raise UsageError(f"--{key} {opts[key]}: must be at least {low}")
    if args.first_seed < 0:
        raise UsageError(f"--first-seed {args.first_seed}: must be at least 0")
    for key in ("buyers", "sellers"):
        if key in opts and opts[key] > 200:
            raise UsageError(f"--{key} {opts[key]}: at most 200 (one unit each)")
    if any(v < 0 for v in opts.get("markups", ())):
        raise UsageError("--markups: every markup must be at least 0")
    if any(not 0 <= v <= 1 for v in opts.get("withholds", ())):
        raise UsageError("--withholds: every share must lie in [0, 1]")
    if any(v < 0 for v in opts.get("z", ())):
        raise UsageError("--z: every z must be at least 0")
    if "producer" in opts and not opts["producer"].startswith("producer_"):
        raise UsageError(f"--producer {opts['producer']}: expected a producer id (producer_<i>)")
    return opts


def run_experiment(name: str, opts: dict[str, Any], first_seed: int = 0) -> Outcome:
    """Run experiment ``name`` with sizes ``opts`` (keys as in ``_DEFAULTS``)."""
    seeds = range(first_seed, first_seed + opts["seeds"])
    if name == "zi":
        return zi_outcome(run_zi(opts["buyers"], opts["sellers"], opts["periods"], seeds))
    if name == "withholding":
        res = run_withholding(opts["markups"], opts["withholds"], opts["days"], seeds,
                              opts["producer"])  # fmt: skip
        return withholding_outcome(res)
    if name == "reserve":
        return reserve_outcome(run_reserve(opts["z"], opts["days"], seeds))
    raise ValueError(f"experiment {name!r}: allowed values are {EXPERIMENTS}")


def run_command(args: argparse.Namespace) -> int:
    """``elecbay classroom``: run, print the table, write the outputs; returns 0."""
    from elecbay_env.cli import UsageError

    opts = _options(args)
    out = Path(args.out or f"runs/classroom-{args.experiment}")
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")
    start = time.perf_counter()
    try:
        outcome = run_experiment(args.experiment, opts, args.first_seed)
    except OptionError as exc:  # e.g. a producer id the scenario does not have
        raise UsageError(str(exc)) from None
    print(outcome.table)
    files = outcome.write(out)
    print(f"{time.perf_counter() - start:.1f} s; wrote {', '.join(f.name for f in files)} "
          f"to {out}/")  # fmt: skip
    return 0
