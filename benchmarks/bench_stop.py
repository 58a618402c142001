"""OverfitStopping against EarlyStopping(patience=p, restore_best_weights=True). Prints figures; asserts nothing.

On seeded simulated curves (tests/simulated_curves.py: U-shapes, noisy plateaus
and still-improving curves at noise 1%, 2% and 4% of the level, 40 epochs; slow
rises with noise 1-4%) and, given `--demo LOGDIR` (demo/write_logs.py), on the
demo runs' validation loss: the epochs each rule trains and its regret, how much
worse the value it keeps is than the best of the whole run, in % of that best.
OverfitStopping is replayed by `stop_rule.replay` (the callback's own rule),
EarlyStopping by `keras_replay.early_stopping` (Keras' exactly).

    python benchmarks/bench_stop.py [--curves 100] [--demo /tmp/demo_logs]
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


def table(curves: dict) -> None:
    """One row per rule: per kind 'epochs / regret %' (means), and the share of still-improving curves not stopped."""
    names = list(curves)
    print("| rule | " + " | ".join(names) + " | all: epochs / regret % | still improving, not stopped |")
    print("| --- |" + " --- |" * (len(names) + 2))
    for label, rule in rules().items():
        cells, everything, running = [], [], []
        for name in names:
            results = np.array([outcome(rule, *curve) for curve in curves[name]])
            everything.append(results)
            if name.startswith("still improving"):
                running.append(1.0 - results[:, 2])
            cells.append(f"{results[:, 0].mean():.1f} / {results[:, 1].mean():.2f}")
        joined = np.concatenate(everything)
        not_stopped = f"{np.concatenate(running).mean():.1%}" if running else "-"
        print(f"| {label} | " + " | ".join(cells) + f" | {joined[:, 0].mean():.1f} / {joined[:, 1].mean():.2f} | "
              f"{not_stopped} |")


def demo_curves(logdir: Path) -> dict:
    """Each demo run's validation and train `epoch_loss`, read with TensorBoard's event accumulator."""
    from tensorboard.backend.event_processing import event_accumulator
    from tensorboard.util import tensor_util

    curves = {}
    for run in sorted(path.name for path in logdir.iterdir() if path.is_dir()):
        pair = []
        for side in ("validation", "train"):
            events = event_accumulator.EventAccumulator(str(logdir / run / side), size_guidance={"tensors": 0})
            events.Reload()
            pair.append(np.array([float(tensor_util.make_ndarray(e.tensor_proto)) for e in events.Tensors("epoch_loss")]))
        curves[f"demo {run}"] = [tuple(pair)]
    return curves


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--curves", type=int, default=100)
    parser.add_argument("--demo", type=Path)
    args = parser.parse_args()
    table({name: [make(seed) for seed in range(args.curves)] for name, make in kinds().items()})
    if args.demo:
        print()
        table(demo_curves(args.demo))


if __name__ == "__main__":
    main()
