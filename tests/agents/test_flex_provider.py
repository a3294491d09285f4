"""The flex_provider baseline (elecbay_agents.flex_provider) in the environment."""

from __future__ import annotations

import numpy as np
from elecbay_agents import make_policies
from elecbay_agents.flex_provider import FlexProviderPolicy, deliver_steps

from elecbay_env import parallel_env
from elecbay_env.kernels import kinds


def test_deliver_steps_by_hand():
    # a consumer bidding 8 MW at 3000 and 2 MW at 250, asked for 3 MW: the 250 block
    # goes first (2 MW) then 1 MW of the 3000 one; the 3 MW are bid at the floor (-500)
    # in the first free step
    price = np.array([[3000.0, 250.0, 0.0, 0.0]])
    qty = np.array([[-8.0, -2.0, 0.0, 0.0]])
    deliver_steps(price, qty, kinds.CONSUMER, np.array([-500.0]), np.array([3.0]))
    assert qty.tolist() == [[-7.0, -3.0, 0.0, 0.0]]
    assert price[0, :2].tolist() == [3000.0, -500.0]
    # a battery asked for 4 MW sells 4 MW as a taker
    price, qty = np.array([[60.0, 0.0]]), np.array([[-10.0, 0.0]])
    deliver_steps(price, qty, kinds.STORAGE, np.array([-500.0]), np.array([4.0]))
    assert qty.tolist() == [[4.0, 0.0]] and price.tolist() == [[-500.0, -500.0]]
    # nothing asked: nothing changes
    before = qty.copy()
    deliver_steps(price, qty, kinds.STORAGE, np.array([-500.0]), np.array([0.0]))
    assert (qty == before).all()


def test_provider_offers_is_accepted_and_delivers():
    env = parallel_env("flexibility")
    policies = make_policies(env, {"consumer_1": "flex_provider", "producer_2": "flex_provider"})
    assert isinstance(policies["consumer_1"], FlexProviderPolicy)
    obs, _ = env.reset(seed=2)  # seed 2: both days' windows are called
    asked = np.zeros(len(env.possible_agents))
    while env.agents:
        asked += env.engine.flexibility.requested_mw()[0]
        actions = {a: policies[a].predict(obs[a])[0] for a in env.agents}
        obs, *_ = env.step(actions)
    fx = env.engine.flexibility.services[0]
    # standing offers of the factory (its flexible share of peak) and the battery (power)
    assert fx.capacity[0, 4] == 0.2 * 120 and fx.capacity[0, 2] == 10
    lines = env.engine.ledger.statements()
    used = [r for r in lines if str(r["component"]).startswith("flexibility_utilisation")]
    # called on day 1 (offers made on day 0 count from its gate): 10 MW asked of the
    # battery (the cheaper) in each of the window's 4 periods
    assert asked[2] == 40.0 and asked[4] == 0.0
    paid = [r for r in used if r["agent"] == "producer_2"]
    assert len(paid) == 4 and all(r["mwh"] > 0 for r in paid)
