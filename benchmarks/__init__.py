"""fastportal benchmarks: ratios measured side by side in one run (see docs/BENCHMARKS.md)."""
