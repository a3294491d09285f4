"""Virtual participants measured: a virtual trader's profit and its effect on the spread.

:func:`play_virtuals` runs ``S`` seeded markets of a scenario with day-ahead virtuals
(``market.day_ahead.virtuals``, docs/day_ahead.md) with every physical seat honest
(:data:`elecbay_evaluate.day_ahead.HONEST`) and every virtual on one strategy
(:data:`STRATEGIES`). Paired by seed against ``"none"`` (virtuals that bid nothing, which
is the market without virtuals), it measures what the virtuals earn and how the
day-ahead / real-time spread moves.

``python -m elecbay_evaluate.day_ahead_virtuals [scenario] [seeds] [mw]`` prints the table
of docs/day_ahead.md ("Virtual participants").
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from .day_ahead import HONEST

STRATEGIES = ("none", "dec", "inc", "convergence", "convergence_cap")
"""``none``: no bids; ``dec`` / ``inc``: buy / sell ``mw`` day-ahead as a price taker
(bid at the price cap, offer at the floor); ``convergence``: a decrement bid of ``mw``
at its real-time price estimate minus ``margin`` and an increment offer of ``mw`` at
the estimate plus ``margin`` (it buys when day-ahead is cheaper than it expects real
time to be and sells when dearer); ``convergence_cap``: the same with its decrement bid
at the price cap whenever its estimate is above the last day's mean day-ahead price (a
virtual trying to corner the real-time close-out, the exploit test)."""


class VirtualFigures(NamedTuple):
    """Per market (S,): the virtuals' total cash and the spread over delivery periods."""

    profit: np.ndarray  # currency over the episode, all virtuals of the market
    spread: np.ndarray  # mean of P_DA - P_L over periods whose day-ahead auction traded
    abs_spread: np.ndarray  # mean of |P_DA - P_L| over the same periods
    day_ahead_price: np.ndarray  # mean P_DA over them
    liquidation_price: np.ndarray  # mean P_L over them
    operator: np.ndarray  # the system operator's cash with the virtuals, currency
    welfare: np.ndarray  # sum of every physical row's reward, currency
    profit_untraded: np.ndarray  # the part of profit from periods liquidated at P_imb
    untraded: np.ndarray  # share of delivery periods whose real-time auction did not trade


def _curves(kind: str, desk: Any, params: Any, est: np.ndarray, da_mean: np.ndarray, mw: float,
            margin: float) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    vp, vq = desk.empty_curves()
    cap, floor = params.price_cap[:, None], params.price_floor[:, None]
    if kind == "dec":
        vp[:, :, 0], vq[:, :, 0] = cap, -mw
    elif kind == "inc":
        vp[:, :, 0], vq[:, :, 0] = floor, mw
    elif kind in ("convergence", "convergence_cap"):
        lo = np.clip(est - margin, params.price_floor, params.price_cap)[:, None]
        hi = np.clip(est + margin, params.price_floor, params.price_cap)[:, None]
        if kind == "convergence_cap":
            lo = np.where((est > da_mean)[:, None], cap, lo)
        vp[:, :, 0], vq[:, :, 0] = lo, -mw
        vp[:, :, 1], vq[:, :, 1] = hi, mw
    elif kind != "none":
        raise ValueError(f"strategy: {kind!r}, expected one of {STRATEGIES}")
    return vp, vq


