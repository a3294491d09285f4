"""The shipped GB 2024 data, date windows, splits and episodes on real dates."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elecbay_env.config import ScenarioError, load_scenario
from elecbay_env.datasets import ATTRIBUTION, dataset_path, load_dataset, read_window
from elecbay_env.engine import Engine
from elecbay_env.profiles import ProfileError
from elecbay_env.splits import episode_start_days, iso_weeks, split_days, split_mask

ROOT = Path(__file__).resolve().parents[2]
CSV = "gb_2024_halfhourly.csv"


@pytest.fixture(scope="module")
def ds():
    return load_dataset("gb2024")


def _rows() -> list[dict[str, str]]:
    with dataset_path("gb2024").open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_data_ships_inside_the_package_with_its_attribution() -> None:
    folder = resources.files("elecbay_configs").joinpath("data/gb2024")
    names = {p.name for p in folder.iterdir()}
    assert {CSV, "gb_mpp_capacity_dukes_2025.csv", "gb_empirical_marginal_cost_2021_2024.csv",
            "README.md"} <= names  # fmt: skip
    notice = folder.joinpath("README.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for line in ATTRIBUTION:
        assert line in notice
        assert line in readme
    assert (
        "elecbay_configs = *.yaml, *.csv, data/gb2024/*.csv, data/gb2024/*.md"
        in (ROOT / "setup.cfg").read_text()
    )


def test_dataset_is_every_half_hour_of_2024(ds) -> None:
    assert ds.resolution_min == 30 and ds.n_rows == 17_568 and ds.n_days == 366
    assert str(ds.days[0]) == "2024-01-01" and str(ds.days[-1]) == "2024-12-31"
    nd = ds.column("nd_mw")
    assert nd.shape == (17_568,) and 15_000 < nd.min() and nd.max() < 46_000
    # an independent read of the file agrees value for value
    rows = _rows()
    assert [float(r["nd_mw"]) for r in rows[:5]] == nd[:5].tolist()
    assert float(rows[-1]["mid_price_gbp_per_mwh"]) == ds.column("mid_price_gbp_per_mwh")[-1]


def test_unknown_column_and_dataset_name_the_allowed_values(ds) -> None:
    with pytest.raises(ProfileError, match=r"available columns: .*'nd_mw'"):
        ds.column("demand")
    with pytest.raises(ProfileError, match="shipped: gb2024"):
        load_dataset("gb2025")


@pytest.mark.parametrize(
    ("day", "rows"), [("2024-03-31", 46), ("2024-10-27", 50), ("2024-06-01", 48)]
)
def test_settlement_date_window_reads_exactly_its_rows(day: str, rows: int) -> None:
    values = read_window("gb2024", "nd_mw", day, date_column="settlement_date")
    expected = [float(r["nd_mw"]) for r in _rows() if r["settlement_date"] == day]
    assert len(values) == rows == len(expected)
    assert values.tolist() == expected


def test_utc_date_and_offset_windows(ds) -> None:
    utc = read_window("gb2024", "nd_mw", "2024-10-27", "2024-10-28")
    assert utc.shape == (96,)
    by_offset = read_window("gb2024", "nd_mw", 300 * 48, 302 * 48)
    assert np.array_equal(utc, by_offset)  # 2024-10-27 is day 300 (0-based)
    with pytest.raises(ProfileError, match="0 <= start < end <= 17568"):
        read_window("gb2024", "nd_mw", 17_000, 18_000)
    with pytest.raises(ProfileError, match="before start"):
        read_window("gb2024", "nd_mw", "2024-05-02", "2024-05-01")
    with pytest.raises(ProfileError, match="no rows"):
        read_window("gb2024", "nd_mw", "2025-01-01")


def test_week_splits_are_disjoint_and_cover_2024(ds) -> None:
    masks = {n: split_mask(ds, n) for n in ("train", "validation", "test")}
    total = sum(m.astype(int) for m in masks.values())
    assert np.all(total == 1)  # disjoint and covering
    weeks = iso_weeks(ds.days)
    assert np.all(weeks[masks["test"]] % 4 == 0)
    assert np.all(weeks[masks["validation"]] % 4 == 2)
    assert set(weeks[masks["train"]] % 4) == {1, 3}
    assert 85 <= masks["test"].sum() <= 95 and 85 <= masks["validation"].sum() <= 95
    # whole weeks: every test day's Monday-to-Sunday week is in test
    test_days = split_days(ds, "test")
    assert all(str(d) in {str(x) for x in test_days} for d in test_days)


def test_ood_sets_follow_their_definitions(ds) -> None:
    peak = ds.daily("nd_mw").max(axis=1)
    high = split_mask(ds, "ood_peak_demand")
    assert high.sum() == 19 and peak[high].min() > peak[~high].max()
    low = split_mask(ds, "ood_low_price")
    assert np.array_equal(low, ds.daily("mid_price_gbp_per_mwh").min(axis=1) <= 5.0)
    drought = split_mask(ds, "ood_wind_drought")
    wind = ds.daily("wind_cf").mean(axis=1)
    assert drought.any() and np.all(wind[drought] < 0.15)
    clean = split_mask(ds, "train_in_distribution")
    assert not np.any(clean & (high | low | drought))
    assert np.all(clean <= split_mask(ds, "train"))


def test_bad_split_names_the_allowed_values(ds) -> None:
    with pytest.raises(ValueError, match="allowed values are train, validation, test"):
        split_mask(ds, "holdout")
    with pytest.raises(ValueError, match="allowed values"):
        Engine("gb2024", split="holdout")
    with pytest.raises(ValueError, match="no data section"):
        Engine("small", split="test")
    with pytest.raises(ScenarioError, match=r"data\.split"):
        load_scenario("gb2024", **{"data.split": "holdout"})


def test_multi_day_episodes_stay_inside_their_split(ds) -> None:
    starts = episode_start_days(ds, "test", 7)
    mask = split_mask(ds, "test")
    assert starts.size > 0
    assert all(mask[d : d + 7].all() for d in starts)
    with pytest.raises(ProfileError, match="no 8 consecutive days"):
        episode_start_days(ds, "test", 8)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), split=st.sampled_from(["train", "validation", "test"]))
def test_same_seed_and_split_give_the_same_dates_in_any_batch(seed: int, split: str) -> None:
    ds = load_dataset("gb2024")
    one = Engine("gb2024", n_markets=1, split=split, keep_ledger=False)
    batch = Engine("gb2024", n_markets=3, split=split, keep_ledger=False)
    batch.reset(seed=seed)
    allowed = {str(d) for d in split_days(ds, split)}
    for e in range(3):
        one.reset(seed=seed + e)
        assert one.dates[0] == batch.dates[e]
        assert str(batch.dates[e]) in allowed
        assert np.array_equal(one.state.fc_err[0], batch.state.fc_err[e])


def test_seeds_spread_over_the_split() -> None:
    eng = Engine("gb2024", n_markets=64, split="test", keep_ledger=False)
    eng.reset(seed=0)
    assert len(set(eng.dates.tolist())) > 30


def test_realised_values_are_the_data_and_forecasts_carry_the_error() -> None:
    eng = Engine("gb2024", n_markets=2, keep_ledger=False)
    eng.reset(seed=3, dates=["2024-02-14", "2024-07-01"])
    assert [str(d) for d in eng.dates] == ["2024-02-14", "2024-07-01"]
    ds = load_dataset("gb2024")
    nd = ds.column("nd_mw")
    wind = ds.column("wind_cf")
    names = [p.name for p in eng.scenario.producers] + [c.name for c in eng.scenario.consumers]
    dom, off = names.index("domestic"), names.index("wind_offshore")
    seen = []
    for t in range(4):
        out = eng.step(eng.empty_orders())
        for e, day in enumerate((44, 182)):
            row = day * 48 + t
            assert out.available_mw[e, dom] == pytest.approx(0.35 * nd[row], rel=1e-12)
            assert out.available_mw[e, off] == pytest.approx(17_068 * wind[row], rel=1e-12)
        seen.append(eng.state.err[:, dom].copy())
    assert np.all(np.abs(np.concatenate(seen)) > 0)  # the forecast was off, by the model


def test_reset_dates_are_checked_before_anything_moves() -> None:
    eng = Engine("gb2024", n_markets=1, keep_ledger=False)
    eng.reset(seed=0)
    before = eng.state.start.copy()
    with pytest.raises(ValueError, match="allowed range is 2024-01-01 to 2024-12-31"):
        eng.reset(seed=0, dates=["2025-01-01"])
    with pytest.raises(ValueError, match="expected 1 dates"):
        eng.reset(seed=0, dates=["2024-01-01", "2024-01-02"])
    assert np.array_equal(eng.state.start, before)
    with pytest.raises(ValueError, match="no data section"):
        Engine("small").reset(seed=0, dates=["2024-01-01"])


def test_monthly_price_index_scales_indexed_costs_only() -> None:
    sc = load_scenario("gb2024")
    eng = Engine(sc, n_markets=2, keep_ledger=False)
    eng.reset(seed=0, dates=["2024-02-10", "2024-11-10"])
    gas = sc.data.index_factors("gas")
    names = [p.name for p in sc.producers]
    ccgt, nuclear = names.index("ccgt_c"), names.index("nuclear_pwr")
    base = sc.producers[ccgt].marginal_cost_per_mwh
    assert eng.params.cost_per_mwh[0, ccgt] == pytest.approx(base * gas[1])
    assert eng.params.cost_per_mwh[1, ccgt] == pytest.approx(base * gas[10])
    assert eng.params.cost_per_mwh[0, nuclear] == eng.params.cost_per_mwh[1, nuclear] == 10.0
    exports = len(names) + [c.name for c in sc.consumers].index("exports")
    assert eng.params.value_per_mwh[1, exports] == pytest.approx(40 * gas[10])


def test_scenario_without_data_is_unchanged_by_the_calendar() -> None:
    eng = Engine("small", n_markets=2, keep_ledger=False)
    eng.reset(seed=1)
    assert np.all(eng.state.start == 0) and np.all(np.isnat(eng.dates))
    assert eng.state.fc_err.shape[2] == 1 and eng.split is None


def test_data_profile_errors_name_the_field(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"consumers\[0\].profile.data.*no column 'load'"):
        load_scenario("gb2024", **{"consumers[0].profile.data": "load"})
    with pytest.raises(ScenarioError, match=r"consumers\[0\].profile.data.*exceeds 16000"):
        load_scenario("gb2024", **{"consumers[0].profile.share_frac": 0.5})
    with pytest.raises(ScenarioError, match=r"price_index.*allowed: gas"):
        load_scenario("gb2024", **{"producers[0].price_index": "coal"})
    with pytest.raises(ScenarioError, match="needs the scenario's data section"):
        load_scenario("small", **{"consumers[0].profile": {"data": "nd_mw"}})
    with pytest.raises(ScenarioError, match="12"):
        load_scenario("gb2024", **{"data.price_index": [{"name": "gas", "monthly": [1.0]}]})


def test_visible_forecast_is_what_the_agents_observe() -> None:
    from elecbay_env.envs.parallel import parallel_env
    from elecbay_env.episodes import visible_forecast

    env = parallel_env("gb2024", split="test")
    obs, _ = env.reset(seed=4)
    from elecbay_env.kernels import kinds

    kind = env.engine.params.kind[0]
    rows = np.flatnonzero(np.isin(kind, (kinds.WIND, kinds.SOLAR, kinds.CONSUMER)))
    assert rows.size == 7
    for t in range(3):
        seen = visible_forecast(env.engine.params, env.engine.state, t)[0]
        for i in rows:
            agent = env.possible_agents[i]
            # feature 8 is own_forecast (MW, float32)
            assert obs[agent][8] == pytest.approx(seen[i], rel=1e-6, abs=1e-3), agent
        obs, *_ = env.step({a: np.zeros(env.action_space(a).shape) for a in env.agents})


def test_episode_metrics_need_the_state_on_real_data() -> None:
    from elecbay_evaluate.metrics import EpisodeMetrics

    eng = Engine("gb2024", keep_ledger=False)
    with pytest.raises(ValueError, match="needs the engine's state"):
        EpisodeMetrics(eng.params, eng.agents)
    EpisodeMetrics(eng.params, eng.agents, 0, eng.state)
