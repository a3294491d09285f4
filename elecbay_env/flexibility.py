"""The flexibility operator in the engine: standing offers, daily procurement, delivery
verification against baselines and settlement (docs/flexibility.md).

:class:`FlexibilityOperator` exists only when a scenario has a ``flexibility:`` section;
the engine calls :meth:`~FlexibilityOperator.start` when episodes start,
:meth:`~FlexibilityOperator.before_step` before each period (procurement at the gate)
and :meth:`~FlexibilityOperator.settle` after it. Settlement adds the payments to the
period's rewards and writes statement lines (components :data:`COMPONENTS`); the
operator's cost is paid by ``broker_0``, so cash still sums to zero. Without a
``flexibility:`` section nothing here runs and the market is bit-identical.

Timing: standing offers (:meth:`~FlexibilityOperator.offer`) persist until replaced,
across episodes; day 0's service is cleared when the episode starts, each later day's
at the first period of ``gate_hour`` the day before. Each need window (a run of
consecutive need periods) of each day is utilised with probability
``expected_use_frac``, drawn from the market's generator when the episode starts; a
utilised window asks every accepted provider for its accepted MW in each of its periods
(:meth:`~FlexibilityOperator.requested_mw`).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING

import numpy as np

from .baselines import (
    bounded_baseline,
    consumption_mwh,
    delivered_mwh,
    historical_baseline,
    nominated_baseline,
    performance,
    profile_baseline,
    same_day_adjustment,
)
from .flex_market import procure
from .kernels import kinds
from .schema_flexibility import FlexService, need_periods
from .service_prequal import Rejecter, screen_flex_offer

if TYPE_CHECKING:
    from .config import Scenario
    from .params import MarketParams
    from .period import PeriodOutcome
    from .state import MarketState

COMPONENTS = ("flexibility_availability", "flexibility_utilisation", "flexibility_penalty")
"""Statement components of flexibility payments (cash; + received by the provider)."""


def _windows(periods: list[int]) -> list[list[int]]:
    """Runs of consecutive periods."""
    runs: list[list[int]] = []
    for t in periods:
        if runs and runs[-1][-1] == t - 1:
            runs[-1].append(t)
        else:
            runs.append([t])
    return runs


class _Service:
    """One service's configuration and per-market state."""

    def __init__(self, svc: FlexService, scenario: Scenario, params: MarketParams) -> None:
        e, n = params.kind.shape
        self.svc = svc
        self.need = need_periods(svc, params.period_min)
        self.windows = _windows(self.need)
        self.window_of = {t: w for w, run in enumerate(self.windows) for t in run}
        names = [x.name for x in scenario.participants]
        if svc.members is None:
            kind = params.kind[0]
            member = (kind == kinds.CONSUMER) | (kind == kinds.STORAGE)
        else:
            member = np.array([nm in svc.members for nm in names] + [False])
        self.member = member  # (N,) bool
        self.capacity = np.zeros((e, n))
        self.avail = np.zeros((e, n))
        self.util = np.zeros((e, n))
        self.nominated = np.full((e, n), np.nan)  # standing nomination, MW; NaN: none
        self.nominated_day = np.full((e, 2, n), np.nan)  # snapshot at each day's gate
        # awards of two days (today's and, after the gate, tomorrow's) by day % 2
        self.acc = np.zeros((e, 2, n))
        self.pay_av = np.zeros((e, 2, n))
        self.pay_ut = np.zeros((e, 2, n))
        self.day = np.full((e, 2), -1, np.int64)  # the day each award is for
        self.used = np.zeros((e, 1, max(len(self.windows), 1)), bool)  # (E, days, W)
        self.adjust = np.zeros((e, n))  # same-day adjustment of the current window


