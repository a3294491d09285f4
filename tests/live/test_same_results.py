"""Same market, same results: a lockstep live run writes the in-process ledger.

Agents in this process play two seats over MQTT (one stochastic policy, seeded with the
seat id as in-process runs seed it); the operator plays the rest with the baseline. The
SQLite ledger's statements must equal, line for line (MWh, price and the 6-place decimal
amount), the ledger of the PettingZoo environment stepped in-process with the same seed
and policies. A restart in the middle of the episode resumes from the last complete
period and ends with the same ledger too, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import numpy as np

SCENARIO, SEED = "small", 7
REMOTE = {"producer_0": "markup:0.3", "consumer_1": "zi_c"}
# restarted agents start their generators afresh: the restart test plays deterministic ones
RESTART = {"producer_0": "markup:0.3", "consumer_1": "markup:0.1"}


def play_remote(market, stop=None, remote=REMOTE) -> dict:
    from elecbay_live.client import AgentPool, build_policy, policy_decider

    pool = AgentPool(market.url)
    for seat, spec in remote.items():
        policy = build_policy(spec, seat, SCENARIO, 1, SEED)
        pool.add(seat, market.password(seat), policy_decider(policy))
    try:
        pool.run(timeout_s=120, stop=stop)
    finally:
        pool.close()
    return pool.seats


def test_lockstep_live_run_writes_the_in_process_ledger(start_market, in_process) -> None:
    market = start_market(scenario=SCENARIO, seed=SEED, expect=len(REMOTE),
                          register_timeout_s=60)  # fmt: skip
    seats = play_remote(market)
    market.join(30)
    ledger = market.operator.ledger
    assert ledger.last_period() == 47
    assert sorted(ledger.statements()) == in_process(SCENARIO, SEED, REMOTE)
    # the remote seats really played: every one of their 48 orders came from the agent
    orders = ledger.table("orders")
    for seat in REMOTE:
        assert [o[3] for o in orders if o[1] == seat] == ["agent"] * 48
        assert len(seats[seat].statements) == 48 and not seats[seat].rejections
    # and they matter: the baseline in their seats gives another ledger
    assert sorted(ledger.statements()) != in_process(SCENARIO, SEED, {})


def test_restart_resumes_after_the_last_complete_period(start_market, tmp_path, ledger_where,
                                                         in_process) -> None:  # fmt: skip
    """On SQLite and on PostgreSQL (``--ledger postgresql://...``) alike."""
    from elecbay_live.ledger_db import LiveLedger

    folder = tmp_path / "market"
    first = start_market(folder, scenario=SCENARIO, seed=SEED, expect=len(RESTART),
                         ledger=ledger_where)  # fmt: skip
    played = play_remote(first, lambda: first.operator.ledger.last_period() >= 20, RESTART)
    first.close()  # the operator stops mid-episode; the incomplete period is not written
    run = {"scenario": SCENARIO, "days": 1, "seed": SEED, "schema": 1}
    stopped = LiveLedger(ledger_where, run)
    stopped_at = stopped.last_period()
    stopped.close()
    assert 20 <= stopped_at < 47
    assert played["producer_0"].statements
    second = start_market(folder, scenario=SCENARIO, seed=SEED, expect=len(RESTART),
                          ledger=ledger_where)  # fmt: skip
    play_remote(second, remote=RESTART)
    second.join(30)
    ledger = second.operator.ledger
    periods = [row[0] for row in ledger.table("periods")]
    assert periods == list(range(48))  # each period once: nothing lost, nothing doubled
    assert sorted(ledger.statements()) == in_process(SCENARIO, SEED, RESTART)
    trades = np.array([row[2] for row in ledger.table("trades")])
    assert np.isfinite(trades).all()


def test_a_ledger_of_another_market_is_refused(start_market, tmp_path) -> None:
    import pytest
    from elecbay_live.ledger_db import LedgerMismatch

    folder = tmp_path / "market"
    start_market(folder, run=False, scenario=SCENARIO, seed=SEED).close()
    with pytest.raises(LedgerMismatch, match="another market"):
        start_market(folder, run=False, scenario=SCENARIO, seed=SEED + 1)
