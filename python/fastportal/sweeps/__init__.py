"""Parameter sweeps: a grid of zipline run -D defines, each point a whole backtest run by
zipline's own `run` command (grid: the grid's points; points: one point's backtest and its
row of results). fastportal imports run.sweep, which imports Dask only when a sweep
runs."""