class FlexibilityOperator:
    """Buys flexibility services for E markets and settles them.

    Args:
        scenario: a scenario with a ``flexibility`` section.
        params: the markets' parameters.
        agents: agent ids in row order.
    """

    def __init__(self, scenario: Scenario, params: MarketParams, agents: list[str]) -> None:
        assert scenario.flexibility is not None
        self.params = params
        self.agents = agents
        self.ppd = scenario.market.periods_per_day
        self.days = scenario.market.days
        self.services = [_Service(s, scenario, params) for s in scenario.flexibility.services]
        self.names = [s.svc.name for s in self.services]
        e, n = params.kind.shape
        m = params.n_meters
        self.k_day = self.ppd * m
        n_hist = max(s.svc.historical_days for s in self.services)
        self.n_pre = 2 * n_hist  # pre-episode days: n_hist of each day type
        self.past = np.zeros((e, n, self.n_pre + self.days, self.k_day))
        self.past_type = np.zeros((e, self.n_pre + self.days), np.int64)
        self.n_past = np.zeros(e, np.int64)
        self.today = np.zeros((e, n, self.k_day))
        self.weekday0 = np.zeros(e, np.int64)
        self.lines: list[dict[str, object]] = []
        self.state: MarketState | None = None
        self.screen: Rejecter | None = None  # pre-qualification (the engine sets it)

    # ------------------------------------------------------------------ offers
    def offer(
        self,
        service: str,
        capacity_mw: np.ndarray,
        availability_per_mw_h: np.ndarray,
        utilisation_per_mwh: np.ndarray,
        baseline_mw: np.ndarray | None = None,
    ) -> None:
        """Replace the standing offers of ``service`` with ``(E, N)`` arrays.

        ``baseline_mw`` (``(E, N)``, MW of consumption, NaN for none) is the provider's
        nomination for the need periods, used by a ``nominated`` baseline; None keeps the
        standing nomination (none at first: the default profile stands in). It is fixed
        at the gate with the offer.

        Raises:
            ValueError: an unknown service, a wrong shape, a value that is not finite
                or is negative, or capacity offered by a row that is not a member
                (naming the field, market and agent); nothing changes then.

        With ``market.prequalification``, the offer of a row not pre-qualified for
        flexibility is set to 0 MW, with a notice (:mod:`elecbay_env.service_prequal`).
        """
        if service not in self.names:
            raise ValueError(f"service={service!r}: allowed values are {', '.join(self.names)}")
        s = self.services[self.names.index(service)]
        shape = s.capacity.shape
        arrays = {}
        for field, x in (
            ("capacity_mw", capacity_mw),
            ("availability_per_mw_h", availability_per_mw_h),
            ("utilisation_per_mwh", utilisation_per_mwh),
        ):
            a = np.asarray(x, dtype=np.float64)
            if a.shape != shape:
                raise ValueError(f"{field}: expected shape {shape}, got {a.shape}")
            bad = ~np.isfinite(a) | (a < 0.0)
            if bad.any():
                e, i = np.argwhere(bad)[0]
                raise ValueError(
                    f"{field}[{e}, {i}] ({self.agents[i]}) = {a[e, i]}: must be finite and >= 0"
                )
            arrays[field] = a
        nominated = None
        if baseline_mw is not None:
            nominated = np.asarray(baseline_mw, dtype=np.float64)
            if nominated.shape != shape:
                raise ValueError(f"baseline_mw: expected shape {shape}, got {nominated.shape}")
            if np.isinf(nominated).any():
                e, i = np.argwhere(np.isinf(nominated))[0]
                raise ValueError(f"baseline_mw[{e}, {i}] ({self.agents[i]}): must be finite or NaN")
        outsider = (arrays["capacity_mw"] > 0.0) & ~s.member[None, :]
        if outsider.any():
            e, i = np.argwhere(outsider)[0]
            raise ValueError(
                f"capacity_mw[{e}, {i}]: {self.agents[i]} is not a member of service "
                f"{service!r}; allowed: 0"
            )
        if self.screen is not None:  # unqualified rows' offers to 0 MW, with a notice
            arrays["capacity_mw"] = screen_flex_offer(self.screen, service, arrays["capacity_mw"])
        s.capacity[:] = arrays["capacity_mw"]
        s.avail[:] = arrays["availability_per_mw_h"]
        s.util[:] = arrays["utilisation_per_mwh"]
        if nominated is not None:
            s.nominated[:] = nominated

    # ------------------------------------------------------------------ episodes
    def start(
        self,
        idx: np.ndarray,
        state: MarketState,
        gens: list[np.random.Generator],
        dates: np.ndarray,
    ) -> None:
        """Start the episodes of markets ``idx``: history, utilisation draws, day 0."""
        p = self.params
        self.state = state
        for e, g in zip(idx, gens, strict=True):
            d = dates[e]
            self.weekday0[e] = 0 if np.isnat(d) else (int(d.astype("int64")) + 3) % 7
            first = self._profile_day(e, state, 0)  # (N, K_day) consumption MWh
            half = self.n_pre // 2
            self.past[e, :, : self.n_pre] = first[:, None, :]
            self.past_type[e, : self.n_pre] = [0] * half + [1] * half
            self.n_past[e] = self.n_pre
            self.today[e] = 0.0
            for s in self.services:
                if s.used.shape[1] != self.days:
                    s.used = np.zeros((p.n_markets, self.days, s.used.shape[2]), bool)
                s.used[e] = g.random((self.days, s.used.shape[2])) < s.svc.expected_use_frac
                s.day[e] = -1
                s.acc[e] = 0.0
                s.adjust[e] = 0.0
                self._clear(s, e, 0)

    def _profile_day(self, e: int, state: MarketState, day: int) -> np.ndarray:
        """(N, K_day) the default profile's consumption MWh of day ``day``: the expected
        load of consumers, 0 for every other row."""
        p = self.params
        n_src = p.forecast_mw.shape[1]
        cols = (state.start[e] + day * self.ppd + np.arange(self.ppd)) % n_src
        mw = np.where((p.kind[e] == kinds.CONSUMER)[:, None], p.forecast_mw[:, cols], 0.0)
        return profile_baseline(np.repeat(mw, p.n_meters, axis=1), p.meter_h)

    def _day_type(self, e: int, day: int) -> int:
        return int((self.weekday0[e] + day) % 7 >= 5)

    def _clear(self, s: _Service, e: int, day: int) -> None:
        a = procure(
            s.capacity[e],
            s.avail[e],
            s.util[e],
            s.svc.need_mw,
            s.svc.expected_use_frac,
            s.svc.pricing,
            s.svc.max_availability_per_mw_h,
            s.svc.max_utilisation_per_mwh,
        )
        s.acc[e, day % 2], s.pay_av[e, day % 2], s.pay_ut[e, day % 2] = a
        s.nominated_day[e, day % 2] = s.nominated[e]
        s.day[e, day % 2] = day

    def before_step(self, t: np.ndarray) -> None:
        """At each market's gate, clear the next day's service from the standing offers."""
        gate = self.params.period_min
        for s in self.services:
            gate_pod = s.svc.gate_hour * 60 // gate
            for e in np.flatnonzero(t % self.ppd == gate_pod):
                if t[e] // self.ppd + 1 < self.days:
                    self._clear(s, e, int(t[e] // self.ppd) + 1)

    def requested_mw(self, t: np.ndarray | None = None, service: str | None = None) -> np.ndarray:
        """``(E, N)`` MW of flexibility asked of each row in period ``t`` (default: each
        market's next period): its accepted MW in a utilised need window, else 0;
        summed over services (or one ``service``)."""
        if t is None:
            assert self.state is not None, "call the engine's reset() first"
            t = self.state.t
        out = np.zeros_like(self.services[0].acc[:, 0])
        for s in self.services:
            if service is not None and s.svc.name != service:
                continue
            for e in range(out.shape[0]):
                day, pod = divmod(int(t[e]), self.ppd)
                w = s.window_of.get(pod)
                if w is None or day >= self.days or s.day[e, day % 2] != day:
                    continue
                if s.used[e, day, w]:
                    out[e] += s.acc[e, day % 2]
        return out

    # ------------------------------------------------------------------ settlement
    def settle(self, t: np.ndarray, out: PeriodOutcome) -> None:
        """Verify delivery in period ``t`` (``(E,)``), pay, and add to ``out.reward``.

        Availability: accepted MW x period hours x its price, times the share kept
        (:func:`elecbay_env.baselines.performance`; 1 when not utilised). Utilisation:
        delivered MWh x its price. Penalty: ``penalty_per_mwh`` x the shortfall when the
        delivery ratio is below the threshold. ``broker_0`` pays the sum.
        """
        p = self.params
        m = p.n_meters
        cons = consumption_mwh(out.meter_mwh)  # (E, N, M)
        self.lines = []
        for e in range(t.shape[0]):
            tt = int(t[e])
            day, pod = divmod(tt, self.ppd)
            self.today[e, :, pod * m : (pod + 1) * m] = cons[e]
            for s in self.services:
                self._settle_one(s, e, tt, day, pod, cons[e], out)
            if pod == self.ppd - 1:
                k = self.n_past[e]
                self.past[e, :, k] = self.today[e]
                self.past_type[e, k] = self._day_type(e, day)
                self.n_past[e] += 1

    def _baseline(self, s: _Service, e: int, day: int, pod: int, out: PeriodOutcome):
        p = self.params
        m = p.n_meters
        sl = slice(pod * m, (pod + 1) * m)
        assert self.state is not None
        profile = self._profile_day(e, self.state, day)[:, sl]
        if s.svc.baseline == "default_profile":
            return profile
        if s.svc.baseline == "nominated":
            nom = s.nominated_day[e, day % 2]
            base = np.where(np.isnan(nom)[:, None], profile, nominated_baseline(nom, m, p.meter_h))
        else:
            k = self.n_past[e]
            hist = self.past[e, :, :k, sl]
            day_type = self._day_type(e, day)
            base = historical_baseline(hist, self.past_type[e, :k], day_type, s.svc.historical_days)
            base = base + s.adjust[e][:, None]
        if s.svc.baseline_cap_frac is None:
            return base
        return bounded_baseline(base, profile, s.svc.baseline_cap_frac)

    def _settle_one(self, s, e, tt, day, pod, cons, out) -> None:
        svc = s.svc
        w = s.window_of.get(pod)
        if w is None or s.day[e, day % 2] != day:
            return
        p = self.params
        used = bool(s.used[e, day, w])
        if used and pod == s.windows[w][0] and svc.baseline == "historical":
            self._adjust(s, e, day, pod)
        acc = s.acc[e, day % 2]
        pay_av, pay_ut = s.pay_av[e, day % 2], s.pay_ut[e, day % 2]
        req_mwh = acc * p.period_h if used else np.zeros_like(acc)
        if used:
            base = self._baseline(s, e, day, pod, out)
            dlv = delivered_mwh(base, cons, (acc * p.meter_h)[:, None], svc.direction).sum(-1)
        else:
            dlv = np.zeros_like(acc)
        _, kept = performance(dlv, req_mwh, svc.threshold_frac)
        short = (req_mwh - dlv) * ((dlv < svc.threshold_frac * req_mwh) & (req_mwh > 0))
        if not used and svc.baseline == "nominated":  # the nomination checked uncalled
            short = short + self._nomination_error(s, e, day, pod, cons, acc, out)
        amounts = (
            (acc * p.period_h, pay_av, acc * p.period_h * pay_av * kept),
            (dlv, pay_ut, dlv * pay_ut),
            (short, np.full_like(acc, svc.penalty_per_mwh), -short * svc.penalty_per_mwh),
        )
        self._book(e, tt, svc.name, amounts, out)

    def _nomination_error(self, s, e, day, pod, cons, acc, out) -> np.ndarray:
        """(N,) MWh by which an accepted provider's nomination overstated its baseline in
        an uncalled period (what it would have been paid for doing nothing), beyond
        ``nomination_tolerance_frac`` of the default profile, at most its accepted MWh."""
        p = self.params
        base = self._baseline(s, e, day, pod, out)
        assert self.state is not None
        tol = s.svc.nomination_tolerance_frac * np.abs(
            self._profile_day(e, self.state, day)[:, pod * p.n_meters : (pod + 1) * p.n_meters]
        )
        over = base - cons if s.svc.direction == "turn_down" else cons - base
        err = np.maximum(over - tol, 0.0).sum(-1)
        return np.where(acc > 0.0, np.minimum(err, acc * p.period_h), 0.0)

    def _adjust(self, s: _Service, e: int, day: int, pod: int) -> None:
        p = self.params
        m = p.n_meters
        w_int = round(s.svc.adjustment_hours * 60 / p.meter_min)
        hi = pod * m
        lo = max(hi - w_int, 0)
        k = self.n_past[e]
        hist = self.past[e, :, :k, lo:hi]
        base = historical_baseline(
            hist, self.past_type[e, :k], self._day_type(e, day), s.svc.historical_days
        )
        cap = s.svc.adjustment_cap_frac
        s.adjust[e] = same_day_adjustment(base, self.today[e, :, lo:hi], cap)

    def _book(self, e: int, tt: int, name: str, amounts, out: PeriodOutcome) -> None:
        q = Decimal(1).scaleb(-6)
        b = self.agents.index("broker_0")
        for comp, (mwh, price, amount) in zip(COMPONENTS, amounts, strict=True):
            rows = np.flatnonzero(mwh != 0.0)
            if rows.size == 0:
                continue
            total = Decimal(0)
            for i in rows:
                dec = Decimal(repr(float(amount[i]))).quantize(q, ROUND_HALF_EVEN)
                total += dec
                out.reward[e, i] += amount[i]
                line = self._line(e, tt, self.agents[i], comp, name, mwh[i], price[i], dec)
                self.lines.append(line)
            out.reward[e, b] -= amount[rows].sum()
            line = self._line(e, tt, "broker_0", comp, name, -mwh[rows].sum(), None, -total)
            self.lines.append(line)

    @staticmethod
    def _line(e, tt, agent, comp, name, mwh, price, amount) -> dict[str, object]:
        return {
            "market": e,
            "period": tt,
            "agent": agent,
            "component": f"{comp}:{name}",
            "mwh": float(mwh),
            "price": None if price is None else round(float(price), 6),
            "amount": amount,
        }
