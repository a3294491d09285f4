"""Indices of the observation features rule-based policies read (the tables are in
:mod:`elecbay_env.envs.observations`)."""

from elecbay_env.envs.observations import BROKER_FEATURES, TRADER_FEATURES

LAST_PRICE = TRADER_FEATURES.index("last_price")
OWN_FORECAST = TRADER_FEATURES.index("own_forecast")
OWN_CAPACITY = TRADER_FEATURES.index("own_capacity")
OWN_COST_OR_VALUE = TRADER_FEATURES.index("own_cost_or_value")
OWN_MIN_STABLE = TRADER_FEATURES.index("own_min_stable")
OWN_SOC = TRADER_FEATURES.index("own_soc")
OWN_KIND = TRADER_FEATURES.index("own_kind")
OWN_LAST_ERROR = TRADER_FEATURES.index("own_last_error")
OWN_ENERGY = TRADER_FEATURES.index("own_energy")
OWN_ROUND_TRIP = TRADER_FEATURES.index("own_round_trip")
OWN_FLEXIBLE = TRADER_FEATURES.index("own_flexible")
FORECAST_ERROR_STD = BROKER_FEATURES.index("forecast_error_std")
