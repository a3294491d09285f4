"""The catalogue of named policies: how each is built, what it serves, how it is documented.

:data:`REGISTRY` maps every built-in name (``merit_order``, ``markup``, ``zi_c``, ``ppo``,
...) to its :class:`~elecbay_agents.policy_info.PolicyInfo`: the roles and asset kinds it
serves, its arguments, its documentation and the builder that makes it for one agent.
:func:`policy_lines` (``elecbay policies``) and :func:`policy_table` (``docs/policies.md``)
describe it. Specs are read by :mod:`elecbay_agents.specs` and policies made by
:mod:`elecbay_agents.registry`, which re-exports these names.
"""

from __future__ import annotations

from pathlib import Path

from elecbay_env.kernels import kinds

from .policy_info import ALL_ROLES, TRADERS, Builder, PolicyInfo

__all__ = ["BRIEF", "REGISTRY", "policy_lines", "policy_names", "policy_table"]

# -- builders -------------------------------------------------------------------------------


def _merit_order(env, agent, args, rng):
    from .merit_order import MeritOrderPolicy

    return MeritOrderPolicy(env, agent)


def _markup(env, agent, args, rng):
    from .markup import DEFAULT_MARKUP, MarkupPolicy

    markup = args[0] if args else DEFAULT_MARKUP
    withhold = args[1] if len(args) > 1 else 0.0
    return MarkupPolicy(env, agent, markup=markup, withhold=withhold)


def _withhold(env, agent, args, rng):
    from .markup import DEFAULT_WITHHOLD, MarkupPolicy

    return MarkupPolicy(env, agent, markup=0.0, withhold=args[0] if args else DEFAULT_WITHHOLD)


def _misforecast(env, agent, args, rng):
    from .adversarial import AdversarialPolicy

    return AdversarialPolicy(env, agent, contract_factor=args[0])


def _phantom_reserve(env, agent, args, rng):
    from .adversarial import AdversarialPolicy

    factor = args[0] if args else 3.0
    avail = args[1] if len(args) > 1 else 0.5
    return AdversarialPolicy(env, agent, reserve_factor=factor, reserve_avail=avail)


def _imbalance_setter(env, agent, args, rng):
    from .adversarial import imbalance_setter

    factor = args[1] if len(args) > 1 else 0.2
    return imbalance_setter(env, agent, side=1.0 if args[0] > 0 else -1.0, factor=factor)


def _consumer_down_reserve(env, agent, args, rng):
    from .adversarial import AdversarialPolicy

    frac = args[0] if args else 0.1
    util = args[1] if len(args) > 1 else 0.0
    avail = args[2] if len(args) > 2 else 0.0
    return AdversarialPolicy(
        env, agent, down_reserve_frac=frac, down_util=util, reserve_avail=avail
    )


def _niv_chase(env, agent, args, rng):
    from .adversarial import NivChasingStorage

    frac = args[1] if len(args) > 1 else 1.0
    return NivChasingStorage(env, agent, side=1.0 if args[0] > 0 else -1.0, frac=frac)


def _broker_reserve_scale(env, agent, args, rng):
    from .adversarial import ScaledReserveBroker

    return ScaledReserveBroker(env, agent, factor=args[0])


def _zi(constrained: bool) -> Builder:
    def build(env, agent, args, rng):
        from .zero_intelligence import ZICPolicy, ZIUPolicy

        return (ZICPolicy if constrained else ZIUPolicy)(env, agent, rng=rng)

    return build


def _storage_threshold(env, agent, args, rng):
    from .storage_threshold import StorageThresholdPolicy

    low, high = args if args else (None, None)
    return StorageThresholdPolicy(env, agent, low=low, high=high)


def _self_consumption(env, agent, args, rng):
    from .prosumer import SelfConsumptionPolicy

    return SelfConsumptionPolicy(env, agent)


def _time_of_use(env, agent, args, rng):
    from .prosumer import TimeOfUsePolicy

    if not args:
        return TimeOfUsePolicy(env, agent)
    c0, c1, d0, d1 = args
    return TimeOfUsePolicy(env, agent, charge_hours=(c0, c1), discharge_hours=(d0, d1))


def _da_forecast(env, agent, args, rng):
    from .day_ahead import DayAheadForecastPolicy

    return DayAheadForecastPolicy(env, agent)


