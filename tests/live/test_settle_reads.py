"""Settlement from the received meter reads (``elecbay_live.settle_reads``), without a
broker: the engine's outcomes of an in-process episode are the check metering.

* the oracle: the engine's own imbalance lines are ``imbalance * party_price`` with the
  prices this module reads from the outcome (so a re-priced line uses the engine's rule);
* honest reads (equal to the check metering) change nothing, bit for bit;
* property (hypothesis): whatever a meter reports, its seat's reward never rises, cash
  still sums to zero, the broker takes exactly the difference and other seats are untouched;
* a read that pays less stands, settled at ``(imbalance + read - check) * price``.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elecbay_env.kernels import ledger_codes as L


@functools.cache
def _episode(pricing: str) -> tuple:
    """(env params, agents, [outcome copies]) of a baseline episode of ``small``."""
    from elecbay_agents.registry import make_policies

    from elecbay_env.envs.parallel import parallel_env

    env = parallel_env("small", **{"market.days": 1, "market.imbalance_pricing": pricing})
    policies = make_policies(env, {}, seed=3)
    obs, _ = env.reset(seed=3)
    outs, t = [], 0
    while env.agents:
        acts = {a: policies[a].predict(obs[a], None, episode_start=t == 0)[0] for a in env.agents}
        obs, *_ = env.step(acts)
        out = env.last_outcome
        outs.append(type(out)(*(np.array(x, copy=True) for x in out)))
        t += 1
    return env.engine.params, list(env.possible_agents), outs


def _settle(pricing: str, t: int, reads: dict, tolerance: float = 0.001):
    from elecbay_live.settle_reads import settle_from_reads

    params, agents, outs = _episode(pricing)
    broker, scheme = agents.index("broker_0"), int(params.imbalance_scheme)
    return outs[t], settle_from_reads(outs[t], reads, broker, scheme, tolerance_mwh=tolerance)


@pytest.mark.parametrize("pricing", ["gb_single", "dual"])
def test_the_engine_prices_imbalance_as_this_module_does(pricing) -> None:
    from elecbay_live.settle_reads import party_price

    params, agents, outs = _episode(pricing)
    broker = agents.index("broker_0")
    flips = 0
    for out in outs:
        for i in range(len(agents)):
            if i == broker:
                continue
            imb = float(out.imbalance_mwh[0, i])
            pp = party_price(imb, float(out.imbalance_price[0]), float(out.forward_ref_price[0]),
                             int(params.imbalance_scheme))  # fmt: skip
            assert out.ledger_amount[0, i, L.IMBALANCE] == pytest.approx(imb * pp, abs=1e-9)
            flips += pp != float(out.imbalance_price[0])
    if pricing == "dual":  # the dual rule was exercised, not just the imbalance price
        assert flips > 0


def test_honest_reads_change_nothing() -> None:
    from elecbay_live.settle_reads import ESTIMATED, METER

    _params, agents, outs = _episode("gb_single")
    for t in (0, 17, 47):
        out = outs[t]
        reads = {(i, k): float(out.meter_mwh[0, i, k]) for i in range(len(agents))
                 for k in range(out.meter_mwh.shape[2]) if i != 2}  # fmt: skip
        _, res = _settle("gb_single", t, reads)
        assert res.outcome is out and not res.on_reads.any()
        assert (res.settled_mwh == out.meter_mwh[0]).all()
        assert set(res.source[2]) == {ESTIMATED} and set(res.source[0]) == {METER}


@settings(max_examples=60, deadline=None)
@given(
    t=st.integers(0, 47),
    row=st.integers(0, 5),
    pricing=st.sampled_from(["gb_single", "dual"]),
    errors=st.lists(st.floats(-5.0, 5.0), min_size=6, max_size=6),
    dropped=st.sets(st.integers(0, 5)),
)
def test_misreporting_never_pays(t, row, pricing, errors, dropped) -> None:
    _params, agents, outs = _episode(pricing)
    broker = agents.index("broker_0")
    row = [i for i in range(len(agents)) if i != broker][row % (len(agents) - 1)]
    out = outs[t]
    n_meters = out.meter_mwh.shape[2]
    reads = {(row, k): float(out.meter_mwh[0, row, k]) + errors[k % len(errors)]
             for k in range(n_meters) if k not in dropped}  # fmt: skip
    _, res = _settle(pricing, t, reads)
    new = res.outcome
    gain = float(new.reward[0, row] - out.reward[0, row])
    assert gain <= 0.0
    assert float(new.reward[0, broker] - out.reward[0, broker]) == pytest.approx(-gain)
    others = [i for i in range(len(agents)) if i not in (row, broker)]
    assert (new.ledger_amount[0, others] == out.ledger_amount[0, others]).all()
    assert new.ledger_amount[0, :, : L.N_CASH].sum() == pytest.approx(
        out.ledger_amount[0, :, : L.N_CASH].sum(), abs=1e-6)  # fmt: skip
    if res.on_reads[row]:  # settled on the reads: at the re-priced imbalance
        delta = sum(v - float(out.meter_mwh[0, r, k]) for (r, k), v in reads.items())
        assert new.ledger_mwh[0, row, L.IMBALANCE] == pytest.approx(
            out.imbalance_mwh[0, row] + delta)  # fmt: skip
        assert gain < 0.0
    else:
        assert (res.settled_mwh[row] == out.meter_mwh[0, row]).all()


def test_a_read_that_pays_less_stands_and_is_flagged_disputed() -> None:
    from elecbay_live.settle_reads import DISPUTED, METER

    _params, agents, outs = _episode("gb_single")
    row = agents.index("producer_0")
    t = next(t for t, o in enumerate(outs) if o.imbalance_price[0] > 1.0)
    out = outs[t]
    # a producer under-reporting its export with a positive imbalance price loses cash
    reads = {(row, 0): float(out.meter_mwh[0, row, 0]) - 0.5,
             (row, 1): float(out.meter_mwh[0, row, 1]) - 0.0005}  # fmt: skip
    _, res = _settle("gb_single", t, reads)
    assert res.on_reads[row]
    assert res.source[row, 0] == DISPUTED and res.source[row, 1] == METER
    price = float(out.imbalance_price[0])
    expected = (float(out.imbalance_mwh[0, row]) - 0.5005) * price
    assert res.outcome.ledger_amount[0, row, L.IMBALANCE] == pytest.approx(expected)
    # over-reporting would be paid more: the check metering settles instead
    up = {(row, 0): float(out.meter_mwh[0, row, 0]) + 0.5}
    _, res = _settle("gb_single", t, up)
    assert not res.on_reads[row] and res.source[row, 0] == DISPUTED
    assert res.outcome is out


def test_bad_reads_are_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match="interval"):
        _settle("gb_single", 0, {(0, 99): 1.0})
    with pytest.raises(ValueError, match="finite"):
        _settle("gb_single", 0, {(0, 0): float("nan")})
    with pytest.raises(ValueError, match="tolerance_mwh"):
        _settle("gb_single", 0, {}, tolerance=-1.0)
