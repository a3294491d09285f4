"""Smoke test of evaluate/benchmarks/bench_market_realism.py: ``--quick`` on ``small``.

No figure is asserted against a target (the rules are changing): only that the quick
run exits with status 0, prints its tables and verdicts, and writes JSON with every
field, each finite and in its range.
"""

from __future__ import annotations

import importlib
import json
import math

import pytest

from elecbay_env.kernels.ledger_codes import NAMES

SCENARIO_FIELDS = (
    "scenario", "weeks", "days_per_episode", "episodes_per_week", "week_scale", "markets",
    "seeds", "periods", "price_cap", "high_price_threshold", "share_imbalance_price_high",
    "share_imbalance_price_nonpositive", "share_imbalance_price_at_cap",
    "imbalance_price_mean", "imbalance_price_max", "imbalance_price_min",
    "periods_with_outage", "unserved_periods", "unserved_mwh",
    "unserved_periods_with_outage", "unserved_periods_without_outage",
    "unserved_mwh_without_outage", "median_abs_imbalance_minus_forward",
    "mean_abs_imbalance_minus_forward", "imbalance_cash", "imbalance_cash_at_cap",
    "share_imbalance_cash_at_cap", "ledger_components", "units", "run_time_s", "targets",
)  # fmt: skip
UNIT_FIELDS = (
    "agent", "asset", "kind", "policy", "components", "profit", "profit_min_week", "starts",
    "startup_costs", "truthful", "weeks_losing_beyond_startups", "loses_beyond_startups",
)  # fmt: skip
SHARES = (
    "share_imbalance_price_high", "share_imbalance_price_nonpositive",
    "share_imbalance_price_at_cap", "share_imbalance_cash_at_cap",
)  # fmt: skip


@pytest.fixture(scope="module")
def bench():
    return importlib.import_module("elecbay_evaluate.benchmarks.bench_market_realism")


def _finite(value) -> bool:
    return not isinstance(value, float) or math.isfinite(value)


def test_quick_run_on_small_writes_every_field(bench, capsys, tmp_path):
    out_json = tmp_path / "realism.json"
    status = bench.main(["--quick", "--scenarios", "small", "--json", str(out_json)])
    out = capsys.readouterr().out
    assert status == 0
    assert bench.TABLE_HEADER in out
    assert "weekly profit by ledger component" in out
    assert "PASS" in out or "FAIL" in out
    for name in NAMES:
        assert name in out
    data = json.loads(out_json.read_text())
    assert data["weeks"] == bench.QUICK_WEEKS
    assert "machine" in data and data["run_time_s"] > 0.0
    (r,) = data["scenarios"]
    assert r["scenario"] == "small"
    for field in SCENARIO_FIELDS:
        assert field in r, field
        assert _finite(r[field]), field
    assert r["ledger_components"] == list(NAMES)
    assert r["periods"] == r["markets"] * 48 > 0
    for share in SHARES:
        assert 0.0 <= r[share] <= 1.0, share
    assert r["imbalance_price_min"] <= r["imbalance_price_mean"] <= r["imbalance_price_max"]
    assert r["unserved_mwh"] >= r["unserved_mwh_without_outage"] >= 0.0
    assert (
        r["unserved_periods_with_outage"] + r["unserved_periods_without_outage"]
        == r["unserved_periods"]
    )
    assert r["median_abs_imbalance_minus_forward"] >= 0.0
    assert 0.0 <= r["imbalance_cash_at_cap"] <= r["imbalance_cash"]
    assert len(r["targets"]) == 4 and all(isinstance(v, bool) for v in r["targets"].values())
    agents = [u["agent"] for u in r["units"]]
    assert agents == ["producer_0", "producer_1", "consumer_0", "consumer_1", "broker_0"]
    for u in r["units"]:
        for field in UNIT_FIELDS:
            assert field in u, (u["agent"], field)
            assert _finite(u[field]), (u["agent"], field)
        assert list(u["components"]) == list(NAMES)
        assert all(math.isfinite(v) for v in u["components"].values())
        assert u["profit"] == pytest.approx(sum(u["components"].values()), rel=1e-9, abs=1e-3)
        assert u["startup_costs"] >= 0.0 and u["starts"] >= 0.0
    assert [u["truthful"] for u in r["units"]] == [True, True, False, False, False]


def test_benchmarks_page_shows_the_after_figures_of_default(capsys) -> None:
    # docs/benchmarks.md quotes the report's lines for `default` (4 weeks, seed 0) after
    # issue 11; they hold no timings, so they must match a fresh run exactly
    from pathlib import Path

    from elecbay_evaluate.benchmarks.bench_market_realism import play, print_scenario

    print_scenario(play("default", 4, 0))
    lines = [
        line for line in capsys.readouterr().out.splitlines()
        if line.lstrip().startswith(("imbalance price >=", "unserved energy:", "|imbalance"))
    ]  # fmt: skip
    assert len(lines) == 3
    page = (Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md").read_text()
    after = page[page.index("## Market realism, after issue 11") :]
    for line in lines:
        assert line in after, f"docs/benchmarks.md is stale: {line.strip()}"
