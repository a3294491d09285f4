"""The documentation's tables match the code that defines them."""

from __future__ import annotations

from pathlib import Path

from elecbay_env.engine import Engine
from elecbay_env.envs.observations import BROKER_FEATURES, TRADER_FEATURES, observation_table

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_environment_doc_has_the_default_scenarios_observation_tables() -> None:
    text = (DOCS / "environment.md").read_text()
    params = Engine("default").params
    assert observation_table(params, "trader") in text
    assert observation_table(params, "broker") in text


def test_every_observation_feature_has_a_meaning_and_a_unit() -> None:
    """The Meaning column comes from FEATURE_MEANINGS, next to the names in the code."""
    import elecbay_env.envs.observations as obs
    from elecbay_env.kernels import kinds

    for name in TRADER_FEATURES + BROKER_FEATURES:
        assert obs.FEATURE_MEANINGS.get(name, "").strip(), name
        assert name in obs.FEATURE_UNITS, name
    assert set(obs.FEATURE_MEANINGS) == set(TRADER_FEATURES + BROKER_FEATURES)
    kind = obs.FEATURE_MEANINGS["own_kind"]
    for code, name in enumerate(kinds.NAMES[: kinds.BROKER]):
        assert f"{code} {name}" in kind
    text = (DOCS / "environment.md").read_text()
    assert f"| own_kind | {kind} |" in text
