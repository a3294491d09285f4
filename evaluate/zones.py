"""Zonal markets played by a line-up of policies: prices, flows and curtailment per period.

:func:`play_zonal` runs one episode per market (E markets in one engine, each on its own
date or seed) with the baseline line-up (or a spec, as
:func:`elecbay_agents.registry.make_policies` takes it) and returns what a study of
zones looks at, period by period: zone prices, border flows, congestion rent, and the
renewable energy each zone had available but did not sell (curtailed by the market:
a wind farm produces what it sold, so available MW left unsold is spilled). Used by
``tests/test_gb_zones.py`` and ``evaluate/benchmarks/bench_zones.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np


class ZonalRun(NamedTuple):
    """Per-period figures of E markets over T periods (Z zones, B borders, N rows)."""

    zone_price: np.ndarray  # (E, T, Z) currency per MWh, NaN where a zone did not trade
    flow_mw: np.ndarray  # (E, T, B) + from border_from to border_to
    full: np.ndarray  # (E, T, B) bool: the flow is at a limit
    rent: np.ndarray  # (E, T) congestion rent, currency over the period
    curtailed_mw: np.ndarray  # (E, T, Z) renewable MW available but not sold, per zone
    available_mw: np.ndarray  # (E, T, Z) renewable MW available, per zone
    reward: np.ndarray  # (E, N) episode reward of every row, currency
    dates: np.ndarray  # (E,) datetime64[D] (NaT without data)


def two_zone_small(limit_mw: float = 50.0, **market: Any) -> dict[str, Any]:
    """``small`` with its wind farm north (zone 0) of one border ``B6`` of ``limit_mw``
    (MW, both ways) and everything else south (zone 1), without forced outages: the
    two-zone market of the zone tests. ``market`` updates the market section."""
    from elecbay_env.config import load_scenario

    data = load_scenario("small").model_dump()
    data["market"].update(zones=2, **market)
    data["borders"] = [
        {"name": "B6", "from_zone": 0, "to_zone": 1, "forward_mw": limit_mw,
         "backward_mw": limit_mw}
    ]  # fmt: skip
    for p in data["producers"]:
        p["zone"] = 0 if p["type"] == "wind" else 1
        if p["type"] == "thermal":
            p["forced_outage_prob_per_period"] = 0.0
    for c in data["consumers"]:
        c["zone"] = 1
    return data


def play_zonal(
    scenario: Any,
    dates: Sequence[str | None] | None = None,
    seed: int = 0,
    spec: Mapping[str, Any] | None = None,
    n_markets: int | None = None,
) -> ZonalRun:
    """Play one episode in each of E markets of ``scenario`` and collect zonal figures.

    Args:
        scenario: a :class:`~elecbay_env.config.Scenario`, a shipped name or a path.
        dates: with real data, one start date per market (E = len(dates)).
        seed: market ``e`` is seeded ``seed + e``; policies are seeded with ``seed``.
        spec: policies per agent, role or ``"*"`` (None: the baselines).
        n_markets: E when ``dates`` is None (default 1).
    """
    from elecbay_agents.batched import batched_actions
    from elecbay_agents.registry import make_policies

    from elecbay_env.engine import Engine
    from elecbay_env.envs.codecs import Codec
    from elecbay_env.envs.observations import observe, row_bounds
    from elecbay_env.envs.parallel import ElecbayParallelEnv
    from elecbay_env.kernels import kinds

    env = ElecbayParallelEnv(scenario)
    e = len(dates) if dates is not None else int(n_markets or 1)
    eng = Engine(env.scenario, n_markets=e, keep_ledger=False, validate=False)
    params, state = eng.params, eng.state
    codec = Codec(params, price_range=env.codec.price_range, avail_hi=env.codec.avail_hi)
    agents = list(eng.agents)
    policies = make_policies(env, spec, seed=seed)
    widths = {a: env.observation_space(a).shape[0] for a in agents}
    bounds = row_bounds(params)
    eng.reset(seed=seed, dates=dates)
    n, z, b = eng.n_periods, params.n_zones, params.n_borders
    renewable = (params.kind[0] == kinds.WIND) | (params.kind[0] == kinds.SOLAR)
    zone = params.zone[0]
    run = ZonalRun(
        np.zeros((e, n, z)), np.zeros((e, n, b)), np.zeros((e, n, b), bool), np.zeros((e, n)),
        np.zeros((e, n, z)), np.zeros((e, n, z)), np.zeros((e, len(agents))), eng.dates,
    )  # fmt: skip
    pol_state: dict[str, Any] = dict.fromkeys(agents)
    for t in range(n):
        obs = observe(params, state, bounds)
        actions = batched_actions(policies, agents, obs, widths, pol_state, t == 0, codec.width)
        out = eng.step(codec.decode(actions))
        run.zone_price[:, t] = out.zone_price
        run.flow_mw[:, t] = out.flow_mw
        tol = 1e-6 * (1.0 + params.cap_forward_mw)
        run.full[:, t] = (out.flow_mw >= params.cap_forward_mw - tol) | (
            out.flow_mw <= -params.cap_backward_mw + tol
        )
        run.rent[:, t] = out.congestion_rent
        spill = np.where(renewable, np.maximum(out.available_mw - out.contract_mw, 0.0), 0.0)
        avail = np.where(renewable, out.available_mw, 0.0)
        for k in range(z):
            run.curtailed_mw[:, t, k] = spill[:, zone == k].sum(axis=1)
            run.available_mw[:, t, k] = avail[:, zone == k].sum(axis=1)
        run.reward[:] += out.reward
    return run
