"""The web server over HTTP and WebSockets (FastAPI's test client): join, trade, teacher."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from elecbay_classroom.session import Session, SessionConfig

pytestmark = pytest.mark.usefixtures("web")


@pytest.fixture
def client_and_session():
    with warnings.catch_warnings():  # starlette's test client warns about httpx's future
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from elecbay_classroom.server import create_app

    session = Session(SessionConfig("smith", periods=2, period_seconds=60))
    with TestClient(create_app(session)) as client:
        yield client, session


def _until(ws, kind: str) -> dict[str, Any]:
    for _ in range(200):
        m = ws.receive_json()
        if m["type"] == kind:
            return m
    raise AssertionError(f"no {kind!r} message")


def _until_data(ws, ok) -> dict[str, Any]:
    """Teacher messages until one whose data satisfies ``ok`` (pushes are batched)."""
    for _ in range(200):
        data = _until(ws, "teacher")["data"]
        if ok(data):
            return data
    raise AssertionError("the teacher's page never showed it")


def _join(client, session, name: str) -> dict[str, Any]:
    r = client.post("/api/join", json={"code": session.join_code, "name": name})
    assert r.status_code == 200, r.text
    return r.json()


def test_pages_and_static_files_are_served(client_and_session) -> None:
    client, _ = client_and_session
    assert "Join the market" in client.get("/").text
    assert "Efficiency so far" in client.get("/teacher").text
    for name in ("style.css", "common.js", "student.js", "teacher.js"):
        assert client.get(f"/static/{name}").status_code == 200
    assert "cdn" not in client.get("/").text.lower()
    assert client.get("/static/..%2Fserver.py").status_code == 404
    assert client.get("/static/nope.js").status_code == 404


def test_join_errors_are_clear(client_and_session) -> None:
    client, _session = client_and_session
    r = client.post("/api/join", json={"code": "nope", "name": "Ann"})
    assert r.status_code == 400 and r.json()["field"] == "code"
    r = client.post("/api/join", content=b"not json")
    assert r.status_code == 400 and r.json()["field"] == "body"


def test_two_students_trade_and_the_teacher_sees_it(client_and_session) -> None:
    client, session = client_and_session
    a = _join(client, session, "Ann")
    b = _join(client, session, "Bob")
    with client.websocket_connect(f"/ws/teacher?key={session.teacher_key}") as t:
        _until(t, "teacher")
        t.send_json({"type": "start"})
        _until_data(t, lambda d: d["status"] == "open")
        with (client.websocket_connect(f"/ws?token={a['token']}") as wa,
              client.websocket_connect(f"/ws?token={b['token']}") as wb):  # fmt: skip
            me_a = _until(wa, "state")["me"]
            me_b = _until(wb, "state")["me"]
            assert me_a["role"] == "buyer" and me_b["role"] == "seller"
            wa.send_json({"type": "order", "id": 1, "side": "bid", "price": 2.5})
            assert _until(wa, "ack") == {"type": "ack", "id": 1, "trades": []}
            wb.send_json({"type": "order", "id": 7, "side": "ask", "price": 2.0})
            (trade,) = _until(wb, "ack")["trades"]
            assert trade["price"] == 2.5 and trade["buyer"] == a["seat"]
            # a student cannot submit for another seat
            wb.send_json({"type": "order", "id": 8, "side": "bid", "price": 2.0,
                          "seat": a["seat"]})  # fmt: skip
            err = _until(wb, "error")
            assert err["field"] == "seat" and err["id"] == 8
            wb.send_json({"type": "order", "side": "ask", "price": "cheap"})
            assert "expected a number" in _until(wb, "error")["message"]
            wb.send_text("{not json")
            assert _until(wb, "error")["field"] == "message"
            state = _until(wa, "state")
            while not state["public"]["trades"]:
                state = _until(wa, "state")
            assert [x["price"] for x in state["public"]["trades"]] == [2.5]
            # the private part is the student's own, never the other's
            assert state["me"]["seat"] == a["seat"] and state["me"]["limits"] == [3.25]
        data = _until_data(t, lambda d: d["all_trades"])
        value, cost = 3.25, session.market.seats[b["seat"]].card.limits[0]
        assert data["efficiency"] == pytest.approx((value - cost) / 7.5)
        assert data["all_trades"][0]["price"] == 2.5


def test_wrong_token_and_teacher_key_are_refused(client_and_session) -> None:
    client, session = client_and_session
    with client.websocket_connect("/ws?token=forged") as ws:
        assert ws.receive_json()["field"] == "token"
    with client.websocket_connect("/ws/teacher?key=forged") as ws:
        assert ws.receive_json()["field"] == "key"
    assert client.get("/api/teacher/export.csv?key=forged").status_code == 403
    assert client.get("/api/teacher/replay").status_code == 403
    ok = client.get(f"/api/teacher/export.csv?key={session.teacher_key}")
    assert ok.status_code == 200 and ok.text.startswith("kind,period")


def test_teacher_controls_bots_and_names(client_and_session) -> None:
    client, session = client_and_session
    with client.websocket_connect(f"/ws/teacher?key={session.teacher_key}") as t:
        _until(t, "teacher")
        t.send_json({"type": "add_bots", "kind": "zi-c", "n": 4})
        _until_data(t, lambda d: d["bots"] == 4)
        t.send_json({"type": "add_bots", "kind": "genius"})
        assert "allowed values" in _until(t, "error")["message"]
        t.send_json({"type": "add_bots", "kind": "markup", "markup": "lots"})
        assert _until(t, "error")["field"] == "bots"
        t.send_json({"type": "remove_bots", "seats": ["x"]})
        assert _until(t, "error")["field"] == "seats"
        t.send_json({"type": "pause"})
        assert _until(t, "error")["field"] == "action"
        t.send_json({"type": "names", "show": True})
        t.send_json({"type": "remove_bots"})
        _until_data(t, lambda d: d["bots"] == 0 and d["show_names"] is True)
