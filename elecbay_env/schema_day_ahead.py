"""The scenario schema of the optional day-ahead market: :class:`DayAhead`.

``market.day_ahead`` absent or ``null`` (the default) keeps the single-settlement market:
the per-period auction is the only forward market. When present, a day-ahead auction at
the daily gate clears every period of the next day at once and the per-period auction
trades deviations from the day-ahead positions (two settlements; docs/day_ahead.md).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Virtual(BaseModel):
    """An asset-less (financial) participant of the day-ahead auction: convergence bidding
    as PJM's increment offers and decrement bids or CAISO's virtual bids
    (docs/day_ahead.md, "Virtual participants")."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, use_attribute_docstrings=True
    )

    name: str = Field(min_length=1)
    """Unique name of the virtual participant."""
    zone: int = Field(0, ge=0)
    """Price zone it bids in and is liquidated at, < market.zones."""
    max_mw: float = Field(100.0, gt=0.0, le=1e6)
    """Largest position per period (MW) on each side: its offers (increments) and its
    bids (decrements) each total at most max_mw, in (0, 1e6]."""


class DayAhead(BaseModel):
    """The day-ahead auction: its gate closure in the day and how curves spread over it."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, use_attribute_docstrings=True
    )

    gate_hour: int = Field(11, ge=0, le=23)
    """Hour of the day (0-23, episode clock) whose period is the gate: the action of that
    period is a day-ahead curve for every period of the next day. GB's day-ahead auctions
    close at 11:00 UK time (EPEX and N2EX at 12:00 CET)."""
    shape: bool = True
    """True: each period's day-ahead quantity of a wind, solar or consumer row is the
    curve's quantity times the row's forecast for that period over its mean over the
    day (a curve for an average period); False: the same curve in every period."""
    virtuals: list[Virtual] = Field(default_factory=list)
    """Virtual participants: they bid and offer in the day-ahead auction only and each
    cleared position is liquidated at the real-time price of its period; none by
    default."""

    @model_validator(mode="after")
    def _unique_virtuals(self) -> DayAhead:
        names = [v.name for v in self.virtuals]
        if len(set(names)) != len(names):
            raise ValueError(f"market.day_ahead.virtuals: names must be unique, got {names}")
        return self
