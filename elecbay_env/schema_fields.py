"""The scenario schema's building blocks: physical limits, bounded field types, the base model.

Every number in a scenario is one of the annotated types here, whose range check names
the whole allowed range (pydantic's own ``ge``/``le`` name only the bound that failed)
and writes the bounds into the JSON schema. Units follow the names: ``Price`` currency
per MWh, ``Power`` MW, ``Energy`` MWh. :class:`_Model` is the frozen, extra-forbidding
base of every scenario model. The names are re-exported from :mod:`elecbay_env.schema`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

MINUTES_PER_DAY = 1440
MAX_EPISODE_PERIODS = 1_000_000
"""Most settlement periods in an episode (days x periods per day), to fail early on typos."""
MAX_PRICE_PER_MWH = 1e7
"""Currency per MWh (or per MW per hour): largest magnitude of any price, cost or value."""
MAX_POWER_MW = 1e6
"""MW: largest capacity, peak, power, ramp (MW per minute) or reserve quantity."""
MAX_ENERGY_MWH = 1e8
"""MWh: largest storage energy or balancing threshold."""
MAX_MONEY = 1e12
"""Currency: largest one-off cost (a start-up)."""


# --------------------------------------------------------------------------- fields


def _num(x: float) -> str:
    return f"{x:g}"


def _check(problems: list[tuple[str, Any, str]]) -> None:
    """Raise the problems found by a cross-field check as one pydantic error."""
    if problems:
        summary = "; ".join(f"{f}: {m}" for f, _, m in problems)
        raise PydanticCustomError(
            "elecbay_checks", "{summary}", {"summary": summary, "problems": tuple(problems)}
        )


def _bounded(
    tp: type,
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
) -> Any:
    """``tp`` annotated with a range check whose error states the whole allowed range.

    Pydantic's own ``ge``/``le`` name only the bound that failed; this names both, and
    also writes the bounds into the JSON schema.
    """
    if lo is not None and hi is not None:
        allowed = f"in {'(' if lo_open else '['}{_num(lo)}, {_num(hi)}{')' if hi_open else ']'}"
    elif lo is not None:
        allowed = f"{'>' if lo_open else '>='} {_num(lo)}"
    else:
        allowed = f"{'<' if hi_open else '<='} {_num(hi)}"  # type: ignore[arg-type]

    def check(v: float) -> float:
        too_low = lo is not None and (v <= lo if lo_open else v < lo)
        too_high = hi is not None and (v >= hi if hi_open else v > hi)
        if too_low or too_high:
            raise PydanticCustomError("out_of_range", "must be {allowed}", {"allowed": allowed})
        return v

    schema: dict[str, float] = {}
    if lo is not None:
        schema["exclusiveMinimum" if lo_open else "minimum"] = lo
    if hi is not None:
        schema["exclusiveMaximum" if hi_open else "maximum"] = hi
    return Annotated[tp, AfterValidator(check), Field(json_schema_extra=schema)]


PositiveFloat = _bounded(float, 0, lo_open=True)
NonNegativeFloat = _bounded(float, 0)
Fraction = _bounded(float, 0, 1)
"""A fraction in [0, 1]."""
OpenFraction = _bounded(float, 0, 1, hi_open=True)
"""A fraction in [0, 1)."""
PositiveFraction = _bounded(float, 0, 1, lo_open=True)
"""A fraction in (0, 1]."""
PositiveInt = _bounded(int, 1)
NonNegativeInt = _bounded(int, 0)
DayMinutes = _bounded(int, 1, 1440)
"""Whole minutes from 1 to 1440 (a day)."""
BidSteps = _bounded(int, 1, 16)
Price = _bounded(float, -MAX_PRICE_PER_MWH, MAX_PRICE_PER_MWH)
"""Currency per MWh, in [-1e7, 1e7]."""
PositivePrice = _bounded(float, 0, MAX_PRICE_PER_MWH, lo_open=True)
NonNegativePrice = _bounded(float, 0, MAX_PRICE_PER_MWH)
PositivePower = _bounded(float, 0, MAX_POWER_MW, lo_open=True)
NonNegativePower = _bounded(float, 0, MAX_POWER_MW)
PositiveEnergy = _bounded(float, 0, MAX_ENERGY_MWH, lo_open=True)
NonNegativeEnergy = _bounded(float, 0, MAX_ENERGY_MWH)


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, use_attribute_docstrings=True
    )
