"""The classroom's web server: FastAPI routes, WebSockets and the background clock.

Pages (package data, no CDN): ``/`` the student's page (join, role card, order form,
trades), ``/teacher?key=KEY`` the teacher's. The protocol, all JSON:

* ``POST /api/join`` ``{"code", "name"}`` -> ``{"token", "seat"}``; a wrong code or name
  gives 400 with ``{"field", "message"}``.
* ``WS /ws?token=TOKEN`` (a student): send ``{"type": "order", "side": "bid"|"ask",
  "price": P, "unit": U?, "id": N?}`` or ``{"type": "cancel"}``; receive ``{"type": "ack",
  "id", "trades"}``, ``{"type": "error", "id", "field", "message"}`` and, at most 10 times
  a second, ``{"type": "state", "public": ..., "me": ...}`` (only the student's own card).
* ``WS /ws/teacher?key=KEY``: send ``{"type": "start"|"pause"|"end"}``, ``{"type":
  "add_bots", "kind", "n"?, "markup"?, "withhold"?}``, ``{"type": "remove_bots", "seats"?}``,
  ``{"type": "names", "show": bool}``; receive ``{"type": "teacher", "data": ...}``.
* ``GET /api/teacher/export.csv?key=KEY`` (every order and trade), ``GET
  /api/teacher/replay?key=KEY`` (the event log).

Everything runs on one event loop, so the :class:`~elecbay_classroom.session.Session`
needs no lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from importlib import resources
from typing import Any

from elecbay_classroom.market import OrderError
from elecbay_classroom.session import Session, SessionError
from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

FLUSH_SECONDS = 0.1
"""Longest wait before every student's page sees a change (state pushes are batched)."""
TEACHER_FLUSH_SECONDS = 0.5
"""Longest wait before the teacher's page sees a change (its state is the largest)."""
TICK_SECONDS = 0.02
MAX_MESSAGE = 2048
"""Largest WebSocket message a client may send, bytes."""


def warm_up() -> None:
    """Compile (or load from Numba's cache) the CDA and call-auction kernels now, so the
    first student's order does not wait for them."""
    from elecbay_env import clear
    from elecbay_env.cda import ContinuousDoubleAuction

    cda = ContinuousDoubleAuction(capacity=4)
    cda.cancel(cda.submit("ask", 1.0, 1.0))
    cda.submit("bid", 2.0, 1.0)
    cda.submit("ask", 1.0, 1.0)
    clear([2.0], [1.0], [1.0], [1.0])


def _static(name: str) -> str:
    return resources.files("elecbay_classroom").joinpath("static", name).read_text("utf-8")


class Hub:
    """The open WebSockets and the batched state pushes."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.students: dict[WebSocket, str] = {}  # socket -> token
        self.teachers: set[WebSocket] = set()
        self.dirty = True
        self.teacher_dirty = True
        self.teacher_at = 0.0  # loop time of the last push to the teachers

    async def _send(self, ws: WebSocket, msg: dict[str, Any]) -> None:
        await self._send_text(ws, json.dumps(_clean(msg)))

    @staticmethod
    async def _send_text(ws: WebSocket, text: str) -> None:
        with contextlib.suppress(Exception):  # a closed socket is dropped by its handler
            await ws.send_text(text)

    async def flush(self, teachers_now: bool = False) -> None:
        """Send the current state to every student's page (public part + its own card),
        and to the teachers' pages when ``teachers_now`` or their last push is old enough."""
        s = self.session
        if self.dirty:
            self.dirty, self.teacher_dirty = False, True
            if self.students:  # the public part is serialised once for everyone
                head = '{"type": "state", "public": ' + json.dumps(_clean(s.public()))
                await asyncio.gather(*(self._send_text(ws, f'{head}, "me": '
                                                       f"{json.dumps(_clean(s.private(tok)))}}}")
                                       for ws, tok in list(self.students.items())))  # fmt: skip
        now = asyncio.get_running_loop().time()
        due = self.teacher_dirty and now - self.teacher_at >= TEACHER_FLUSH_SECONDS
        if self.teachers and (teachers_now or due):
            self.teacher_dirty, self.teacher_at = False, now
            data = s.teacher()
            await asyncio.gather(*(self._send(ws, {"type": "teacher", "data": data})
                                   for ws in list(self.teachers)))  # fmt: skip


def _clean(obj: Any) -> Any:
    """NaN and infinities -> None, recursively (JSON has no NaN)."""
    if isinstance(obj, float):
        return obj if obj == obj and abs(obj) != float("inf") else None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def _err(exc: SessionError | OrderError, msg_id: Any = None) -> dict[str, Any]:
    return {"type": "error", "id": msg_id, "field": exc.field, "message": exc.message}


