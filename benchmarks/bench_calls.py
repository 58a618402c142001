"""Calls per kind of simulated curve: the simulation table of docs/method.md. Prints figures; asserts nothing.

300 seeded curves of each kind (tests/simulated_curves.py: noisy plateaus, noisy
U-shapes, slow linear rises of 5-15% over 8-30 epochs with noise 1-4% of the
level), each judged raw and with smoothing 0.6, by three rules side by side:
the level rule alone (the onset rule before the trend test:
`climb.MIN_TREND_POINTS` set beyond every curve's length), the level rule with
the first trend test (Mann-Kendall on the points after the best, one-sided
p < 0.05 for every rise: no floor, one z), and the level and trend
rules as they are (`climb.judged_onset`: the test from the floor, a larger z for
a rise within the noise). Slow rises are also broken down by their total rise
in noise levels, next to the most any test could find (`slow_rise_bound`).
``--first-seed`` checks that the figures hold on other curves than the table's
(seeds 0..curves-1); ``--held-out`` prints the rule's plateaus called and slow
rises found on further seed ranges, each as long as ``--curves``.

    python benchmarks/bench_calls.py [--curves 300] [--first-seed 0] [--held-out 1000 10000]
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
ONE_SIDED_Z_5_PERCENT = 1.6449  # P(Z >= z) = 0.05
RULES = {
    "level rule alone": {"MIN_TREND_POINTS": 10**9},
    "level + trend after the best (before)": {
        "FLOOR_NOISE": -math.inf,
        "Z_PER_MISSING_NOISE": 0.0,
        "MIN_TREND_Z": ONE_SIDED_Z_5_PERCENT,
    },
    "level + trend": {},
}
SNR_BANDS = ((1, 2), (2, 3), (3, 4), (4, 5), (5, 16))
FALSE_ALARMS = (0.02, 0.05)


def status(validation: np.ndarray, train: np.ndarray, smoothing: float) -> str:
    steps = np.arange(validation.size)
    return analyze_metric(steps, train, steps, validation, mode="min", smoothing=smoothing, name="loss").status


def calls(curves: list, smoothing: float, rule: dict) -> collections.Counter:
    """Statuses of the curves with the `climb` constants in `rule` changed for the while."""
    saved = {name: getattr(climb, name) for name in rule}
    try:
        for name, value in rule.items():
            setattr(climb, name, value)
        return collections.Counter(status(validation, train, smoothing) for validation, train in curves)
    finally:
        for name, value in saved.items():
            setattr(climb, name, value)


def calls_table(seeds: range) -> None:
    print("| kind | rule | raw: overfitting / plateau / improving | smoothed 0.6: overfitting / plateau / improving |")
    print("| --- | --- | --- | --- |")
    for kind, make in simulated_curves.KINDS.items():
        curves = [make(seed) for seed in seeds]
        for rule, changes in RULES.items():
            cells = []
            for smoothing in SMOOTHINGS:
                counted = calls(curves, smoothing, changes)
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
        print(
            f"\nBest test knowing each start, {alpha:.0%} false alarms: "
            f"{slow_rise_bound(seeds, alpha):.1f} of {len(seeds)} slow rises expected found"
        )


def held_out(first_seeds: list, curves: int) -> None:
    """The rule's plateaus called overfitting and slow rises found, raw, on other seed ranges."""
    print(
        "\n| curves (seeds) | plateaus called overfitting raw | slow rises found raw "
        "| best test knowing each start, 2% false alarms |"
    )
    print("| --- | --- | --- | --- |")
    for first in first_seeds:
        seeds = range(first, first + curves)
        called = sum(status(*simulated_curves.noisy_plateau(seed), 0.0) == "overfitting" for seed in seeds)
        found = sum(status(*simulated_curves.slow_rise(seed), 0.0) == "overfitting" for seed in seeds)
        print(
            f"| {curves:,} ({first}–{first + curves - 1}) | {called} ({called / curves:.1%}) "
            f"| {found} ({found / curves:.0%}) | {slow_rise_bound(seeds, FALSE_ALARMS[0]):.0f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--curves", type=int, default=300)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--held-out", type=int, nargs="*", default=[], metavar="FIRST_SEED")
    args = parser.parse_args()
    seeds = range(args.first_seed, args.first_seed + args.curves)
    calls_table(seeds)
    slow_rises_by_signal(seeds)
    if args.held_out:
        held_out(args.held_out, args.curves)


if __name__ == "__main__":
    main()
