"""The before/after chart of a profile comparison: cumulative seconds of the whole run and
of the study's hot functions, upstream and fastportal, as a PNG. Needs matplotlib (the
extra fastportal[profile])."""

from fastportal.study.profiling import HOT_FUNCTIONS, hot_rows

CHART_SIZE = (1000, 560)  # pixels


def draw_chart(before, after, path, title):
    """Grouped bars of cumulative seconds by component, before and after, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    hot_before, hot_after = hot_rows(before), hot_rows(after)
    labels = ["whole run"] + [label for label, _ in HOT_FUNCTIONS]
    old = [before.total_tt] + [hot_before[label][1] for label in labels[1:]]
    new = [after.total_tt] + [hot_after[label][1] for label in labels[1:]]
    dpi = 100
    figure, axes = plt.subplots(figsize=(CHART_SIZE[0] / dpi, CHART_SIZE[1] / dpi), dpi=dpi)
    positions = range(len(labels))
    axes.barh([p - 0.2 for p in positions], old, height=0.4, label="upstream")
    axes.barh([p + 0.2 for p in positions], new, height=0.4, label="fastportal")
    for p, (o, n) in enumerate(zip(old, new)):
        axes.text(o, p - 0.2, f" {o:.3f}", va="center", fontsize=8)
        axes.text(n, p + 0.2, f" {n:.3f}", va="center", fontsize=8)
    axes.set_yticks(list(positions), labels)
    axes.invert_yaxis()
    axes.set_xlabel("cumulative seconds under cProfile")
    axes.set_title(title)
    axes.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(path, dpi=dpi)
    plt.close(figure)
