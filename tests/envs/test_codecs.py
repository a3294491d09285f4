"""Codecs: ``Box[-1, 1]`` actions <-> physical bids, per role.

Covers :mod:`elecbay_env.envs.codecs`: the decoded ranges are the documented ones
(computed here from the scenario, not from the codec); ``encode(decode(a)) == a`` for
every action in [-1, 1]^A and ``decode(encode(b)) == b`` for every bid within the
ranges (hypothesis), for each role (thermal, wind, solar, storage, consumer, broker);
actions outside [-1, 1] decode like their clipped values and bids outside the ranges
encode like their clipped values; the all-rows :class:`Codec` and the one-agent
:class:`AgentCodec` agree; decoded actions are orders the engine accepts.

Tolerances: ``AgentCodec.encode`` returns float32 (the action space's dtype), so a
round trip through it is exact up to float32 rounding: 1e-6 in action units, and
``1e-7 x (hi - lo)`` in decoded units. ``Codec.encode`` keeps float64.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from elecbay_env import parallel_env
from elecbay_env.envs.codecs import STEP_SLACK, AgentCodec, BrokerBids, Codec, TraderBids
from elecbay_env.kernels import kinds
from elecbay_env.orders import validate_orders

CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# (scenario, price_range, avail_hi): the shipped default with the default ranges, and the
# small scenario with a narrower price range and availability cap.
SETUPS = {
    "default": (str(CONFIG_DIR / "default.yaml"), None, 200.0),
    "small-narrow": (str(CONFIG_DIR / "small.yaml"), (-50.0, 300.0), 30.0),
}
# One agent of each role/kind in the default scenario (see configs/default.yaml).
ROLE_AGENTS = {
    "thermal": "producer_1",
    "wind": "producer_5",
    "solar": "producer_6",
    "storage": "producer_7",
    "consumer": "consumer_0",
    "broker": "broker_0",
}


@cache
def _env(setup: str):
    config, price_range, avail_hi = SETUPS[setup]
    return parallel_env(config, price_range=price_range, avail_hi=avail_hi, **{"market.days": 1})


def _codec(setup: str, agent: str) -> AgentCodec:
    return _env(setup).codec_for(agent)


def _all_agents():
    return [(s, a) for s in SETUPS for a in _env(s).possible_agents]


# --------------------------------------------------------------------------------------
# Documented ranges
# --------------------------------------------------------------------------------------


def documented_ranges(setup: str, agent: str) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) of every action entry, from the codec's documentation and the scenario."""
    env = _env(setup)
    _, price_range, avail_hi = SETUPS[setup]
    m = env.scenario.market
    plo, phi = price_range or (m.price_floor_per_mwh, m.price_cap_per_mwh)
    b = m.bid_steps
    if agent == "broker_0":
        kind = env.engine.params.kind[0]
        loads = env.engine.params.forecast_mw[kind == kinds.CONSUMER]
        reserve_hi = max(0.5 * loads.sum(axis=0).max(), 1.0)  # half the peak load
        lo = np.zeros(6)
        hi = np.array([reserve_hi, reserve_hi, avail_hi, avail_hi, phi, phi])
        return lo, hi
    role, index = agent.rsplit("_", 1)
    if role == "consumer":
        p = env.scenario.consumers[int(index)]
        q = 1.5 * p.peak_mw
        qlo, qhi = -STEP_SLACK * q / b, 0.0
    else:
        p = env.scenario.producers[int(index)]
        q = p.power_mw if p.type == "storage" else p.capacity_mw
        qlo, qhi = (-STEP_SLACK * q / b if p.type == "storage" else 0.0), STEP_SLACK * q / b
    lo = [plo] * b + [qlo] * b + [0.0, 0.0, 0.0, 0.0, plo, plo]
    hi = [phi] * b + [qhi] * b + [q, q, avail_hi, avail_hi, phi, phi]
    return np.array(lo, float), np.array(hi, float)


@pytest.mark.parametrize(("setup", "agent"), _all_agents())
def test_ranges_are_the_documented_ones(setup: str, agent: str) -> None:
    codec = _codec(setup, agent)
    lo, hi = documented_ranges(setup, agent)
    assert codec.width == len(lo) == _env(setup).action_space(agent).shape[0]
    np.testing.assert_allclose(codec.lo, lo, rtol=1e-12)
    np.testing.assert_allclose(codec.hi, hi, rtol=1e-12)
    assert np.all(codec.hi > codec.lo)


