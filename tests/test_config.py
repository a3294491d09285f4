"""Tests of elecbay_env.config: shipped scenarios, overrides and readable errors."""

from __future__ import annotations

import copy
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pydantic
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from elecbay_env.config import (
    Consumer,
    CsvProfile,
    Scenario,
    ScenarioError,
    ShapeProfile,
    StorageProducer,
    ThermalProducer,
    load_scenario,
    shipped_scenarios,
)
from elecbay_env.params import build_params, source_periods
from elecbay_env.profiles import load_csv_series, profile_series
from elecbay_env.schema import DataProfile

EXAMPLE_CSV = Path(str(resources.files("elecbay_configs").joinpath("example_load.csv")))


def _thermal(name: str = "ccgt", **kw: Any) -> dict[str, Any]:
    d = {
        "type": "thermal",
        "name": name,
        "technology": "ccgt",
        "capacity_mw": 400.0,
        "min_stable_mw": 160.0,
        "marginal_cost_per_mwh": 55.0,
        "ramp_mw_per_min": 12.0,
    }
    return {**d, **kw}


def _storage(name: str = "battery", **kw: Any) -> dict[str, Any]:
    d = {
        "type": "storage",
        "name": name,
        "power_mw": 50.0,
        "energy_mwh": 100.0,
        "round_trip_efficiency_frac": 0.85,
        "initial_soc_frac": 0.5,
    }
    return {**d, **kw}


def _consumer(name: str = "homes", **kw: Any) -> dict[str, Any]:
    d = {
        "name": name,
        "profile_type": "residential",
        "peak_mw": 300.0,
        "value_per_mwh": 3000.0,
        "forecast_error": {"std_frac": 0.03, "ar1": 0.9},
    }
    return {**d, **kw}


def _base(**kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "name": "t",
        "market": {"days": 1},
        "producers": [
            _thermal(),
            {
                "type": "wind",
                "name": "wind",
                "capacity_mw": 100.0,
                "forecast_error": {"std_frac": 0.05},
            },
            _storage(),
        ],
        "consumers": [_consumer()],
    }
    return {**d, **kw}


