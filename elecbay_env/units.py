"""Units and sign conventions, in one place.

* Power in MW (a rate), energy in MWh; energy = power x hours. A settlement period
  lasts ``period_min`` minutes (30 by default, so 0.5 h); meters read every
  ``meter_min`` minutes (5 by default), ``period_min // meter_min`` reads a period.
* Prices in currency per MWh; availability prices in currency per MW per hour.
* Quantities are **net injection**: generation and discharge positive, consumption and
  charging negative. A forward sale is positive, a purchase negative.
* Cash **received is positive**, paid negative; over all rows, broker included, cash
  sums to zero every period.
* ``imbalance_mwh = metered - contracted - instructed``; the net imbalance volume
  (NIV) is positive when the system is **short**; up reserve raises net injection.
* A period with no trade has a NaN clearing price, never 0.
"""

from __future__ import annotations

MINUTES_PER_DAY = 1440


def hours(minutes: float) -> float:
    """Hours in ``minutes``."""
    return minutes / 60.0


def mwh(mw: float, minutes: float) -> float:
    """Energy (MWh) of ``mw`` held for ``minutes``."""
    return mw * minutes / 60.0
