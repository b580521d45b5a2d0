"""The profile study and the tools around fastportal: the `fastportal` command (cli),
backtests one per process (runs), the built-in scenarios and their bundles (scenarios),
cProfile tables (profiling) and charts (charts). Nothing here is imported by
fastportal.install()."""
