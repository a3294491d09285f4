"""The PettingZoo environments over the batched engine."""
