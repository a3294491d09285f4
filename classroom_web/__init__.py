"""The classroom in the browser: students trade live against each other and bots.

``elecbay classroom serve`` (:mod:`.command`) starts a FastAPI app (:mod:`.server`) that
serves plain HTML, CSS and JavaScript pages (``static/``, no CDN, no build step): the
teacher's page and the students' page. The market rules are in :mod:`.market`, the role
cards and shipped schedules in :mod:`.schedules`, the bots in :mod:`.bots`, the teacher's
options in :mod:`.config`, the session (seats, tokens, period clock, rate limits, the
record) in :mod:`.session`.
docs/classroom.md ("Run a live class") shows it at work. Needs the ``classroom`` extra
(fastapi, uvicorn, websockets) for the server; the rest is plain Python.
"""

from __future__ import annotations
