"""The electricity experiment on the environment: students' curves over HTTP and WebSockets,
statements against an independent replay through the env, defaults, bad input."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from elecbay_classroom.config import SessionConfig, SessionError
from elecbay_classroom.grid_session import GridSession, open_session

SEED = 7


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        self.t += 1.0  # one second per call: the rate limit never bites
        return self.t


def _session(**kw: Any) -> GridSession:
    opts = {"experiment": "electricity", "periods": 3, "seed": SEED, "bots": "merit", **kw}
    s = open_session(SessionConfig(**opts), Clock())
    assert isinstance(s, GridSession)
    return s


def _replay(session: GridSession, curves: list[dict[str, list[list[float]]]]):
    """A fresh env, the same seed, every agent's action rebuilt here: a student's curve
    encoded with the agent's codec, every other agent's baseline policy
    (``merit_order``, broker ``rule_based_broker``). Returns per period the rewards and
    the statements."""
    from elecbay_agents.registry import make_policy

    from elecbay_env.envs.codecs import TraderBids
    from elecbay_env.envs.parallel import parallel_env

    env = parallel_env("small", info_statement=True)
    obs, _ = env.reset(seed=SEED)
    spec = {"producer": "merit_order", "consumer": "merit_order", "broker": "rule_based_broker"}
    pol = {a: make_policy(spec[env.codec_for(a).role], env, a, seed=SEED)
           for a in env.possible_agents}  # fmt: skip
    state: dict[str, Any] = {}
    out = []
    for by_agent in curves:
        actions = {}
        for a in env.possible_agents:
            if a in by_agent:
                c = env.codec_for(a)
                steps = by_agent[a]
                b = env.codec.bid_steps
                sign = 1.0 if c.role == "producer" else -1.0
                price = [steps[k][0] if k < len(steps) else steps[0][0] for k in range(b)]
                qty = [sign * steps[k][1] if k < len(steps) else 0.0 for k in range(b)]
                z = np.zeros(2)
                actions[a] = c.encode(TraderBids(np.array(price), np.array(qty), z, z,
                                                 np.full(2, c.lo[0])))  # fmt: skip
            else:
                actions[a], state[a] = pol[a].predict(obs[a], state=state.get(a))
        obs, rewards, _, _, infos = env.step(actions)
        out.append((rewards, {a: infos[a]["statement"] for a in env.possible_agents}))
    return out


def _check_statements(session: GridSession, replayed) -> None:
    assert len(session.market.records) == len(replayed)
    for rec, (rewards, lines) in zip(session.market.records, replayed, strict=True):
        assert rec["welfare"] == pytest.approx(sum(rewards.values()), rel=1e-12)
        for i, st in rec["statements"].items():
            agent = session.market.seats[i].agent
            assert st["profit"] == rewards[agent]
            assert st["lines"] == lines[agent]
            assert st["energy_mwh"] == lines[agent].get("forward_energy", {}).get("mwh", 0.0)


def test_students_take_a_generator_and_a_retailer_and_get_the_envs_statements() -> None:
    s = _session()
    a, b = s.join(s.join_code, "ann"), s.join(s.join_code, "bob")
    roles = {s.market.seats[st.seat].card.role for st in (a, b)}
    assert roles == {"buyer", "seller"}
    assert a.seat not in s.bots and b.seat not in s.bots
    agent = {st.token: s.market.seats[st.seat].agent for st in (a, b)}
    bid = [[200.0, 60.0], [90.0, 20.0]]
    offer = [[70.0, 100.0], [120.0, 50.0]]
    curves = []
    for period in range(3):
        s.start()
        mine = {}
        for st in (a, b):
            steps = offer if s.market.seats[st.seat].card.role == "seller" else bid
            if period == 1 and st is b:
                continue  # bob is silent in period 2
            s.order(st.token, {"type": "order", "steps": steps})
            mine[agent[st.token]] = steps
        curves.append(mine)
        s.end()
    _check_statements(s, _replay(s, curves))
    rec = s.market.records[1]
    assert rec["statements"][b.seat]["source"] == "default"
    assert rec["statements"][a.seat]["source"] == "student"
    assert s.teacher()["per_period"][1]["defaults"] == [b.seat]
    assert s.private(a.token)["statement"]["period"] == 3
    assert s.status == "finished"


def test_all_merit_order_bots_are_fully_efficient_and_a_silent_seat_is_flagged() -> None:
    s = _session(periods=2)
    st = s.join(s.join_code, "carl")
    s.start()
    s.end()  # carl sends nothing: the baseline (merit order) plays his seat, flagged
    rec = s.market.records[0]
    assert rec["statements"][st.seat]["source"] == "default"
    assert rec["efficiency"] == pytest.approx(1.0, abs=1e-12)
    assert s.teacher()["efficiency"] == pytest.approx(1.0, abs=1e-12)
    book = rec["book"]
    assert book["supply"] and book["demand"]
    prices = [p for p, _ in book["merit_order"]]
    assert prices == sorted(prices)


def test_bad_curves_change_nothing_and_name_the_field() -> None:
    s = _session()
    a, b = s.join(s.join_code, "ann"), s.join(s.join_code, "bob")
    with pytest.raises(SessionError) as e:
        s.order(a.token, {"steps": [[50.0, 1.0]]})
    assert e.value.field == "period"
    s.start()
    good = [[80.0, 10.0]]
    s.order(a.token, {"steps": good})
    seat = s.market.seats[a.seat]
    bad = [
        ({"steps": "lots"}, "steps"),
        ({"steps": []}, "steps"),
        ({"steps": [[1.0, 1.0]] * (s.market.bid_steps + 1)}, "steps"),
        ({"steps": [[1.0]]}, "steps[0]"),
        ({"steps": [["x", 1.0]]}, "steps[0]"),
        ({"steps": [[True, 1.0]]}, "steps[0]"),
        ({"steps": [[seat.price_hi + 1, 1.0]]}, "steps[0].price"),
        ({"steps": [[float("nan"), 1.0]]}, "steps[0].price"),
        ({"steps": [[50.0, -1.0]]}, "steps[0].mw"),
        ({"steps": [[50.0, 1.0], [50.0, seat.step_mw * 2]]}, "steps[1].mw"),
        ({"steps": good, "seat": b.seat}, "seat"),
    ]
    t = int(s.market.env.engine.t[0])
    for msg, field in bad:
        with pytest.raises(SessionError) as e:
            s.order(a.token, msg)
        assert e.value.field == field, msg
        assert s.market.pending == {a.seat: good}
    with pytest.raises(SessionError) as e:
        s.order("not-a-token", {"steps": good})
    assert e.value.field == "token"
    assert int(s.market.env.engine.t[0]) == t and not s.market.records
    assert s.private(a.token)["pending"] == good
    assert "pending" not in str(s.private(b.token)["pending"])  # bob sees only his own
    assert s.private(b.token)["pending"] is None


def test_the_default_scenario_seats_generators_and_retailers_but_not_storage() -> None:
    s = _session(scenario="default", periods=1)
    labels = [seat.card.label for seat in s.market.seats]
    assert "battery_1" not in labels and {"ccgt_1", "households"} <= set(labels)
    a, b = s.join(s.join_code, "ann"), s.join(s.join_code, "bob")
    assert {s.market.seats[a.seat].card.role, s.market.seats[b.seat].card.role} == {
        "buyer",
        "seller",
    }
    s.start()
    s.end()
    rec = s.market.records[0]
    assert rec["efficiency"] == pytest.approx(1.0, abs=1e-12)  # merit order everywhere
    assert {rec["statements"][a.seat]["source"], rec["statements"][b.seat]["source"]} == {"default"}


def test_markup_bots_play_their_seats_and_are_measured_against_merit_order() -> None:
    s = _session(bots="markup", periods=1)
    assert {s.specs[seat.agent] for seat in s.market.seats} == {"markup:0.5,0"}
    s.start()
    s.end()
    rec = s.market.records[0]
    assert {rec["sources"][seat.agent] for seat in s.market.seats} == {"markup:0.5,0"}
    # a markup on every seat keeps the merit order (sellers x 1.5, buyers x 0.5), so the
    # dispatch and the welfare are those of merit order: only the price moves
    assert rec["efficiency"] == pytest.approx(1.0, abs=1e-9)
    assert rec["price"] > 54.0 * 1.5 - 1e-6


def test_scenario_and_periods_are_checked() -> None:
    with pytest.raises(SessionError) as e:
        SessionConfig(experiment="electricity", scenario="huge")
    assert e.value.field == "scenario"
    with pytest.raises(SessionError) as e:
        _session(periods=100)  # small has 48 periods
    assert e.value.field == "periods"


# ------------------------------------------------------------------ over the wire
@pytest.mark.usefixtures("web")
def test_two_students_over_http_and_websockets() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from elecbay_classroom.server import create_app

    s = open_session(SessionConfig(experiment="electricity", periods=2, seed=SEED,
                                   bots="merit", period_seconds=600))  # fmt: skip
    with TestClient(create_app(s)) as client:
        joined = [client.post("/api/join", json={"code": s.join_code, "name": n}).json()
                  for n in ("ann", "bob")]  # fmt: skip
        curves: list[dict[str, Any]] = []
        for period in range(2):
            with client.websocket_connect(f"/ws/teacher?key={s.teacher_key}") as teacher:
                teacher.send_json({"type": "start"})
                mine = {}
                for k, j in enumerate(joined):
                    if period == 1 and k == 1:
                        continue  # bob is silent
                    seller = s.market.seats[j["seat"]].card.role == "seller"
                    steps = [[65.0, 80.0]] if seller else [[150.0, 50.0], [60.0, 30.0]]
                    with client.websocket_connect(f"/ws?token={j['token']}") as ws:
                        ws.send_json({"type": "order", "steps": [[1e9, 1.0]], "id": 1})
                        m = _until(ws, "error")
                        assert (m["id"], m["field"]) == (1, "steps[0].price")
                        ws.send_json({"type": "order", "steps": steps, "id": 2,
                                      "seat": joined[1 - k]["seat"]})  # fmt: skip
                        assert _until(ws, "error")["field"] == "seat"
                        ws.send_json({"type": "order", "steps": steps, "id": 3})
                        assert _until(ws, "ack")["id"] == 3
                    mine[s.market.seats[j["seat"]].agent] = steps
                curves.append(mine)
                teacher.send_json({"type": "end"})
                data = _until(teacher, "teacher")["data"]
                for _ in range(50):
                    if len(data["per_period"]) == period + 1:
                        break
                    data = _until(teacher, "teacher")["data"]
                assert len(data["per_period"]) == period + 1
        assert data["per_period"][1]["defaults"] == [joined[1]["seat"]]
        assert data["curves"]["supply"] and data["prices"] == [r["price"] for r in
                                                               s.market.records]  # fmt: skip
        with client.websocket_connect(f"/ws?token={joined[0]['token']}") as ws:
            me = _until(ws, "state")["me"]
            assert me["statement"]["period"] == 2 and me["seat"] == joined[0]["seat"]
        csv = client.get(f"/api/teacher/export.csv?key={s.teacher_key}").text
        assert csv.count("\n") == 1 + 2 * len(s.market.seats)
    _check_statements(s, _replay(s, curves))


def _until(ws, kind: str) -> dict[str, Any]:
    for _ in range(200):
        m = ws.receive_json()
        if m["type"] == kind:
            return m
    raise AssertionError(f"no {kind!r} message")


def test_efficiency_replays_each_period_from_the_same_seed_with_merit_order() -> None:
    """Independent of the session's deep copy: a fresh env, the same seed, the session's
    recorded actions up to the period, then merit order for every agent in the period."""
    from elecbay_agents.registry import make_policy

    from elecbay_env.envs.parallel import parallel_env

    s = _session(periods=3)
    ann, bob = s.join(s.join_code, "ann"), s.join(s.join_code, "bob")
    assert s.market.seats[ann.seat].card.role == "buyer"
    assert s.market.seats[bob.seat].card.label == "ccgt"
    for _ in range(3):
        s.start()
        s.order(ann.token, {"steps": [[300.0, 80.0], [100.0, 40.0]]})
        s.order(bob.token, {"steps": [[54.0, 60.0], [400.0, 150.0]]})  # withholds
        s.end()
    recs = s.market.records
    assert any(r["efficiency"] < 1.0 - 1e-6 for r in recs)  # the student's curve costs welfare
    env = parallel_env("small", info_statement=True)
    spec = {"producer": "merit_order", "consumer": "merit_order", "broker": "rule_based_broker"}
    merit = {a: make_policy(spec[env.codec_for(a).role], env, a, seed=SEED)
             for a in env.possible_agents}  # fmt: skip
    for k, rec in enumerate(recs):
        obs, _ = env.reset(seed=SEED)
        state: dict[str, Any] = {}
        for past in recs[: k + 1]:
            acts = {}
            for a in env.possible_agents:
                acts[a], state[a] = merit[a].predict(obs[a], state=state.get(a))
            if past is rec:
                _, rewards, *_ = env.step(acts)
                assert sum(rewards.values()) == pytest.approx(rec["merit_welfare"], rel=1e-12)
            else:
                obs, *_ = env.step({a: np.asarray(v) for a, v in past["actions"].items()})
        assert rec["efficiency"] == pytest.approx(rec["welfare"] / rec["merit_welfare"])


def test_curves_are_rate_limited_like_orders() -> None:
    from elecbay_classroom.config import BURST

    s = open_session(SessionConfig("electricity", periods=1, seed=SEED), lambda: 5.0)
    st = s.join(s.join_code, "ann")
    s.start()
    for k in range(int(BURST)):
        s.order(st.token, {"steps": [[100.0 + k, 10.0]]})
    with pytest.raises(SessionError) as e:
        s.order(st.token, {"steps": [[1.0, 1.0]]})
    assert e.value.field == "rate"
    assert s.market.pending[st.seat] == [[100.0 + BURST - 1, 10.0]]  # the last accepted
