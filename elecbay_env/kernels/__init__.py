"""Pure Numba kernels over arrays with a leading batch axis E: no classes, I/O or validation."""
