"""One settlement period: the one place that runs the stages in order.

:func:`step_period` takes params, state, orders and draws, runs the fused kernel
(:mod:`elecbay_env.kernels.step`: forward clearing, reserve procurement, delivery with
meter reads, activation and the imbalance price, settlement, rewards) and returns the
:class:`PeriodOutcome`. The state moves on one period.
"""

from __future__ import annotations

import sys
from typing import NamedTuple, TextIO

import numpy as np

from .draws import PeriodDraws
from .kernels.ledger_codes import N_COMPONENTS
from .kernels.step import step_markets, step_markets_serial
from .orders import Orders
from .params import MarketParams
from .state import MarketState

_PARALLEL_MIN_MARKETS = 16


class PeriodOutcome(NamedTuple):
    """Everything one period produced. Units in names; shapes in comments."""

    price: np.ndarray  # (E,) forward clearing price, NaN if no trade
    volume_mw: np.ndarray  # (E,) traded volume
    forward_ref_price: np.ndarray  # (E,) clearing price, or the last one if no trade
    imbalance_price: np.ndarray  # (E,) currency per MWh
    niv_mwh: np.ndarray  # (E,) net imbalance volume, + short
    unserved_mwh: np.ndarray  # (E,)
    curtailed_mwh: np.ndarray  # (E,)
    activated_up_mwh: np.ndarray  # (E,)
    activated_down_mwh: np.ndarray  # (E,)
    margin_mw: np.ndarray  # (E,) up capacity left at the tightest meter interval
    lolp: np.ndarray  # (E,) loss-of-load probability (sets the reserve scarcity price)
    contract_mw: np.ndarray  # (E, N) net forward position, + sold
    step_fill_mw: np.ndarray  # (E, N, B) filled MW per step, + sold, - bought
    step_paid: np.ndarray  # (E, N, B) price per step's fill, NaN if unfilled
    available_mw: np.ndarray  # (E, N) realised renewable availability / consumer load
    shed_mw: np.ndarray  # (E, N) flexible load a consumer sheds (bid for, not bought)
    started: np.ndarray  # (E, N) int64 thermal start-up this period
    tripped: np.ndarray  # (E, N) int64 forced outage this period
    reserved_mw: np.ndarray  # (E, N, 2) reserve procured [up, down]
    instructed_mwh: np.ndarray  # (E, N) balancing energy instructed (signed)
    metered_mwh: np.ndarray  # (E, N) net injection metered over the period
    profile_mwh: np.ndarray  # (E, N) energy of the contract profile this period
    meter_mwh: np.ndarray  # (E, N, M) meter reads, net injection per interval
    unserved_meter_mwh: np.ndarray  # (E, M)
    curtailed_meter_mwh: np.ndarray  # (E, M)
    imbalance_mwh: np.ndarray  # (E, N) metered - profile - instructed
    perf_mult: np.ndarray  # (E, N) performance multiplier of availability payments
    ledger_mwh: np.ndarray  # (E, N, C) quantity of each ledger component
    ledger_price: np.ndarray  # (E, N, C) its price (NaN where none applies)
    ledger_amount: np.ndarray  # (E, N, C) its amount, + received
    reward: np.ndarray  # (E, N) sum of the row's ledger amounts
    zone_price: np.ndarray  # (E, Z) each zone's forward clearing price, NaN if no trade
    flow_mw: np.ndarray  # (E, B) forward flow over each border, + from border_from
    congestion_rent: np.ndarray  # (E,) currency over the period, to the transmission owner
    # distribution constraints (kernels/anm.py); all zero without them
    anm_delta_mwh: np.ndarray  # (E, N) net injection change by curtailment (- export cut)
    anm_curtailed_mwh: np.ndarray  # (E, N) energy curtailed (>= 0)
    anm_cash: np.ndarray  # (E, N) compensation and curtailment-trade cash, + received
    anm_trade_mwh: np.ndarray  # (E, N) curtailment moved by trades: + taken, - shed
    anm_cancelled: np.ndarray  # (E, N) int64 1: the row's trade failed verification
    anm_excess_mw: np.ndarray  # (E, K) most MW above each limit non-firm rows could not cut


def allocate_outcome(params: MarketParams) -> PeriodOutcome:
    """Output arrays for E markets (reused period after period)."""
    e, n = params.kind.shape
    m = params.n_meters
    b = params.bid_steps
    c = N_COMPONENTS
    shapes = {
        "step_fill_mw": (e, n, b),
        "step_paid": (e, n, b),
        "reserved_mw": (e, n, 2),
        "meter_mwh": (e, n, m),
        "unserved_meter_mwh": (e, m),
        "curtailed_meter_mwh": (e, m),
        "ledger_mwh": (e, n, c),
        "ledger_price": (e, n, c),
        "ledger_amount": (e, n, c),
        "zone_price": (e, params.n_zones),
        "flow_mw": (e, params.n_borders),
        "anm_excess_mw": (e, params.n_constraints),
    }
    market_fields = {
        "price", "volume_mw", "forward_ref_price", "imbalance_price", "niv_mwh",
        "unserved_mwh", "curtailed_mwh", "activated_up_mwh", "activated_down_mwh",
        "margin_mw", "lolp", "congestion_rent",
    }  # fmt: skip
    fields = {}
    for name in PeriodOutcome._fields:
        shape = shapes.get(name, (e,) if name in market_fields else (e, n))
        dtype = np.int64 if name in ("started", "tripped", "anm_cancelled") else np.float64
        fields[name] = np.zeros(shape, dtype)
    return PeriodOutcome(**fields)


COMPILE_MESSAGE = "compiling the market kernels (first run only, about 30-60 s)..."
"""What :func:`announce_compile` prints when the kernels are not compiled yet."""


def kernels_cached(n_markets: int = 1) -> bool | None:
    """Whether the period kernel that ``n_markets`` markets run is compiled and cached.

    Cheap (reads Numba's cache index, compiles nothing): False means the first period
    compiles the kernels first (tens of seconds); None means it cannot be told
    (:func:`elecbay_env.kernels._jit.is_cached`).
    """
    from .kernels._jit import is_cached

    run = step_markets if n_markets >= _PARALLEL_MIN_MARKETS else step_markets_serial
    return is_cached(run)


def announce_compile(*n_markets: int, file: TextIO | None = None) -> bool:
    """Print :data:`COMPILE_MESSAGE` on stderr (or ``file``) when a period kernel of
    ``n_markets`` (default 1) markets is not compiled yet; returns whether it printed."""
    if all(kernels_cached(n) is not False for n in n_markets or (1,)):
        return False
    print(COMPILE_MESSAGE, file=file or sys.stderr, flush=True)
    return True


def step_period(
    params: MarketParams,
    state: MarketState,
    orders: Orders,
    draws: PeriodDraws,
    out: PeriodOutcome | None = None,
) -> PeriodOutcome:
    """Run one period of E markets. Orders must be valid (:func:`validate_orders`).

    Args:
        params: the markets' parameters.
        state: updated in place: it moves on one period.
        orders: the period's decoded orders.
        draws: the period's random draws.
        out: arrays to write into (allocated when None).

    Returns:
        The period's outcome (``out`` when given).
    """
    if out is None:
        out = allocate_outcome(params)
    run = step_markets if params.n_markets >= _PARALLEL_MIN_MARKETS else step_markets_serial
    run(params, state, orders, draws, out)
    return out