@pytest.mark.parametrize("role", list(ROLE_AGENTS))
def test_corners_decode_to_the_range_ends(role: str) -> None:
    codec = _codec("default", ROLE_AGENTS[role])
    lo, hi = documented_ranges("default", ROLE_AGENTS[role])
    for a, want in ((-1.0, lo), (1.0, hi), (0.0, (lo + hi) / 2)):
        got = np.concatenate(codec.decode(np.full(codec.width, a, np.float32)))
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)


def test_documented_example_round_trips() -> None:
    """The example of docs/environment.md: a thermal unit's truthful offer."""
    codec = parallel_env(str(CONFIG_DIR / "default.yaml")).codec_for("producer_0")
    bids = TraderBids([54.0] * 4, [150.0] * 4, [50.0, 50.0], [5.0, 5.0], [60.0, 50.0])
    action = codec.encode(bids)
    assert action.dtype == np.float32 and np.all(np.abs(action) <= 1.0)
    back = codec.decode(action)
    for got, want in zip(back, bids, strict=True):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-3)


# --------------------------------------------------------------------------------------
# Round trips (hypothesis)
# --------------------------------------------------------------------------------------


def _actions(width: int, lo: float = -1.0, hi: float = 1.0):
    return hnp.arrays(np.float32, (width,), elements=st.floats(lo, hi, width=32))


# One agent of every role and kind of the default scenario, and every agent of the small
# scenario with narrow ranges.
ROLE_CASES = [("default", agent) for agent in ROLE_AGENTS.values()] + [
    ("small-narrow", agent) for agent in ("producer_0", "producer_1", "consumer_0", "broker_0")
]
ROLE_IDS = [f"default-{role}" for role in ROLE_AGENTS] + [
    "small-thermal", "small-wind", "small-consumer", "small-broker"
]  # fmt: skip
by_role = pytest.mark.parametrize(("setup", "agent"), ROLE_CASES, ids=ROLE_IDS)


@st.composite
def bids_within(draw, setup: str, agent: str) -> np.ndarray:
    """Every bid value drawn within its documented range (ends included)."""
    lo, hi = documented_ranges(setup, agent)
    return np.array([draw(st.floats(float(a), float(b))) for a, b in zip(lo, hi, strict=True)])


def _bids(codec: AgentCodec, x: np.ndarray) -> TraderBids | BrokerBids:
    if codec.role == "broker":
        return BrokerBids(x[0:2], x[2:4], x[4:6])
    b = codec.codec.bid_steps
    return TraderBids(x[:b], x[b : 2 * b], x[2 * b : 2 * b + 2], x[2 * b + 2 : 2 * b + 4],
                      x[2 * b + 4 :])  # fmt: skip


@by_role
@PROPERTY
@given(data=st.data())
def test_encode_decode_action_round_trip(setup: str, agent: str, data) -> None:
    codec = _codec(setup, agent)
    a = data.draw(_actions(codec.width), label="action")
    back = codec.encode(codec.decode(a))
    assert back.dtype == np.float32 and back.shape == a.shape
    np.testing.assert_allclose(back, a, rtol=0, atol=1e-6)


@by_role
@PROPERTY
@given(data=st.data())
def test_decode_encode_bids_round_trip(setup: str, agent: str, data) -> None:
    codec = _codec(setup, agent)
    x = data.draw(bids_within(setup, agent), label="bids")
    bids = _bids(codec, x)
    a = codec.encode(bids)
    assert np.all(np.abs(a) <= 1.0)
    back = codec.decode(a)
    assert type(back) is type(bids)
    span = codec.hi - codec.lo
    err = np.abs(np.concatenate(back) - x)
    assert np.all(err <= 1e-7 * span + 1e-12), (agent, err / span)


@by_role
@PROPERTY
@given(data=st.data())
def test_actions_outside_the_box_decode_like_their_clipped_values(setup, agent, data) -> None:
    codec = _codec(setup, agent)
    a = data.draw(
        hnp.arrays(np.float64, (codec.width,), elements=st.floats(-1e6, 1e6)), label="action"
    )
    for got, want in zip(codec.decode(a), codec.decode(np.clip(a, -1, 1)), strict=True):
        np.testing.assert_array_equal(got, want)
    # the whole-market codec, the one the env uses, clips the same way
    env = _env(setup)
    full = np.zeros((1, env.engine.params.n_rows, env.codec.width))
    row = env.possible_agents.index(agent)
    full[0, row, : codec.width] = a
    o1, o2 = env.codec.decode(full), env.codec.decode(np.clip(full, -1, 1))
    for f1, f2 in zip(o1, o2, strict=True):
        np.testing.assert_array_equal(f1, f2)


