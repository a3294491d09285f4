"""The rules for new assets (:mod:`elecbay_live.assets`), without a broker: every refusal
names the field and what is allowed; accepted assets get the next agent ids."""

from __future__ import annotations

import functools

import pytest

GOOD = {"type": "thermal", "name": "newcomer", "technology": "ocgt", "capacity_mw": 100,
        "min_stable_mw": 20, "marginal_cost_per_mwh": 90, "ramp_mw_per_min": 10}  # fmt: skip


@functools.cache
def _base() -> dict:
    from elecbay_env.config import load_scenario

    return load_scenario("small").model_dump(mode="json")


def _check(role, asset, added=(), max_assets=4):
    from elecbay_live.assets import check_asset

    return check_asset(role, asset, _base(), list(added), max_assets)


def test_a_valid_asset_is_accepted_and_gets_the_next_id() -> None:
    from elecbay_live.assets import new_agent_id, scenario_with

    assert _check("producer", GOOD) == []
    added = [("producer", GOOD)]
    assert new_agent_id(_base(), [], "producer") == "producer_2"
    assert new_agent_id(_base(), added, "producer") == "producer_3"
    assert new_agent_id(_base(), added, "consumer") == "consumer_2"
    scenario = scenario_with(_base(), added)
    assert scenario.producers[2].name == "newcomer" and scenario.producers[2].capacity_mw == 100


@pytest.mark.parametrize(
    ("role", "asset", "why"),
    [
        ("storage", GOOD, "role: expected one of ['producer', 'consumer']"),
        ("producer", [1, 2], "asset: expected a JSON object"),
        ("producer", {**GOOD, "capacity_mw": -5}, "asset.capacity_mw = -5: must be in (0"),
        ("producer", {**GOOD, "capacity": 5}, "asset.capacity = 5: unknown field"),
        ("producer", {**GOOD, "zone": 3}, "asset.zone = 3: must be in [0, 0]"),
        ("producer", {**GOOD, "name": "ccgt"}, "duplicate of producers[0].name"),
        (
            "producer",
            {k: v for k, v in GOOD.items() if k != "min_stable_mw"},
            "asset.min_stable_mw: required field is missing",
        ),
        (
            "consumer",
            {"name": "shop", "peak_mw": 10, "value_per_mwh": -1},
            "asset.value_per_mwh = -1",
        ),
    ],
)
def test_a_bad_asset_is_refused_naming_the_field(role, asset, why) -> None:
    reasons = _check(role, asset)
    assert reasons and any(why in r for r in reasons), reasons


def test_no_asset_larger_than_the_largest_incumbent() -> None:
    from elecbay_live.assets import largest_mw

    assert largest_mw(_base()) == 450.0  # small's CCGT
    assert _check("producer", {**GOOD, "capacity_mw": 450}) == []
    big = _check("producer", {**GOOD, "capacity_mw": 451, "min_stable_mw": 20})
    assert big == ["asset.capacity_mw = 451: must be <= 450 MW (the largest asset this "
                   "market admits)"]  # fmt: skip
    from elecbay_live.assets import check_asset

    assert check_asset("producer", GOOD, _base(), [], 1, max_mw=50.0)[0].startswith(
        "asset.capacity_mw = 100: must be <= 50 MW")  # fmt: skip


def test_the_window_accepts_at_most_its_slots() -> None:
    full = [("producer", {**GOOD, "name": f"n{k}"}) for k in range(2)]
    assert _check("producer", {**GOOD, "name": "n2"}, full, max_assets=2) == [
        "asset: the registration window is full (2 assets)"
    ]
    assert _check("producer", {**GOOD, "name": "n0"}, full[:1], max_assets=2) != []  # same name
