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


def test_observation_module_docstring_lists_every_feature_in_order() -> None:
    import elecbay_env.envs.observations as obs

    doc = obs.__doc__ or ""
    for names in (TRADER_FEATURES, BROKER_FEATURES):
        positions = [doc.index(f"| {name} |") for name in names if f"| {name} |" in doc]
        assert len(positions) >= len(names) - 8  # the broker table reuses 0-7
        assert positions == sorted(positions) or names is BROKER_FEATURES
