"""Calls per kind of simulated curve: the README's simulation table. Prints figures; asserts nothing.

300 seeded curves of each kind (tests/simulated_curves.py: noisy plateaus, noisy
U-shapes, slow linear rises of 5-15% over 8-30 epochs with noise 1-4% of the
level), each judged raw and with smoothing 0.6, by the level rule alone (the
onset rule before the trend test: `climb.MIN_TREND_POINTS` set beyond every
curve's length) and by the level and trend rules together (`climb.judged_onset`).
Slow rises are also broken down by their total rise in noise levels, next to
the most any test could find (`slow_rise_bound`). ``--first-seed`` checks that
the figures hold on other curves than the README's (seeds 0..curves-1).

    python benchmarks/bench_calls.py [--curves 300] [--first-seed 0]
"""

from __future__ import annotations

import argparse
import collections
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import numpy as np

import simulated_curves
from tb_overfit_plugin.analysis import climb
from tb_overfit_plugin.analysis.curves import analyze_metric

SMOOTHINGS = (0.0, 0.6)
RULES = {"level rule alone": 10**9, "level + trend": climb.MIN_TREND_POINTS}
SNR_BANDS = ((1, 2), (2, 3), (3, 4), (4, 5), (5, 16))
FALSE_ALARMS = (0.02, 0.05)


def status(validation: np.ndarray, train: np.ndarray, smoothing: float) -> str:
    steps = np.arange(validation.size)
    return analyze_metric(steps, train, steps, validation, mode="min", smoothing=smoothing, name="loss").status


def calls(curves: list, smoothing: float, min_trend_points: int) -> collections.Counter:
    climb.MIN_TREND_POINTS = min_trend_points
    try:
        return collections.Counter(status(validation, train, smoothing) for validation, train in curves)
    finally:
        climb.MIN_TREND_POINTS = RULES["level + trend"]


def calls_table(seeds: range) -> None:
    print("| kind | rule | raw: overfitting / plateau / improving | smoothed 0.6: overfitting / plateau / improving |")
    print("| --- | --- | --- | --- |")
    for kind, make in simulated_curves.KINDS.items():
        curves = [make(seed) for seed in seeds]
        for rule, min_points in RULES.items():
            cells = []
            for smoothing in SMOOTHINGS:
                counted = calls(curves, smoothing, min_points)
                cells.append(" / ".join(str(counted[name]) for name in ("overfitting", "plateau", "improving")))
            print(f"| {kind} | {rule} | {cells[0]} | {cells[1]} |")


def slow_rise_bound(seeds: range, false_alarms: float) -> float:
    """Expected slow rises found by the best test that knows where each rise starts.

    With the start known and noise sigma known, the most powerful test of a
    linear rise ``m_k = rise * k / c`` (k = 1..c) against a flat curve of
    unknown level is the z-test of the least-squares slope:
    ``z = sqrt(sum (m_k - mean(m))^2) / sigma``, found with probability
    ``Phi(z - z_alpha)`` at false-alarm rate alpha. Summed over the curves.
    """
    z_alpha = math.sqrt(2.0) * _erfc_inverse(2.0 * false_alarms)
    total = 0.0
    for seed in seeds:
        rise, epochs, noise = simulated_curves.slow_rise_parameters(seed)
        rising = rise * np.arange(1, epochs + 1) / epochs
        z = math.sqrt(np.sum((rising - rising.mean()) ** 2)) / noise
        total += 0.5 * math.erfc(-(z - z_alpha) / math.sqrt(2.0))
    return total


def _erfc_inverse(y: float) -> float:
    """``x`` with ``erfc(x) = y``, by bisection (math has no inverse)."""
    low, high = -6.0, 6.0
    for _ in range(80):
        middle = (low + high) / 2.0
        low, high = (middle, high) if math.erfc(middle) > y else (low, middle)
    return (low + high) / 2.0


def slow_rises_by_signal(seeds: range) -> None:
    """Share of slow rises called overfitting (raw), by total rise / noise level."""
    found = collections.defaultdict(lambda: [0, 0])
    for seed in seeds:
        rise, _, noise = simulated_curves.slow_rise_parameters(seed)
        band = next(band for band in SNR_BANDS if band[0] <= rise / noise < band[1])
        found[band][1] += 1
        found[band][0] += status(*simulated_curves.slow_rise(seed), 0.0) == "overfitting"
    print("\n| slow rise: total rise / noise | " + " | ".join(f"{low}-{high}" for low, high in SNR_BANDS) + " |")
    print("| --- |" + " --- |" * len(SNR_BANDS))
    print("| found raw | " + " | ".join(f"{found[band][0]}/{found[band][1]}" for band in SNR_BANDS) + " |")
    for alpha in FALSE_ALARMS:
        print(f"\nBest test knowing each start, {alpha:.0%} false alarms: "
              f"{slow_rise_bound(seeds, alpha):.1f} of {len(seeds)} slow rises expected found")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--curves", type=int, default=300)
    parser.add_argument("--first-seed", type=int, default=0)
    args = parser.parse_args()
    seeds = range(args.first_seed, args.first_seed + args.curves)
    calls_table(seeds)
    slow_rises_by_signal(seeds)


if __name__ == "__main__":
    main()
