"""docs/calibration.md is the program's output; the gas index is fitted on train days only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from elecbay_evaluate import calibration
from elecbay_evaluate.calibration_page import render_page

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def test_split():
    sim = calibration.play_days(calibration.with_index(None), "test", seed=0)
    return sim, calibration.figures(sim)


def test_calibration_page_matches_a_fresh_run(test_split) -> None:
    sim, fig = test_split
    page = (ROOT / "docs" / "calibration.md").read_text(encoding="utf-8")
    assert page == render_page(sim, fig, split="test", seed=0, img=None), (
        "docs/calibration.md is stale: run python -m elecbay_evaluate.calibration "
        "--page docs/calibration.md"
    )


def test_targets_of_the_issue_hold_on_the_test_weeks(test_split) -> None:
    sim, fig = test_split
    assert fig["days"] == len(set(sim["dates"].tolist())) >= 85  # every test day once
    assert all(calibration.targets_met(fig).values()), fig


def test_figures_on_a_hand_made_case() -> None:
    mid = np.array([[10.0, 20.0, 30.0, 40.0]])
    sim = {
        "price": mid + np.array([[2.0, -2.0, 2.0, -2.0]]),
        "mid": mid,
        "imbalance_price": np.array([[600.0, 0.0, 30.0, 41.0]]),
        "unserved_mwh": np.zeros((1, 4)),
        "dates": np.array(["2024-01-01"], "datetime64[D]"),
    }
    fig = calibration.figures(sim)
    assert fig["mae"] == 2.0 and fig["rmse"] == 2.0 and fig["bias"] == 0.0
    assert fig["imbalance_share_ge_500"] == 0.25 and fig["imbalance_share_le_0"] == 0.25
    # |600-12|, |0-18|, |30-32|, |41-38| -> median of 588, 18, 2, 3 = 10.5
    assert fig["imbalance_median_distance"] == 10.5


def test_gas_index_is_fitted_on_train_days_only_and_matches_the_scenario(monkeypatch) -> None:
    seen: list[str] = []
    play = calibration.play_days

    def spy(scenario, split, seed=0):
        seen.append(split)
        return play(scenario, split, seed)

    monkeypatch.setattr(calibration, "play_days", spy)
    factors = calibration.fit_index()
    assert seen and set(seen) == {"train"}
    shipped = calibration.with_index(None).data.index_factors("gas")
    assert factors == list(shipped), "refit: python -m elecbay_evaluate.calibration --fit"