def _storage_spread(env, agent, args, rng):
    from .day_ahead import StorageSpreadPolicy

    mw = args[0] if args else 10.0
    return StorageSpreadPolicy(env, agent, direction="dec" if mw > 0 else "inc", mw=abs(mw))


def _virtual_trader(env, agent, args, rng):
    from .day_ahead import VirtualTraderPolicy

    if not args:
        return VirtualTraderPolicy(env, agent)
    if args[0] == 0:
        raise ValueError("MW: must not be 0 (the sign is the direction)")
    mw = args[0]
    return VirtualTraderPolicy(env, agent, direction="dec" if mw > 0 else "inc", mw=abs(mw))


def _retailer(env, agent, args, rng):
    from .retailer import RetailerPolicy

    return RetailerPolicy(env, agent, persistence=args[0] if args else None)


def _flex_provider(env, agent, args, rng):
    from .flex_provider import DEFAULT_FLEX_AVAILABILITY, FlexProviderPolicy

    return FlexProviderPolicy(
        env, agent, flex_availability=args[0] if args else DEFAULT_FLEX_AVAILABILITY
    )


def _rule_based_broker(env, agent, args, rng):
    from .rule_based_broker import RuleBasedBroker

    keys = ("z", "max_avail", "max_util")
    return RuleBasedBroker(env, agent, **dict(zip(keys, args, strict=False)))


def _random(env, agent, args, rng):
    from .zero_intelligence import RandomPolicy

    return RandomPolicy(env, agent, rng=rng)


def _sb3(algorithm: str | None) -> Builder:
    def build(env, agent, args, rng):
        from .sb3 import SB3Policy, load_sb3

        (path,) = args
        allow = path.endswith(":allow_scenario_mismatch")
        path = path.removesuffix(":allow_scenario_mismatch") if allow else path
        folder = Path(path).expanduser()
        folder = folder if folder.is_dir() else folder.parent
        if (folder / "elecbay.json").is_file():
            # trained by `elecbay train`: its contract is checked against the seat, then
            # it is replayed with its observation scaling and price range
            # (elecbay_train.transforms.TrainedPolicy)
            from elecbay_train.transforms import load_trained_policy

            model_path = Path(path).expanduser()
            return load_trained_policy(model_path, env, agent, allow_scenario_mismatch=allow)
        return SB3Policy(load_sb3(path, algorithm), env, agent, path=path)

    return build


def _rllib(env, agent, args, rng):
    from elecbay_train.rllib_policy import load_rllib_policy

    (path,) = args
    allow = path.endswith(":allow_scenario_mismatch")
    path = path.removesuffix(":allow_scenario_mismatch")
    return load_rllib_policy(path, env, agent, allow_scenario_mismatch=allow)