def _fails(data: Any, *fragments: str, **overrides: Any) -> ScenarioError:
    """Load ``data``, expect a ScenarioError whose message holds every fragment."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(data, **overrides)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in:\n{message}"
    return info.value


# --------------------------------------------------------------------------- shipped


def test_shipped_scenarios_are_listed() -> None:
    names = shipped_scenarios()
    assert {"default", "small", "csv_profile"} <= set(names)
    assert "demo_book" not in names  # an order book, not a scenario


@pytest.mark.parametrize("name", shipped_scenarios())
def test_every_shipped_scenario_loads(name: str) -> None:
    s = load_scenario(name)
    assert isinstance(s, Scenario)
    assert s.name == name
    assert s.broker.max_utilisation_price_per_mwh is not None
    for c in s.consumers:  # every profile gives a finite series of the right length
        if isinstance(c.load_profile, DataProfile):
            continue  # read from the dataset: checked through build_params below
        series = profile_series(
            c.load_profile, s.market.n_periods, s.market.period_min, None, c.peak_mw
        )
        assert series.shape == (s.market.n_periods,) and np.all(np.isfinite(series))
    table = build_params(s).forecast_mw
    assert table.shape == (len(s.participants) + 1, source_periods(s))
    assert table.shape[1] >= s.market.n_periods and np.all(np.isfinite(table))


def test_default_is_the_embedded_default() -> None:
    assert load_scenario() == load_scenario("default")


def test_default_scenario_is_a_sensible_market() -> None:
    s = load_scenario()
    m = s.market
    assert (m.period_min, m.meter_interval_min, m.days, m.bid_steps) == (30, 5, 7, 4)
    assert m.imbalance_pricing == "gb_single" and m.pricing == "uniform"
    assert (m.periods_per_day, m.meters_per_period, m.n_periods) == (48, 6, 336)
    thermal = [p for p in s.producers if isinstance(p, ThermalProducer)]
    assert len(thermal) >= 4 and len({p.technology for p in thermal}) >= 4
    assert {p.type for p in s.producers} == {"thermal", "wind", "solar", "storage"}
    assert {c.profile_type for c in s.consumers} == {
        "residential",
        "commercial",
        "industrial",
        "ev_fleet",
    }
    demand = sum(
        profile_series(c.load_profile, m.n_periods, m.period_min, None, c.peak_mw)
        for c in s.consumers
    )
    firm = sum(p.capacity_mw for p in thermal)
    renewable = sum(p.capacity_mw for p in s.producers if p.type in ("wind", "solar"))
    assert demand.max() < firm + renewable
    costs = sorted(p.marginal_cost_per_mwh for p in thermal)
    peaker = max(thermal, key=lambda p: p.marginal_cost_per_mwh)
    assert peaker.technology == "ocgt" and 30.0 <= costs[1] and costs[-1] <= 150.0
    # without the peaker, the evening peak cannot be met by firm capacity alone
    assert demand.max() > firm - peaker.capacity_mw


def test_small_scenario_shape() -> None:
    s = load_scenario("small")
    assert [p.type for p in s.producers] == ["thermal", "wind"]
    assert len(s.consumers) == 2 and s.market.days == 1


def test_csv_scenario_reads_the_example_file() -> None:
    s = load_scenario("csv_profile")
    prof = s.consumers[0].profile
    assert isinstance(prof, CsvProfile) and prof.csv.is_absolute()
    series = profile_series(
        prof, s.market.n_periods, s.market.period_min, None, s.consumers[0].peak_mw
    )
    np.testing.assert_array_equal(series, load_csv_series(EXAMPLE_CSV, "load_mw", 30))
    assert series.shape == (96,)


# --------------------------------------------------------------------------- sources


def test_yaml_file_with_relative_csv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "scenarios"
    (folder / "data").mkdir(parents=True)
    shutil.copy(EXAMPLE_CSV, folder / "data" / "load.csv")
    data = _base(
        consumers=[
            _consumer(profile={"csv": "data/load.csv", "column": "load_mw", "resolution_min": 30})
        ]
    )
    (folder / "s.yaml").write_text(yaml.safe_dump(data))
    monkeypatch.chdir(tmp_path)  # the CSV path is relative to the YAML file, not the cwd
    s = load_scenario(folder / "s.yaml")
    assert s.consumers[0].profile.csv == (folder / "data" / "load.csv").resolve()  # type: ignore[union-attr]
    s2 = load_scenario(str(folder / "s.yaml"))
    assert s2 == s


def test_dict_source_is_not_mutated() -> None:
    data = _base()
    before = copy.deepcopy(data)
    load_scenario(data, **{"market.days": 3, "producers[0].capacity_mw": 500})
    assert data == before


def test_round_trip_through_dump() -> None:
    s = load_scenario("default")
    assert load_scenario(s.model_dump(mode="json")) == s
    assert load_scenario(s) == s


def test_scenario_is_frozen_and_hashable() -> None:
    s = load_scenario("small")
    with pytest.raises(pydantic.ValidationError):
        s.market.days = 3  # type: ignore[misc]
    assert hash(s) == hash(load_scenario("small"))


def test_derived_market_properties() -> None:
    m = load_scenario("small", market={"period_min": 15, "meter_interval_min": 3, "days": 2}).market
    assert (m.periods_per_day, m.meters_per_period, m.n_periods) == (96, 5, 192)
    assert (m.period_h, m.meter_h) == (0.25, 0.05)


def test_broker_utilisation_cap_defaults_to_price_cap() -> None:
    assert load_scenario(_base()).broker.max_utilisation_price_per_mwh == 4000.0
    s = load_scenario(_base(), **{"market.price_cap_per_mwh": 3000})
    assert s.broker.max_utilisation_price_per_mwh == 3000.0
    _fails(
        _base(broker={"max_utilisation_price_per_mwh": 5000}),
        "broker.max_utilisation_price_per_mwh = 5000: must be in",
        "[-500, 4000]",
    )


def test_consumer_default_profile_is_its_type() -> None:
    c = load_scenario(_base()).consumers[0]
    assert c.profile is None and c.load_profile == ShapeProfile(shape="residential")


def test_every_field_has_a_description() -> None:
    schema = Scenario.model_json_schema()
    for model_name, model in schema["$defs"].items():
        for field, spec in model["properties"].items():
            assert spec.get("description"), f"{model_name}.{field} has no description"


# --------------------------------------------------------------------------- overrides


def test_dotted_keyword_override() -> None:
    s = load_scenario("small", **{"market.days": 2})
    assert s.market.days == 2 and s.market.n_periods == 96
    assert s.market.period_min == 30  # the rest of market is kept


def test_overrides_mapping_and_nested_dict() -> None:
    a = load_scenario("small", overrides={"market.days": 3, "market.k": 0.25})
    b = load_scenario("small", overrides={"market": {"days": 3, "k": 0.25}})
    c = load_scenario("small", market={"days": 3, "k": 0.25})
    assert a == b == c
    assert a.market.days == 3 and a.market.k == 0.25 and a.market.bid_steps == 4


def test_list_index_overrides() -> None:
    a = load_scenario("small", **{"producers[0].capacity_mw": 500})
    b = load_scenario("small", overrides={"producers.0.capacity_mw": 500})
    assert a == b and a.producers[0].capacity_mw == 500
    c = load_scenario("small", **{"consumers[1].forecast_error": {"std_frac": 0.5}})
    assert (
        c.consumers[1].forecast_error.std_frac == 0.5 and c.consumers[1].forecast_error.ar1 == 0.9
    )


def test_bad_override_index_and_value() -> None:
    _fails(
        "small",
        "override 'producers[7].capacity_mw'",
        "list of 2 entries",
        **{"producers[7].capacity_mw": 1},
    )
    _fails("small", "market.days = 0: must be >= 1", **{"market.days": 0})
    _fails("small", "market.dayz", "did you mean 'days'", **{"market.dayz": 2})


# --------------------------------------------------------------------------- errors


def test_negative_capacity() -> None:
    err = _fails(
        _base(producers=[_thermal(capacity_mw=-5.0, min_stable_mw=0.0)]),
        "producers[0].capacity_mw = -5: must be in (0, 1e+06]",
    )
    assert [p.path for p in err.problems] == ["producers[0].capacity_mw"]


def test_min_stable_above_capacity() -> None:
    _fails(
        _base(producers=[_thermal(), _thermal("b", min_stable_mw=500.0)]),
        "producers[1].min_stable_mw = 500: must be <= capacity_mw (400)",
    )


def test_initial_output_below_min_stable() -> None:
    _fails(
        _base(producers=[_thermal(initial_on=True, initial_output_frac=0.1)]),
        "producers[0].initial_output_frac = 0.1",
        "must be in [0.4, 1]",
    )
    load_scenario(_base(producers=[_thermal(initial_on=False, initial_output_frac=0.0)]))


def test_efficiency_above_one() -> None:
    _fails(
        _base(producers=[_thermal(), _storage(round_trip_efficiency_frac=1.2)]),
        "producers[1].round_trip_efficiency_frac = 1.2: must be in (0, 1]",
    )


def test_storage_soc_bounds() -> None:
    _fails(
        _base(producers=[_storage(min_soc_frac=0.6, max_soc_frac=0.4)]),
        "producers[0].min_soc_frac = 0.6: must be < max_soc_frac (0.4)",
    )
    _fails(
        _base(producers=[_storage(min_soc_frac=0.6)]),
        "producers[0].initial_soc_frac = 0.5: must be in [min_soc_frac, max_soc_frac] = [0.6, 1]",
    )


def test_unknown_asset_type() -> None:
    _fails(
        _base(producers=[_thermal(), {"type": "hydro", "name": "dam"}]),
        "producers[1].type = 'hydro': unknown asset type; allowed: thermal, wind, solar, storage",
    )
    _fails(
        _base(producers=[{"name": "x"}]),
        "producers[0].type: required field is missing; allowed: thermal",
    )


def test_unknown_field_typo() -> None:
    _fails(
        _base(producers=[_thermal(capacity_mwh=3.0)]),
        "producers[0].capacity_mwh = 3: unknown field (did you mean 'capacity_mw'?)",
        "allowed: type, name, technology, capacity_mw",
    )
    _fails(_base(brokr={}), "brokr = {}: unknown field (did you mean 'broker'?)")


@pytest.mark.parametrize("k", [-0.1, 1.5])
def test_k_outside_unit_interval(k: float) -> None:
    _fails(_base(market={"k": k}), f"market.k = {k}: must be in [0, 1]")


def test_floor_not_below_cap() -> None:
    _fails(
        _base(market={"price_floor_per_mwh": 100, "price_cap_per_mwh": 100}),
        "market.price_floor_per_mwh = 100: must be < price_cap_per_mwh (100)",
    )
    _fails(
        _base(market={"initial_price_per_mwh": 5000}),
        "market.initial_price_per_mwh = 5000: must be in",
        "[price_floor_per_mwh, price_cap_per_mwh] = [-500, 4000]",
    )


def test_period_and_meter_divisibility() -> None:
    _fails(
        _base(market={"period_min": 7}),
        "market.period_min = 7: must divide 1440",
        "allowed: 1, 2, 3, 4, 5, 6, 8",
    )
    _fails(
        _base(market={"meter_interval_min": 7}),
        "market.meter_interval_min = 7: must divide period_min (30)",
        "allowed: 1, 2, 3, 5, 6, 10, 15, 30",
    )
    _fails(_base(market={"days": 10**6}), "market.days = 1000000", "must be <= 20833")


def test_literal_values_are_listed() -> None:
    _fails(
        _base(market={"pricing": "pay-as-bid"}),
        "market.pricing = 'pay-as-bid'",
        "'uniform' or 'pay_as_bid'",
    )
    # the first version's 'single' is now 'legacy_single'
    _fails(
        _base(market={"imbalance_pricing": "single"}),
        "market.imbalance_pricing = 'single'",
        "'gb_single', 'dual', 'legacy_dual' or 'legacy_single'",
    )


def test_imbalance_and_profile_rules() -> None:
    m = load_scenario(_base()).market
    assert m.imbalance_pricing == "gb_single"  # the schema's default
    assert (m.schedule_ramp_min, m.ramp_min) == (None, m.period_min)  # the whole period
    assert (m.dmat_mwh, m.par_mwh, m.residual_reallocation) == (0.1, 1.0, True)
    flat = load_scenario(_base(market={"days": 1, "schedule_ramp_min": 0})).market
    assert flat.ramp_min == 0
    _fails(
        _base(market={"days": 1, "schedule_ramp_min": 31}),
        "market.schedule_ramp_min = 31: must be in [0, period_min] = [0, 30] minutes, or null",
    )
    _fails(_base(market={"days": 1, "par_mwh": 0.0}), "market.par_mwh = 0")
    _fails(_base(market={"days": 1, "dmat_mwh": -1.0}), "market.dmat_mwh = -1")


def test_shifted_value_at_most_the_value() -> None:
    c = load_scenario(_base()).consumers[0]
    assert c.shifted_value_per_mwh == 0.0
    ok = load_scenario(_base(consumers=[_consumer(shifted_value_per_mwh=3000.0)]))
    assert ok.consumers[0].shifted_value_per_mwh == 3000.0
    _fails(
        _base(consumers=[_consumer(shifted_value_per_mwh=3000.5)]),
        "consumers[0].shifted_value_per_mwh = 3000.5: must be in [0, value_per_mwh] = [0, 3000]",
    )


def test_broker_reserve_rule_parameters() -> None:
    b = load_scenario(_base()).broker
    assert (b.reserve_z, b.largest_loss_frac, b.ramp_frac) == (2.0, 1.0, 0.25)
    _fails(_base(broker={"largest_loss_frac": 1.5}), "broker.largest_loss_frac = 1.5")
    _fails(_base(broker={"ramp_frac": -0.1}), "broker.ramp_frac = -0.1")


def test_duplicate_names() -> None:
    err = _fails(
        _base(consumers=[_consumer("ccgt")]),
        "consumers[0].name = 'ccgt': duplicate of producers[0].name",
    )
    assert len(err.problems) == 1


def test_zone_must_exist() -> None:
    _fails(
        _base(consumers=[_consumer(zone=1)]),
        "consumers[0].zone = 1: must be in [0, 0] (market.zones)",
    )
    load_scenario(_base(market={"zones": 2}, consumers=[_consumer(zone=1)]))


def test_empty_lists_and_missing_fields() -> None:
    _fails(_base(consumers=[]), "consumers = []: must list at least one consumer")
    _fails(_base(producers=[]), "producers = []: must list at least one producer")
    data = _base()
    del data["producers"][0]["capacity_mw"]
    _fails(data, "producers[0].capacity_mw: required field is missing")


def test_profile_needs_shape_or_csv() -> None:
    _fails(
        _base(consumers=[_consumer(profile={"scale_frac": 0.5})]),
        "consumers[0].profile = {'scale_frac': 0.5}: a profile needs exactly one of 'shape'",
    )
    _fails(
        _base(consumers=[_consumer(profile={"shape": "residental"})]),
        "consumers[0].profile.shape = 'residental'",
        "'residential'",
    )


def test_many_problems_one_line_each() -> None:
    err = _fails(
        _base(
            market={"k": 2, "bid_steps": 40},
            producers=[_thermal(capacity_mw=0, ramp_mw_per_min=-1)],
        ),
        "(4 problems)",
    )
    lines = str(err).splitlines()
    assert len(lines) == 5 and lines[0].startswith("invalid scenario <dict>")
    assert {p.path for p in err.problems} == {
        "market.k",
        "market.bid_steps",
        "producers[0].capacity_mw",
        "producers[0].ramp_mw_per_min",
    }


def _csv_scenario(tmp_path: Path, text: str, **profile: Any) -> Path:
    (tmp_path / "load.csv").write_text(text)
    prof = {"csv": "load.csv", "column": "mw", "resolution_min": 30, **profile}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(_base(consumers=[_consumer(profile=prof)])))
    return path


def test_csv_gap_names_field_file_and_row(tmp_path: Path) -> None:
    path = _csv_scenario(tmp_path, "t,mw\n0,10\n1,\n2,12\n")
    err = _fails(path, "consumers[0].profile.csv", "load.csv: column 'mw', row 2 (line 3)", "gap")
    assert err.problems[0].path == "consumers[0].profile.csv"


def test_csv_missing_column(tmp_path: Path) -> None:
    path = _csv_scenario(tmp_path, "t,load\n0,10\n")
    _fails(path, "consumers[0].profile.csv", "no column 'mw'; available columns: 't', 'load'")


def test_csv_bad_resolution(tmp_path: Path) -> None:
    path = _csv_scenario(tmp_path, "mw\n1\n2\n", resolution_min=45)
    _fails(
        path, "consumers[0].profile.csv", "resolution_min = 45 neither divides nor is a multiple"
    )


def test_csv_missing_file(tmp_path: Path) -> None:
    path = _csv_scenario(tmp_path, "mw\n1\n")
    (tmp_path / "load.csv").unlink()
    _fails(path, "consumers[0].profile.csv", "load.csv: CSV profile file not found")


def test_yaml_syntax_error_names_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nmarket: {days: 2\nproducers: []\n")
    _fails(path, "broken.yaml", "YAML error at line")


def test_yaml_duplicate_key(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("name: x\nmarket: {days: 2}\nmarket: {days: 3}\n")
    _fails(path, "dup.yaml", "duplicate key 'market'", "line 3")


def test_missing_file_and_unknown_name(tmp_path: Path) -> None:
    _fails(tmp_path / "none.yaml", "none.yaml", "not found")
    _fails(
        "no_such_scenario",
        "'no_such_scenario' not found",
        "shipped: constraint, csv_profile, default, flexibility, gb2024, small",
    )


def test_top_level_must_be_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n")
    _fails(path, "list.yaml", "top level must be a mapping", "not a list")
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    _fails(empty, "empty.yaml': empty scenario file")


def test_non_scenario_shipped_yaml_fails_clearly() -> None:
    _fails("demo_book", "invalid scenario 'demo_book'", "producers: required field is missing")


# --------------------------------------------------------------------------- hypothesis

_fracs = st.floats(0.0, 1.0)
_pos = st.floats(0.1, 5000.0)


@st.composite
def _valid_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    period = draw(st.sampled_from([5, 10, 15, 30, 60, 120]))
    meter = draw(st.sampled_from([d for d in range(1, period + 1) if period % d == 0]))
    floor = draw(st.floats(-1000.0, 0.0))
    cap = draw(st.floats(floor + 1.0, 10000.0))
    market = {
        "period_min": period,
        "meter_interval_min": meter,
        "days": draw(st.integers(1, 3)),
        "bid_steps": draw(st.integers(1, 16)),
        "k": draw(_fracs),
        "pricing": draw(st.sampled_from(["uniform", "pay_as_bid"])),
        "price_floor_per_mwh": floor,
        "price_cap_per_mwh": cap,
        "initial_price_per_mwh": draw(st.floats(floor, cap)),
        "imbalance_pricing": draw(
            st.sampled_from(["gb_single", "dual", "legacy_dual", "legacy_single"])
        ),
        "schedule_ramp_min": draw(st.none() | st.integers(0, period)),
        "dmat_mwh": draw(st.floats(0.0, 10.0)),
        "par_mwh": draw(st.floats(0.001, 100.0)),
        "residual_reallocation": draw(st.booleans()),
    }
    producers: list[dict[str, Any]] = []
    for i, kind in enumerate(
        draw(
            st.lists(
                st.sampled_from(["thermal", "wind", "solar", "storage"]), min_size=1, max_size=5
            )
        )
    ):
        name = f"p{i}"
        if kind == "thermal":
            capacity = draw(_pos)
            low_frac = draw(_fracs)
            on = draw(st.booleans())
            producers.append(
                _thermal(
                    name,
                    capacity_mw=capacity,
                    min_stable_mw=low_frac * capacity,
                    initial_on=on,
                    initial_output_frac=draw(st.floats(low_frac, 1.0)) if on else 0.0,
                    forced_outage_prob_per_period=draw(st.floats(0.0, 0.99)),
                )
            )
        elif kind == "storage":
            lo = draw(st.floats(0.0, 0.5))
            hi = draw(st.floats(lo + 0.01, 1.0))
            producers.append(
                _storage(
                    name,
                    min_soc_frac=lo,
                    max_soc_frac=hi,
                    initial_soc_frac=draw(st.floats(lo, hi)),
                    round_trip_efficiency_frac=draw(st.floats(0.01, 1.0)),
                )
            )
        else:
            shape = draw(st.sampled_from(["wind", "solar", "flat"]))
            producers.append(
                {
                    "type": kind,
                    "name": name,
                    "capacity_mw": draw(_pos),
                    "profile": {"shape": shape, "scale_frac": draw(st.floats(0.01, 1.0))},
                    "forecast_error": {"std_frac": draw(_fracs), "ar1": draw(st.floats(0.0, 0.99))},
                }
            )
    consumers = [
        _consumer(
            f"c{i}",
            profile_type=t,
            peak_mw=draw(_pos),
            flexible_frac=draw(_fracs),
            shifted_value_per_mwh=draw(st.floats(0.0, 3000.0)),
        )
        for i, t in enumerate(
            draw(
                st.lists(
                    st.sampled_from(["residential", "commercial", "industrial", "ev_fleet"]),
                    min_size=1,
                    max_size=4,
                )
            )
        )
    ]
    return {"name": "random", "market": market, "producers": producers, "consumers": consumers}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_valid_scenarios())
def test_random_valid_scenarios_load(data: dict[str, Any]) -> None:
    s = load_scenario(data)
    assert len(s.producers) == len(data["producers"]) and len(s.consumers) == len(data["consumers"])
    assert s.market.n_periods == data["market"]["days"] * 1440 // data["market"]["period_min"]
    assert all(isinstance(c, Consumer) for c in s.consumers)
    assert [p.type for p in s.producers] == [p["type"] for p in data["producers"]]
    for got, given_ in zip(s.producers, data["producers"], strict=True):
        if isinstance(got, StorageProducer):
            assert got.initial_soc_frac == given_["initial_soc_frac"]
        elif isinstance(got, ThermalProducer):
            assert got.min_stable_mw == given_["min_stable_mw"] <= got.capacity_mw
    assert s.model_dump(mode="json")["market"] == {**s.market.model_dump(), **data["market"]}


_OUT_OF_RANGE = [
    (
        "market.k",
        st.one_of(st.floats(max_value=-1e-9), st.floats(min_value=1.000001)),
        "must be in [0, 1]",
    ),
    (
        "market.bid_steps",
        st.one_of(st.integers(max_value=0), st.integers(min_value=17)),
        "must be in [1, 16]",
    ),
    ("market.days", st.integers(max_value=0), "must be >= 1"),
    ("market.value_of_lost_load_per_mwh", st.floats(max_value=0.0), "must be in (0, 1e+07]"),
    (
        "market.grace_factor_frac",
        st.one_of(st.floats(max_value=-1e-9), st.floats(min_value=1.0)),
        "must be in [0, 1)",
    ),
    ("producers[0].capacity_mw", st.floats(max_value=0.0), "must be in (0, 1e+06]"),
    ("producers[0].ramp_mw_per_min", st.floats(max_value=0.0), "must be in (0, 1e+06]"),
    ("producers[0].forced_outage_prob_per_period", st.floats(min_value=1.0), "must be in [0, 1)"),
    ("producers[1].forecast_error.std_frac", st.floats(min_value=1.000001), "must be in [0, 1]"),
    (
        "producers[2].round_trip_efficiency_frac",
        st.one_of(st.floats(max_value=0.0), st.floats(min_value=1.000001)),
        "must be in (0, 1]",
    ),
    (
        "consumers[0].flexible_frac",
        st.one_of(st.floats(max_value=-1e-9), st.floats(min_value=1.000001)),
        "must be in [0, 1]",
    ),
    ("consumers[0].value_per_mwh", st.floats(max_value=0.0), "must be in (0, 1e+07]"),
    ("broker.reserve_z", st.floats(max_value=-1e-9), "must be in [0, 100]"),
]


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_random_out_of_range_values_name_the_field(data: st.DataObject) -> None:
    path, values, rule = data.draw(st.sampled_from(_OUT_OF_RANGE))
    value = data.draw(values.filter(lambda v: abs(v) < 1e300))
    with pytest.raises(ScenarioError) as info:
        load_scenario(_base(), **{path: value})
    assert [p.path for p in info.value.problems] == [path]
    assert info.value.problems[0].value == value
    assert f"{path} = " in str(info.value) and rule in str(info.value)
