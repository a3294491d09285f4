"""Two-settlement episodes played by baselines: one seat on a strategy, the rest honest.

:func:`play_day_ahead` runs ``S`` seeded markets at once (batched engine) with every trader
on ``da_forecast`` (the broker on ``rule_based_broker``) except ``seat``; the gate's curves
go to the day-ahead auction (:func:`elecbay_env.envs.day_ahead_phase.gate_orders`, as in
the environment). It returns the seat's reward and its forward (both settlements) and
imbalance cash per market, for paired comparisons (docs/day_ahead.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

HONEST = {"producer": "da_forecast", "consumer": "da_forecast", "broker": "rule_based_broker"}
"""The honest policy of each role in a day-ahead market."""


class DayAheadFigures(NamedTuple):
    """The seat's totals over one episode per market, currency; shapes (S,)."""

    reward: np.ndarray
    forward: np.ndarray  # forward_energy plus day_ahead_energy lines: both settlements
    imbalance: np.ndarray
    day_ahead_price: np.ndarray  # mean day-ahead price of the delivery day(s)
    real_time_price: np.ndarray  # mean period auction price where it traded, same periods
    real_time_traded: np.ndarray  # share of those periods whose own auction traded
    imbalance_price: np.ndarray  # mean imbalance price over the same periods
    metered_mwh: np.ndarray  # (S, T) the seat's metered net injection per period
    price_index: np.ndarray  # (S, T) zone 0's day-ahead price where it traded, else P_RT


def play_day_ahead(
    scenario: dict[str, Any] | str,
    seat: str,
    policy: str | Callable[..., Any],
    seeds: Sequence[int],
) -> DayAheadFigures:
    """One episode per seed with ``seat`` on ``policy`` and everyone else honest.

    Args:
        scenario: a scenario (dict or name) with ``market.day_ahead``.
        seat: the agent id playing ``policy``.
        policy: a registry spec or a factory ``f(env, agent)``.
        seeds: market ``i`` is seeded ``seeds[i]``; policies with ``seeds[0]``.
    """
    from elecbay_agents.batched import batched_actions
    from elecbay_agents.registry import make_policies

    from elecbay_env.engine import Engine
    from elecbay_env.envs.codecs import Codec
    from elecbay_env.envs.day_ahead_phase import gate_orders
    from elecbay_env.envs.observations import observe, row_bounds
    from elecbay_env.envs.parallel import ElecbayParallelEnv
    from elecbay_env.kernels import ledger_codes as L

    env = ElecbayParallelEnv(scenario)
    e = len(seeds)
    eng = Engine(env.scenario, n_markets=e, keep_ledger=False, validate=False)
    if eng.params.da_slots == 0:
        raise ValueError("scenario: needs market.day_ahead")
    codec = Codec(eng.params, price_range=env.codec.price_range, avail_hi=env.codec.avail_hi)
    agents = list(eng.agents)
    spec: dict[str, Any] = dict(HONEST)
    spec[seat] = policy
    policies = make_policies(env, spec, seed=int(seeds[0]))
    widths = {a: env.observation_space(a).shape[0] for a in agents}
    bounds = row_bounds(eng.params)
    row = agents.index(seat)
    eng.reset(seed=[int(s) for s in seeds])
    obs = observe(eng.params, eng.state, bounds)
    states: dict[str, Any] = dict.fromkeys(agents)
    reward, fwd, imb = np.zeros(e), np.zeros(e), np.zeros(e)
    da_sum, rt_sum, n_da = np.zeros(e), np.zeros(e), 0
    rt_n, imb_sum = np.zeros(e), np.zeros(e)
    metered = np.zeros((e, eng.n_periods))
    index = np.zeros((e, eng.n_periods))
    first = True
    standing = None
    for t in range(eng.n_periods):
        actions = batched_actions(policies, agents, obs, widths, states, first, codec.width)
        first = False
        slot = eng.state.t % eng.params.da_slots
        da_price = eng.state.da_price[np.arange(e), slot, 0].copy()
        standing = gate_orders(eng, codec.decode(actions), standing)
        out = eng.step(standing)
        reward += out.reward[:, row]
        fwd += out.ledger_amount[:, row, L.FORWARD] + out.ledger_amount[:, row, L.DAY_AHEAD]
        imb += out.ledger_amount[:, row, L.IMBALANCE]
        metered[:, t] = out.metered_mwh[:, row]
        index[:, t] = np.where(np.isfinite(da_price), da_price, out.forward_ref_price)
        if np.all(np.isfinite(da_price)):
            da_sum += da_price
            traded = out.volume_mw > 0.0
            rt_sum += np.where(traded, out.price, 0.0)
            rt_n += traded
            imb_sum += out.imbalance_price
            n_da += 1
        obs = observe(eng.params, eng.state, bounds)
    n = max(n_da, 1)
    with np.errstate(invalid="ignore"):
        rt_mean = rt_sum / rt_n  # NaN where the period auctions never traded
    return DayAheadFigures(
        reward, fwd, imb, da_sum / n, rt_mean, rt_n / n, imb_sum / n, metered, index
    )
