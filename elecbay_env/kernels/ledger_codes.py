"""Ledger component indices (the C axis). Components 0 .. N_CASH-1 are cash transfers
that sum to zero over all rows, broker included; the rest are costs and values that
turn cash into reward."""

FORWARD = 0
IMBALANCE = 1
BALANCING = 2
AVAILABILITY = 3
PERFORMANCE = 4
RESIDUAL = 5
PRODUCTION_COST = 6
STARTUP_COST = 7
CONSUMPTION_VALUE = 8
UNSERVED_COST = 9
CURTAILMENT_COST = 10

N_CASH = 6
N_COMPONENTS = 11
NAMES = (
    "forward_energy",
    "imbalance",
    "balancing_energy",
    "availability",
    "performance_adjustment",
    "residual_reallocation",
    "production_cost",
    "startup_cost",
    "consumption_value",
    "unserved_energy_cost",
    "curtailment_cost",
)
