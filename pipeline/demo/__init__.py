"""The demo round and its data (also used by tests and the benchmark)."""
