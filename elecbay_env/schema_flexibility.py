"""The scenario schema of flexibility services: :class:`Flexibility`, :class:`FlexService`.

A top-level ``flexibility:`` section (absent or ``null`` by default: no services, the
market runs exactly as without this module) lists services the operator buys: turn-down
(consume less) or turn-up (consume more) for listed periods of every day. Providers
offer an availability price (currency per MW per hour) and a utilisation price
(currency per MWh) for a capacity (MW); the operator ranks offers by availability +
utilisation x expected use and accepts until the need is met, at the daily gate for
the next day. Delivery is verified against a baseline from the meter reads
(:mod:`elecbay_env.baselines`; docs/flexibility.md).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from .schema_fields import (
    MAX_PRICE_PER_MWH,
    NonNegativePrice,
    PositiveFraction,
    PositivePower,
    _bounded,
    _Model,
    _num,
)


class FlexWindow(_Model):
    """A window of every day, in hours of the episode clock: [start_hour, end_hour)."""

    start_hour: _bounded(float, 0, 24, hi_open=True)
    """Start, hours after midnight (0 <= start < 24)."""
    end_hour: _bounded(float, 0, 24, lo_open=True)
    """End, hours after midnight (0 < end <= 24), after ``start_hour``."""


def _unique(v: tuple[Any, ...]) -> tuple[Any, ...]:
    if len(set(v)) != len(v):
        from pydantic_core import PydanticCustomError

        raise PydanticCustomError("duplicates", "must not repeat an entry")
    return v


class FlexService(_Model):
    """One flexibility service: what the operator buys, from whom, and how it verifies."""

    name: str = Field(min_length=1)
    """Short name, unique among the services."""
    direction: Literal["turn_down", "turn_up"] = "turn_down"
    """turn_down: providers consume less than their baseline; turn_up: more."""
    periods: Annotated[tuple[int, ...], AfterValidator(_unique)] = ()
    """Periods of the day (0-based) in which the service is needed."""
    windows: tuple[FlexWindow, ...] = ()
    """Windows of the day in which it is needed: every period a window overlaps; with
    ``periods``, the union. At least one of the two."""
    need_mw: PositivePower
    """MW of flexibility needed in each need period."""
    members: tuple[str, ...] | None = None
    """Names of the participants eligible to offer; None: every consumer and storage."""
    expected_use_frac: PositiveFraction = 0.5
    """Expected share of need windows in which accepted offers are utilised (the
    ranking weight of the utilisation price; each window of each day is utilised with
    this probability, drawn from the market's generator at the gate)."""
    pricing: Literal["pay_as_bid", "uniform"] = "pay_as_bid"
    """pay_as_bid: each accepted offer is paid its prices; uniform: every accepted offer
    is paid the availability and utilisation prices of the marginal accepted offer."""
    baseline: Literal["nominated", "default_profile", "historical"] = "historical"
    """How delivery is measured: the provider's own nomination (made with its offer), its
    expected load (the default profile), or the last similar days' meter reads."""
    gate_hour: _bounded(int, 0, 23) = 11
    """Hour of the day whose first period clears the next day's service (the first day's
    is cleared at the first period of the episode)."""
    max_availability_per_mw_h: NonNegativePrice = 50.0
    """The operator's reserve availability price (currency per MW per hour): dearer
    offers are rejected."""
    max_utilisation_per_mwh: NonNegativePrice = 1000.0
    """The operator's reserve utilisation price (currency per MWh)."""
    historical_days: _bounded(int, 1, 60) = 10
    """Similar days averaged by the historical baseline."""
    adjustment_hours: _bounded(float, 0, 12) = 2.0
    """Hours before each event whose meter reads set the same-day adjustment (0: none)."""
    adjustment_cap_frac: _bounded(float, 0, 1) | None = 0.2
    """The upward-only same-day adjustment is at most this share of the baseline; None:
    uncapped (for measuring what the cap is worth, not for markets)."""
    baseline_cap_frac: _bounded(float, 0, 10) | None = 0.2
    """Every baseline is kept within this share of the default profile (the expected
    load; 0 for storage), whatever the nomination or history says; None: unbounded
    (for measuring what the bound is worth, not for markets)."""
    nomination_tolerance_frac: _bounded(float, 0, 1) = 0.05
    """With a nominated baseline, in uncalled need periods the nomination is checked
    against the meter: an overstatement beyond this share of the default profile is
    charged ``penalty_per_mwh`` (up to the accepted MWh)."""
    threshold_frac: _bounded(float, 0, 1) = 0.5
    """Below this delivery ratio a utilised period's availability payment is forfeited
    and the shortfall is charged ``penalty_per_mwh``."""
    penalty_per_mwh: NonNegativePrice = 500.0
    """Charge per MWh of shortfall in a utilised period below the threshold."""


class Flexibility(_Model):
    """The operator's flexibility services."""

    services: Annotated[tuple[FlexService, ...], Field(min_length=1)]
    """The services, each cleared and settled on its own."""


def flexibility_problems(scenario: Any) -> list[tuple[str, Any, str]]:
    """Cross-field problems of ``scenario.flexibility`` (a
    :class:`~elecbay_env.schema.Scenario`, untyped here: the schema imports this module)
    as (field, value, message) triples."""
    flex = scenario.flexibility
    if flex is None:
        return []
    p: list[tuple[str, Any, str]] = []
    m = scenario.market
    ppd = m.periods_per_day
    names = [x.name for x in scenario.participants]
    eligible = {x.name for x in scenario.consumers}
    eligible |= {x.name for x in scenario.producers if getattr(x, "type", "") == "storage"}
    seen: set[str] = set()
    for s, svc in enumerate(flex.services):
        path = f"flexibility.services[{s}]"
        if svc.name in seen:
            p.append((f"{path}.name", svc.name, "duplicate; service names must be unique"))
        seen.add(svc.name)
        if not svc.periods and not svc.windows:
            p.append((f"{path}.periods", svc.periods, "list periods or windows (or both)"))
        for k, t in enumerate(svc.periods):
            if not 0 <= t < ppd:
                p.append((f"{path}.periods[{k}]", t, f"must be in [0, {ppd - 1}]"))
        for k, w in enumerate(svc.windows):
            if w.end_hour <= w.start_hour:
                msg = f"must be after start_hour ({_num(w.start_hour)})"
                p.append((f"{path}.windows[{k}].end_hour", w.end_hour, msg))
        for k, name in enumerate(svc.members or ()):
            if name not in names:
                p.append((f"{path}.members[{k}]", name, f"allowed: {', '.join(names)}"))
            elif name not in eligible:
                msg = "only consumers and storage can offer flexibility"
                p.append((f"{path}.members[{k}]", name, msg))
        u = svc.expected_use_frac
        floor = svc.max_availability_per_mw_h * (1.0 - u) / u
        if svc.penalty_per_mwh < floor and floor <= MAX_PRICE_PER_MWH:
            msg = (
                f"must be >= max_availability_per_mw_h x (1 - expected_use_frac) / "
                f"expected_use_frac = {_num(floor)}, so that offering flexibility one cannot "
                "deliver does not pay"
            )
            p.append((f"{path}.penalty_per_mwh", svc.penalty_per_mwh, msg))
        if svc.baseline == "nominated":
            if u >= 1.0:
                msg = "must be < 1 with a nominated baseline (uncalled periods check it)"
                p.append((f"{path}.expected_use_frac", u, msg))
            else:
                floor = svc.max_utilisation_per_mwh * u / (1.0 - u)
                if svc.penalty_per_mwh < floor:
                    msg = (
                        f"must be >= max_utilisation_per_mwh x expected_use_frac / (1 - "
                        f"expected_use_frac) = {_num(floor)} with a nominated baseline, so "
                        "that overstating the nomination does not pay"
                    )
                    p.append((f"{path}.penalty_per_mwh", svc.penalty_per_mwh, msg))
    return p


def need_periods(svc: FlexService, period_min: int) -> list[int]:
    """The sorted periods of the day (0-based) in which ``svc`` is needed."""
    period_h = period_min / 60.0
    out = set(svc.periods)
    for w in svc.windows:  # every period the window overlaps
        first = math.floor(w.start_hour / period_h + 1e-9)
        out |= set(range(first, math.ceil(w.end_hour / period_h - 1e-9)))
    return sorted(out)
