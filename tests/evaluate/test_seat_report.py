"""Per-seat profit differences from the baseline (issue 14, item 2)."""

from __future__ import annotations

import pytest
from elecbay_evaluate.seat_report import plot_seat_differences, seat_profit_table
from elecbay_evaluate.spec import load_spec
from elecbay_evaluate.tournament import run_tournament


@pytest.fixture(scope="module")
def result():
    spec = load_spec({
        "name": "seats", "scenarios": [{"name": "small", "overrides": {"market.days": 1}}],
        "seeds": [0, 1, 2], "n_resamples": 200,
        "entries": [{"name": "truthful", "policies": {"*": "merit_order"}},
                    {"name": "same", "policies": {"*": "merit_order"}},
                    {"name": "markup", "policies": {"producer_0": "markup:0.5"}}],
    })  # fmt: skip
    return run_tournament(spec, workers=1, progress=False)


def test_identical_line_up_differs_by_exactly_zero_on_every_seat(result) -> None:
    text = seat_profit_table(result)
    lines = text.splitlines()
    assert "same - truthful [95%]" in lines[0] and "markup - truthful [95%]" in lines[0]
    seats = [line for line in lines[1:] if line.startswith("small")]
    assert len(seats) == len(result.episodes[0]["profit"])
    for line in seats:
        assert "+0 [+0, +0] 0/3/0" in line, line


def test_the_marked_up_seat_differs_from_itself_under_the_baseline(result) -> None:
    rows = [r for r in result.paired if r["entry"] == "markup" and r["metric"] == "profit"]
    producer = next(r for r in rows if r["agent"] == "producer_0")
    episodes = {(x["entry"], x["seed"]): x["profit"]["producer_0"] for x in result.episodes}
    by_hand = sum(episodes[("markup", s)] - episodes[("truthful", s)] for s in (0, 1, 2)) / 3
    assert producer["mean"] == pytest.approx(by_hand, rel=1e-12)
    line = next(x for x in seat_profit_table(result).splitlines() if " producer_0 " in x)
    assert f"{by_hand:+,.0f} [" in line


def test_plot_is_written(result, tmp_path) -> None:
    path = plot_seat_differences(result, tmp_path / "seats.png")
    assert path.read_bytes()[:4] == b"\x89PNG"
