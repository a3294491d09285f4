"""The classroom in a real headless Chromium (Debian's, driven by Playwright for Python).

The teacher's page opens, two students join from their own pages, place a crossing bid and
ask, both see the trade, and the teacher's page shows it with the updated efficiency; a
student's page that tries to send an order for another seat gets an error. Screenshots go
to ``$ELECBAY_ARTIFACTS`` (default: the test's tmp folder); with
``ELECBAY_DOCS_SCREENSHOTS=1`` also to docs/img/classroom_*.png (docs/classroom.md).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from elecbay_classroom.session import Session, SessionConfig

ROOT = Path(__file__).resolve().parents[2]
DOCS_IMG = ROOT / "docs" / "img"


def _shots(tmp_path: Path) -> Path:
    out = Path(os.environ.get("ELECBAY_ARTIFACTS", tmp_path / "artifacts")) / "classroom"
    out.mkdir(parents=True, exist_ok=True)
    return out


def test_two_students_trade_in_the_browser(chromium: str, live_server, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    session = Session(SessionConfig("smith", periods=3, period_seconds=300))
    base = live_server(session)
    out = _shots(tmp_path)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])  # fmt: skip
        errors: list[str] = []  # JavaScript errors of any page
        try:
            teacher = browser.new_page(viewport={"width": 1280, "height": 900})
            teacher.on("pageerror", lambda exc: errors.append(str(exc)))
            teacher.goto(f"{base}/teacher?key={session.teacher_key}")
            expect(teacher.locator("#code")).to_have_text(session.join_code)
            students = []
            for name, role in (("Ann", "Buyer"), ("Bob", "Seller")):
                page = browser.new_context(viewport={"width": 420, "height": 860}).new_page()
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.goto(f"{base}/?code={session.join_code}")
                page.fill("#name", name)
                page.click("#joinBtn")
                expect(page.locator("#role")).to_contain_text(role)
                students.append(page)
            ann, bob = students
            teacher.click("#start")
            expect(ann.locator("#status")).to_contain_text("open")
            ann.fill("#price", "2.40")
            ann.click("#send")
            expect(ann.locator("#orderMsg")).to_have_text("Order placed.")
            expect(bob.locator("#bestBid")).to_have_text("2.40")
            bob.fill("#price", "5000")  # out of range: a clear message on the page
            bob.click("#send")
            expect(bob.locator("#orderMsg")).to_contain_text("price:")
            bob.fill("#price", "1.90")
            bob.click("#send")
            expect(bob.locator("#orderMsg")).to_have_text("Traded at 2.40!")
            for page in (ann, bob):
                expect(page.locator("#trades")).to_have_text("2.40")
            seller_cost = session.market.seats[_seat(session, "Bob")].card.limits[0]
            eff = 100 * (3.25 - seller_cost) / 7.5
            expect(teacher.locator("#eff")).to_have_text(f"{eff:.1f} %")
            expect(teacher.locator("#lastTrade")).to_contain_text("last at 2.40")
            # Bob's page tries to send an order for Ann's seat: refused, nothing traded
            bob.evaluate("ws.send(JSON.stringify({type: 'order', id: 99, side: 'ask', "
                         f"price: 1.0, seat: {_seat(session, 'Ann')}}}))")  # fmt: skip
            expect(bob.locator("#orderMsg")).to_contain_text("you can only trade for your own seat")
            assert len(session.market.trades) == 1
            teacher.wait_for_timeout(300)  # let the canvases draw
            teacher.screenshot(path=str(out / "classroom_teacher.png"), full_page=True)
            ann.screenshot(path=str(out / "classroom_student_buyer.png"), full_page=True)
            bob.screenshot(path=str(out / "classroom_student_seller.png"), full_page=True)
            teacher.click("#end")
            teacher.click("#replayLink")  # the replay of the session so far
            expect(teacher.locator("#msg")).to_have_text("Replay done.", timeout=15_000)
            expect(teacher.locator("#lastTrade")).to_contain_text("1 trades; last at 2.40")
            with teacher.expect_download() as dl:
                teacher.click("#csv")
            rows = Path(dl.value.path()).read_text().splitlines()
            assert rows[0].startswith("kind,period") and len(rows) == 4  # 2 orders, 1 trade
            assert errors == []
        finally:
            browser.close()
    for name in ("classroom_teacher.png", "classroom_student_buyer.png",
                 "classroom_student_seller.png"):  # fmt: skip
        assert (out / name).stat().st_size > 10_000
        if os.environ.get("ELECBAY_DOCS_SCREENSHOTS") == "1":
            DOCS_IMG.mkdir(exist_ok=True)
            shutil.copy(out / name, DOCS_IMG / name)


def _seat(session: Session, name: str) -> int:
    (seat,) = [st.seat for st in session.students.values() if st.name == name]
    return seat


@pytest.mark.parametrize("width", [360])
def test_student_page_fits_a_phone(chromium: str, live_server, width: int) -> None:
    from playwright.sync_api import sync_playwright

    session = Session(SessionConfig("gode_sunder", periods=1, period_seconds=60))
    base = live_server(session)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])  # fmt: skip
        try:
            page = browser.new_page(viewport={"width": width, "height": 740})
            page.goto(f"{base}/?code={session.join_code}")
            page.fill("#name", "Phone")
            page.click("#joinBtn")
            page.wait_for_selector("#card:not(.hidden)")
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width  # no sideways scrolling
        finally:
            browser.close()
