"""Tests of elecbay_env.profiles: daily shapes, CSV series, resampling and tiling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elecbay_env.config import CsvProfile, ShapeProfile
from elecbay_env.profiles import (
    SHAPE_NAMES,
    ProfileError,
    daily_shape,
    load_csv_series,
    profile_series,
    resample_to_period,
    wind_weather_factor,
)

PERIODS_PER_DAY = (1, 24, 48, 96, 288)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- shapes


@pytest.mark.parametrize("name", SHAPE_NAMES)
@pytest.mark.parametrize("ppd", PERIODS_PER_DAY)
def test_shape_in_unit_interval_with_peak_one(name: str, ppd: int) -> None:
    s = daily_shape(name, ppd)
    assert s.shape == (ppd,)
    assert s.dtype == np.float64
    assert np.all(s >= 0.0) and np.all(s <= 1.0)
    assert s.max() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("name", sorted(set(SHAPE_NAMES) - {"flat"}))
def test_shapes_vary_over_the_day(name: str) -> None:
    s = daily_shape(name, 48)
    assert s.min() < 0.9, f"{name} should not be flat"


def test_flat_is_all_ones() -> None:
    np.testing.assert_array_equal(daily_shape("flat", 48), np.ones(48))


def test_solar_zero_at_night_positive_at_noon() -> None:
    s = daily_shape("solar", 48)  # period p covers hours [p/2, p/2 + 0.5)
    night = np.r_[0:12, 36:48]  # 00:00-06:00 and 18:00-24:00
    np.testing.assert_array_equal(s[night], 0.0)
    assert np.all(s[12:36] > 0.0)
    assert s[23] == s[24] == 1.0  # symmetric about solar noon
    np.testing.assert_allclose(s[12:24], s[24:36][::-1], atol=1e-12)


def test_residential_has_morning_and_higher_evening_peak() -> None:
    s = daily_shape("residential", 24)
    night, morning, evening = s[3], s[7:9].max(), s[17:20].max()
    assert int(np.argmax(s)) in (17, 18, 19)
    assert evening == 1.0 > morning > night
    assert morning > s[10]  # a dip after the morning peak
    assert night < 0.4


def test_commercial_and_industrial_peak_in_working_hours() -> None:
    com, ind = daily_shape("commercial", 24), daily_shape("industrial", 24)
    assert com[12] > 0.95 and com[2] < 0.3
    assert ind[12] == pytest.approx(1.0, abs=1e-3) and 0.7 < ind[2] < 0.8


def test_ev_fleet_peaks_in_the_evening() -> None:
    s = daily_shape("ev_fleet", 24)
    assert int(np.argmax(s)) in (19, 20, 21)
    assert s[8] < 0.1


@pytest.mark.parametrize("name", SHAPE_NAMES)
def test_coarser_shape_is_mean_of_finer_periods(name: str) -> None:
    fine = daily_shape(name, 48)
    pairs = fine.reshape(24, 2).mean(axis=1)
    np.testing.assert_allclose(daily_shape(name, 24), pairs / pairs.max(), atol=1e-12)


def test_daily_shape_returns_an_independent_copy() -> None:
    a = daily_shape("residential", 48)
    a[:] = -1.0
    assert daily_shape("residential", 48).min() >= 0.0


def test_unknown_shape_lists_allowed_names() -> None:
    with pytest.raises(ProfileError, match=r"unknown profile shape 'hydro'.*residential"):
        daily_shape("hydro", 48)


@pytest.mark.parametrize("ppd", [0, 7, -48, 2.5, True])
def test_periods_per_day_must_divide_a_day(ppd: object) -> None:
    with pytest.raises(ProfileError, match="periods_per_day"):
        daily_shape("flat", ppd)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- profile_series


def test_shape_series_tiles_daily_and_scales() -> None:
    prof = ShapeProfile(shape="residential", scale_frac=0.5)
    out = profile_series(prof, 48 * 3 + 5, 30, None, 200.0)
    assert out.shape == (149,)
    day = daily_shape("residential", 48) * 100.0
    np.testing.assert_allclose(out[:48], day)
    np.testing.assert_allclose(out[48:96], day)
    np.testing.assert_allclose(out[144:], day[:5])


def test_wind_series_is_deterministic_and_varies_day_to_day() -> None:
    prof = ShapeProfile(shape="wind")
    a = profile_series(prof, 48 * 10, 30, None, 700.0, seed=3)
    b = profile_series(prof, 48 * 10, 30, None, 700.0, seed=3)
    c = profile_series(prof, 48 * 10, 30, None, 700.0, seed=4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.all(a >= 0.0) and np.all(a <= 700.0)
    daily_means = a.reshape(10, 48).mean(axis=1)
    assert daily_means.std() > 10.0  # weather moves the daily mean by tens of MW
    assert np.abs(np.diff(a)).max() < 0.1 * 700.0  # but slowly: no jump at midnight


def test_wind_weather_factor_bounds_and_mean() -> None:
    f = wind_weather_factor(48 * 2000, 48, seed=0)
    assert f.shape == (96000,)
    assert f.min() >= 0.05 and f.max() <= 1.0
    assert f.mean() == pytest.approx(0.40, abs=0.03)


# --------------------------------------------------------------------------- CSV loading


def test_load_csv_series_reads_one_column(tmp_path: Path) -> None:
    f = _write(tmp_path / "s.csv", "\ufefftime, load_mw ,x\n0,1.5,a\n1,2,b\n2, 3.25 ,c\n\n\n")
    np.testing.assert_array_equal(load_csv_series(f, "load_mw", 30), [1.5, 2.0, 3.25])


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"nope\.csv: CSV profile file not found"):
        load_csv_series(tmp_path / "nope.csv", "mw", 30)


def test_missing_column_lists_available(tmp_path: Path) -> None:
    f = _write(tmp_path / "s.csv", "time,load\n0,1\n")
    with pytest.raises(
        ProfileError, match=r"s\.csv: no column 'mw'; available columns: 'time', 'load'"
    ):
        load_csv_series(f, "mw", 30)


@pytest.mark.parametrize(
    ("cell", "what"),
    [
        ("", "empty or NaN"),
        ("NaN", "empty or NaN"),
        ("nan", "empty or NaN"),
        ("NA", "empty or NaN"),
    ],
)
def test_gap_names_first_gap_row(tmp_path: Path, cell: str, what: str) -> None:
    f = _write(tmp_path / "g.csv", f"t,mw\n0,1\n1,2\n2,{cell}\n3,\n")
    with pytest.raises(ProfileError, match=rf"g\.csv: column 'mw', row 3 \(line 4\): {what}"):
        load_csv_series(f, "mw", 30)


def test_short_row_is_a_gap(tmp_path: Path) -> None:
    f = _write(tmp_path / "g.csv", "t,mw\n0,1\n1\n")
    with pytest.raises(ProfileError, match=r"row 2 \(line 3\).*gap"):
        load_csv_series(f, "mw", 30)


def test_non_numeric_value_is_named(tmp_path: Path) -> None:
    f = _write(tmp_path / "n.csv", "mw\n1\n2\nabc\n")
    with pytest.raises(
        ProfileError, match=r"n\.csv: column 'mw', row 3 \(line 4\): 'abc' is not a number"
    ):
        load_csv_series(f, "mw", 30)


def test_negative_and_infinite_values_fail(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"row 2 .*negative value -4"):
        load_csv_series(_write(tmp_path / "a.csv", "mw\n1\n-4\n"), "mw", 30)
    with pytest.raises(ProfileError, match=r"row 1 .*'inf' is not a finite number"):
        load_csv_series(_write(tmp_path / "b.csv", "mw\ninf\n"), "mw", 30)


def test_empty_and_header_only_files_fail(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="empty CSV file"):
        load_csv_series(_write(tmp_path / "e.csv", "\n\n"), "mw", 30)
    with pytest.raises(ProfileError, match="no data rows"):
        load_csv_series(_write(tmp_path / "h.csv", "mw\n"), "mw", 30)


@pytest.mark.parametrize("res", [0, -30, 2.5])
def test_bad_resolution_argument(tmp_path: Path, res: object) -> None:
    with pytest.raises(ProfileError, match="resolution_min"):
        load_csv_series(_write(tmp_path / "r.csv", "mw\n1\n"), "mw", res)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- resampling


def test_resample_finer_averages_hand_computed() -> None:
    five_min = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 9.0, 0.0, 0.0, 0.0, 0.0, 0.0, 6.0])
    # (1+2+3+4+5+9)/6 = 4, (0+0+0+0+0+6)/6 = 1
    np.testing.assert_array_equal(resample_to_period(five_min, 5, 30), [4.0, 1.0])
    np.testing.assert_array_equal(
        resample_to_period(np.array([1.0, 3.0, 5.0, 7.0]), 15, 30), [2.0, 6.0]
    )


def test_resample_coarser_repeats() -> None:
    hourly = np.array([10.0, 20.0])
    np.testing.assert_array_equal(resample_to_period(hourly, 60, 30), [10.0, 10.0, 20.0, 20.0])
    np.testing.assert_array_equal(resample_to_period(hourly, 60, 15), np.repeat(hourly, 4))


def test_resample_equal_is_a_copy() -> None:
    x = np.array([1.0, 2.0])
    y = resample_to_period(x, 30, 30)
    y[0] = 9.0
    assert x[0] == 1.0


def test_resample_rejects_incompatible_resolution() -> None:
    with pytest.raises(ProfileError, match="resolution_min = 45 neither divides nor is a multiple"):
        resample_to_period(np.ones(4), 45, 30)
    with pytest.raises(ProfileError, match="5 rows at 15 min do not fill whole 30-min periods"):
        resample_to_period(np.ones(5), 15, 30)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.floats(0.0, 1e4), min_size=1, max_size=20),
    res=st.sampled_from([5, 10, 15, 30, 60, 120]),
    period=st.sampled_from([5, 10, 15, 30, 60]),
)
def test_resampling_keeps_energy(values: list[float], res: int, period: int) -> None:
    if res % period and period % res:
        return
    x = np.asarray(values)
    if res < period:
        x = np.resize(x, len(x) * (period // res))  # whole periods
    y = resample_to_period(x, res, period)
    assert y.sum() * period == pytest.approx(x.sum() * res, rel=1e-9, abs=1e-6)


# --------------------------------------------------------------------------- CSV series


def _csv_profile(tmp_path: Path, rows: list[float], res: int, scale: str) -> CsvProfile:
    body = "\n".join(f"{v}" for v in rows)
    _write(tmp_path / "p.csv", f"mw\n{body}\n")
    return CsvProfile(csv=Path("p.csv"), column="mw", resolution_min=res, scale=scale)  # type: ignore[arg-type]


def test_csv_series_tiles_when_shorter(tmp_path: Path) -> None:
    prof = _csv_profile(tmp_path, [1.0, 2.0, 3.0, 4.0], 360, "mw")  # one day at 6 h
    out = profile_series(prof, 48 * 2 + 3, 30, tmp_path, 10.0)
    day = np.repeat([1.0, 2.0, 3.0, 4.0], 12)
    np.testing.assert_array_equal(out, np.concatenate([day, day, day[:3]]))


def test_csv_series_cut_when_longer(tmp_path: Path) -> None:
    prof = _csv_profile(tmp_path, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 15, "mw")
    np.testing.assert_array_equal(profile_series(prof, 2, 30, tmp_path, 10.0), [1.5, 3.5])


def test_csv_scales(tmp_path: Path) -> None:
    peak = _csv_profile(tmp_path, [2.0, 4.0], 30, "peak")
    np.testing.assert_allclose(profile_series(peak, 2, 30, tmp_path, 100.0), [50.0, 100.0])
    frac = _csv_profile(tmp_path, [0.25, 0.5], 30, "capacity_frac")
    np.testing.assert_allclose(profile_series(frac, 2, 30, tmp_path, 100.0), [25.0, 50.0])
    mw = _csv_profile(tmp_path, [20.0, 40.0], 30, "mw")
    np.testing.assert_allclose(profile_series(mw, 2, 30, tmp_path, 100.0), [20.0, 40.0])


def test_csv_scale_limits_name_the_row(tmp_path: Path) -> None:
    frac = _csv_profile(tmp_path, [0.5, 1.2], 30, "capacity_frac")
    with pytest.raises(ProfileError, match=r"row 2 \(line 3\): value 1.2 exceeds 1"):
        profile_series(frac, 2, 30, tmp_path, 100.0)
    mw = _csv_profile(tmp_path, [50.0, 150.0], 30, "mw")
    with pytest.raises(ProfileError, match=r"row 2 .*value 150 exceeds 100"):
        profile_series(mw, 2, 30, tmp_path, 100.0)
    zeros = _csv_profile(tmp_path, [0.0, 0.0], 30, "peak")
    with pytest.raises(ProfileError, match="every value is 0"):
        profile_series(zeros, 2, 30, tmp_path, 100.0)


def test_relative_csv_path_uses_base_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prof = _csv_profile(tmp_path, [1.0], 30, "mw")
    monkeypatch.chdir(tmp_path.parent)
    with pytest.raises(ProfileError, match="not found"):
        profile_series(prof, 1, 30, None, 10.0)
    assert profile_series(prof, 1, 30, tmp_path, 10.0).tolist() == [1.0]


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 400), ppd=st.sampled_from([24, 48, 96]), name=st.sampled_from(SHAPE_NAMES))
def test_series_length_and_bounds(n: int, ppd: int, name: str) -> None:
    out = profile_series(ShapeProfile(shape=name), n, 1440 // ppd, None, 50.0)  # type: ignore[arg-type]
    assert out.shape == (n,)
    assert np.all(out >= 0.0) and np.all(out <= 50.0 + 1e-9)
