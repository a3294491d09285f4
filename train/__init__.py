"""Training with stable-baselines3 (installed as ``elecbay_train``)."""
