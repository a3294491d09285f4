"""The electricity experiment in a real headless Chromium: a generator and a retailer send
their curves from their pages (a bad one gets a clear message), the period clears through
the environment, each page shows its statement and the teacher's page the period's price
and efficiency. Screenshots as in tests/classroom/test_browser.py."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from elecbay_classroom.config import SessionConfig
from elecbay_classroom.grid_session import open_session

ROOT = Path(__file__).resolve().parents[2]
DOCS_IMG = ROOT / "docs" / "img"
SHOTS = ("classroom_electricity_teacher.png", "classroom_electricity_student.png")


def test_generator_and_retailer_bid_in_the_browser(chromium: str, live_server,
                                                   tmp_path: Path) -> None:  # fmt: skip
    from playwright.sync_api import expect, sync_playwright

    session = open_session(SessionConfig("electricity", periods=2, period_seconds=600,
                                         bots="merit", seed=3))  # fmt: skip
    base = live_server(session)
    out = Path(os.environ.get("ELECBAY_ARTIFACTS", tmp_path / "artifacts")) / "classroom"
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])  # fmt: skip
        errors: list[str] = []
        try:
            teacher = browser.new_page(viewport={"width": 1280, "height": 1000})
            teacher.on("pageerror", lambda exc: errors.append(str(exc)))
            teacher.goto(f"{base}/teacher?key={session.teacher_key}")
            expect(teacher.locator("#code")).to_have_text(session.join_code)
            pages = {}
            for name, role in (("Ann", "Buyer"), ("Bob", "Seller")):
                page = browser.new_context(viewport={"width": 420, "height": 1100}).new_page()
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.goto(f"{base}/?code={session.join_code}")
                page.fill("#name", name)
                page.click("#joinBtn")
                expect(page.locator("#role")).to_contain_text(role)
                pages[name] = page
            teacher.click("#start")
            ann, bob = pages["Ann"], pages["Bob"]
            expect(ann.locator("#status")).to_contain_text("open")
            bob.fill("#p0", "60")
            bob.fill("#q0", "1e9")  # too many MW: the field and its range
            bob.click("#sendCurve")
            expect(bob.locator("#curveMsg")).to_contain_text("steps[0].mw")
            bob.fill("#q0", "100")
            bob.click("#sendCurve")
            expect(bob.locator("#curveMsg")).to_contain_text("Curve received")
            ann.fill("#p0", "300")
            ann.fill("#q0", "80")
            ann.click("#sendCurve")
            expect(ann.locator("#curveMsg")).to_contain_text("Curve received")
            teacher.click("#end")
            expect(teacher.locator("#status")).to_contain_text("closed")
            rec = session.market.records
            expect(ann.locator("#gridPrice")).to_have_text(f"{rec[0]['price']:.2f}")
            expect(bob.locator("#statement")).to_contain_text("yours")
            eff = 100 * rec[0]["efficiency"]
            expect(teacher.locator("#eff")).to_have_text(f"{eff:.1f} %")
            expect(teacher.locator("#periods")).to_contain_text(f"{rec[0]['price']:.2f}")
            teacher.wait_for_timeout(300)
            teacher.screenshot(path=str(out / SHOTS[0]), full_page=True)
            bob.screenshot(path=str(out / SHOTS[1]), full_page=True)
            assert errors == []
        finally:
            browser.close()
    for name in SHOTS:
        assert (out / name).stat().st_size > 10_000
        if os.environ.get("ELECBAY_DOCS_SCREENSHOTS") == "1":
            DOCS_IMG.mkdir(exist_ok=True)
            shutil.copy(out / name, DOCS_IMG / name)


def test_the_curve_form_fits_a_phone(chromium: str, live_server) -> None:
    from playwright.sync_api import sync_playwright

    session = open_session(SessionConfig("electricity", periods=1, period_seconds=60))
    base = live_server(session)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])  # fmt: skip
        try:
            page = browser.new_page(viewport={"width": 360, "height": 740})
            page.goto(f"{base}/?code={session.join_code}")
            page.fill("#name", "Phone")
            page.click("#joinBtn")
            page.wait_for_selector("#grid:not(.hidden)")
            page.wait_for_selector("#p0")
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
        finally:
            browser.close()
