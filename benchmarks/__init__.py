"""Benchmarks: figures, not tests. `make bench` runs every one of them."""
