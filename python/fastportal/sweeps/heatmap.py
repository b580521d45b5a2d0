"""One result of a two-name sweep as a heatmap PNG: the first name's values down, the
second's across, in the order the -D values were given. Needs matplotlib."""

import numpy as np

HEATMAP_DPI = 100


def grid_of(table, metric):
    """(first name's values, second's, the metric as an array, NaN where a point has no
    value, and each cell's label: the value, "error" where the point raised, "none"
    where zipline gives no value, as the Sharpe ratio of a strategy that never moved)."""
    first, second = table.columns[:2]
    rows = list(dict.fromkeys(table[first]))
    columns = list(dict.fromkeys(table[second]))
    values = np.full((len(rows), len(columns)), np.nan)
    labels = np.full(values.shape, "", dtype=object)
    for _, row in table.iterrows():
        at = rows.index(row[first]), columns.index(row[second])
        if isinstance(row["error"], str):
            labels[at] = "error"
        elif row[metric] is None or np.isnan(row[metric]):
            labels[at] = "none"
        else:
            values[at] = row[metric]
            labels[at] = f"{row[metric]:.3g}"
    return rows, columns, values, labels


def draw_heatmap(table, metric, path):
    """The metric over the table's two names as a PNG at `path`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    first, second = table.columns[:2]
    rows, columns, values, labels = grid_of(table, metric)
    figure, axes = plt.subplots(figsize=(max(4.0, 1.1 * len(columns) + 2.5),
                                         max(3.0, 0.6 * len(rows) + 1.8)),
                                dpi=HEATMAP_DPI)
    image = axes.imshow(np.ma.masked_invalid(values), cmap="viridis", aspect="auto")
    for (i, j), label in np.ndenumerate(labels):
        # dark text on the bright end of the colour map, light on the dark end
        bright = not np.isnan(values[i, j]) and image.norm(values[i, j]) > 0.6
        axes.text(j, i, label, ha="center", va="center", fontsize=8,
                  color="black" if np.isnan(values[i, j]) or bright else "white")
    axes.set_xticks(range(len(columns)), columns)
    axes.set_yticks(range(len(rows)), rows)
    axes.set_xlabel(second)
    axes.set_ylabel(first)
    axes.set_title(f"{metric} by {first} and {second}")
    figure.colorbar(image, ax=axes, label=metric)
    figure.tight_layout()
    figure.savefig(path, dpi=HEATMAP_DPI)
    plt.close(figure)
