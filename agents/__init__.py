"""Baseline bidding policies for elecbay (installed as ``elecbay_agents``).

The policy interface is :mod:`elecbay_agents.base`; :mod:`elecbay_agents.registry`
builds any policy from a spec string (``"markup:0.2"``, ``"zi_c"``, ``"ppo:model.zip"``);
``docs/policies.md`` lists them all.
"""

from elecbay_agents.registry import make_policies, policy_names

__all__ = ["make_policies", "policy_names"]
