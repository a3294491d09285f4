"""Settlement from the meter reads the operator received (the meter rule).

The environment's physics is the **check metering** at every connection point: the MWh
per 5-minute interval each row really injected (``PeriodOutcome.meter_mwh``). A seat's
smart meter sends its own reads; the operator settles the seat's **imbalance** from them:

* an interval with a read received in time settles on the read; the read is flagged
  ``meter`` when it agrees with the check metering within the tolerance
  (``meter_tolerance_mwh``), ``disputed`` when it does not (kept for audit);
* an interval without a read (missing, or late: after ``meter_timeout_s``) settles on
  the **estimate**, the check metering of that interval, and is flagged ``estimated``;
* **audit**: when the reads would pay the seat more imbalance cash than the check
  metering does, the period settles on the check metering instead. A meter therefore
  never gains by misreporting (a read that pays less stands: a meter's accuracy is its
  owner's responsibility), and a missing read neither gains nor loses.

Only the imbalance line changes (``imbalance = metered - profile - instructed``, MWh, +
long, at the seat's party price); the broker, counterparty of every cash transfer, takes
the difference, so the period's cash still sums to zero. Physical values (production
cost, value of consumption) and the residual reallocation shares stay on the check
metering. With every read equal to the check metering the outcome is the engine's, bit
for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from elecbay_env.kernels import ledger_codes as L
from elecbay_env.kernels.balancing import DUAL, LEGACY_DUAL
from elecbay_env.period import PeriodOutcome

METER, DISPUTED, ESTIMATED = "meter", "disputed", "estimated"
DEFAULT_TOLERANCE_MWH = 0.001
"""Largest |read - check| (MWh per 5-minute interval, 1 kWh) flagged ``meter``, not
``disputed``."""


@dataclass
class ReadSettlement:
    """One period settled from the reads.

    Attributes:
        outcome: the engine's outcome with the imbalance lines, rewards and meter reads
            of the settled seats replaced (a copy; the engine's arrays are untouched).
        settled_mwh: (N, M) MWh per row and interval that settled (+ exported).
        source: (N, M) ``meter`` / ``disputed`` / ``estimated`` per row and interval.
        on_reads: (N,) True where the period settled on the reads (False: on the check
            metering, by the audit rule or because the reads equal it).
    """

    outcome: PeriodOutcome
    settled_mwh: np.ndarray
    source: np.ndarray
    on_reads: np.ndarray


def party_price(imbalance_mwh: float, imb_price: float, fwd_price: float, scheme: int) -> float:
    """The price (currency per MWh) a party's imbalance of ``imbalance_mwh`` settles at:
    dual schemes give long (>= 0) the lower and short the higher of the imbalance and
    forward price; single schemes the imbalance price."""
    if scheme not in (DUAL, LEGACY_DUAL):
        return imb_price
    if imbalance_mwh >= 0.0:
        return min(imb_price, fwd_price)
    return max(imb_price, fwd_price)


def settle_from_reads(
    out: PeriodOutcome,
    reads: dict[tuple[int, int], float],
    broker: int,
    scheme: int,
    n_zones: int = 1,
    tolerance_mwh: float = DEFAULT_TOLERANCE_MWH,
) -> ReadSettlement:
    """Settle market 0 of ``out`` from ``reads``.

    Args:
        out: the engine's outcome of the period (E = 1).
        reads: ``{(row, interval): MWh}`` the reads received in time (+ exported).
        broker: the broker's row (it takes the other side of every change).
        scheme: the imbalance scheme (``MarketParams.imbalance_scheme``).
        n_zones: zones of the market; with more than one, a dual-priced imbalance that
            the reads would flip to the other side settles on the check metering (the
            zone's prices are not in the outcome).
        tolerance_mwh: the audit tolerance per interval (MWh, >= 0).

    Returns:
        The :class:`ReadSettlement`.

    Raises:
        ValueError: a read is not finite, or its row or interval is out of range.
    """
    if not tolerance_mwh >= 0:
        raise ValueError(f"tolerance_mwh={tolerance_mwh!r}: allowed values are >= 0")
    check = out.meter_mwh[0]
    n_rows, n_meters = check.shape
    settled = check.copy()
    source = np.full((n_rows, n_meters), ESTIMATED, dtype=object)
    for (i, k), mwh in reads.items():
        if not (0 <= i < n_rows and 0 <= k < n_meters):
            raise ValueError(f"read (row={i}, interval={k}): allowed rows 0 .. {n_rows - 1}, "
                             f"intervals 0 .. {n_meters - 1}")  # fmt: skip
        if not np.isfinite(mwh):
            raise ValueError(f"read (row={i}, interval={k}) mwh={mwh!r}: must be finite")
        settled[i, k] = mwh
        source[i, k] = METER if abs(mwh - check[i, k]) <= tolerance_mwh else DISPUTED
    on_reads = np.zeros(n_rows, dtype=bool)
    amount = out.ledger_amount.copy()
    mwh_lines = out.ledger_mwh.copy()
    price_lines = out.ledger_price.copy()
    reward = out.reward.copy()
    imb_price, fwd_price = float(out.imbalance_price[0]), float(out.forward_ref_price[0])
    for i in range(n_rows):
        delta = float(settled[i].sum() - check[i].sum())
        if i == broker or not (settled[i] != check[i]).any():
            settled[i] = check[i]
            continue
        imb = float(out.imbalance_mwh[0, i])
        new_imb = imb + delta
        flips = (new_imb >= 0.0) != (imb >= 0.0)
        if n_zones > 1 and flips and scheme in (DUAL, LEGACY_DUAL):
            settled[i] = check[i]
            continue
        if n_zones > 1:  # the row's own zone price, on the same side
            pp = float(out.ledger_price[0, i, L.IMBALANCE])
        else:
            pp = party_price(new_imb, imb_price, fwd_price, scheme)
        new_amount = new_imb * pp
        change = new_amount - float(out.ledger_amount[0, i, L.IMBALANCE])
        if not change < 0.0:  # audit: reads never pay more than the check metering
            settled[i] = check[i]
            continue
        on_reads[i] = True
        mwh_lines[0, i, L.IMBALANCE] = new_imb
        price_lines[0, i, L.IMBALANCE] = pp
        amount[0, i, L.IMBALANCE] = new_amount
        amount[0, broker, L.IMBALANCE] -= change
        reward[0, i] += change
        reward[0, broker] -= change
    if not on_reads.any():
        return ReadSettlement(out, settled, source, on_reads)
    meter = out.meter_mwh.copy()
    meter[0] = settled
    imbalance = out.imbalance_mwh.copy()
    metered = out.metered_mwh.copy()
    imbalance[0] += settled.sum(axis=1) - check.sum(axis=1)
    metered[0] += settled.sum(axis=1) - check.sum(axis=1)
    outcome = out._replace(ledger_amount=amount, ledger_mwh=mwh_lines,
                           ledger_price=price_lines, reward=reward, meter_mwh=meter,
                           imbalance_mwh=imbalance, metered_mwh=metered)  # fmt: skip
    return ReadSettlement(outcome, settled, source, on_reads)
