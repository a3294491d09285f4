"""Ledger component indices (the C axis). Components 0 .. N_CASH-1 are cash transfers
that sum to zero over all rows, broker included; the rest are costs and values that
turn cash into reward.

``forward_energy`` is the period's own auction (with a day-ahead market: the real-time
deviation, ``(q_RT - q_DA) x P_RT``); ``day_ahead_energy`` is the day-ahead settlement of
the period (``q_DA x P_DA``), zero without a day-ahead market."""

FORWARD = 0
IMBALANCE = 1
BALANCING = 2
AVAILABILITY = 3
PERFORMANCE = 4
RESIDUAL = 5
DAY_AHEAD = 6
PRODUCTION_COST = 7
STARTUP_COST = 8
CONSUMPTION_VALUE = 9
UNSERVED_COST = 10
CURTAILMENT_COST = 11

N_CASH = 7
N_COMPONENTS = 12
NAMES = (
    "forward_energy",
    "imbalance",
    "balancing_energy",
    "availability",
    "performance_adjustment",
    "residual_reallocation",
    "day_ahead_energy",
    "production_cost",
    "startup_cost",
    "consumption_value",
    "unserved_energy_cost",
    "curtailment_cost",
)
