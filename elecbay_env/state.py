"""MarketState: the preallocated arrays a period reads and moves on.

Kernels update the state in place; :func:`reset_rows` puts chosen markets back to the
scenario's initial conditions.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .params import MarketParams


class MarketState(NamedTuple):
    """State of E markets. Per-participant fields (E, N); market fields (E,)."""

    level_mw: np.ndarray  # (E, N) net injection in the last meter interval
    on: np.ndarray  # (E, N) int64 thermal unit running
    run_periods: np.ndarray  # (E, N) int64 periods on in a row
    off_periods: np.ndarray  # (E, N) int64 periods off in a row
    outage_left: np.ndarray  # (E, N) int64 periods of forced outage still to run
    soc_mwh: np.ndarray  # (E, N) storage state of charge
    err: np.ndarray  # (E, N) relative forecast error of the last period (AR(1) state)
    t: np.ndarray  # (E,) int64 periods elapsed in the episode
    ref_price: np.ndarray  # (E,) last clearing price that traded (the reference)
    last_price: np.ndarray  # (E,) last period's clearing price (NaN if no trade)
    last_imbalance_price: np.ndarray  # (E,)
    last_niv_mwh: np.ndarray  # (E,) last period's net imbalance volume (+ short)
    last_unserved_mwh: np.ndarray  # (E,)
    last_curtailed_mwh: np.ndarray  # (E,)
    last_activated_up_mwh: np.ndarray  # (E,)
    last_activated_down_mwh: np.ndarray  # (E,)
    last_contract_mw: np.ndarray  # (E, N) last period's net forward position
    last_imbalance_mwh: np.ndarray  # (E, N) last period's own imbalance
    last_available_mw: np.ndarray  # (E, N) last period's realised availability / load
    last_shed_mw: np.ndarray  # (E, N) flexible load a consumer shed last period
    start: np.ndarray  # (E,) int64 column of forecast_mw where the episode starts
    fc_err: np.ndarray  # (E, N, T or 1) relative error of the forecast of data rows
    zone_ref_price: np.ndarray  # (E, Z) each zone's last clearing price that traded
    last_flow_mw: np.ndarray  # (E, B) last period's forward flow over each border
    # day-ahead positions for the periods to come, in a ring indexed by t % S (S =
    # params.da_slots, 0 when the market has no day-ahead auction; docs/day_ahead.md)
    da_mw: np.ndarray  # (E, S, N) day-ahead position, + sold
    da_cash: np.ndarray  # (E, S, N) its cash (currency over the period, + received)
    da_price: np.ndarray  # (E, S, Z) each zone's day-ahead price, NaN if no trade
    da_rent: np.ndarray  # (E, S) day-ahead congestion rent, to the transmission owner
    # curtailment trades by episode period (T = 0 without distribution constraints)
    anm_partner: np.ndarray  # (E, T, N) int64 the buyer row's seller, -1: none
    anm_price: np.ndarray  # (E, T, N) the buyer's price, currency per MWh moved


def allocate(params: MarketParams) -> MarketState:
    """Arrays for E markets, set to the initial conditions."""
    e, n = params.kind.shape
    state = MarketState(
        level_mw=np.zeros((e, n)),
        on=np.zeros((e, n), np.int64),
        run_periods=np.zeros((e, n), np.int64),
        off_periods=np.zeros((e, n), np.int64),
        outage_left=np.zeros((e, n), np.int64),
        soc_mwh=np.zeros((e, n)),
        err=np.zeros((e, n)),
        t=np.zeros(e, np.int64),
        ref_price=np.zeros(e),
        last_price=np.zeros(e),
        last_imbalance_price=np.zeros(e),
        last_niv_mwh=np.zeros(e),
        last_unserved_mwh=np.zeros(e),
        last_curtailed_mwh=np.zeros(e),
        last_activated_up_mwh=np.zeros(e),
        last_activated_down_mwh=np.zeros(e),
        last_contract_mw=np.zeros((e, n)),
        last_imbalance_mwh=np.zeros((e, n)),
        last_available_mw=np.zeros((e, n)),
        last_shed_mw=np.zeros((e, n)),
        start=np.zeros(e, np.int64),
        fc_err=np.zeros((e, n, params.n_periods if params.data_row.any() else 1)),
        zone_ref_price=np.zeros((e, params.n_zones)),
        last_flow_mw=np.zeros((e, params.n_borders)),
        da_mw=np.zeros((e, params.da_slots, n)),
        da_cash=np.zeros((e, params.da_slots, n)),
        da_price=np.zeros((e, params.da_slots, params.n_zones)),
        da_rent=np.zeros((e, params.da_slots)),
        anm_partner=np.zeros((e, params.n_periods if params.n_constraints else 0, n), np.int64),
        anm_price=np.zeros((e, params.n_periods if params.n_constraints else 0, n)),
    )
    reset_rows(params, state, np.ones(e, bool))
    return state


def reset_rows(params: MarketParams, state: MarketState, mask: np.ndarray) -> None:
    """Return the markets where ``mask`` (E,) is true to their initial conditions."""
    m = np.asarray(mask, bool)
    state.level_mw[m] = params.init_level_mw[m]
    state.on[m] = params.init_on[m]
    state.run_periods[m] = np.where(params.init_on[m] == 1, params.min_run[m], 0)
    state.off_periods[m] = np.where(params.init_on[m] == 1, 0, params.min_off[m])
    state.outage_left[m] = 0
    state.soc_mwh[m] = params.init_soc_mwh[m]
    state.err[m] = 0.0
    state.t[m] = 0
    state.ref_price[m] = params.initial_price[m]
    state.last_price[m] = np.nan
    state.last_imbalance_price[m] = params.initial_price[m]
    state.last_niv_mwh[m] = 0.0
    state.last_unserved_mwh[m] = 0.0
    state.last_curtailed_mwh[m] = 0.0
    state.last_activated_up_mwh[m] = 0.0
    state.last_activated_down_mwh[m] = 0.0
    state.last_contract_mw[m] = 0.0
    state.last_imbalance_mwh[m] = 0.0
    state.last_available_mw[m] = 0.0
    state.last_shed_mw[m] = 0.0
    state.start[m] = 0
    state.fc_err[m] = 0.0
    state.zone_ref_price[m] = params.initial_price[m][:, None]
    state.last_flow_mw[m] = 0.0
    state.da_mw[m] = 0.0
    state.da_cash[m] = 0.0
    state.da_price[m] = np.nan
    state.da_rent[m] = 0.0
    state.anm_partner[m] = -1
    state.anm_price[m] = 0.0
