"""Training histories outside TensorBoard: CSV and JSON files read as the scalars of TensorBoard runs.

`tb-overfit PATH` and `diagnose(PATH)` take, instead of a logdir, one of
these files or a folder holding them (and no event file). Each file becomes
one TensorBoard run (its folder relative to PATH, or its name without the
extension where several files share a folder) holding the tags its writer
would have written to TensorBoard, so the same naming rules
(`analysis/grouping.py`) and verdicts apply:

- Keras `CSVLogger` (any `*.csv` with an `epoch` column): columns `loss`,
  `val_loss`, `accuracy`, `learning_rate`... at step = `epoch` (0-based), as
  TF1 Keras' one-run layout (`loss` <-> `val_loss`, epoch = step + 1).
- Lightning `CSVLogger` `metrics.csv` (columns `epoch`, `step`, then what was
  logged, cells empty where a row did not log it): each column at its row's
  `step`, as Lightning's `TensorBoardLogger` writes them (`epoch` included).
- Ultralytics `results.csv` (columns `epoch`, `train/box_loss`...,
  `metrics/mAP50-95(B)`..., `val/box_loss`..., `lr/pg0`...; older versions
  pad names with spaces): each column at step = `epoch` (1-based), as its
  TensorBoard callback.
- HuggingFace `trainer_state.json` (`log_history`: one dict per log call, with
  `step`): each key at that step, renamed as HF's `TensorBoardCallback` does
  (`eval_loss` -> `eval/loss`, `loss` -> `train/loss`, `epoch` -> `train/epoch`).

A point's wall time is its position in the file, so rows written again after
a restart (a `CSVLogger(append=True)` resumed run) supersede the earlier ones
by TensorBoard's restart rule. A file that cannot be read as its format is a
`HistoryError` naming the file and what is wrong.
"""

from __future__ import annotations

import csv
import json
import math
import os
from typing import Dict, Iterable, List, Optional, Tuple

import numpy as np

from tb_overfit_plugin.analysis import series as series_lib
from tb_overfit_plugin.data import series_set

HF_STATE = "trainer_state.json"
EVENT_FILE_MARK = "tfevents"
# HF TensorBoardCallback.rewrite_logs: these prefixes become a tag folder, anything else goes under train/.
HF_PREFIXES = ("eval_", "test_")

Points = Dict[str, List[Tuple[int, float]]]  # tag -> [(step, value)] in file order


class HistoryError(ValueError):
    """A history file that cannot be read as its format (one line)."""


def _is_history_file(name: str) -> bool:
    return name == HF_STATE or name.endswith(".csv")


def history_files(path: str) -> Optional[List[str]]:
    """The history files PATH names (itself, or those under it), or None when PATH is a TensorBoard logdir.

    A folder holding any event file, or no history file, is a logdir.
    """
    if os.path.isfile(path):
        return [path] if _is_history_file(os.path.basename(path)) else None
    if not os.path.isdir(path):
        return None
    found = []
    for folder, _, names in os.walk(path):
        if any(EVENT_FILE_MARK in name for name in names):
            return None
        found += [os.path.join(folder, name) for name in sorted(names) if _is_history_file(name)]
    return sorted(found) or None


def _number(text: str, where: str) -> Optional[float]:
    """A cell's value; None for an empty cell (not logged in that row)."""
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise HistoryError(f"{where}: {text!r} is not a number") from None


def _csv_rows(path: str) -> Tuple[List[str], List[List[str]]]:
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise HistoryError(f"{path}: cannot be read as CSV ({error})") from None
    if not rows:
        raise HistoryError(f"{path}: empty file, no header")
    header = [name.strip() for name in rows[0]]
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise HistoryError(f"{path}, line {number}: {len(row)} cells for {len(header)} columns")
    return header, rows[1:]