_SB3_PARAMS = (
    "PATH: the zip `model.save` wrote; the model's spaces must have the agent's shapes. "
    "Needs `stable-baselines3` (optional)."
)
_ENTRIES: tuple[PolicyInfo, ...] = (
    PolicyInfo(
        "merit_order", TRADERS, None, (0,), False, "merit_order",
        "Truthful: thermal units offer what they can reach within their ramp at marginal "
        "cost, with the output they must deliver (minimum stable output while they stay on) "
        "as a price taker; renewables their forecast at marginal cost; consumers bid their "
        "inflexible load as price takers and the flexible share at value; storage trades "
        "around price thresholds; reserve at cost (`elecbay_agents.merit_order`). The "
        "baseline for producers and consumers.",
        "none (thresholds: running mean of the last price +/- 20 %)", _merit_order,
    ),
    PolicyInfo(
        "markup", TRADERS, None, (0, 1, 2), False, "markup[:MARKUP[,WITHHOLD]]",
        "Merit order with selling prices x (1 + MARKUP) (offers at cost x (1 + m)) and "
        "buying prices x (1 - MARKUP) (bids at value x (1 - m)), offering only "
        "(1 - WITHHOLD) of every quantity (`elecbay_agents.markup`).",
        "MARKUP >= 0, fraction, default 0.2; WITHHOLD in [0, 1], default 0", _markup,
    ),
    PolicyInfo(
        "withhold", TRADERS, None, (0, 1), False, "withhold[:WITHHOLD]",
        "Capacity withholding: merit-order prices, only (1 - WITHHOLD) of every forward "
        "and reserve quantity offered (`markup:0,WITHHOLD`).",
        "WITHHOLD in [0, 1], default 0.2", _withhold,
    ),
    PolicyInfo(
        "zi_u", ALL_ROLES, None, (0,), False, "zi_u",
        "Zero intelligence, unconstrained (Gode & Sunder 1993): merit-order quantities, "
        "every price uniform over the codec's price range, each step, each call; the "
        "broker draws each action uniformly (`elecbay_agents.zero_intelligence`).",
        "none; seeded from the run's seed and the agent id", _zi(False),
    ),
    PolicyInfo(
        "zi_c", ALL_ROLES, None, (0,), False, "zi_c",
        "Zero intelligence, budget-constrained: sells uniformly in [cost, price cap], buys "
        "uniformly in [price floor, value], never at a loss (storage: buys at or below its "
        "low threshold, sells at or above its high one); the broker draws its requirement "
        "in [0, 2 z sigma] and caps up to the rule-based broker's.",
        "none; seeded from the run's seed and the agent id", _zi(True),
    ),
    PolicyInfo(
        "storage_threshold", ("producer",), (kinds.STORAGE,), (0, 2), False,
        "storage_threshold[:LOW,HIGH]",
        "Threshold arbitrage: charge (bid at LOW) when the last price is below LOW, "
        "discharge (offer at HIGH) above HIGH, as much as power and state of charge allow "
        "(`elecbay_agents.storage_threshold`).",
        "LOW <= HIGH in currency/MWh; default adaptive: running mean of the last price "
        "(EMA weight 0.1, starting at the initial price) -/+ 20 % of its magnitude",
        _storage_threshold,
    ),
    PolicyInfo(
        "self_consumption", ("producer",), (kinds.STORAGE,), (0,), False, "self_consumption",
        "Home battery: charge (price taker) when the public renewable forecast exceeds the "
        "demand forecast, discharge when demand exceeds it, within power and state of "
        "charge; no reserve (`elecbay_agents.prosumer`). A baseline of the `community` "
        "scenario.",
        "none", _self_consumption,
    ),
    PolicyInfo(
        "time_of_use", ("producer",), (kinds.STORAGE,), (0, 4), False,
        "time_of_use[:C_FROM,C_TO,D_FROM,D_TO]",
        "Home battery: charge (price taker) in the hours [C_FROM, C_TO), discharge in "
        "[D_FROM, D_TO) of the day, idle otherwise; no reserve (`elecbay_agents.prosumer`).",
        "hours in [0, 24], from < to, the two windows apart; default 0,5,16,20",
        _time_of_use,
    ),
    PolicyInfo(
        "da_forecast", TRADERS, None, (0,), False, "da_forecast",
        "Merit order over two settlements (needs `market.day_ahead`): at the gate it bids "
        "the merit order's curve for its mean forecast over the next day; in other periods "
        "the merit order's curve less what it holds day-ahead (`elecbay_agents.day_ahead`).",
        "none", _da_forecast,
    ),
    PolicyInfo(
        "virtual_trader", ("virtual",), None, (0, 1), False,
        "virtual_trader[:MW]",
        "A virtual participant's seat (`market.day_ahead.virtuals`): bids MW day-ahead at "
        "the gate as a price taker (a decrement bid; MW < 0: an increment offer of -MW); "
        "the engine liquidates the position at the real-time price "
        "(`elecbay_agents.day_ahead`).",
        "MW in MW, 0 < abs(MW) <= the virtual's max_mw, default min(10, max_mw) (buy "
        "day-ahead)", _virtual_trader,
    ),
    PolicyInfo(
        "storage_spread", ("producer",), (kinds.STORAGE,), (0, 1), False,
        "storage_spread[:MW]",
        "Spread trading with a storage row (needs `market.day_ahead`): buys MW day-ahead "
        "at the gate as a price taker and sells it back in each delivery period (MW < 0: "
        "sells day-ahead, buys back) (`elecbay_agents.day_ahead`).",
        "MW in MW, default 10 (buy day-ahead)", _storage_spread,
    ),
    PolicyInfo(
        "retailer", ("consumer",), None, (0, 1), False, "retailer[:PERSISTENCE]",
        "Forecast-following: bids forecast x (1 + PERSISTENCE x last relative error), the "
        "expected load under the AR(1) forecast error, at value "
        "(`elecbay_agents.retailer`); merit order bids the bare forecast.",
        "PERSISTENCE in [-1, 1], default the scenario's AR(1) coefficient of the load",
        _retailer,
    ),
    PolicyInfo(
        "flex_provider", TRADERS, (kinds.CONSUMER, kinds.STORAGE), (0, 1), False,
        "flex_provider[:AVAIL]",
        "Merit order, and with a `flexibility:` section standing offers of its flexible "
        "load (consumer) or power (storage) at its opportunity cost, delivering when the "
        "operator calls (`elecbay_agents.flex_provider`; docs/flexibility.md).",
        "AVAIL >= 0: availability price per MW per hour, default 1",
        _flex_provider,
    ),
    PolicyInfo(
        "rule_based_broker", ("broker",), None, (0, 1, 2, 3), False,
        "rule_based_broker[:Z[,MAX_AVAIL[,MAX_UTIL]]]",
        "Reserve up = the largest credible loss + Z x the forecast-error standard deviation "
        "+ a quarter of the net-demand ramp; down = Z x the standard deviation + the "
        "ramp's share; fixed price caps (`elecbay_agents.rule_based_broker`). The "
        "baseline for the broker.",
        "Z >= 0, default the scenario's `broker.reserve_z` (2.0); MAX_AVAIL per MW per h, "
        "MAX_UTIL per MWh: default the scenario's caps",
        _rule_based_broker,
    ),
    PolicyInfo(
        "misforecast", TRADERS, None, (1,), False, "misforecast:FACTOR",
        "Adversarial: merit order with the forward quantity x FACTOR (thermal above 1: the "
        "nameplate whatever outage or ramp; storage above 1: the power rating whatever the "
        "state of charge); consumers run long (> 1) or short (< 1) "
        "(`elecbay_agents.adversarial`).",
        "FACTOR >= 0", _misforecast,
    ),
    PolicyInfo(
        "phantom_reserve", TRADERS, None, (0, 1, 2), False, "phantom_reserve[:FACTOR[,AVAIL]]",
        "Adversarial: merit order offering FACTOR x its reserve at availability price AVAIL "
        "(flexibility it cannot deliver) (`elecbay_agents.adversarial`).",
        "FACTOR >= 0, default 3; AVAIL per MW per h, default 0.5", _phantom_reserve,
    ),
    PolicyInfo(
        "imbalance_setter", TRADERS, None, (1, 2), False, "imbalance_setter:SIDE[,FACTOR]",
        "Adversarial: SIDE +1 runs long by FACTOR and offers up reserve at the price cap; "
        "-1 runs short and offers down reserve at the floor, to set the imbalance price it "
        "settles at (`elecbay_agents.adversarial`).",
        "SIDE +1 or -1; FACTOR, fraction, default 0.2", _imbalance_setter,
    ),
    PolicyInfo(
        "consumer_down_reserve", ("consumer",), None, (0, 1, 2, 3), False,
        "consumer_down_reserve[:FRAC[,UTIL[,AVAIL]]]",
        "Adversarial: merit order plus down reserve (take extra energy when told) of FRAC x "
        "expected load at utilisation price UTIL, every reserve offer at availability price "
        "AVAIL (`elecbay_agents.adversarial`).",
        "FRAC >= 0, default 0.1; UTIL per MWh, default 0; AVAIL per MW per h, default 0",
        _consumer_down_reserve,
    ),
    PolicyInfo(
        "niv_chase", ("producer",), (kinds.STORAGE,), (1, 2), False, "niv_chase:SIDE[,FRAC]",
        "Adversarial storage: contracts FRAC x its rating beyond its state of charge to be "
        "long when the last NIV was short and short when long (SIDE +1, helps the system), "
        "or the reverse (SIDE -1) (`elecbay_agents.adversarial`).",
        "SIDE +1 or -1; FRAC in (0, 1], default 1", _niv_chase,
    ),
    PolicyInfo(
        "broker_reserve_scale", ("broker",), None, (1,), False, "broker_reserve_scale:FACTOR",
        "Adversarial broker: the rule-based broker's requirement x FACTOR "
        "(`elecbay_agents.adversarial`).",
        "FACTOR >= 0", _broker_reserve_scale,
    ),
    PolicyInfo(
        "random", ALL_ROLES, None, (0,), False, "random",
        "Every action entry uniform on [-1, 1] (`elecbay_agents.zero_intelligence`).",
        "none; seeded from the run's seed and the agent id", _random,
    ),
    PolicyInfo(
        "sb3", ALL_ROLES, None, (1,), True, "sb3:PATH",
        "A saved stable-baselines3 model; the algorithm (PPO, SAC, TD3, A2C) is read from "
        "the zip's data file (`elecbay_agents.sb3`). A folder from `elecbay train` is "
        "checked against the seat (role, shapes, scenario); "
        "`sb3:DIR:allow_scenario_mismatch` plays it on another scenario with a warning.",
        _SB3_PARAMS, _sb3(None),
    ),
    *(
        PolicyInfo(
            algo, ALL_ROLES, None, (1,), True, f"{algo}:PATH",
            f"A saved stable-baselines3 {algo.upper()} model.", _SB3_PARAMS, _sb3(algo),
        )
        for algo in ("ppo", "sac", "td3", "a2c")
    ),
    PolicyInfo(
        "rllib", ALL_ROLES, None, (1,), True, "rllib:DIR",
        "A folder from `elecbay train --backend rllib`: the seat's role module of the RLlib "
        "checkpoint, checked against the seat (role, shapes, scenario) "
        "(`elecbay_train.rllib_policy`).",
        "DIR: the training folder. Needs `ray[rllib]` (optional, its own virtual "
        "environment).", _rllib,
    ),
)  # fmt: skip
REGISTRY: dict[str, PolicyInfo] = {e.name: e for e in _ENTRIES}
"""Every named policy, by name."""


