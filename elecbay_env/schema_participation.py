"""Scenario models of participation rules: risk limits, pre-qualification and options.

* :class:`RiskLimits` -- a participant's optional ``risk:`` mapping (the market
  gateway's limits): largest and smallest bid size per period and a daily position
  limit, clipped or rejected (:mod:`elecbay_env.risk_limits`).
* :class:`Prequalification` -- ``market.prequalification``: the rules a registered
  asset must meet to offer a service (reserve, flexibility, curtailment trading);
  :mod:`elecbay_env.registration` applies them.
* :class:`OptionsMarket` -- ``market.options``: bilateral options on power between
  participants (:mod:`elecbay_env.options`).

Every section is optional; a scenario without them runs exactly as before. Powers in
MW, energies in MWh, ramps in MW per minute, intervals in minutes. Re-exported from
:mod:`elecbay_env.schema`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from .schema_fields import (
    DayMinutes,
    NonNegativeInt,
    NonNegativePower,
    PositiveEnergy,
    PositivePower,
    _check,
    _Model,
    _num,
)

__all__ = ["OptionsMarket", "Prequalification", "RiskLimits", "ServiceRules"]


class RiskLimits(_Model):
    """Per-participant risk limits on its forward orders (MECHANISMS.md section 7).

    A limit left out (None) does not apply. Checked every period before the auction.
    """

    max_bid_mw: PositivePower | None = None
    """Largest total MW a participant may offer to sell, and separately bid to buy, in
    one period (all its steps together, so splitting an order into steps does not get
    round it), and largest reserve offer per direction (MW), > 0."""
    min_bid_mw: PositivePower | None = None
    """Smallest MW of any one step or reserve offer, > 0 (CAISO and PJM: 0.1 MW for
    distributed resources); a smaller non-zero order is dropped (it cannot be clipped
    up)."""
    position_limit_mwh: PositiveEnergy | None = None
    """Largest net energy exposure per day (MWh, either sign): |MWh sold - MWh bought so
    far today + this period's orders| must stay within it, > 0."""
    on_breach: Literal["clip", "reject"] = "clip"
    """'clip' (the default): keep the most competitive steps up to the limit (sellers'
    cheapest, buyers' dearest first); 'reject': drop the whole side of the period's
    orders that breaches it."""

    @model_validator(mode="after")
    def _cross_checks(self) -> RiskLimits:
        lo, hi = self.min_bid_mw, self.max_bid_mw
        if lo is not None and hi is not None and lo > hi:
            _check([("min_bid_mw", lo, f"must be <= max_bid_mw ({_num(hi)})")])
        return self


class ServiceRules(_Model):
    """Pre-qualification rules of one service; a registration must meet all of them."""

    min_mw: NonNegativePower = 0.0
    """Smallest registered capability for the service (MW), >= 0; 0 (the default)
    admits any (CAISO and PJM ask 0.1 MW, 100 kW; the default is permissive because the
    shipped csv_profile consumers register no flexible load)."""
    max_meter_interval_min: DayMinutes | None = None
    """Coarsest metering interval the service can verify (minutes), in [1, 1440];
    None (the default): any."""
    min_ramp_mw_per_min: NonNegativePower = 0.0
    """Slowest registered ramp rate (MW per minute), >= 0; 0 (the default): any."""


class Prequalification(_Model):
    """``market.prequalification``: per service, the rules an asset must meet to offer it.

    Present (even empty, ``{}``) turns the checks on for reserve offers, with these
    permissive defaults: any size, any metering, any ramp (no shipped participant is
    refused). Absent (None, the default): no checks, the market runs as before.
    """

    reserve: ServiceRules = ServiceRules()
    """Rules for offering reserve (up and down)."""
    flexibility: ServiceRules = ServiceRules()
    """Rules for offering flexibility services to a network operator."""
    curtailment_trading: ServiceRules = ServiceRules()
    """Rules for trading curtailment obligations behind a constraint."""


class OptionsMarket(_Model):
    """``market.options``: bilateral options on power (a call or a put at a strike).

    Written and bought through the engine's Python API (:class:`elecbay_env.options.
    OptionsBook`), not through the action spaces, which are unchanged. Settled in cash
    against the delivery period's forward price, so a writer always honours an
    exercised option (the writer pays).
    """

    expiry_lead_periods: NonNegativeInt = 1
    """The holder must exercise at least this many periods before the delivery period
    (TeMIX's option lead time), >= 0."""
    max_mw: PositivePower = 1000.0
    """Largest MW of one option, > 0."""