def _columns_at(path: str, step_column: str, keep_step_column: bool) -> Points:
    """Every column of a CSV history at its row's `step_column`, empty cells skipped."""
    header, rows = _csv_rows(path)
    if step_column not in header:
        raise HistoryError(f"{path}: no {step_column!r} column (columns: {', '.join(header)})")
    index = header.index(step_column)
    points: Points = {}
    for number, row in enumerate(rows, start=2):
        step = _number(row[index], f"{path}, line {number}, column {step_column!r}")
        if step is None or step != int(step):
            raise HistoryError(f"{path}, line {number}: {step_column} {row[index]!r} is not a whole number")
        for name, cell in zip(header, row):
            value = _number(cell, f"{path}, line {number}, column {name!r}")
            if value is not None and (name != step_column or keep_step_column):
                points.setdefault(name, []).append((int(step), value))
    return points


def _hf_tag(key: str) -> str:
    for prefix in HF_PREFIXES:
        if key.startswith(prefix):
            return f"{prefix[:-1]}/{key[len(prefix) :]}"
    return f"train/{key}"


def _hf_points(path: str) -> Points:
    """`log_history` of a HF `trainer_state.json`, each number at its entry's `step` under its TensorBoard tag."""
    try:
        with open(path, encoding="utf-8") as handle:
            history = json.load(handle)["log_history"]
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise HistoryError(f"{path}: cannot be read as JSON ({error})") from None
    except (KeyError, TypeError):
        raise HistoryError(f"{path}: no 'log_history' list, not a HuggingFace trainer_state.json") from None
    points: Points = {}
    for position, entry in enumerate(history):
        if not isinstance(entry, dict) or not isinstance(entry.get("step"), int):
            raise HistoryError(f"{path}: log_history[{position}] has no whole-number 'step'")
        for key, value in entry.items():
            if key != "step" and isinstance(value, (int, float)) and not isinstance(value, bool):
                points.setdefault(_hf_tag(key), []).append((entry["step"], float(value)))
    return points


def _points(path: str) -> Points:
    """The file's tags and points, by its format."""
    name = os.path.basename(path)
    if name == HF_STATE:
        return _hf_points(path)
    header, _ = _csv_rows(path)
    if "step" in header and name == "metrics.csv":  # Lightning: the global step; `epoch` is a series
        return _columns_at(path, "step", keep_step_column=False)
    if "epoch" in header:  # Keras CSVLogger (0-based epochs), Ultralytics results.csv (1-based)
        return _columns_at(path, "epoch", keep_step_column=False)
    raise HistoryError(
        f"{path}: not a known history (a Keras or Lightning CSVLogger file, Ultralytics' "
        f"results.csv): no 'epoch' column (columns: {', '.join(header)})"
    )


def _run_names(root: str, files: List[str]) -> Dict[str, str]:
    """TensorBoard run name of each file: its folder relative to `root`, with its stem where a folder has several."""
    base = root if os.path.isdir(root) else os.path.dirname(root)
    folders = [os.path.relpath(os.path.dirname(path), base) for path in files]
    names = {}
    for path, folder in zip(files, folders):
        stem = os.path.splitext(os.path.basename(path))[0]
        name = folder if folders.count(folder) == 1 else os.path.join(folder, stem)
        names[path] = stem if name == "." else os.path.normpath(name).replace(os.sep, "/")
    return names


def _series(points: List[Tuple[int, float]]) -> series_lib.ScalarSeries:
    steps = np.array([step for step, _ in points], dtype=np.int64)
    return series_lib.scalar_series(
        steps, np.arange(len(points), dtype=np.float64), np.array([value for _, value in points], dtype=np.float64)
    )


def read_histories(root: str, files: Iterable[str]) -> series_set.SeriesSet:
    """The files' scalars as TensorBoard's would be: `by_run[run][tag]` and their versions.

    Raises:
      HistoryError: a file cannot be read as its format.
    """
    by_run, versions = {}, {}
    files = list(files)
    for path, run in _run_names(root, files).items():
        tags = {tag: _series(points) for tag, points in _points(path).items() if points}
        by_run[run] = tags
        for tag, series in tags.items():
            last = float(series.wall_times.max()) if len(series) else -math.inf
            versions[(run, tag)] = (int(series.steps.max()) if len(series) else -1, last)
    return series_set.SeriesSet(versions=versions, by_run=by_run)
