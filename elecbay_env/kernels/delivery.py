"""Stage 3: physical delivery, one meter interval at a time, within every limit.

Levels are net injection in MW (generation and discharge positive, consumption and
charging negative), held for one meter interval. Rules, in words:

* **Contracts are ramped profiles** (as GB physical notifications are): in each meter
  interval a row's profile is the interval average of a linear ramp from the previous
  period's net position to this period's, over the first ``schedule_ramp_min`` minutes
  of the period (:func:`ramp_weight`; 0 gives the first version's flat blocks). Realised
  load and renewable availability move between periods the same way, so a party that
  follows its contract (and whose forecast was right) is in balance in every interval.
  Profiles are linear in the positions, so they balance across parties in every
  interval whenever the positions do; the energy of each contract is delivered in full,
  part of it in the next period's ramp.
* **Thermal commitment** (decided at the start of the period): a unit runs when it
  holds a positive forward position (then at least at minimum stable output, so a
  position below it is delivered long, never short), and it may start only after
  ``min_off_periods`` off and stop only after ``min_run_periods`` on; a running
  unit that must stay on runs at least at minimum stable output. A unit in a forced
  outage is off. On start-up it synchronises at minimum stable output in the first
  interval (the one step exempt from the ramp limit), then ramps; a stopping unit
  follows its profile down (within its ramp rate) to zero. A trip drops output to zero
  at once.
* **Renewables** produce ``min(available, profile + instruction)``: surplus beyond the
  contract is curtailed by the plant itself, a shortfall of wind or sun is imbalance.
* **Storage** follows ``profile + instruction`` within its power and its state of
  charge (one-way efficiencies ``sqrt(round trip)``).
* **Consumers** draw their realised load, less the flexible load they bid for and did
  not get (:func:`shed_flexible`, at most their flexible share of the expected load):
  demand response through the forward market; forecast errors pass through to their
  imbalance. An instruction shifts it by
  at most the procured flexible reserve.
* **Instructions** are deviations from the uninstructed level: an activated row aims at
  ``uninstructed + activation`` within its limits, and its response is the difference.
"""

from __future__ import annotations

from ._jit import kernel
from .auction import ATOL


@kernel
def commit_thermal(
    on, run_periods, off_periods, in_outage, position_mw, min_stable_mw, cap_mw, min_run, min_off
):
    """Commitment of one thermal unit for the period.

    Returns:
        (committed, starting, schedule_mw): whether it runs, whether that is a
        start-up (start-up cost), and the MW it aims to deliver.
    """
    if in_outage:
        return 0, 0, 0.0
    want = position_mw > ATOL
    if on:
        if not want and run_periods >= min_run:
            return 0, 0, 0.0
        return 1, 0, min(max(position_mw, min_stable_mw), cap_mw)
    if want and off_periods >= min_off:
        return 1, 1, min(max(position_mw, min_stable_mw), cap_mw)
    return 0, 0, 0.0


@kernel
def thermal_level(prev_mw, target_mw, committed, tripped, min_stable_mw, cap_mw, ramp_step_mw):
    """Thermal output for the next interval (MW) from the previous one."""
    if tripped:
        return 0.0
    if not committed:  # stopping or off: follow the profile down, never up
        return min(max(target_mw, prev_mw - ramp_step_mw, 0.0), max(prev_mw, 0.0))
    if prev_mw < min_stable_mw:  # synchronising: the one step exempt from the ramp limit
        return min_stable_mw
    level = min(max(target_mw, prev_mw - ramp_step_mw), prev_mw + ramp_step_mw)
    return min(max(level, min_stable_mw), cap_mw)


@kernel
def ramp_weight(m, meter_min, ramp_min):
    """Share of the way from the previous position to this period's that the profile
    has gone, averaged over meter interval ``m`` (0-based) of ``meter_min`` minutes,
    for a linear ramp over the first ``ramp_min`` minutes of the period (0: a step)."""
    t0 = m * meter_min
    t1 = t0 + meter_min
    if ramp_min <= 0 or t0 >= ramp_min:
        return 1.0
    if t1 <= ramp_min:
        return (t0 + t1) / (2.0 * ramp_min)
    inside = (ramp_min * ramp_min - t0 * t0) / (2.0 * ramp_min)  # integral of t / ramp
    return (inside + (t1 - ramp_min)) / meter_min


@kernel
def renewable_level(target_mw, available_mw):
    """Renewable output: the target, within [0, available]."""
    return min(max(target_mw, 0.0), available_mw)


@kernel
def storage_level(target_mw, power_mw, soc_mwh, soc_min_mwh, soc_max_mwh, eff_c, eff_d, meter_h):
    """Storage net injection within power and the energy it holds or can take (MW)."""
    max_dis = min(power_mw, max(soc_mwh - soc_min_mwh, 0.0) * eff_d / meter_h)
    max_chg = min(power_mw, max(soc_max_mwh - soc_mwh, 0.0) / (eff_c * meter_h))
    return min(max(target_mw, -max_chg), max_dis)


@kernel
def storage_soc_after(level_mw, soc_mwh, eff_c, eff_d, meter_h):
    """State of charge (MWh) after an interval at ``level_mw``."""
    if level_mw >= 0.0:
        return soc_mwh - level_mw * meter_h / eff_d
    return soc_mwh - level_mw * meter_h * eff_c


@kernel
def consumption(load_mw, shed_mw):
    """What a consumer draws (MW >= 0): its realised load less the flexible load it shed
    (``shed_mw``, its flexible bids the forward market left unfilled)."""
    return max(load_mw - shed_mw, 0.0)


@kernel
def shed_flexible(unfilled_mw, flexible_frac, expected_mw):
    """Flexible load a consumer sheds (MW): what it bid for and did not get, at most its
    flexible share of the expected load."""
    return min(max(unfilled_mw, 0.0), flexible_frac * expected_mw)


@kernel
def consumer_level(target_mw):
    """Consumer net injection: its target (minus its realised load, shifted by an
    instruction within its procured flexible reserve), never positive."""
    return min(target_mw, 0.0)