def create_app(session: Session) -> FastAPI:
    """The FastAPI app of one session (the clock and bots run while it serves)."""
    hub = Hub(session)

    async def clock() -> None:
        since_bot = since_push = 0.0
        while True:
            await asyncio.sleep(TICK_SECONDS)
            if session.tick():
                hub.dirty = True
            if session.status == "open":
                since_push += TICK_SECONDS
                if since_push >= 1.0:  # the pages' countdown
                    since_push, hub.dirty = 0.0, True
                since_bot += TICK_SECONDS
                interval = session.config.bot_interval
                while session.bots and since_bot >= interval:
                    since_bot -= interval if interval > 0 else since_bot
                    session.bot_step()
                    hub.dirty = True
                    if interval <= 0:
                        break
            if hub.dirty or hub.teacher_dirty:
                await hub.flush()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        warm_up()
        task = asyncio.create_task(clock())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app = FastAPI(title="elecbay classroom", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.session = session
    app.state.hub = hub

    def teacher_ok(key: Any) -> bool:
        return isinstance(key, str) and secrets.compare_digest(key, session.teacher_key)

    @app.get("/", response_class=HTMLResponse)
    async def student_page() -> str:
        return _static("student.html")

    @app.get("/teacher", response_class=HTMLResponse)
    async def teacher_page() -> str:
        return _static("teacher.html")

    @app.get("/static/{name}")
    async def static(name: str) -> Response:
        types = {"css": "text/css", "js": "text/javascript"}
        ext = name.rpartition(".")[2]
        if ext not in types or "/" in name or name.startswith("."):
            return PlainTextResponse("not found", status_code=404)
        try:
            return Response(_static(name), media_type=types[ext])
        except FileNotFoundError:
            return PlainTextResponse("not found", status_code=404)

    @app.post("/api/join")
    async def join(request: Request) -> JSONResponse:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return JSONResponse({"field": "body", "message": "expected JSON {code, name}"}, 400)
        try:
            st = session.join(body.get("code"), body.get("name"))
        except SessionError as exc:
            return JSONResponse({"field": exc.field, "message": exc.message}, 400)
        hub.dirty = True
        return JSONResponse({"token": st.token, "seat": st.seat})

    @app.get("/api/teacher/export.csv")
    async def export(key: str = "") -> Response:
        if not teacher_ok(key):
            return PlainTextResponse("wrong teacher key", status_code=403)
        return Response(session.csv(), media_type="text/csv", headers={
            "Content-Disposition": 'attachment; filename="classroom.csv"'})  # fmt: skip

    @app.get("/api/teacher/replay")
    async def replay(key: str = "") -> Response:
        if not teacher_ok(key):
            return PlainTextResponse("wrong teacher key", status_code=403)
        return JSONResponse(_clean(session.replay()))

    @app.websocket("/ws")
    async def student_ws(ws: WebSocket, token: str = "") -> None:
        await ws.accept()
        if token not in session.students:
            await ws.send_text(json.dumps({"type": "error", "field": "token",
                                           "message": "unknown session token"}))  # fmt: skip
            await ws.close(code=4403)
            return
        hub.students[ws] = token
        await hub._send(ws, {"type": "state", "public": _clean(session.public()),
                             "me": session.private(token)})  # fmt: skip
        try:
            while True:
                text = await ws.receive_text()
                reply = _student_message(session, token, text)
                if reply.get("type") == "ack":
                    hub.dirty = True
                await hub._send(ws, _clean(reply))
        except (WebSocketDisconnect, RuntimeError):  # closed by the client, or after a send
            pass
        finally:
            hub.students.pop(ws, None)

    @app.websocket("/ws/teacher")
    async def teacher_ws(ws: WebSocket, key: str = "") -> None:
        await ws.accept()
        if not teacher_ok(key):
            await ws.send_text(json.dumps({"type": "error", "field": "key",
                                           "message": "wrong teacher key"}))  # fmt: skip
            await ws.close(code=4403)
            return
        hub.teachers.add(ws)
        await hub._send(ws, {"type": "teacher", "data": _clean(session.teacher())})
        try:
            while True:
                text = await ws.receive_text()
                reply = _teacher_message(session, text)
                hub.dirty = True
                if reply:
                    await hub._send(ws, reply)
                await hub.flush(teachers_now=True)
        except (WebSocketDisconnect, RuntimeError):  # closed by the client, or after a send
            pass
        finally:
            hub.teachers.discard(ws)

    return app


def _parse(text: str) -> dict[str, Any]:
    if len(text) > MAX_MESSAGE:
        raise SessionError("message", f"too long: at most {MAX_MESSAGE} bytes")
    try:
        msg = json.loads(text)
    except ValueError:
        raise SessionError("message", "not JSON") from None
    if not isinstance(msg, dict):
        raise SessionError("message", "expected a JSON object")
    return msg


def _student_message(session: Session, token: str, text: str) -> dict[str, Any]:
    msg_id = None
    try:
        msg = _parse(text)
        msg_id = msg.get("id")
        if msg.get("type") == "order":
            return {"type": "ack", "id": msg_id, "trades": session.order(token, msg)}
        if msg.get("type") == "cancel":
            return {"type": "ack", "id": msg_id, "cancelled": session.cancel(token),
                    "trades": []}  # fmt: skip
        raise SessionError("type", f"{msg.get('type')!r}: allowed values are 'order', 'cancel'")
    except (SessionError, OrderError) as exc:
        return _err(exc, msg_id if isinstance(msg_id, int | str) else None)


def _teacher_message(session: Session, text: str) -> dict[str, Any] | None:
    try:
        msg = _parse(text)
        kind = msg.get("type")
        if kind == "start":
            session.start()
        elif kind == "pause":
            session.pause()
        elif kind == "end":
            session.end()
        elif kind == "names":
            session.show_names = bool(msg.get("show"))
        elif kind == "add_bots":
            try:
                n = msg.get("n")
                params = {k: float(msg[k]) for k in ("markup", "withhold") if k in msg}
                session.add_bots(str(msg.get("kind")), int(n) if n else None, **params)
            except (TypeError, ValueError) as exc:
                raise SessionError("bots", str(exc)) from None
        elif kind == "remove_bots":
            seats = msg.get("seats")
            try:
                chosen = [int(x) for x in seats] if isinstance(seats, list) else None
            except (TypeError, ValueError):
                raise SessionError("seats", "expected a list of seat numbers") from None
            session.remove_bots(chosen)
        else:
            raise SessionError("type", f"{kind!r}: allowed values are start, pause, end, "
                                       "names, add_bots, remove_bots")  # fmt: skip
    except (SessionError, OrderError) as exc:
        return _err(exc)
    return None