def policy_names() -> list[str]:
    """Every policy name a spec may use, sorted."""
    return sorted(REGISTRY)


BRIEF: dict[str, str] = {
    "merit_order": "truthful: offers at marginal cost, bids at value (the trader baseline)",
    "markup": "merit order with prices marked up (sellers) or down (buyers), optional withholding",
    "withhold": "merit-order prices, only part of every quantity offered",
    "zi_u": "zero intelligence: random prices over the whole price range",
    "zi_c": "zero intelligence, budget-constrained: random prices, never at a loss",
    "storage_threshold": "batteries: charge below a low price, discharge above a high one",
    "self_consumption": "home batteries: charge on a renewable surplus, discharge on a deficit",
    "time_of_use": "home batteries: charge in cheap hours, discharge in peak hours",
    "da_forecast": "day-ahead: merit order for the next day's mean forecast, then deviations",
    "virtual_trader": "virtual seat: buys (or sells) MW day-ahead, liquidated in real time",
    "storage_spread": "day-ahead: buys (or sells) MW day-ahead, closes out in real time",
    "retailer": "bids the load forecast corrected by the last forecast error",
    "flex_provider": "flexibility services: offers flexible load or storage, delivers when called",
    "rule_based_broker": "reserve = largest loss + z x forecast-error sd (the broker baseline)",
    "misforecast": "adversarial: forward quantity scaled by a factor (runs long or short)",
    "phantom_reserve": "adversarial: offers reserve it cannot deliver",
    "imbalance_setter": "adversarial: runs long or short to set the imbalance price",
    "consumer_down_reserve": "adversarial: consumer offering down reserve",
    "niv_chase": "adversarial storage: positions against (or with) the last imbalance",
    "broker_reserve_scale": "adversarial broker: the rule-based requirement x a factor",
    "random": "every action entry uniform on [-1, 1]",
    "sb3": "a saved stable-baselines3 model or an `elecbay train` folder (algorithm detected)",
    "ppo": "a saved stable-baselines3 PPO model",
    "sac": "a saved stable-baselines3 SAC model",
    "td3": "a saved stable-baselines3 TD3 model",
    "a2c": "a saved stable-baselines3 A2C model",
    "rllib": "an `elecbay train --backend rllib` folder (the seat's role module)",
}
"""One line per built-in policy (``elecbay policies``)."""


def policy_lines() -> list[str]:
    """One line per built-in policy, sorted by name: its usage, the roles it serves and
    what it does in a few words (``elecbay policies``)."""
    width = max(len(e.usage) for e in _ENTRIES)
    return [
        f"{e.usage:<{width}}  {BRIEF[e.name]} [{e.serves()}]"
        for e in sorted(_ENTRIES, key=lambda e: e.name)
    ]


def policy_table() -> str:
    """A Markdown table of every policy (registry order): spec, roles, what it does,
    parameters. ``docs/policies.md`` holds it verbatim (tested)."""
    lines = [
        "| Spec | Roles | What it does | Parameters (defaults) |",
        "| --- | --- | --- | --- |",
    ]
    for e in _ENTRIES:
        lines.append(f"| `{e.usage}` | {e.serves()} | {e.summary} | {e.params} |")
    return "\n".join(lines)
