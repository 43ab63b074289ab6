"""One PNG per ``bench.growth`` curve (matplotlib, Agg: no display needed).

Measured time per operation against size, with a linear reference through the smallest
size (what the curve would be if every unit cost what the first one does) and a flat one.
Log-log axes when the sizes span a decade or more, so a power law is a straight line and
its slope the exponent; linear axes otherwise (credentials 1..5).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from bench.growth_measure import Curve


def plot_curve(curve: Curve, directory: Path) -> Path:
    sizes = [p.size for p in curve.points]
    seconds = [p.seconds for p in curve.points]
    scale, unit = (1e3, "ms") if max(seconds) >= 1e-3 else (1e6, "µs")
    measured = [s * scale for s in seconds]
    linear = [measured[0] * size / sizes[0] for size in sizes]
    figure, axes = plt.subplots(figsize=(6.4, 4.4), dpi=100)
    axes.plot(sizes, measured, "o-", label="measured (median)")
    axes.plot(sizes, linear, "--", color="grey", label="linear from the smallest size")
    axes.plot(sizes, [measured[0]] * len(sizes), ":", color="grey", label="flat")
    if sizes[-1] / sizes[0] >= 10:
        axes.set_xscale("log")
        axes.set_yscale("log")
    axes.set_title(f"{curve.title}\n{curve.verdict()}", fontsize=7)
    axes.set_xlabel(curve.unit)
    axes.set_ylabel(f"{unit} per operation ({curve.clock} time)")
    axes.grid(visible=True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{curve.key}.png"
    figure.savefig(path)
    plt.close(figure)
    return path
