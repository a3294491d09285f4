"""The policy registry (:mod:`elecbay_agents.registry`) and saved SB3 models.

``FITS`` below is written out by hand (the roles and asset kinds each name serves in the
default scenario), so a registry that builds a policy for the wrong agent, or refuses a
right one, fails. SB3 models are created untrained (``PPO("MlpPolicy", env)``) on a
dummy gymnasium env with the agent's spaces and saved to ``tmp_path``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import elecbay_agents
import gymnasium as gym
import numpy as np
import pytest
from elecbay_agents.markup import MarkupPolicy
from elecbay_agents.merit_order import MeritOrderPolicy
from elecbay_agents.registry import (
    agent_rng,
    make_policies,
    make_policy,
    parse_spec,
    policy_info,
    policy_names,
    policy_table,
)
from elecbay_agents.retailer import RetailerPolicy
from elecbay_agents.rule_based_broker import RuleBasedBroker
from elecbay_agents.sb3 import SB3Policy, detect_algorithm
from elecbay_agents.storage_threshold import StorageThresholdPolicy
from elecbay_agents.zero_intelligence import RandomPolicy, ZICPolicy, ZIUPolicy

from elecbay_env import parallel_env

DOCS = Path(__file__).resolve().parents[2] / "docs"
PRODUCERS = [f"producer_{i}" for i in range(9)]
CONSUMERS = [f"consumer_{i}" for i in range(4)]
TRADERS = PRODUCERS + CONSUMERS
EVERYONE = [*TRADERS, "broker_0"]
MODELS = ("sb3", "ppo", "sac", "td3", "a2c")
FITS = {
    "merit_order": TRADERS,
    "markup": TRADERS,
    "withhold": TRADERS,
    "zi_u": EVERYONE,
    "zi_c": EVERYONE,
    "storage_threshold": ["producer_8"],  # the battery, the only storage unit
    "retailer": CONSUMERS,
    "flex_provider": ["producer_8", *CONSUMERS],  # consumers and the battery
    "rule_based_broker": ["broker_0"],
    "random": EVERYONE,
    "misforecast": TRADERS,
    "phantom_reserve": TRADERS,
    "imbalance_setter": TRADERS,
    "consumer_down_reserve": CONSUMERS,
    "niv_chase": ["producer_8"],
    "self_consumption": ["producer_8"],
    "time_of_use": ["producer_8"],
    "broker_reserve_scale": ["broker_0"],
    "da_forecast": TRADERS,
    "virtual_trader": [],  # virtual seats only (tests/envs/test_virtual_seats.py)
    "storage_spread": ["producer_8"],
    **dict.fromkeys(MODELS, EVERYONE),
    "rllib": EVERYONE,  # built in tests/rllib (needs ray[rllib], its own venv)
}


@pytest.fixture(scope="module")
def env():
    return parallel_env("default", **{"market.days": 1})


@pytest.fixture(scope="module")
def obs(env):
    o, _ = env.reset(seed=0)
    return o


class DummyEnv(gym.Env):
    """A do-nothing gymnasium env with given spaces (to create and save SB3 models)."""

    def __init__(self, observation_space, action_space) -> None:
        self.observation_space = observation_space
        self.action_space = action_space

    def reset(self, seed=None, options=None):
        return self.observation_space.sample(), {}

    def step(self, action):
        return self.observation_space.sample(), 0.0, False, False, {}


@pytest.fixture(scope="module")
def models(env, tmp_path_factory):
    """``{(algorithm, "trader" | "broker"): path}`` of untrained saved models.

    torch runs on one thread meanwhile: building a network (orthogonal initialisation)
    takes about 3 ms so, but up to a second with threads that compete for 2 cores.
    """
    sb3 = pytest.importorskip("stable_baselines3")
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("models")
    paths = {}
    for space_of in ("producer_0", "broker_0"):
        dummy = DummyEnv(env.observation_space(space_of), env.action_space(space_of))
        for algo in ("ppo", "sac", "td3", "a2c"):
            kw = {"buffer_size": 10} if algo in ("sac", "td3") else {}
            if algo == "ppo":
                kw = {"n_steps": 16, "batch_size": 16}
            model = getattr(sb3, algo.upper())("MlpPolicy", dummy, device="cpu", seed=0, **kw)
            key = (algo, "broker" if space_of == "broker_0" else "trader")
            paths[key] = root / f"{algo}_{key[1]}"
            model.save(paths[key])  # writes <path>.zip
    yield paths
    torch.set_num_threads(threads)


ARGS = {"misforecast": ":1.2", "imbalance_setter": ":1", "niv_chase": ":1",
        "broker_reserve_scale": ":0.5"}  # fmt: skip
"""Arguments of the names that require some."""


def spec_for(name: str, agent: str, models) -> str:
    if name not in MODELS:
        return name + ARGS.get(name, "")
    algo = "ppo" if name == "sb3" else name
    path = models[(algo, "broker" if agent == "broker_0" else "trader")]
    return f"{name}:{path}.zip"


# -- parsing -------------------------------------------------------------------------------


def test_names() -> None:
    assert policy_names() == sorted(FITS)
    assert elecbay_agents.policy_names() == policy_names()
    assert policy_info("sb3").path and policy_info("ppo:x.zip").name == "ppo"
    assert policy_info("Markup:0.3").roles == ("producer", "consumer")
    with pytest.raises(ValueError, match="known names"):
        policy_info("bogus")


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [
        ("merit_order", ("merit_order", ())),
        ("markup:0.2", ("markup", (0.2,))),
        ("markup:0.2,0.3", ("markup", (0.2, 0.3))),
        (" Markup : 0.25 , 0.5 ", ("markup", (0.25, 0.5))),
        ("withhold:0.3", ("withhold", (0.3,))),
        ("zi_u", ("zi_u", ())),
        ("storage_threshold:40,90", ("storage_threshold", (40.0, 90.0))),
        ("storage_threshold:-10,1e2", ("storage_threshold", (-10.0, 100.0))),
        ("retailer:0.5", ("retailer", (0.5,))),
        ("rule_based_broker:2.5", ("rule_based_broker", (2.5,))),
        ("sb3:runs/a,b:c.zip", ("sb3", ("runs/a,b:c.zip",))),
        ("ppo:model", ("ppo", ("model",))),
    ],
)
def test_parse_spec(spec, parsed) -> None:
    assert parse_spec(spec) == parsed


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("nope", "unknown policy 'nope'"),
        ("", "unknown policy ''"),
        ("merit_order:1", "takes 0 arguments, got 1"),
        ("markup:0.1,0.2,0.3", "takes 0, 1 or 2 arguments, got 3"),
        ("storage_threshold:40", "takes 0 or 2 arguments, got 1"),
        ("markup:abc", "'abc' is not a finite number"),
        ("markup:nan", "not a finite number"),
        ("markup:", "nothing after ':'"),
        ("sb3", "takes 1 arguments, got 0"),
        ("ppo:", "takes 1 arguments, got 0"),
        (3, "expected a string"),
    ],
)
def test_bad_specs_name_the_spec_and_the_known_names(spec, match) -> None:
    with pytest.raises(ValueError, match=match) as err:
        parse_spec(spec)
    assert repr(spec) in str(err.value)
    if "unknown" in match or "string" in match:
        assert all(name in str(err.value) for name in policy_names())
    else:
        assert "usage:" in str(err.value)


# -- building ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FITS))
def test_every_name_builds_for_the_agents_it_fits_and_refuses_the_others(
    env, obs, models, name
) -> None:
    if name == "rllib":
        pytest.skip("rllib:DIR is built for every seat in tests/rllib (needs ray[rllib])")
    for agent in env.possible_agents:
        spec = spec_for(name, agent, models)
        if agent not in FITS[name]:
            with pytest.raises(ValueError, match=f"does not fit {agent}"):
                make_policy(spec, env, agent, seed=0)
            continue
        policy = make_policy(spec, env, agent, seed=0)
        state = None
        for _ in range(2):
            action, state = policy.predict(obs[agent], state, deterministic=True)
            assert action.dtype == np.float32
            assert env.action_space(agent).contains(action), (name, agent)
        batch, _ = policy.predict(np.stack([obs[agent]] * 3))
        assert batch.shape == (3, *env.action_space(agent).shape)


def test_specs_build_the_policies_they_name(env) -> None:
    p = make_policy("markup:0.2,0.3", env, "producer_1")
    assert isinstance(p, MarkupPolicy) and (p.markup, p.withhold) == (0.2, 0.3)
    p = make_policy("markup", env, "producer_1")
    assert (p.markup, p.withhold) == (0.2, 0.0)
    p = make_policy("withhold:0.3", env, "consumer_0")
    assert isinstance(p, MarkupPolicy) and (p.markup, p.withhold) == (0.0, 0.3)
    p = make_policy("storage_threshold:40,90", env, "producer_8")
    assert isinstance(p, StorageThresholdPolicy) and (p.rule.low, p.rule.high) == (40.0, 90.0)
    p = make_policy("storage_threshold", env, "producer_8")
    assert p.rule.low is None
    p = make_policy("retailer", env, "consumer_0")
    assert isinstance(p, RetailerPolicy) and p.persistence == 0.9
    assert make_policy("retailer:0.25", env, "consumer_0").persistence == 0.25
    p = make_policy("rule_based_broker:2.5", env, "broker_0")
    assert isinstance(p, RuleBasedBroker) and p.z == 2.5
    p = make_policy("rule_based_broker:1,7,900", env, "broker_0")
    assert (p.z, p.max_avail, p.max_util) == (1.0, 7.0, 900.0)
    assert isinstance(make_policy("zi_u", env, "producer_0"), ZIUPolicy)
    assert isinstance(make_policy("zi_c", env, "broker_0"), ZICPolicy)
    assert isinstance(make_policy("random", env, "broker_0"), RandomPolicy)
    assert type(make_policy("merit_order", env, "consumer_0")) is MeritOrderPolicy


def test_out_of_range_arguments_and_unknown_agents(env) -> None:
    with pytest.raises(ValueError, match=r"'markup:-1' for producer_0: markup="):
        make_policy("markup:-1", env, "producer_0")
    with pytest.raises(ValueError, match="withhold="):
        make_policy("withhold:2", env, "producer_0")
    with pytest.raises(ValueError, match="low <= high"):
        make_policy("storage_threshold:90,40", env, "producer_8")
    with pytest.raises(ValueError, match="z="):
        make_policy("rule_based_broker:-2", env, "broker_0")
    with pytest.raises(ValueError, match="the environment has"):
        make_policy("merit_order", env, "producer_99")
    with pytest.raises(ValueError, match="broker_0 is the broker"):
        make_policy("merit_order", env, "broker_0")
    with pytest.raises(ValueError, match=r"producers \(storage only\).*producer_0 is a producer "
                                         r"\(thermal\)"):  # fmt: skip
        make_policy("storage_threshold", env, "producer_0")


# -- seeds ------------------------------------------------------------------------------------


def test_seeds_are_per_agent_and_reproducible(env, obs) -> None:
    def act(spec, agent, seed):
        return make_policy(spec, env, agent, seed=seed).predict(obs[agent])[0]

    for spec in ("zi_u", "zi_c", "random"):
        for agent in ("producer_0", "consumer_0", "broker_0"):
            np.testing.assert_array_equal(act(spec, agent, 5), act(spec, agent, 5))
            assert not np.array_equal(act(spec, agent, 5), act(spec, agent, 6))
    # two agents with the same seed draw different streams
    a = agent_rng(5, "producer_0").random(4)
    b = agent_rng(5, "producer_1").random(4)
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(a, agent_rng(5, "producer_0").random(4))
    # the derivation is fixed: SeedSequence([seed, crc32(agent id)])
    import zlib

    expected = np.random.default_rng(np.random.SeedSequence([5, zlib.crc32(b"producer_0")]))
    np.testing.assert_array_equal(a, expected.random(4))
    # deterministic policies ignore the seed
    np.testing.assert_array_equal(act("markup:0.1", "producer_0", 1),
                                  act("markup:0.1", "producer_0", 2))  # fmt: skip
    with pytest.raises(ValueError, match="seed="):
        agent_rng(-1, "producer_0")


def test_make_policies_with_a_seed_matches_make_policy(env, obs) -> None:
    many = make_policies(env, {"*": "zi_c"}, seed=9)
    for agent in ("producer_3", "consumer_2", "broker_0"):
        one = make_policy("zi_c", env, agent, seed=9)
        np.testing.assert_array_equal(many[agent].predict(obs[agent])[0],
                                      one.predict(obs[agent])[0])  # fmt: skip
    again = make_policies(env, {"*": "zi_c"}, seed=9)
    other = make_policies(env, {"*": "zi_c"}, seed=10)
    x = many["producer_0"].predict(obs["producer_0"])[0]
    assert not np.array_equal(x, other["producer_0"].predict(obs["producer_0"])[0])
    np.testing.assert_array_equal(
        make_policies(env, {"*": "zi_c"}, seed=9)["producer_0"].predict(obs["producer_0"])[0], x
    )
    assert list(again) == env.possible_agents


# -- make_policies ----------------------------------------------------------------------------


def test_make_policies_default_is_the_baseline(env) -> None:
    for policies in (make_policies(env), elecbay_agents.make_policies(env), make_policies(env, {})):
        assert list(policies) == env.possible_agents
        assert all(type(policies[a]) is MeritOrderPolicy for a in TRADERS)
        assert type(policies["broker_0"]) is RuleBasedBroker


def test_most_specific_entry_wins(env) -> None:
    spec = {"*": "zi_c", "producer": "markup:0.3", "producer_2": "withhold:0.5",
            "consumer_1": "retailer"}  # fmt: skip
    policies = make_policies(env, spec, seed=0)
    assert policies["producer_2"].withhold == 0.5 and policies["producer_2"].markup == 0.0
    assert all(policies[a].markup == 0.3 for a in PRODUCERS if a != "producer_2")
    assert isinstance(policies["consumer_1"], RetailerPolicy)
    assert all(isinstance(policies[a], ZICPolicy) for a in ("consumer_0", "consumer_3"))
    assert isinstance(policies["broker_0"], ZICPolicy)
    assert elecbay_agents.make_policies(env, spec, seed=0)["producer_2"].withhold == 0.5


def test_role_and_star_specs_fall_through_where_they_do_not_fit(env) -> None:
    policies = make_policies(env, {"*": "markup:0.2", "producer": "storage_threshold:40,90"})
    assert isinstance(policies["producer_8"], StorageThresholdPolicy)
    assert all(type(policies[a]) is MarkupPolicy for a in PRODUCERS[:7] + CONSUMERS)
    assert type(policies["broker_0"]) is RuleBasedBroker  # markup does not fit: baseline
    policies = make_policies(env, {"*": "rule_based_broker:3"})
    assert policies["broker_0"].z == 3.0
    assert all(type(policies[a]) is MeritOrderPolicy for a in TRADERS)


def test_make_policies_errors(env) -> None:
    with pytest.raises(ValueError, match="spec key 'trader'"):
        make_policies(env, {"trader": "merit_order"})
    with pytest.raises(ValueError, match=r"for 'consumer': .*'no_such'.*known names: .*markup"):
        make_policies(env, {"consumer": "no_such"})
    with pytest.raises(ValueError, match="unknown policy"):  # checked even when unused
        make_policies(env, {"*": "bogus", "producer": "merit_order", "consumer": "merit_order",
                            "broker": "rule_based_broker"})  # fmt: skip
    with pytest.raises(ValueError, match="does not fit producer_0"):
        make_policies(env, {"producer_0": "retailer"})
    with pytest.raises(ValueError, match="'retailer' for 'producer' fits none"):
        make_policies(env, {"producer": "retailer"})
    with pytest.raises(ValueError, match="expected a spec string"):
        make_policies(env, {"producer": 3.5})


def test_make_policies_takes_factories_and_ready_policies(env) -> None:
    ready = MeritOrderPolicy(env, "producer_1", up_markup=50.0)
    policies = make_policies(
        env,
        {"producer_1": ready, "producer": lambda e, a: MeritOrderPolicy(e, a, offer_reserve=False)},
    )
    assert policies["producer_1"] is ready
    assert policies["producer_0"].offer_reserve is False
    assert policies["consumer_0"].offer_reserve is True


# -- saved SB3 models -------------------------------------------------------------------------


def test_saved_models_load_by_detected_and_named_algorithm(env, obs, models) -> None:
    for (algo, space), path in models.items():
        zip_path = Path(f"{path}.zip")
        assert detect_algorithm(zip_path) == algo
        agent = "broker_0" if space == "broker" else "consumer_1"
        for spec in (f"sb3:{zip_path}", f"{algo}:{zip_path}", f"sb3:{path}"):
            policy = make_policy(spec, env, agent)
            assert isinstance(policy, SB3Policy)
            assert type(policy.model).__name__ == algo.upper()
            action, _ = policy.predict(obs[agent])
            assert env.action_space(agent).contains(action)
            # deterministic: the mode, the same every call
            np.testing.assert_array_equal(action, policy.predict(obs[agent])[0])
            np.testing.assert_array_equal(
                action, policy.model.predict(obs[agent], deterministic=True)[0]
            )


def test_agents_sharing_a_file_share_the_loaded_model(env, models) -> None:
    path = f"{models[('sac', 'trader')]}.zip"
    policies = make_policies(env, {"producer": f"sb3:{path}", "consumer": f"sac:{path}"})
    assert all(policies[a].model is policies["producer_0"].model for a in TRADERS)
    assert policies["producer_0"].agent == "producer_0"
    assert policies["consumer_0"].codec is env.codec_for("consumer_0")


def test_bad_models(env, models, tmp_path) -> None:
    trader_ppo = f"{models[('ppo', 'trader')]}.zip"
    with pytest.raises(ValueError, match=r"action shape \(14,\), but broker_0 acts with \(6,\)"):
        make_policy(f"ppo:{trader_ppo}", env, "broker_0")
    with pytest.raises(ValueError, match="holds a PPO model, not SAC"):
        make_policy(f"sac:{trader_ppo}", env, "producer_0")
    with pytest.raises(FileNotFoundError, match="no such file"):
        make_policy(f"sb3:{tmp_path / 'missing.zip'}", env, "producer_0")
    not_sb3 = tmp_path / "other.zip"
    with zipfile.ZipFile(not_sb3, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match="not a saved stable-baselines3 model"):
        make_policy(f"sb3:{not_sb3}", env, "producer_0")
    # the broker's action width but another observation width
    sb3 = pytest.importorskip("stable_baselines3")
    box = gym.spaces.Box(-1.0, 1.0, (10,), np.float32)
    odd = tmp_path / "odd"
    sb3.A2C("MlpPolicy", DummyEnv(box, env.action_space("broker_0")), device="cpu").save(odd)
    with pytest.raises(ValueError, match=r"observation shape \(10,\), but broker_0 observes"):
        make_policy(f"a2c:{odd}.zip", env, "broker_0")


# -- docs -------------------------------------------------------------------------------------


def test_docs_table_is_the_registry_table() -> None:
    text = (DOCS / "policies.md").read_text()
    assert policy_table() in text
    for name in policy_names():
        assert f"`{name}" in text