def play_virtuals(
    scenario: dict[str, Any] | str,
    strategy: str,
    seeds: Sequence[int],
    mw: float = 50.0,
    margin: float = 5.0,
) -> VirtualFigures:
    """One episode per seed, physical seats honest, every virtual on ``strategy``.

    Args:
        scenario: a scenario (dict or name) with ``market.day_ahead.virtuals``.
        strategy: one of :data:`STRATEGIES`.
        seeds: market ``i`` is seeded ``seeds[i]``; policies with ``seeds[0]``.
        mw: each virtual's size (MW), at most its ``max_mw``.
        margin: the convergence trader's margin (currency per MWh).
    """
    from elecbay_agents.batched import batched_actions
    from elecbay_agents.registry import make_policies

    from elecbay_env.engine import Engine
    from elecbay_env.envs.codecs import Codec
    from elecbay_env.envs.day_ahead_phase import gate_orders
    from elecbay_env.envs.observations import observe, row_bounds
    from elecbay_env.envs.parallel import ElecbayParallelEnv

    env = ElecbayParallelEnv(scenario)
    e = len(seeds)
    eng = Engine(env.scenario, n_markets=e, keep_ledger=False, validate=False)
    desk = eng.virtuals
    if desk is None:
        raise ValueError("scenario: needs market.day_ahead.virtuals")
    params = eng.params
    codec = Codec(params, price_range=env.codec.price_range, avail_hi=env.codec.avail_hi)
    agents = list(eng.agents)
    policies = make_policies(env, dict(HONEST), seed=int(seeds[0]))
    widths = {a: env.observation_space(a).shape[0] for a in agents}
    bounds = row_bounds(params)
    eng.reset(seed=[int(s) for s in seeds])
    obs = observe(params, eng.state, bounds)
    states: dict[str, Any] = dict.fromkeys(agents)
    welfare = np.zeros(e)
    seen_p, seen_n = np.zeros(e), 0  # the virtuals' real-time price estimate: P_L so far
    da_seen, da_n = np.zeros(e), 0
    spread, abs_spread, n_da = np.zeros(e), np.zeros(e), 0
    da_sum, liq_sum = np.zeros(e), np.zeros(e)
    untraded_cash, untraded_n = np.zeros(e), np.zeros(e)
    zone = desk.zone[0]
    rows = np.arange(e)
    standing = None
    first = True
    for _ in range(eng.n_periods):
        actions = batched_actions(policies, agents, obs, widths, states, first, codec.width)
        first = False
        orders = codec.decode(actions)
        est = seen_p / max(seen_n, 1)
        da_mean = da_seen / da_n if da_n else np.full(e, np.inf)
        virtual = _curves(strategy, desk, params, est, da_mean, mw, margin)
        standing = gate_orders(eng, orders, standing, virtual)
        slot = eng.state.t % params.da_slots
        p_da = eng.state.da_price[rows, slot, zone].copy()
        out = eng.step(standing)
        welfare += out.reward.sum(axis=1)
        p_l = out.zone_price[:, zone]
        dark = ~np.isfinite(p_l)
        untraded_cash += np.where(dark, (desk.da_cash + desk.liquidation).sum(axis=1), 0.0)
        p_l = np.where(dark, out.imbalance_price, p_l)
        seen_p += p_l
        seen_n += 1
        if np.all(np.isfinite(p_da)):
            spread += p_da - p_l
            abs_spread += np.abs(p_da - p_l)
            da_sum += p_da
            liq_sum += p_l
            da_seen += p_da
            da_n += 1
            n_da += 1
            untraded_n += dark
        obs = observe(params, eng.state, bounds)
    n = max(n_da, 1)
    return VirtualFigures(
        desk.total.sum(axis=1), spread / n, abs_spread / n, da_sum / n, liq_sum / n,
        desk.operator_total.copy(), welfare, untraded_cash, untraded_n / n,
    )  # fmt: skip


def virtual_scenario(name: str = "default", n: int = 1, max_mw: float = 200.0) -> dict:
    """``name`` over 3 days with a day-ahead gate at 11:00 and ``n`` virtuals in zone 0."""
    from elecbay_env.config import load_scenario

    virtuals = [{"name": f"virtual_{i}", "max_mw": max_mw} for i in range(n)]
    over = {"market.days": 3, "market.day_ahead": {"gate_hour": 11, "virtuals": virtuals}}
    return load_scenario(name, **over).model_dump()


def _interval(d: np.ndarray) -> str:
    se = d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else float("nan")
    return f"{d.mean():+,.1f} +/- {se:,.1f}".replace(",", " ")


def main(argv: Sequence[str] | None = None) -> None:
    """Print each strategy's profit and spread, paired against ``none``."""
    args = list(sys.argv[1:] if argv is None else argv)
    name = args[0] if args else "default"
    seeds = list(range(int(args[1]) if len(args) > 1 else 8))
    mw = float(args[2]) if len(args) > 2 else 50.0
    sc = virtual_scenario(name)
    base = play_virtuals(sc, "none", seeds, mw)
    print(f"{name}, {len(seeds)} seeds, {mw:g} MW; mean spread P_DA - P_L without virtuals:")
    print(f"  {_interval(base.spread)}, mean |spread| {_interval(base.abs_spread)}")
    print(f"  real time did not trade in {base.untraded.mean():.0%} of delivery periods")
    print("| Strategy | Virtual profit | of which liquidated at P_imb | Spread change "
          "| Abs. spread change | Welfare change |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- |")
    for kind in STRATEGIES[1:]:
        f = play_virtuals(sc, kind, seeds, mw)
        cells = (f.profit, f.profit_untraded, f.spread - base.spread,
                 f.abs_spread - base.abs_spread, f.welfare - base.welfare)  # fmt: skip
        print(f"| {kind} | " + " | ".join(_interval(c) for c in cells) + " |")


if __name__ == "__main__":
    main()
