"""The operator's registration window: entrants register new assets before the market
opens (:mod:`.assets` holds the rules; :class:`~.operator.Operator` mixes this in).

While the window is open (status ``registration``, ``registration_window_s`` seconds) an
entrant's ``register_asset`` is checked and answered with ``asset_registered`` (accepted,
the seat its asset will be, or the reasons for refusal). When the window closes the
accepted assets are written to the ledger (table ``assets``), added to the scenario and
the market rebuilt with them; each accepted entrant is registered as its new seat (it
gets ``registered`` with the seat's action and observation widths) and then trades like
any seat, on its own topics (``elecbay/in/entrant_<k>``, ``elecbay/out/entrant_<k>``).
On a restart the stored assets rebuild the same market; the window does not reopen, and
an entrant whose asset was accepted registers it again to play its seat (answered
``asset_registered`` accepted with the same seat).
"""

from __future__ import annotations

from typing import Any

from . import messages as m
from .assets import check_asset, new_agent_id, scenario_with


class AssetWindow:
    """Registration of new assets (a mixin of the operator; see the module docstring)."""

    config: Any
    env: Any
    base: dict[str, Any]
    assets: list[tuple[str, str, str, dict[str, Any]]]
    alias: dict[str, str]
    user_of: dict[str, str]
    registered: dict[str, str]
    meters: set[str]
    ledger: Any
    state: str

    def send(self, to: str, kind: str, **fields: Any) -> None:  # the operator's
        raise NotImplementedError

    def _adopt(self, env: Any) -> None:
        """Play the market ``env`` (its seats, periods, meters and house policies)."""
        from elecbay_agents.registry import make_policies

        self.env = env
        self.seats = list(env.possible_agents)
        self.n_periods = env.num_periods
        self.n_meters = env.engine.params.n_meters
        self.house = make_policies(env, self.config.house, seed=self.config.seed)

    def _register_asset(self, user: str, msg: dict[str, Any]) -> None:
        ref = msg["id"]
        added = [(role, asset) for _u, _s, role, asset in self.assets]
        if user in self.alias:  # accepted before (a restart): it plays its seat again
            seat = self.alias[user]
            self._answer_asset(user, ref, [], seat)
            self._register(seat, {**msg, "seat": user})  # type: ignore[attr-defined]
            return
        if user not in getattr(self, "entrants", ()):
            reasons = [f"seat: {user} is no entrant; the organiser hands out entrant_<k> users"]
        elif self.state != "registration":
            reasons = ["type: the registration window is closed"]
        elif any(u == user for u, *_ in self.assets):
            reasons = [f"seat: {user} already registered an asset"]
        else:
            reasons = check_asset(msg["role"], msg["asset"], self.base, added,
                                  max_assets=self.config.entrants)  # fmt: skip
        seat = None
        if not reasons:
            seat = new_agent_id(self.base, added, msg["role"])
            self.assets.append((user, seat, msg["role"], dict(msg["asset"])))
            self.registered[seat] = msg["client"]
        self._answer_asset(user, ref, reasons, seat)

    def _answer_asset(self, user: str, ref: str, reasons: list[str], seat: str | None) -> None:
        from . import topics

        status = "accepted" if not reasons else "rejected"
        self.ledger.log_message(user, ref, None, "register_asset", status, "; ".join(reasons))
        body = m.encode("asset_registered", ref=ref, accepted=not reasons, reasons=reasons,
                        seat=seat)  # fmt: skip
        self.client.publish(topics.outbox(user), body, qos=1)  # type: ignore[attr-defined]

    def _add_assets(self, stored: list[tuple[str, str, str, dict[str, Any]]]) -> None:
        """Rebuild the market with the accepted assets and register their entrants."""
        from elecbay_env.envs.parallel import parallel_env

        scenario = scenario_with(self.base, [(role, asset) for _u, _s, role, asset in stored])
        self.assets = list(stored)
        self._adopt(parallel_env(scenario))
        for user, seat, _role, _asset in stored:
            if seat not in self.seats:  # the scenario's ids changed: a corrupt ledger
                raise RuntimeError(f"ledger: asset of {user} should be {seat}; seats {self.seats}")
            self.alias[user], self.user_of[seat] = seat, user
        meters = getattr(self, "meters", set())  # an entrant's meter registered in the window
        self.meters = {self.alias.get(s, s) for s in meters}
        for seat in self.registered:  # the widths of the rebuilt market
            self.send(seat, "registered", ref=None, accepted=True, reasons=[], seat=seat,
                      action_width=int(self.env.action_space(seat).shape[0]),
                      observation_width=int(self.env.observation_space(seat).shape[0]),
                      n_periods=self.n_periods, period_min=self.env.engine.params.period_min,
                      meter_intervals=self.n_meters)  # fmt: skip
