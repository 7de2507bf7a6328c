"""Benchmark harness: datasets, strategies (single, best-of-N, self-consistency, PaCoRe), metrics."""
