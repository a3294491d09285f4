"""Integer codes of participant rows' asset kinds, shared by kernels and the Python API."""

THERMAL = 0
WIND = 1
SOLAR = 2
STORAGE = 3
CONSUMER = 4
BROKER = 5

NAMES = ("thermal", "wind", "solar", "storage", "consumer", "broker")
