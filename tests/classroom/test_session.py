"""The session: join codes and tokens, period control, bots, limits, export, replay."""

from __future__ import annotations

import csv
import io

import pytest
from elecbay_classroom.market import OrderError
from elecbay_classroom.session import (
    BURST,
    EXPERIMENTS,
    Session,
    SessionConfig,
    SessionError,
    parse_bots,
)


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def _session(**kw) -> tuple[Session, Clock]:
    clock = Clock()
    return Session(SessionConfig(**{"period_seconds": 60, **kw}), clock), clock


def test_join_needs_the_code_and_a_name() -> None:
    s, _ = _session()
    with pytest.raises(SessionError, match="wrong join code") as exc:
        s.join("000000" if s.join_code != "000000" else "111111", "Ann")
    assert exc.value.field == "code"
    with pytest.raises(SessionError) as exc:
        s.join(s.join_code, "")
    assert exc.value.field == "name"
    with pytest.raises(SessionError):
        s.join(s.join_code, "x" * 25)
    a = s.join(s.join_code, "Ann")
    b = s.join(s.join_code, "Bob")
    assert {s.market.seats[a.seat].card.role, s.market.seats[b.seat].card.role} == {
        "buyer", "seller"}  # fmt: skip
    assert a.token != b.token and len(a.token) >= 16


def test_a_student_cannot_act_as_another_nor_see_their_card() -> None:
    s, _ = _session()
    a = s.join(s.join_code, "Ann")
    b = s.join(s.join_code, "Bob")
    s.start()
    for key, value in (("seat", b.seat), ("token", b.token), ("name", "Bob")):
        with pytest.raises(SessionError, match="your own seat") as exc:
            s.order(a.token, {"side": "bid", "price": 1.0, key: value})
        assert exc.value.field == key
    with pytest.raises(SessionError, match="unknown session token"):
        s.order("forged-token", {"side": "ask", "price": 3.0})
    mine = s.private(a.token)
    assert mine["seat"] == a.seat and mine["limits"] == list(s.market.seats[a.seat].card.limits)
    assert "limits" not in s.public() and "seats" not in s.public()
    assert s.market.orders == []


def test_periods_start_pause_end_and_the_clock() -> None:
    s, clock = _session(periods=2)
    a = s.join(s.join_code, "Ann")
    with pytest.raises(SessionError, match="wait for the teacher"):
        s.order(a.token, {"side": "bid", "price": 1.0})
    s.start()
    clock.t += 20
    s.pause()
    clock.t += 100  # paused time does not count
    assert s.time_left() == pytest.approx(40)
    with pytest.raises(SessionError, match="paused"):
        s.order(a.token, {"side": "bid", "price": 1.0})
    s.start()
    clock.t += 41
    s.tick()
    assert s.status == "closed"
    s.start()
    s.end()
    assert s.status == "finished"
    with pytest.raises(SessionError, match="periods are over"):
        s.start()


def test_rate_limit_per_student() -> None:
    s, clock = _session()
    a = s.join(s.join_code, "Ann")
    s.start()
    for _ in range(int(BURST)):
        s.order(a.token, {"side": "bid", "price": 0.5})
    with pytest.raises(SessionError, match="too many orders") as exc:
        s.order(a.token, {"side": "bid", "price": 0.5})
    assert exc.value.field == "rate"
    clock.t += 1.0
    s.order(a.token, {"side": "bid", "price": 0.5})  # the bucket refilled


def test_bots_fill_free_seats_and_trade() -> None:
    s, clock = _session(bots="zi-c", seed=1)
    assert len(s.bots) == len(s.market.seats)
    a = s.join(s.join_code, "Ann")  # a bot gives up its seat
    assert a.seat not in s.bots
    s.start()
    for _ in range(300):
        clock.t += 0.01
        s.bot_step()
    assert s.market.trades and 0 < s.market.efficiency(1) <= 1
    assert s.remove_bots() and not s.bots
    with pytest.raises(SessionError, match="allowed kinds"):
        parse_bots("smart")
    assert parse_bots("zi-c:4, merit") == [("zi-c", 4), ("merit", None)]


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_experiment_runs_with_bots(experiment: str) -> None:
    s, _clock = _session(experiment=experiment, bots="zi-c", periods=1)
    s.start()
    for _ in range(200):
        s.bot_step()
    s.end()
    assert s.status == "finished"
    assert s.market.trades, experiment
    assert 0 < s.market.efficiency() <= 1 + 1e-9


def test_withholding_raises_the_price_above_the_competitive_one() -> None:
    s, _ = _session(experiment="withholding", bots="merit", periods=1)
    s.start()
    s.end()
    fair, _ = _session(experiment="withholding", bots="merit", periods=1)
    fair.bots = {i: b.__class__("merit") for i, b in fair.bots.items()}
    fair.start()
    fair.end()
    price = s.market.trades[0]["price"]
    assert price >= fair.market.trades[0]["price"]
    assert s.market.efficiency() <= fair.market.efficiency() + 1e-9


def test_csv_has_every_order_and_trade_and_the_replay_log() -> None:
    s, clock = _session()
    a = s.join(s.join_code, "Ann")
    b = s.join(s.join_code, "Bob")
    s.start()
    s.order(a.token, {"side": "bid", "price": 3.0})
    clock.t += 1
    (t,) = s.order(b.token, {"side": "ask", "price": 1.0})
    rows = list(csv.DictReader(io.StringIO(s.csv())))
    assert [r["kind"] for r in rows] == ["order", "order", "trade"]
    assert float(rows[2]["price"]) == 3.0 == t["price"]
    assert "Ann" not in s.csv()  # names hidden by default
    s.show_names = True
    assert "Ann" in s.csv()
    kinds = [e["kind"] for e in s.replay()["log"]]
    assert kinds == ["join", "join", "period_start", "trade"]


def test_bad_config_names_the_field() -> None:
    for kw, field in (({"experiment": "x"}, "experiment"), ({"periods": 0}, "periods"),
                      ({"period_seconds": 1}, "period_seconds")):  # fmt: skip
        with pytest.raises(SessionError) as exc:
            SessionConfig(**kw)
        assert exc.value.field == field


def test_students_price_each_block_in_the_electricity_call_auction() -> None:
    """Students are generators and retailers of the small scenario; bots fill the rest."""
    s, _ = _session(experiment="electricity_call", bots="merit", periods=1)
    gen = s.join(s.join_code, "Gen")  # takes a bot's seat
    card = s.market.seats[gen.seat].card
    assert card.label in {"ccgt", "wind", "households", "factory"} and card.unit_qty > 1
    s.start()
    side = card.side
    for unit, limit in enumerate(card.limits):
        s.order(gen.token, {"side": side, "price": limit, "unit": unit})
    with pytest.raises(OrderError, match=r"allowed values are 0\.\.2"):
        s.order(gen.token, {"side": side, "price": card.limits[0], "unit": 3})
    s.end()
    assert s.market.trades and s.market.efficiency() == pytest.approx(1.0)
    assert {t["price"] for t in s.market.trades} == {s.market.eq.price}
