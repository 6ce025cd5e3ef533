"""Benchmarks: each module prints its figures beside a raw baseline measured in the same run."""