@by_role
@PROPERTY
@given(data=st.data())
def test_bids_outside_the_ranges_encode_like_their_clipped_values(setup, agent, data) -> None:
    codec = _codec(setup, agent)
    span = codec.hi - codec.lo
    x = (
        data.draw(hnp.arrays(np.float64, (codec.width,), elements=st.floats(-3, 3)), label="x")
        * span
        + codec.lo
    )
    got = codec.encode(_bids(codec, x))
    want = codec.encode(_bids(codec, np.clip(x, codec.lo, codec.hi)))
    np.testing.assert_array_equal(got, want)
    assert np.all(np.abs(got) <= 1.0)


# --------------------------------------------------------------------------------------
# Codec (all rows) and AgentCodec (one agent) agree
# --------------------------------------------------------------------------------------


@PROPERTY
@given(st.sampled_from(list(SETUPS)), st.data())
def test_codec_and_agent_codecs_agree(setup: str, data) -> None:
    env = _env(setup)
    n, width = env.engine.params.n_rows, env.codec.width
    actions = data.draw(hnp.arrays(np.float64, (1, n, width), elements=st.floats(-1, 1)))
    orders = env.codec.decode(actions)
    validate_orders(env.engine.params, orders, env.possible_agents)  # the engine accepts them
    encoded = env.codec.encode(orders)
    assert encoded.shape == actions.shape
    for row, agent in enumerate(env.possible_agents):
        codec = env.codec_for(agent)
        bids = codec.decode(actions[0, row, : codec.width])
        if agent == "broker_0":
            assert isinstance(bids, BrokerBids)
            np.testing.assert_array_equal(bids.req_mw, orders.req_mw[0])
            np.testing.assert_array_equal(bids.max_avail, orders.max_avail[0])
            np.testing.assert_array_equal(bids.max_util, orders.max_util[0])
            # the broker submits no forward steps and no reserve offers
            assert not orders.step_qty[0, row].any() and not orders.res_qty[0, row].any()
        else:
            assert isinstance(bids, TraderBids)
            for name in TraderBids._fields:
                np.testing.assert_array_equal(getattr(bids, name), getattr(orders, name)[0, row])
        np.testing.assert_allclose(
            codec.encode(bids), encoded[0, row, : codec.width], rtol=0, atol=1e-6
        )
        np.testing.assert_allclose(
            encoded[0, row, : codec.width], actions[0, row, : codec.width], rtol=0, atol=1e-9
        )


@by_role
@PROPERTY
@given(k=st.integers(1, 5), data=st.data())
def test_agent_codec_decodes_batches_row_by_row(setup: str, agent: str, k: int, data) -> None:
    codec = _codec(setup, agent)
    batch = data.draw(hnp.arrays(np.float32, (k, codec.width), elements=st.floats(-1, 1, width=32)))
    decoded = codec.decode(batch)
    for i in range(k):
        for got, want in zip(decoded, codec.decode(batch[i]), strict=True):
            np.testing.assert_array_equal(got[i], want)
    np.testing.assert_allclose(codec.encode(decoded), batch, rtol=0, atol=1e-6)


def test_env_decodes_through_the_agent_codecs() -> None:
    env = parallel_env(str(CONFIG_DIR / "small.yaml"))
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    actions = {
        a: rng.uniform(-1, 1, env.action_space(a).shape).astype(np.float32) for a in env.agents
    }
    env.step(actions)
    for row, agent in enumerate(env.possible_agents):
        bids = env.codec_for(agent).decode(actions[agent])
        if agent == "broker_0":
            np.testing.assert_array_equal(bids.req_mw, env.last_orders.req_mw[0])
        else:
            np.testing.assert_array_equal(bids.step_price, env.last_orders.step_price[0, row])
            np.testing.assert_array_equal(bids.step_qty, env.last_orders.step_qty[0, row])


# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------


def test_wrong_widths_raise() -> None:
    codec = _codec("default", "producer_0")
    with pytest.raises(ValueError, match="last dimension"):
        codec.decode(np.zeros(codec.width + 1))
    with pytest.raises(ValueError, match="values in all"):
        codec.encode(BrokerBids(np.zeros(2), np.zeros(2), np.zeros(2)))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"price_range": (100.0, 100.0)}, "price_range"),
        ({"price_range": (0.0, float("inf"))}, "price_range"),
        ({"avail_hi": 0.0}, "avail_hi"),
        ({"avail_hi": float("nan")}, "avail_hi"),
    ],
)
def test_bad_codec_arguments_raise(kwargs, match: str) -> None:
    params = _env("default").engine.params
    with pytest.raises(ValueError, match=match):
        Codec(params, **kwargs)
