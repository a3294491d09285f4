"""The environment's day-ahead phase (docs/day_ahead.md): the codec at the gate.

Spaces stay fixed. In a gate period (observation feature ``day_ahead_gate`` = 1) every
agent's action decodes as usual into a step curve, which is its day-ahead curve for each
period of the next day (spread by its forecast shape, :mod:`elecbay_env.day_ahead`). The
gate period's own auction then takes each row's curve of the period before (standing
orders: the energy curve a row last handed in stands for one more period; reserve orders
are the gate action's). Without standing orders (a gate in the episode's first period)
the gate period's auction gets no energy curves. Any other period's action is the
period's curve, trading deviations from the day-ahead position.

Why standing orders: with an empty auction in the gate period every row's contract there
is its day-ahead position alone, which is nothing on the first day, so every thermal unit
past its minimum run time was told to stop and could not restart for its minimum off
time, while its day-ahead curve had already sold the next day's output (measured on
``default``: the honest nuclear seat lost 26.7 million per 3-day episode, almost all of
it imbalance at the price cap; ``evaluate/day_ahead_withholding.py``).
"""

from __future__ import annotations

import numpy as np

from ..engine import Engine
from ..orders import Orders


def gate_orders(
    engine: Engine,
    orders: Orders,
    standing: Orders | None = None,
    virtual: tuple[np.ndarray, np.ndarray] | None = None,
) -> Orders:
    """``orders`` unchanged outside a gate; at the gate, clear the day-ahead auction with
    their curves (and the virtual participants' ``(price, qty)`` curves, (E, V, B); None:
    they bid nothing) and return them with the energy curves of ``standing`` (the orders
    of the period before; none: no energy steps) for the gate period itself."""
    if engine.params.da_slots == 0 or not engine.day_ahead_gate().all():
        return orders
    engine.clear_day_ahead(orders.step_price, orders.step_qty, *(virtual or ()))
    if standing is None:
        return orders._replace(step_qty=np.zeros_like(orders.step_qty))
    return orders._replace(step_price=standing.step_price.copy(), step_qty=standing.step_qty.copy())
