"""The scenario schema of the transmission network: :class:`Border` and its checks.

A scenario's ``market.zones`` (Z >= 1) says how many price zones there are and every
participant's ``zone`` is one of them (``0`` by default). The scenario's ``borders`` list the
borders between zones, each with its transfer limits in MW: ``forward_mw`` from
``from_zone`` to ``to_zone`` and ``backward_mw`` back. One zone and no borders (the
default) is the single national market. The borders must form a tree or a forest (a
radial network, as :func:`elecbay_env.zonal.network` solves exactly); a zone without a
border is its own market. See docs/zones.md.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MAX_BORDER_MW = 1e6
"""MW: largest transfer limit of a border (as the schema's MAX_POWER_MW)."""


class Border(BaseModel):
    """A border between two zones with its transfer limits (MW, both >= 0)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, use_attribute_docstrings=True
    )

    name: str = ""
    """Free text, e.g. ``B6`` (shown by the render)."""
    from_zone: int = Field(ge=0)
    """Zone index the forward direction starts from, in [0, market.zones - 1]."""
    to_zone: int = Field(ge=0)
    """Zone index the forward direction goes to, in [0, market.zones - 1]."""
    forward_mw: float = Field(ge=0.0, le=MAX_BORDER_MW)
    """Most MW that may flow from ``from_zone`` to ``to_zone``, in [0, 1e6]."""
    backward_mw: float = Field(ge=0.0, le=MAX_BORDER_MW)
    """Most MW that may flow from ``to_zone`` to ``from_zone``, in [0, 1e6]."""


def border_problems(
    zones: int, borders: tuple[Border, ...], pricing: str
) -> list[tuple[str, Any, str]]:
    """(field, value, message) for every border that does not fit ``zones``.

    Checks zone indices in range, no border from a zone to itself, no duplicate border,
    no cycle (meshed networks are not supported), and that zones come with the uniform
    price (the zonal auction has no pay-as-bid).
    """
    p: list[tuple[str, Any, str]] = []
    if zones > 1 and pricing != "uniform":
        p.append(("market.pricing", pricing, "must be 'uniform' when market.zones > 1"))
    root = list(range(zones))

    def find(z: int) -> int:
        while root[z] != z:
            root[z] = root[root[z]]
            z = root[z]
        return z

    seen: dict[tuple[int, int], int] = {}
    for b, x in enumerate(borders):
        path = f"borders[{b}]"
        bad = False
        for end in ("from_zone", "to_zone"):
            z = getattr(x, end)
            if z >= zones:
                p.append((f"{path}.{end}", z, f"must be in [0, {zones - 1}] (market.zones)"))
                bad = True
        if bad:
            continue
        u, v = x.from_zone, x.to_zone
        if u == v:
            p.append(
                (f"{path}.to_zone", v, "must differ from from_zone (a border joins two zones)")
            )
            continue
        pair = (min(u, v), max(u, v))
        if pair in seen:
            msg = f"repeats borders[{seen[pair]}]; give one border with the combined limits"
            p.append((f"{path}.to_zone", v, msg))
            continue
        seen[pair] = b
        ru, rv = find(u), find(v)
        if ru == rv:
            msg = "closes a cycle: meshed networks are not supported (a tree or forest only)"
            p.append((f"{path}.to_zone", v, msg))
            continue
        root[ru] = rv
    return p
