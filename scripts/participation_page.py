"""Regenerate the program output shown in docs/participation.md from the program.

Usage: ``python scripts/participation_page.py``. It fills the code blocks after the
``<!-- participation_page.py: NAME -->`` markers: ``registration`` (the ``small``
scenario's registrations and a reserve pre-qualification), ``risk`` (a limit breach
rejected and one clipped), ``options`` (an option written, exercised and one expired)
and ``temix`` (one period of the ledger told as TeMIX records).
tests/test_participation_page.py fails when the page and the program differ.
"""

from __future__ import annotations

import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "participation.md"
CCGT, WIND, HOUSES, FACTORY = 0, 1, 2, 3


def _table(rows: list[dict], columns: tuple[str, ...]) -> str:
    def cell(v: object) -> str:
        if isinstance(v, float):
            return f"{v:g}"
        return "" if v is None else str(v)

    cells = [[cell(r[c]) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[k]) for row in cells)) for k, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    for row in cells:
        lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines) + "\n"


def _orders(eng, sells, buys):
    o = eng.empty_orders()
    for s, (mw, p) in enumerate(sells):
        o.step_qty[0, CCGT, s], o.step_price[0, CCGT, s] = mw, p
    for s, (mw, p) in enumerate(buys):
        o.step_qty[0, HOUSES, s], o.step_price[0, HOUSES, s] = -mw, p
    return o


def registration_block() -> str:
    from elecbay_env.config import load_scenario
    from elecbay_env.registration import PrequalificationWarning, prequalify, registrations

    sc = load_scenario("small")
    regs = [r.__dict__ for r in registrations(sc)]
    cols = ("agent", "name", "kind", "capability_mw", "ramp_mw_per_min", "min_stable_mw",
            "min_run_periods", "meter_interval_min", "zone")  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PrequalificationWarning)
        strict = load_scenario("small", **{"market.prequalification": {"reserve": {"min_mw": 20}}})
    q = prequalify(strict, "reserve")
    lines = [f"{a}: {'qualified' if v.qualified else v.reason}" for a, v in q.items()]
    return (
        ">>> registrations(load_scenario('small'))\n"
        + _table(regs, cols)
        + "\n>>> prequalify(small with reserve.min_mw = 20, 'reserve')\n"
        + "\n".join(lines)
        + "\n"
    )


def risk_block() -> str:
    from elecbay_env.engine import Engine

    eng = Engine(
        "small",
        **{
            "consumers.0.risk": {"max_bid_mw": 30, "on_breach": "reject"},
            "producers.0.risk": {"max_bid_mw": 50},
        },
    )
    eng.reset(seed=0)
    o = _orders(eng, [(40, 30.0), (40, 60.0)], [(20, 200.0), (20, 150.0)])
    o.step_qty[0, FACTORY, 0], o.step_price[0, FACTORY, 0] = -100.0, 200.0
    out = eng.step(o)
    text = "notices (infos[agent]['notices']):\n"
    for agent, reasons in eng.participation.notices().items():
        for r in reasons:
            text += f"  {agent}: {r}\n"
    lines = [r for r in eng.ledger.statements() if r["component"].startswith("risk_")]
    text += "\nstatement lines:\n" + _table(
        lines, ("period", "agent", "component", "mwh", "amount")
    )
    text += f"\ncontract_mw: producer_0 {out.contract_mw[0, CCGT]:g}, "
    text += f"consumer_0 {out.contract_mw[0, HOUSES]:g}, "
    text += f"consumer_1 {out.contract_mw[0, FACTORY]:g}\n"
    return text


def _options_engine():
    from elecbay_env.engine import Engine

    eng = Engine("small", **{"market.options": {"expiry_lead_periods": 1}})
    eng.reset(seed=11)
    book = eng.participation.options
    for t in range(4):
        if t == 0:
            call = book.write("producer_1", "call", 10.0, 30.0, 2.0, delivery=2)
            book.buy(call, "consumer_1")
            put = book.write("producer_1", "put", 4.0, 20.0, 1.0, delivery=3)
            book.buy(put, "consumer_1")
        if t == 1:
            book.exercise(call, "consumer_1")
        eng.step(_orders(eng, [(100, 10.0)], [(100, 80.0)]))
    return eng


def options_block() -> str:
    eng = _options_engine()
    prices = [f"{float(p[0]):g}" for p in eng.ledger.published_prices]
    lines = [r for r in eng.ledger.statements() if r["component"].startswith("option_")]
    cols = ("period", "agent", "component", "mwh", "price", "amount")
    return f"forward price by period: {', '.join(prices)}\n\n" + _table(lines, cols)


def temix_block() -> str:
    from elecbay_env.transactive import temix_records

    eng = _options_engine()
    recs = [
        r
        for r in temix_records(eng.ledger)
        if r["period"] == 2 and r["agent"] in ("market", "producer_0", "consumer_1")
    ]
    cols = ("agent", "product", "state", "event", "option", "side", "mw", "mwh", "price",
            "expires", "amount")  # fmt: skip
    return _table(recs, cols)


def blocks() -> dict[str, str]:
    """The content of each marked block, from the program."""
    return {
        "registration": registration_block(),
        "risk": risk_block(),
        "options": options_block(),
        "temix": temix_block(),
    }


def block(page: str, name: str) -> str:
    """The content of the code block after marker ``name``."""
    from elecbay_evaluate.doc_blocks import marked_block

    return marked_block(page, "participation_page.py", name)


def main() -> int:
    from elecbay_evaluate.doc_blocks import fill_marked_blocks

    fill_marked_blocks(PAGE, "participation_page.py", blocks())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
