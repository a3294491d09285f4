"""The scenario schema of distribution constraints: :class:`DistributionConstraint`.

A scenario's top-level ``distribution_constraints`` list (empty by default: no constraint,
the market runs exactly as without this module) declares export or import limits (MW) on
groups of participants behind a feeder or grid supply point. Each participant carries a
``connection_date`` (ISO date) and ``firm`` (default true), typed here
(:data:`ConnectionDate`, :data:`Firm`);
active network management curtails the non-firm members last-in-first-off (latest
connection date first) or pro rata. See docs/flexibility.md, section "Distribution
constraints".
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .schema_fields import MAX_POWER_MW, MAX_PRICE_PER_MWH

_CONFIG = ConfigDict(
    extra="forbid", frozen=True, allow_inf_nan=False, use_attribute_docstrings=True
)


ConnectionDate = Annotated[
    dt.date | None,
    Field(
        description="ISO date the unit was connected; sets its place in the "
        "last-in-first-off order of a distribution constraint (latest first). Needed by "
        "non-firm members of a lifo constraint; ignored elsewhere."
    ),
]
"""The participants' ``connection_date`` field (default None)."""
Firm = Annotated[
    bool,
    Field(
        description="True (the default): a firm connection, never curtailed by active "
        "network management; false: non-firm, curtailed when a distribution constraint "
        "it sits behind binds."
    ),
]
"""The participants' ``firm`` field (default True)."""


class ConstraintEvent(BaseModel):
    """A scheduled network event: from ``period`` on, a new limit and/or member list."""

    model_config = _CONFIG

    period: int = Field(ge=0)
    """Episode period (0-based, >= 0) from which the event holds; an event at or after
    the episode's end (market.n_periods, e.g. a shortened run) never happens."""
    limit_mw: float | None = Field(None, ge=0.0, le=MAX_POWER_MW)
    """New limit in MW, in [0, 1e6]; None keeps the limit."""
    members: tuple[str, ...] | None = None
    """New member list (participant names); None keeps the members."""


class DistributionConstraint(BaseModel):
    """An export or import limit (MW) on the metered net flow of its members."""

    model_config = _CONFIG

    name: str = Field(min_length=1)
    """Unique name, e.g. a grid supply point."""
    direction: Literal["export", "import"] = "export"
    """``export``: the members' net injection (MW) may not exceed the limit; ``import``:
    their net withdrawal may not."""
    limit_mw: float | tuple[float, ...]
    """MW in [0, 1e6]: one number, or one per episode period (at least market.n_periods
    values; the rest, for a shortened run, are unused)."""
    members: tuple[str, ...] = Field(min_length=1)
    """Names of the participants behind the constraint (at least one)."""
    allocation: Literal["lifo", "pro_rata"] = "lifo"
    """``lifo``: non-firm members are curtailed latest connection date first;
    ``pro_rata``: in proportion to their flow in the constraint's direction."""
    compensation: float | Literal["none"] | None = "none"
    """Currency per MWh paid for curtailed energy of a wind, solar or consumer member (an
    exogenous resource), in [0, 1e7]; ``none`` (or null): not paid."""
    events: tuple[ConstraintEvent, ...] = ()
    """Scheduled network events, in increasing ``period``."""

    @property
    def compensation_per_mwh(self) -> float:
        """Compensation in currency per MWh (0 when ``none``)."""
        c = self.compensation
        return 0.0 if c is None or c == "none" else float(c)


def constraint_problems(sc: Any) -> list[tuple[str, Any, str]]:
    """Cross-field problems of ``sc.distribution_constraints`` (``sc`` a
    :class:`elecbay_env.schema.Scenario`, which imports this module) as (field, value,
    message)."""
    p: list[tuple[str, Any, str]] = []
    names = {x.name: x for x in sc.participants}
    n_periods = sc.market.n_periods
    seen: set[str] = set()
    for k, c in enumerate(sc.distribution_constraints):
        path = f"distribution_constraints[{k}]"
        if c.name in seen:
            p.append((f"{path}.name", c.name, "duplicate; constraint names must be unique"))
        seen.add(c.name)
        values = c.limit_mw if isinstance(c.limit_mw, tuple) else (c.limit_mw,)
        bad = [v for v in values if not 0.0 <= v <= MAX_POWER_MW]
        if bad:
            p.append((f"{path}.limit_mw", bad[0], "every value must be in [0, 1e6] MW"))
        if isinstance(c.limit_mw, tuple):
            if len(c.limit_mw) < n_periods:
                msg = f"a per-period list needs market.n_periods = {n_periods} values"
                p.append((f"{path}.limit_mw", len(c.limit_mw), msg))
        comp = c.compensation_per_mwh
        if not 0.0 <= comp <= MAX_PRICE_PER_MWH:
            p.append((f"{path}.compensation", comp, "must be none or in [0, 1e7] per MWh"))
        lists = [(f"{path}.members", c.members)]
        last = -1
        for j, ev in enumerate(c.events):
            epath = f"{path}.events[{j}]"
            if ev.period <= last:
                msg = f"must be at least {last + 1} (events in increasing periods)"
                p.append((f"{epath}.period", ev.period, msg))
            last = max(last, ev.period)
            if ev.members is not None:
                lists.append((f"{epath}.members", ev.members))
        for lpath, members in lists:
            if len(set(members)) != len(members):
                p.append((lpath, list(members), "names must not repeat"))
            for name in members:
                if name not in names:
                    p.append((lpath, name, f"not a participant; allowed: {', '.join(names)}"))
                    continue
                x = names[name]
                if c.allocation == "lifo" and not x.firm and x.connection_date is None:
                    msg = f"non-firm member {name!r} of a lifo constraint needs connection_date"
                    p.append((lpath, name, msg))
    return p
