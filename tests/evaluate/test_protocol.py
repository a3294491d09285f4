"""The evaluation protocol: IQM, stratified bootstrap, performance profiles, paired
differences from a baseline line-up, the report's protocol header and the baseline
option (evaluate/protocol.py, evaluate/comparison.py, evaluate/protocol_report.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from elecbay_evaluate import tournament as tm
from elecbay_evaluate.comparison import ALL_SCENARIOS, protocol_lines
from elecbay_evaluate.metrics import MARKET_METRICS
from elecbay_evaluate.protocol import (
    iqm,
    paired_difference,
    performance_profile,
    stratified_bootstrap_ci,
    stratified_resample_indices,
    tau_grid,
)
from elecbay_evaluate.protocol_report import console_table
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import trim_mean

# ------------------------------------------------------------------ IQM


def test_iqm_of_hand_examples():
    assert iqm(np.arange(1, 9)) == pytest.approx(4.5)  # mean of 3, 4, 5, 6
    assert iqm([100.0, 1.0, 2.0, 3.0, 4.0, -50.0, 5.0, 6.0]) == pytest.approx(3.5)  # 2..5
    assert iqm([1.0, 2.0, 30.0]) == pytest.approx(11.0)  # under 4 values: nothing is cut
    assert math.isnan(iqm([]))


def test_iqm_agrees_with_scipy_trim_mean_and_reduces_an_axis():
    rng = np.random.default_rng(3)
    for n in (4, 5, 7, 10, 33):
        x = rng.standard_cauchy(n)
        assert iqm(x) == pytest.approx(trim_mean(x, 0.25), rel=1e-12)
    x = rng.normal(size=(6, 9))
    np.testing.assert_allclose(iqm(x, axis=-1), [trim_mean(r, 0.25) for r in x], rtol=1e-12)


# ------------------------------------------------------------------ stratified bootstrap

_strata = st.lists(st.sampled_from("abcd"), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(strata=_strata, seed=st.integers(0, 2**32 - 1))
def test_stratified_resamples_stay_within_their_stratum(strata, seed):
    idx = stratified_resample_indices(strata, 50, np.random.default_rng(seed))
    assert idx.shape == (50, len(strata))
    labels = np.asarray(strata)
    # every position draws from its own stratum, so each stratum keeps its size
    assert (labels[idx] == labels[None, :]).all()


@settings(max_examples=40, deadline=None)
@given(
    groups=st.lists(
        st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=4, max_size=10),
        min_size=1, max_size=3,
    ),
    seed=st.integers(0, 1000),
)  # fmt: skip
def test_stratified_interval_contains_the_mean_estimate(groups, seed):
    values = [v for g in groups for v in g]
    strata = [i for i, g in enumerate(groups) for _ in g]
    est, low, high = stratified_bootstrap_ci(values, strata, statistic=np.mean,
                                             n_resamples=400, seed=seed)  # fmt: skip
    assert est == pytest.approx(np.mean(values))
    assert low - 1e-9 * (1 + abs(est)) <= est <= high + 1e-9 * (1 + abs(est))


def test_stratified_bootstrap_iqm_interval_by_hand():
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    est, low, high = stratified_bootstrap_ci(values, n_resamples=2000, seed=1)
    assert est == pytest.approx(4.5)
    assert 1.0 < low < est < high < 8.0
    assert stratified_bootstrap_ci(values, n_resamples=2000, seed=1) == (est, low, high)


def test_stratification_keeps_each_scenarios_share():
    """Two constant scenarios: resampling within each keeps every resample's pooled mean
    at 50, while a plain bootstrap mixes them in varying proportions."""
    values, strata = [0.0] * 5 + [100.0] * 5, ["a"] * 5 + ["b"] * 5
    assert stratified_bootstrap_ci(values, strata, np.mean, n_resamples=500) == (50.0, 50.0, 50.0)
    _, low, high = stratified_bootstrap_ci(values, None, np.mean, n_resamples=500)
    assert low < 40.0 and high > 60.0


def test_stratified_bootstrap_edge_cases():
    assert all(math.isnan(v) for v in stratified_bootstrap_ci([math.nan]))
    est, low, high = stratified_bootstrap_ci([3.0, 7.0], ["a", "b"])  # one run per stratum
    assert est == 5.0 and math.isnan(low) and math.isnan(high)


# ------------------------------------------------------------------ performance profiles


def test_performance_profile_by_hand():
    p = performance_profile([0.1, 0.5, 0.9], [0.0, 0.5, 1.0], n_resamples=500)
    assert p.fraction == pytest.approx([1.0, 1.0 / 3.0, 0.0])  # strictly above tau
    assert p.n_runs == 3
    for f, lo, hi in zip(p.fraction, p.low, p.high, strict=True):
        assert 0.0 <= lo <= f <= hi <= 1.0
    # constant strata: every resample has the same scores, so the band is the curve
    q = performance_profile([0.2, 0.2, 0.8, 0.8], [0.5], ["a", "a", "b", "b"], n_resamples=200)
    assert q.fraction == q.low == q.high == [0.5]
    np.testing.assert_allclose(tau_grid([0.5, 1.0, np.nan], 3), [0.5, 0.75, 1.0])


# ------------------------------------------------------------------ paired differences


def test_identical_line_ups_differ_by_exactly_zero():
    base = {0: 1.5, 1: -2.25, 2: 1e6, 3: 0.1}
    d = paired_difference(dict(base), base)
    assert (d.mean, d.ci_low, d.ci_high) == (0.0, 0.0, 0.0)
    assert (d.n, d.higher, d.equal, d.lower, d.unpaired) == (4, 0, 4, 0, [])


def test_baseline_plus_five_differs_by_five():
    base = {0: 10.0, 1: 20.0, 2: -3.0, 3: 7.0}
    d = paired_difference({s: v + 5.0 for s, v in base.items()}, base)
    assert (d.mean, d.ci_low, d.ci_high) == (5.0, 5.0, 5.0)
    assert (d.higher, d.equal, d.lower) == (4, 0, 0)


def test_pairing_is_by_seed_value_not_position():
    candidate = {2: 10.0, 0: 1.0, 1: 7.0}  # another order, and no seed 3
    baseline = {0: 0.0, 1: 5.0, 2: 9.0, 3: 100.0}
    d = paired_difference(candidate, baseline)
    assert d.seeds == [0, 1, 2] and d.unpaired == [3]
    assert d.mean == pytest.approx((1.0 + 2.0 + 1.0) / 3.0)
    assert d.ci_low <= d.mean <= d.ci_high
    nan = paired_difference({0: math.nan, 1: 2.0}, {0: 1.0, 1: 1.0})
    assert nan.seeds == [1] and nan.unpaired == [0] and nan.mean == 1.0


# ------------------------------------------------------------------ in a tournament


def _episode(scenario: str, entry: str, seed: int, welfare: float,
             profit0: float = 0.0) -> dict:  # fmt: skip
    ep = {m: 1.0 for m in MARKET_METRICS}
    ep.update(scenario=scenario, entry=entry, seed=seed, n_periods=2, welfare=welfare,
              efficiency=welfare / 1000.0, prices=[50.0, 60.0],
              profit={"producer_0": profit0, "consumer_0": welfare - profit0},
              policy={"producer_0": "merit_order", "consumer_0": "merit_order"},
              asset={"producer_0": "ccgt", "consumer_0": "homes"})  # fmt: skip
    return ep


def _spec(**extra) -> tm.TournamentSpec:
    return tm.load_spec({
        "name": "protocol",
        "scenarios": ["small", {"name": "small", "label": "test_split",
                                "overrides": {"data.split": "test", "market.days": 1}}],
        "seeds": [4, 2, 7],
        "entries": [{"name": "a", "policies": {"*": "merit_order"}},
                    {"name": "b", "policies": {"producer": "markup:0.3"}}],
        "n_resamples": 200, **extra,
    })  # fmt: skip


def _episodes() -> list[dict]:
    """Line-up b = a + 5 on every seed of 'small'; on 'test_split' b lacks seed 7 and
    its episodes come in another order."""
    eps = [_episode("small", "a", s, w, 1.0) for s, w in ((4, 100.0), (2, 300.0), (7, 200.0))]
    eps += [_episode("small", "b", s, w + 5.0, 3.0) for s, w in ((7, 200.0), (4, 100.0),
                                                                 (2, 300.0))]  # fmt: skip
    eps += [_episode("test_split", "a", s, w) for s, w in ((4, 10.0), (2, 30.0), (7, 999.0))]
    eps += [_episode("test_split", "b", s, w) for s, w in ((2, 31.0), (4, 12.0))]
    return eps


def test_summarise_pairs_by_seed_from_the_named_baseline():
    r = tm.summarise(_spec(), _episodes())
    rows = {(x["scenario"], x["metric"], x["agent"]): x for x in r.paired}
    assert {x["entry"] for x in r.paired} == {"b"} and {x["baseline"] for x in r.paired} == {"a"}
    w = rows[("small", "welfare", "")]
    assert (w["mean"], w["ci_low"], w["ci_high"], w["wins"], w["losses"]) == (5, 5, 5, 3, 0)
    assert rows[("small", "profit", "producer_0")]["mean"] == 2.0
    split = rows[("test_split", "welfare", "")]
    assert split["seeds"] == [2, 4] and split["unpaired"] == [7] and split["mean"] == 1.5
    assert rows[("small", "price_mean", "")]["wins"] is None  # no preferred direction
    # the other way round: a against b
    back = tm.summarise(_spec(baseline="b"), _episodes())
    assert {x["entry"] for x in back.paired} == {"a"}
    assert next(x for x in back.paired if x["metric"] == "welfare")["mean"] == -5.0


def test_summarise_aggregates_and_profiles():
    r = tm.summarise(_spec(), _episodes())
    agg = {(x["scope"], x["entry"], x["metric"], x["agent"]): x for x in r.aggregates}
    assert agg[("small", "a", "welfare", "")]["iqm"] == pytest.approx(200.0)
    pooled = agg[(ALL_SCENARIOS, "a", "welfare", "")]
    assert pooled["n"] == 6 and pooled["iqm"] == pytest.approx(trim_mean(
        [100.0, 300.0, 200.0, 10.0, 30.0, 999.0], 0.25))  # fmt: skip
    assert pooled["ci_low"] <= pooled["iqm"] <= pooled["ci_high"]
    assert agg[("small", "b", "profit", "producer_0")]["iqm"] == 3.0
    prof = {x["entry"]: x for x in r.profiles if x["metric"] == "efficiency"}
    assert prof["a"]["taus"] == prof["b"]["taus"] and len(prof["a"]["taus"]) == 101
    assert prof["a"]["fraction"][0] == pytest.approx(5 / 6)  # all but the lowest score


def test_report_states_the_protocol(tmp_path):
    r = tm.summarise(_spec(baseline="b"), _episodes())
    tm.write_outputs(r, tmp_path)
    report = (tmp_path / "report.md").read_text()
    header = report.split("## Market")[0]
    for needle in (
        "- **Scenarios**: `small`: synthetic profiles (no date split); `test_split` "
        "(`small`): market.days=1; data split `test`",
        "- **Seeds**: [4, 2, 7] (3), the same for every line-up",
        "- **Design**: paired.",
        "matched by seed value",
        "- **Baseline**: `b`",
        "- **Intervals**: 95% confidence.",
        "200 resamples, seed 0",
        "stratified bootstrap (seeds resampled within each scenario), percentile interval",
    ):
        assert needle in header, needle  # fmt: skip
    assert "## Difference from baseline" in report and "## Interquartile mean" in report
    assert "(performance_profile.png)" in report
    for name in ("paired_differences.csv", "aggregates.csv", "performance_profile.csv"):
        assert (tmp_path / name).stat().st_size > 0
    head, *rows = (tmp_path / "paired_differences.csv").read_text().splitlines()
    assert head.startswith("scenario,entry,baseline,metric,agent,better,n_pairs,mean_difference")
    assert "test_split,a,b,welfare,,higher,2,-1.5," in "\n".join(rows)
    assert (tmp_path / "performance_profile.png").read_bytes()[:4] == b"\x89PNG"
    assert protocol_lines(r.spec)[3] == "- **Baseline**: `b`"


def test_console_table_shows_the_paired_difference():
    r = tm.summarise(_spec(), _episodes())
    text = console_table(r)
    assert "welfare diff vs a [95%]" in text.splitlines()[0]
    small_b = next(line for line in text.splitlines() if line.startswith("small       b"))
    assert "+5 [+5, +5]" in small_b and small_b.endswith("3/0/0")
    assert "(baseline)" in next(line for line in text.splitlines() if line.startswith("small  "))


# ------------------------------------------------------------------ the baseline field


def test_a_baseline_that_is_no_entry_is_an_error_naming_the_field_and_the_choices():
    with pytest.raises(tm.SpecError) as err:
        _spec(baseline="truthful")
    assert str(err.value).startswith("baseline: 'truthful' is not an entry (entries: a, b)")
    assert _spec().baseline_name == "a" and _spec(baseline="b").baseline_name == "b"


def test_cli_baseline_option(tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text("scenarios: [small]\nseeds: [0]\nbaseline: t\n"
                    "entries: [{name: t, policies: {'*': merit_order}}]\n")  # fmt: skip
    code = tm.main([str(spec), "--baseline", "nope", "--quiet", "--out", str(tmp_path / "o")])
    assert code == 2
    assert "error: baseline: 'nope' is not an entry (entries: t)" in capsys.readouterr().err
    args = tm.build_parser().parse_args([str(spec), "--entry", "x", "*=zi_c"])
    assert tm.spec_from_args(args).baseline_name == "x"  # --entry replaces the baseline too
    args = tm.build_parser().parse_args([str(spec), "--entry", "x", "*=zi_c", "--entry", "y",
                                         "*=merit_order", "--baseline", "y"])  # fmt: skip
    assert tm.spec_from_args(args).baseline_name == "y"
