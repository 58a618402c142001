"""OverfitStopping against EarlyStopping(patience=p, restore_best_weights=True). Prints figures; asserts nothing.

On seeded simulated curves (tests/simulated_curves.py: U-shapes, noisy plateaus
and still-improving curves at noise 1%, 2% and 4% of the level, 40 epochs; slow
rises with noise 1-4%) and, given `--demo LOGDIR` (demo/write_logs.py), on the
demo runs' validation loss: the epochs each rule trains and its regret, how much
worse the value it keeps is than the best of the whole run, in % of that best.
OverfitStopping is replayed by `stop_rule.replay` (the callback's own rule),
EarlyStopping by `keras_replay.early_stopping` (Keras' exactly).

It also writes docs/stop_regret.svg: each rule's mean regret against the mean
epochs it saves (of the full run) over all the simulated curves.

    python benchmarks/bench_stop.py [--curves 100] [--demo /tmp/demo_logs] [--svg docs/stop_regret.svg]
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import numpy as np
import simulated_curves as sim

from tb_overfit_plugin.analysis.keras_replay import early_stopping
from tb_overfit_plugin.analysis.stop_rule import StopRule, replay

EPOCHS = 40
NOISES = (0.01, 0.02, 0.04)
PATIENCES = (2, 5, 10, 20)
FLOORS = (2, 5)  # OverfitStopping(patience=...)


def kinds() -> dict:
    """Name -> (seed -> (validation, train))."""
    made = {"slow rise (noise 1-4%)": sim.slow_rise}
    for name, make in (("U-shape", sim.u_shape_at), ("plateau", sim.plateau_at), ("still improving", None)):
        for noise in NOISES:
            if make is None:
                made[f"{name} {noise:.0%}"] = functools.partial(sim.still_improving, epochs=EPOCHS, noise=noise)
            else:
                made[f"{name} {noise:.0%}"] = functools.partial(make, epochs=EPOCHS, noise=noise)
    return made


def outcome(rule, validation: np.ndarray, train: np.ndarray) -> tuple:
    """``(epochs trained, regret in % of the best, stopped)`` of one rule on one curve."""
    if isinstance(rule, int):
        replayed = early_stopping(validation, "min", patience=rule)
    else:
        replayed = replay(rule, train, validation)
    stop, kept = replayed.stop_index, replayed.restore_index
    best = float(np.min(validation))
    regret = 100.0 * (validation[kept] - best) / abs(best)
    return (validation.size if stop is None else stop + 1), regret, stop is not None


def rules() -> dict:
    named = {f"OverfitStopping(patience={floor})": StopRule(patience=floor) for floor in FLOORS}
    named.update({f"EarlyStopping(patience={p})": p for p in PATIENCES})
    return named


def table(curves: dict) -> dict:
    """One row per rule: per kind 'epochs / regret %' (means), and the share of still-improving curves not stopped.

    Returns rule -> (mean epochs saved, mean regret %) over every curve.
    """
    names = list(curves)
    print("| rule | " + " | ".join(names) + " | all: epochs / regret % | still improving, not stopped |")
    print("| --- |" + " --- |" * (len(names) + 2))
    points = {}
    for label, rule in rules().items():
        cells, everything, running = [], [], []
        for name in names:
            results = np.array([outcome(rule, *curve) for curve in curves[name]])
            everything.append(results)
            if name.startswith("still improving"):
                running.append(1.0 - results[:, 2])
            cells.append(f"{results[:, 0].mean():.1f} / {results[:, 1].mean():.2f}")
        joined = np.concatenate(everything)
        points[label] = (
            float(np.mean([len(curve[0]) for name in names for curve in curves[name]]) - joined[:, 0].mean()),
            float(joined[:, 1].mean()),
        )
        not_stopped = f"{np.concatenate(running).mean():.1%}" if running else "-"
        print(
            f"| {label} | " + " | ".join(cells) + f" | {joined[:, 0].mean():.1f} / {joined[:, 1].mean():.2f} | "
            f"{not_stopped} |"
        )
    return points


SVG_SIZE, SVG_MARGIN = (520, 320), 60
SVG_REGRET_TICKS = (0.01, 0.1, 1.0, 10.0)  # % of the best; the regret axis is logarithmic, from the first tick


def svg_plot(points: dict, path: Path) -> None:
    """A scatter of regret (%, y, log scale) against epochs saved (x), one labelled dot per rule, in plain SVG."""
    (width, height), margin = SVG_SIZE, SVG_MARGIN
    most = max(point[0] for point in points.values())
    low, high = np.log10(SVG_REGRET_TICKS[0]), np.log10(SVG_REGRET_TICKS[-1])
    x = lambda v: margin + (width - 2 * margin) * v / max(most, 1e-9)  # noqa: E731
    y = lambda v: height - margin - (height - 2 * margin) * (np.log10(max(v, 10**low)) - low) / (high - low)  # noqa: E731
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
        f'font-size="11"><rect width="100%" height="100%" fill="white"/>',
        f'<line x1="{margin}" y1="{height - margin}" x2="{width - margin}" y2="{height - margin}" stroke="black"/>',
        f'<line x1="{margin}" y1="{margin}" x2="{margin}" y2="{height - margin}" stroke="black"/>',
        f'<text x="{width / 2}" y="{height - 20}" text-anchor="middle">mean epochs saved (of the full run)</text>',
        f'<text x="16" y="{height / 2}" transform="rotate(-90 16 {height / 2})" text-anchor="middle">'
        f"mean regret (% of the best, log scale; 0 drawn at {SVG_REGRET_TICKS[0]:g})</text>",
    ]
    for tick in np.linspace(0.0, most, 5):
        parts.append(f'<text x="{x(tick):.1f}" y="{height - margin + 14}" text-anchor="middle">{tick:.0f}</text>')
    for tick in SVG_REGRET_TICKS:
        parts.append(f'<text x="{margin - 4}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:g}</text>')
    for label, (saved, regret) in points.items():
        color = "crimson" if label.startswith("Overfit") else "steelblue"
        anchor, shift = ("end", -6) if x(saved) > width / 2 else ("start", 6)
        parts.append(f'<circle cx="{x(saved):.1f}" cy="{y(regret):.1f}" r="4" fill="{color}"/>')
        parts.append(
            f'<text x="{x(saved) + shift:.1f}" y="{y(regret) - 6:.1f}" fill="{color}" '
            f'text-anchor="{anchor}">{label}</text>'
        )
    path.write_text("\n".join(parts + ["</svg>"]) + "\n")


def demo_curves(logdir: Path) -> dict:
    """Each demo run's (any folder holding `train` and `validation`) validation and train `epoch_loss`,
    read with TensorBoard's event accumulator."""
    from tensorboard.backend.event_processing import event_accumulator
    from tensorboard.util import tensor_util

    curves = {}
    for folder in sorted(path.parent for path in logdir.rglob("validation") if (path.parent / "train").is_dir()):
        run = folder.relative_to(logdir).as_posix()
        pair = []
        for side in ("validation", "train"):
            events = event_accumulator.EventAccumulator(str(folder / side), size_guidance={"tensors": 0})
            events.Reload()
            pair.append(
                np.array([float(tensor_util.make_ndarray(e.tensor_proto)) for e in events.Tensors("epoch_loss")])
            )
        curves[f"demo {run}"] = [tuple(pair)]
    return curves


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--curves", type=int, default=100)
    parser.add_argument("--demo", type=Path)
    parser.add_argument("--svg", type=Path, default=Path(__file__).resolve().parents[1] / "docs" / "stop_regret.svg")
    args = parser.parse_args()
    svg_plot(table({name: [make(seed) for seed in range(args.curves)] for name, make in kinds().items()}), args.svg)
    if args.demo:
        print()
        table(demo_curves(args.demo))


if __name__ == "__main__":
    main()
