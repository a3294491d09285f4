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
OWN_LEVEL = TRADER_FEATURES.index("own_level")
OWN_ON = TRADER_FEATURES.index("own_on")
OWN_HOURS_RUN = TRADER_FEATURES.index("own_hours_run")
OWN_LAST_CONTRACT = TRADER_FEATURES.index("own_last_contract")
OWN_RAMP = TRADER_FEATURES.index("own_ramp")
LARGEST_INFEED = BROKER_FEATURES.index("largest_infeed")
NET_DEMAND_RAMP = BROKER_FEATURES.index("net_demand_ramp")
OWN_PROGRESS = TRADER_FEATURES.index("progress")
OWN_HOURS_OFF = TRADER_FEATURES.index("own_hours_off")
