"""Every bad input is refused with the argument named, and leaves the state unchanged."""

from __future__ import annotations

import numpy as np
import pytest

from elecbay_env.clearing import clear, clear_batch
from elecbay_env.config import ScenarioError, load_scenario
from elecbay_env.engine import Engine


def _ok_book():
    return [30.0, 20.0], [1.0, 1.0], [10.0, 25.0], [1.0, 1.0]


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"bid_qty": [1e308, 1e308]}, "bid_qty[0]=1e+308: allowed range is [0, 1e+09] MW"),
        ({"ask_qty": [1.0, 2e9]}, "ask_qty[1]=2000000000.0"),
        ({"ask_qty": np.array([1.0, 1.0 + 2j])}, "ask_qty: expected real numbers"),
        ({"bid_price": [30.0, 1j]}, "bid_price: expected real numbers"),
        ({"k": 0.5 + 0j}, "k: expected real numbers"),
        ({"price_cap": 1e300}, "price_cap=1e+300: allowed range is [-1e+09, 1e+09]"),
    ],
)
def test_clear_refuses_overflowing_and_complex_inputs(change, needle) -> None:
    bp, bq, ap, aq = _ok_book()
    kwargs = {"bid_price": bp, "bid_qty": bq, "ask_price": ap, "ask_qty": aq, **change}
    with pytest.raises(ValueError) as info:
        clear(**kwargs)
    assert needle in str(info.value)


@pytest.mark.parametrize(
    ("change", "name"),
    [
        ({"k": "x"}, "k="),
        ({"price_floor": "low"}, "price_floor="),
        ({"price_cap": [1.0]}, "price_cap:"),
        ({"n_bids": "2"}, "n_bids:"),
        ({"n_asks": np.array([1.5, 1.0])}, "n_asks:"),
        ({"pricing": ["uniform"]}, "pricing="),
        ({"bid_qty": np.full((2, 2), 1e300)}, "bid_qty[0, 0]"),
        ({"ask_price": np.ones((2, 2), complex)}, "ask_price:"),
    ],
)
def test_every_clear_batch_error_names_its_argument(change, name) -> None:
    ones = np.ones((2, 2))
    kwargs = {"bid_price": ones * 30, "bid_qty": ones, "ask_price": ones, "ask_qty": ones}
    with pytest.raises(ValueError) as info:
        clear_batch(**{**kwargs, **change})
    assert str(info.value).startswith(name)


def test_engine_orders_with_overflowing_quantities_are_refused() -> None:
    eng = Engine("small", n_markets=1)
    eng.reset(seed=0)
    orders = eng.empty_orders()
    orders.step_qty[0, 0, :] = 1e308  # a producer's steps: sums would overflow
    t_before = eng.state.t.copy()
    with pytest.raises(ValueError, match=r"step_qty\[market 0, producer_0, 0\]=1e\+308"):
        eng.step(orders)
    assert np.array_equal(eng.state.t, t_before)
    orders = eng.empty_orders()
    orders.res_avail[0, 0, 0] = 1e200
    with pytest.raises(ValueError, match=r"res_avail.*at most 1e\+09"):
        eng.step(orders)


def test_env_refuses_complex_actions() -> None:
    from elecbay_env.envs.parallel import parallel_env

    env = parallel_env("small")
    env.reset(seed=0)
    actions = {a: np.zeros(env.action_space(a).shape, complex) for a in env.agents}
    with pytest.raises(ValueError, match=r"actions\['producer_0'\]: expected real numbers"):
        env.step(actions)


@pytest.mark.parametrize(
    ("path", "value", "rule"),
    [
        ("market.value_of_lost_load_per_mwh", 1e308, "must be in (0, 1e+07]"),
        ("market.price_cap_per_mwh", 1e12, "must be in [-1e+07, 1e+07]"),
        ("market.price_floor_per_mwh", -1e12, "must be in [-1e+07, 1e+07]"),
        ("producers[0].capacity_mw", 1e9, "must be in (0, 1e+06]"),
        ("consumers[0].peak_mw", 1e300, "must be in (0, 1e+06]"),
    ],
)
def test_extreme_scenario_values_are_bounded(path, value, rule) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario("small", **{path: value})
    assert f"{path} = " in str(info.value) and rule in str(info.value)


