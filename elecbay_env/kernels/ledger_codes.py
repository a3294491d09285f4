"""Ledger component indices (the C axis). Components 0 .. N_CASH-1 are cash transfers
that sum to zero over all rows, broker included; the rest are costs and values that
turn cash into reward."""

FORWARD = 0
IMBALANCE = 1
BALANCING = 2
AVAILABILITY = 3
PERFORMANCE = 4
PRODUCTION_COST = 5
STARTUP_COST = 6
CONSUMPTION_VALUE = 7
UNSERVED_COST = 8
CURTAILMENT_COST = 9

N_CASH = 5
N_COMPONENTS = 10
NAMES = (
    "forward_energy",
    "imbalance",
    "balancing_energy",
    "availability",
    "performance_adjustment",
    "production_cost",
    "startup_cost",
    "consumption_value",
    "unserved_energy_cost",
    "curtailment_cost",
)
