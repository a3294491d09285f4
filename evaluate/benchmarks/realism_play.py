"""The measurement of bench_market_realism.py: the baseline line-up played for weeks.

:func:`play` runs every market of a scenario at once on the batched engine and returns
its figures (prices in currency per MWh, energy in MWh, money in currency);
:func:`verdicts` checks them against the targets (:data:`HIGH_PRICE`,
:data:`HIGH_SHARE_MAX`, :data:`SPREAD_RANGE`, :data:`LOSS_TOL`).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from elecbay_env.engine import Engine
from elecbay_env.envs.codecs import Codec
from elecbay_env.envs.observations import observe, row_bounds
from elecbay_env.envs.parallel import ElecbayParallelEnv
from elecbay_env.kernels import kinds
from elecbay_env.kernels.ledger_codes import NAMES
from elecbay_env.roles import asset_names, role_of

DAYS_PER_WEEK = 7
HIGH_PRICE = 1000.0
"""Imbalance prices at or above this (per MWh) count as high ..."""
HIGH_SHARE_MAX = 0.005
"""... in at most this share of periods (target)."""
LOW_PRICE = 0.0
"""Imbalance prices at or below this count as zero or negative."""
SPREAD_RANGE = (5.0, 60.0)
"""Target range of the median |imbalance price - forward price| (per MWh)."""
LOSS_TOL = 1.0
"""Currency a truthful unit may lose beyond its start-up costs (rounding)."""
EPS_MWH = 1e-6
TRUTHFUL_KINDS = (kinds.THERMAL, kinds.WIND, kinds.SOLAR)
STARTUP = "startup_cost"
IMBALANCE = "imbalance"


def play(name: str, weeks: int, seed: int) -> dict[str, Any]:
    """Play ``weeks`` weeks of the baseline line-up on scenario ``name``; its figures."""
    from elecbay_agents.registry import BASELINE_SPEC, make_policies

    t_start = time.perf_counter()
    template = ElecbayParallelEnv(name)
    agents = list(template.possible_agents)
    p1 = template.engine.params
    periods_per_day = round(24.0 / p1.period_h)
    days = p1.n_periods / periods_per_day
    per_week = math.ceil(DAYS_PER_WEEK / days)
    scale = DAYS_PER_WEEK / (per_week * days)
    n_markets = weeks * per_week
    engine = Engine(template.scenario, n_markets=n_markets, keep_ledger=False, validate=False)
    params, state = engine.params, engine.state
    tc = template.codec
    codec = Codec(params, price_range=tc.price_range, avail_hi=tc.avail_hi)
    bounds = row_bounds(params)
    policies = make_policies(template, None, seed=seed)
    widths = {a: template.observation_space(a).shape[0] for a in agents}
    specs = {a: BASELINE_SPEC[role_of(a)] for a in agents}
    comp = {c: NAMES.index(c) for c in (STARTUP, IMBALANCE)}

    n_periods, n_rows = engine.n_periods, len(agents)
    shape = (n_periods, n_markets)
    imb = np.zeros(shape)
    fwd = np.zeros(shape)
    unserved = np.zeros(shape)
    outage = np.zeros(shape, bool)
    cash = np.zeros(shape)
    amount = np.zeros((n_markets, n_rows, len(NAMES)))
    starts = np.zeros((n_markets, n_rows))
    engine.reset(seed=seed)
    pol_state: dict[str, Any] = dict.fromkeys(agents)
    actions = np.zeros((n_markets, n_rows, codec.width))
    for t in range(n_periods):
        obs = observe(params, state, bounds)
        first = np.full(n_markets, t == 0)
        for row, agent in enumerate(agents):
            act, pol_state[agent] = policies[agent].predict(
                obs[:, row, : widths[agent]],
                state=pol_state[agent],
                episode_start=first,
                deterministic=True,
            )
            act = np.asarray(act, np.float64).reshape(n_markets, -1)
            actions[:, row, : act.shape[1]] = act
        in_outage = (state.outage_left > 0).any(axis=1)
        out = engine.step(codec.decode(actions))
        imb[t] = out.imbalance_price
        fwd[t] = out.forward_ref_price
        unserved[t] = out.unserved_mwh
        outage[t] = in_outage | (out.tripped > 0).any(axis=1)
        cash[t] = np.abs(out.ledger_amount[:, :, comp[IMBALANCE]]).sum(axis=1)
        amount += out.ledger_amount
        starts += out.started
    cap = params.price_cap[:, None].T  # (1, E)
    play_s = time.perf_counter() - t_start

    total = imb.size
    short = unserved > EPS_MWH
    bare = short & ~outage
    at_cap = imb >= cap - 1e-9
    cash_total = float(cash.sum())

    # weekly sums: markets e = week x per_week + k, scaled to 7 days
    weekly = amount.reshape(weeks, per_week, n_rows, len(NAMES)).sum(axis=1) * scale
    weekly_starts = starts.reshape(weeks, per_week, n_rows).sum(axis=1) * scale
    profit = weekly.sum(axis=2)  # (W, N)
    startup_cost = -weekly[:, :, comp[STARTUP]]  # (W, N) >= 0
    units = []
    for row, agent in enumerate(agents):
        kind = int(params.kind[0, row])
        truthful = role_of(agent) == "producer" and kind in TRUTHFUL_KINDS
        truthful = truthful and specs[agent] == "merit_order"
        bad = profit[:, row] < -startup_cost[:, row] - LOSS_TOL
        units.append(
            {
                "agent": agent,
                "asset": list(asset_names(template.scenario).values())[row],
                "kind": kinds.NAMES[kind],
                "policy": specs[agent],
                "components": {c: float(weekly[:, row, i].mean()) for i, c in enumerate(NAMES)},
                "profit": float(profit[:, row].mean()),
                "profit_min_week": float(profit[:, row].min()),
                "starts": float(weekly_starts[:, row].mean()),
                "startup_costs": float(startup_cost[:, row].mean()),
                "truthful": bool(truthful),
                "weeks_losing_beyond_startups": int(bad.sum()) if truthful else 0,
                "loses_beyond_startups": bool(truthful and bad.any()),
            }
        )
    spread = np.abs(imb - fwd)
    return {
        "scenario": name,
        "weeks": weeks,
        "days_per_episode": days,
        "episodes_per_week": per_week,
        "week_scale": scale,
        "markets": n_markets,
        "seeds": [seed, seed + n_markets - 1],
        "periods": int(total),
        "price_cap": float(params.price_cap[0]),
        "high_price_threshold": HIGH_PRICE,
        "share_imbalance_price_high": float((imb >= HIGH_PRICE).sum() / total),
        "share_imbalance_price_nonpositive": float((imb <= LOW_PRICE).sum() / total),
        "share_imbalance_price_at_cap": float(at_cap.sum() / total),
        "imbalance_price_mean": float(imb.mean()),
        "imbalance_price_max": float(imb.max()),
        "imbalance_price_min": float(imb.min()),
        "periods_with_outage": int(outage.sum()),
        "unserved_periods": int(short.sum()),
        "unserved_mwh": float(unserved[short].sum()),
        "unserved_periods_with_outage": int((short & outage).sum()),
        "unserved_periods_without_outage": int(bare.sum()),
        "unserved_mwh_without_outage": float(unserved[bare].sum()),
        "median_abs_imbalance_minus_forward": float(np.median(spread)),
        "mean_abs_imbalance_minus_forward": float(spread.mean()),
        "imbalance_cash": cash_total,
        "imbalance_cash_at_cap": float(cash[at_cap].sum()),
        "share_imbalance_cash_at_cap": float(cash[at_cap].sum() / cash_total)
        if cash_total > 0
        else 0.0,
        "ledger_components": list(NAMES),
        "units": units,
        "run_time_s": play_s,
    }


def verdicts(r: dict[str, Any]) -> dict[str, bool]:
    """The targets of one scenario's figures: name -> met."""
    lo, hi = SPREAD_RANGE
    spread = r["median_abs_imbalance_minus_forward"]
    high = f"imbalance price >= {HIGH_PRICE:,.0f} in <= {HIGH_SHARE_MAX:.1%} of periods"
    return {
        high: r["share_imbalance_price_high"] <= HIGH_SHARE_MAX,
        "unserved energy only in periods with a forced outage": (
            r["unserved_periods_without_outage"] == 0
        ),
        "no truthful unit loses more than its start-up costs in a week": not any(
            u["loses_beyond_startups"] for u in r["units"]
        ),
        f"median |imbalance - forward| in [{lo:g}, {hi:g}]": lo <= spread <= hi,
    }