@pytest.mark.parametrize("seed", [1.5, 2.0, True, "3", np.float64(1.0)])
def test_seeds_must_be_integers(seed) -> None:
    eng = Engine("small", n_markets=2)
    with pytest.raises(ValueError, match=r"^seed="):
        eng.reset(seed=seed)
    with pytest.raises(ValueError, match=r"^seed\[1\]="):
        eng.reset(seed=[0, seed])


def test_numpy_integer_seeds_work_and_match_python_ints() -> None:
    a, b = Engine("small"), Engine("small")
    a.reset(seed=np.int32(7))
    b.reset(seed=7)
    assert np.array_equal(a.draws.next().z, b.draws.next().z)


def test_env_reset_refuses_a_float_seed() -> None:
    from elecbay_env.envs.parallel import parallel_env

    env = parallel_env("small")
    with pytest.raises(ValueError, match=r"seed=1\.5: expected an integer"):
        env.reset(seed=1.5)


def _snapshot(eng: Engine):
    state = {k: np.copy(v) for k, v in eng.state._asdict().items()}
    return state, eng.draws._pos.copy()


@pytest.mark.parametrize(
    ("mask", "seeds", "needle"),
    [
        (np.array([True, False]), [5], "mask: expected shape (3,)"),
        (np.array([1, 0, 1]), [5, 6], "mask: expected a bool array"),
        (np.array([True, False, True]), [5], "seeds: expected 2 seeds"),
        (np.array([True, False, True]), [5, 1.5], "seeds[1]=1.5"),
    ],
)
def test_reset_markets_checks_everything_before_any_change(mask, seeds, needle) -> None:
    eng = Engine("small", n_markets=3)
    twin = Engine("small", n_markets=3)
    for e in (eng, twin):
        e.reset(seed=11)
        e.step(e.empty_orders())
    state, pos = _snapshot(eng)
    with pytest.raises(ValueError) as info:
        eng.reset_markets(mask, seeds)
    assert needle in str(info.value)
    after, pos_after = _snapshot(eng)
    assert np.array_equal(pos, pos_after)
    for k, v in state.items():
        assert np.array_equal(v, after[k], equal_nan=True), k
    # the generators were not reseeded: the next draws equal the untouched twin's
    assert np.array_equal(eng.draws.next().z, twin.draws.next().z)


def test_reset_markets_still_works() -> None:
    eng = Engine("small", n_markets=3)
    eng.reset(seed=0)
    eng.step(eng.empty_orders())
    eng.reset_markets(np.array([False, True, False]), [4])
    assert list(eng.state.t) == [1, 0, 1]


def test_profile_csv_numbers_are_strict_and_headers_unique(tmp_path) -> None:
    from elecbay_env.profiles import ProfileError, load_csv_series

    path = tmp_path / "p.csv"
    path.write_text("load\n1\n1_0\n")
    with pytest.raises(ProfileError, match=r"'1_0' is not a number"):
        load_csv_series(path, "load", 30)
    path.write_text("load,load\n1,2\n")
    with pytest.raises(ProfileError, match=r"duplicate column 'load'"):
        load_csv_series(path, "load", 30)
    path.write_text("load\n1\n2.5e1\n")
    assert list(load_csv_series(path, "load", 30)) == [1.0, 25.0]


def test_dataset_headers_unique_and_numbers_strict(tmp_path) -> None:
    from elecbay_env.datasets import load_dataset
    from elecbay_env.profiles import ProfileError

    path = tmp_path / "d.csv"
    path.write_text("time,x,x\n2024-01-01T00:00,1,2\n2024-01-01T00:30,1,2\n")
    with pytest.raises(ProfileError, match=r"duplicate column 'x'"):
        load_dataset(path)
    rows = [f"2024-01-01T{h:02d}:{m:02d},{'1_0' if h == 5 else 1}" for h in range(24)
            for m in (0, 30)]  # fmt: skip
    path.write_text("time,x\n" + "\n".join(rows) + "\n")
    with pytest.raises(ProfileError, match=r"'1_0' is not a number"):
        load_dataset(path, "time").column("x")
