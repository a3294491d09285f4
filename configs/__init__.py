"""Scenario files shipped with elecbay (installed as ``elecbay_configs``)."""
