"""Registration of new assets before a live market opens (``--registration-window``).

An **entrant** (MQTT user ``entrant_<k>``, credentials handed out by the organiser)
sends ``register_asset`` with the asset's technical data while the registration window is
open: ``role`` (``producer`` or ``consumer``) and ``asset``, one scenario entry (the
fields of ``producers[]`` or ``consumers[]`` in a scenario YAML: ``type``,
``capacity_mw`` (MW), ``marginal_cost_per_mwh`` (currency per MWh), ``zone``, ...).

:func:`check_asset` validates it: the live market's own rules (one asset per entrant,
the window's slots, the role, a size no larger than the largest incumbent's, so that
registering cannot buy market power the scenario does not already have) and then the
scenario schema with the asset added (every field's type and range, unique names, a zone
of the market), so a refusal names each field and what is allowed. Accepted assets join
the scenario in the order accepted (:func:`scenario_with`): a producer becomes
``producer_<P>``, a consumer ``consumer_<C>``, after the scenario's own.

Pre-qualification rules of the wider project (``elecbay_env.registration``, when it
lands) can be added through ``prequalify``: a callable ``(role, asset, scenario) ->
list of reasons``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

ROLES = ("producer", "consumer")
SIZE_FIELDS = ("capacity_mw", "power_mw", "peak_mw")
"""The fields that size an asset (MW): thermal / renewable, storage, consumer."""
ENTRANT_PREFIX = "entrant_"
Prequalify = Callable[[str, Mapping[str, Any], Any], list[str]]


def entrant_users(n: int) -> list[str]:
    """The MQTT users of ``n`` entrant slots: ``entrant_0`` .. ``entrant_<n-1>``."""
    return [f"{ENTRANT_PREFIX}{k}" for k in range(n)]


def is_entrant(user: str) -> bool:
    """True for an entrant's MQTT user name."""
    return user.startswith(ENTRANT_PREFIX) and user[len(ENTRANT_PREFIX) :].isdigit()


def scenario_with(base: Mapping[str, Any], added: list[tuple[str, Mapping[str, Any]]]) -> Any:
    """The scenario ``base`` (a validated scenario's ``model_dump(mode="json")``) with the
    ``(role, asset)`` entries appended, validated.

    Raises:
        elecbay_env.scenario_errors.ScenarioError: naming each field out of range.
    """
    from elecbay_env.config import load_scenario

    data = copy.deepcopy(dict(base))
    data["producers"] = list(data["producers"])
    data["consumers"] = list(data["consumers"])
    for role, asset in added:
        data[f"{role}s"].append(dict(asset))
    return load_scenario(data)


def largest_mw(base: Mapping[str, Any]) -> float:
    """The largest participant of scenario ``base`` (MW, its size field)."""
    entries = [*base["producers"], *base["consumers"]]
    return max(float(e.get(f) or 0.0) for e in entries for f in SIZE_FIELDS)


def new_agent_id(base: Mapping[str, Any], added: list[tuple[str, Mapping[str, Any]]],
                 role: str) -> str:  # fmt: skip
    """The agent id the next ``role`` asset gets after ``added``."""
    n = len(base[f"{role}s"]) + sum(1 for r, _ in added if r == role)
    return f"{role}_{n}"


def check_asset(
    role: Any,
    asset: Any,
    base: Mapping[str, Any],
    added: list[tuple[str, Mapping[str, Any]]],
    max_assets: int,
    prequalify: Prequalify | None = None,
    max_mw: float | None = None,
) -> list[str]:
    """Why the asset cannot join the market (empty: accepted).

    Args:
        role: ``producer`` or ``consumer``.
        asset: the scenario entry (a JSON object).
        base: the market's scenario (``model_dump(mode="json")``).
        added: the assets accepted so far, ``(role, asset)`` in order.
        max_assets: how many assets the window accepts in all.
        prequalify: extra rules (see the module docstring).
        max_mw: the largest size (MW) an asset may have; None: the scenario's largest
            participant (:func:`largest_mw`). A newcomer cannot bring more market power
            than the biggest incumbent.
    """
    from elecbay_env.scenario_errors import ScenarioError

    if role not in ROLES:
        return [f"role: expected one of {list(ROLES)}, got {role!r}"]
    if not isinstance(asset, dict):
        return [f"asset: expected a JSON object (a {role}s[] entry of a scenario)"]
    if len(added) >= max_assets:
        return [f"asset: the registration window is full ({max_assets} assets)"]
    limit = largest_mw(base) if max_mw is None else max_mw
    for name in SIZE_FIELDS:
        size = asset.get(name)
        if isinstance(size, int | float) and not isinstance(size, bool) and size > limit:
            return [f"asset.{name} = {size:g}: must be <= {limit:g} MW (the largest asset "
                    "this market admits)"]  # fmt: skip
    try:
        scenario = scenario_with(base, [*added, (role, asset)])
    except ScenarioError as exc:
        index = len(base[f"{role}s"]) + sum(1 for r, _ in added if r == role)
        reasons = [line.strip() for line in str(exc).splitlines()[1:] if line.strip()]
        prefix = f"{role}s[{index}]."
        return [r.replace(prefix, "asset.") for r in reasons] or [str(exc)]
    if prequalify is not None:
        return list(prequalify(role, asset, scenario))
    return []
