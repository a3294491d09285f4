"""Baseline bidding policies for elecbay (installed as ``elecbay_agents``)."""
