"""The environment's day-ahead phase (docs/day_ahead.md): the codec at the gate.

Spaces stay fixed. In a gate period (observation feature ``day_ahead_gate`` = 1) every
agent's action decodes as usual into a step curve, which is its day-ahead curve for each
period of the next day (spread by its forecast shape, :mod:`elecbay_env.day_ahead`); the
gate period's own auction then gets no energy curves (reserve orders stand). Any other
period's action is the period's curve, trading deviations from the day-ahead position.
"""

from __future__ import annotations

import numpy as np

from ..engine import Engine
from ..orders import Orders


def gate_orders(engine: Engine, orders: Orders) -> Orders:
    """``orders`` unchanged outside a gate; at the gate, clear the day-ahead auction with
    their curves and return them without energy steps for the gate period itself."""
    if engine.params.da_slots == 0 or not engine.day_ahead_gate().all():
        return orders
    engine.clear_day_ahead(orders.step_price, orders.step_qty)
    return orders._replace(step_qty=np.zeros_like(orders.step_qty))
