"""A scripted electricity class (docs/classroom.md, written by scripts/classroom_page.py).

Two students on the ``small`` scenario, merit-order bots on the other seats: a retailer
who bids part of its load below its value, and the CCGT's owner who offers most of it high
in periods 1 and 3 and sends nothing in period 2 (the merit-order default plays the seat,
flagged). :func:`demo_table` prints what the teacher's page shows per period and the
generator's statements.
"""

from __future__ import annotations

from elecbay_classroom.config import SessionConfig
from elecbay_classroom.grid_session import GridSession

RETAILER_BID = [[300.0, 80.0], [100.0, 40.0]]
"""The retailer's curve: ``[price per MWh, MW]`` steps."""
GENERATOR_OFFER = [[54.0, 60.0], [400.0, 150.0]]
"""The CCGT's curve: 60 MW at its marginal cost (54), 150 MW more at 400 (withholding)."""


def demo_session(periods: int = 3, seed: int = 0) -> GridSession:
    """The scripted class, played to its end (a fake clock: no waiting)."""
    tick = iter(range(10**6))
    s = GridSession(SessionConfig("electricity", periods=periods, bots="merit", seed=seed),
                    clock=lambda: float(next(tick)))  # fmt: skip
    retailer, generator = s.join(s.join_code, "Ann"), s.join(s.join_code, "Bob")
    for p in range(1, periods + 1):
        s.start()
        s.order(retailer.token, {"steps": RETAILER_BID})
        if p != 2:
            s.order(generator.token, {"steps": GENERATOR_OFFER})
        s.end()
    return s


def demo_table(periods: int = 3, seed: int = 0) -> str:
    """The teacher's per-period table and the generator's statements, as text."""
    s = demo_session(periods, seed)
    gen = next(st.seat for st in s.students.values() if st.name == "Bob")
    ret = next(st.seat for st in s.students.values() if st.name == "Ann")
    lines = [
        "period  price/MWh  welfare  merit-order welfare  efficiency %  silent",
        "------  ---------  -------  -------------------  ------------  ------",
    ]
    for r in s.teacher()["per_period"]:
        silent = ", ".join(f"seat {i + 1}" for i in r["defaults"]) or "-"
        eff = "-" if r["efficiency"] is None else f"{100 * r['efficiency']:.1f}"
        lines.append(f"{r['period']:>6}  {round(r['price'], 2) + 0.0:>9.2f}  {r['welfare']:>7.0f}  "
                     f"{r['merit_welfare']:>19.0f}  {eff:>12}  {silent}")  # fmt: skip
    lines += ["", f"seat {gen + 1} (generator {s.market.seats[gen].card.label}) and seat "
              f"{ret + 1} (retailer {s.market.seats[ret].card.label}), statements:",
              "period  seat  source    energy MWh  imbalance MWh     costs    profit"]  # fmt: skip
    for r in s.market.records:
        for i in (gen, ret):
            st = r["statements"][i]
            lines.append(f"{st['period']:>6}  {i + 1:>4}  {st['source']:<8}  "
                         f"{st['energy_mwh']:>10.1f}  {st['imbalance_mwh']:>13.1f}  "
                         f"{round(st['costs']):>8d}  {round(st['profit']):>8d}")  # fmt: skip
    return "\n".join(lines) + "\n"


__all__ = ["GENERATOR_OFFER", "RETAILER_BID", "demo_session", "demo_table"]
