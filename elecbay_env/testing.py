"""Random valid orders, for property tests, benchmarks and smoke runs.

:func:`random_orders` draws orders that respect every side rule: producers split
their capacity into B offer steps priced around their marginal cost, consumers bid
their expected load around their value, storage offers and bids, flexible assets
offer reserve, and the broker asks for some reserve with caps. They are plausible
but not strategic; policies live in ``elecbay_agents``.
"""

from __future__ import annotations

import numpy as np

from .config import Scenario, load_scenario
from .kernels import kinds
from .orders import Orders, empty_orders
from .params import MarketParams
from .state import MarketState


def random_orders(
    params: MarketParams, state: MarketState, rng: np.random.Generator, spread: float = 0.5
) -> Orders:
    """Valid random orders for every market's next period.

    Args:
        params, state: the markets (the state gives the period of each market).
        rng: the generator the orders are drawn from.
        spread: relative spread of prices around costs and values (>= 0).
    """
    o = empty_orders(params)
    e, n = params.kind.shape
    b = params.bid_steps
    t = state.t % params.n_periods
    kind = params.kind
    floor = params.price_floor[:, None, None]
    cap = params.price_cap[:, None, None]
    frac = rng.dirichlet(np.ones(b), size=(e, n))  # (E, N, B) split of each row's MW
    jitter = 1.0 + spread * rng.uniform(-1.0, 1.0, size=(e, n, b))

    cost = np.maximum(params.cost_per_mwh, 1.0)[:, :, None]
    forecast = params.forecast_mw[:, t].T  # (E, N)
    gen_mw = np.where(kind == kinds.THERMAL, params.cap_mw, 0.0)
    gen_mw = np.where((kind == kinds.WIND) | (kind == kinds.SOLAR), forecast, gen_mw)
    sellers = (kind == kinds.THERMAL) | (kind == kinds.WIND) | (kind == kinds.SOLAR)
    o.step_qty[:] = np.where(sellers[:, :, None], gen_mw[:, :, None] * frac, 0.0)
    o.step_price[:] = np.where(sellers[:, :, None], cost * jitter, 0.0)

    buyers = kind == kinds.CONSUMER
    value = params.value_per_mwh[:, :, None]
    o.step_qty[:] = np.where(buyers[:, :, None], -forecast[:, :, None] * frac, o.step_qty)
    o.step_price[:] = np.where(buyers[:, :, None], value * jitter * 0.5, o.step_price)

    storage = kind == kinds.STORAGE
    sign = np.where(np.arange(b) % 2 == 0, 1.0, -1.0)[None, None, :]
    ref = state.ref_price[:, None, None]
    o.step_qty[:] = np.where(
        storage[:, :, None], sign * params.cap_mw[:, :, None] * frac, o.step_qty
    )
    o.step_price[:] = np.where(
        storage[:, :, None],
        ref * (1.0 + sign * spread * rng.uniform(0, 1, (e, n, b))),
        o.step_price,
    )
    o.step_price[:] = np.clip(o.step_price, floor, cap)

    flexible = (kind == kinds.THERMAL) | storage | (buyers & (params.flexible_frac > 0))
    size = np.where(kind == kinds.CONSUMER, params.flexible_frac * forecast, 0.2 * params.cap_mw)
    o.res_qty[:] = np.where(
        flexible[:, :, None], size[:, :, None] * rng.uniform(0, 1, (e, n, 2)), 0
    )
    o.res_avail[:] = np.where(flexible[:, :, None], rng.uniform(0, 20, (e, n, 2)), 0.0)
    util = cost[:, :, 0, None] * (1.0 + rng.uniform(0, 1, (e, n, 2)))
    o.res_util[:, :, 0] = util[:, :, 0]
    o.res_util[:, :, 1] = util[:, :, 1] * 0.5
    total_load = np.where(buyers, forecast, 0.0).sum(axis=1)
    o.req_mw[:] = total_load[:, None] * rng.uniform(0.0, 0.1, (e, 2))
    o.max_avail[:] = 25.0
    o.max_util[:] = params.price_cap[:, None]
    return o


def replicated_scenario(
    n_agents: int, bid_steps: int = 4, days: int = 1, base: str = "default"
) -> Scenario:
    """``base`` with its producers and consumers repeated until it has ``n_agents`` agents.

    For scaling runs and tests of large books: row ``j`` of each side copies the base's
    entry ``j mod len`` (names get the suffix ``_j``), producers and consumers keep the
    base's proportion, capacities and loads are unchanged (the system grows with N).

    Args:
        n_agents: agents including the broker, >= 3 (one producer, one consumer).
        bid_steps: steps per bid curve (``market.bid_steps``).
        days: episode length (``market.days``).
        base: a shipped scenario with producers and consumers.
    """
    if n_agents < 3:
        raise ValueError(f"n_agents={n_agents}: allowed range is >= 3")
    data = load_scenario(base).model_dump(mode="json")
    prods, cons = data["producers"], data["consumers"]
    rows = n_agents - 1
    n_p = min(max(1, round(rows * len(prods) / (len(prods) + len(cons)))), rows - 1)

    def repeat(items: list[dict], n: int) -> list[dict]:
        out = []
        for j in range(n):
            item = dict(items[j % len(items)])
            item["name"] = f"{item['name']}_{j}"
            out.append(item)
        return out

    data["producers"] = repeat(prods, n_p)
    data["consumers"] = repeat(cons, rows - n_p)
    data["name"] = f"{base}_x{n_agents}"
    data["market"]["bid_steps"] = bid_steps
    data["market"]["days"] = days
    return load_scenario(data)
