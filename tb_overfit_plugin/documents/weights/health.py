"""Weight-histogram health documents: per-layer numbers and flags from TensorBoard histograms.

No TensorBoard import: the reading layer hands over `HistogramSeries` (see
`analysis/series.py`); the numpy passes live in the analysis layer
(`analysis/histograms.py` statistics, `analysis/movement.py` movement and
trends, `analysis/weight_flags.py` the flag rules, `analysis/weight_batch.py`
the batching), and this module assembles their columns into the JSON-ready
per-tensor documents and run summaries, grouped by layer (`health_json.py`
words the flags and cleans the numbers).

Reading a histogram
-------------------
A histogram is a set of buckets ``(l, r, c)`` (left edge, right edge, count),
normalised by `series.normalize_buckets` (l <= r, no zero-count rows, sorted).
Each bucket's count is taken to be spread *uniformly* over ``[l, r]``; a
zero-width bucket (``l == r``) is a *point mass* at ``l``. The cumulative
distribution F is then piecewise linear with jumps at point masses, and every
statistic here is exact for that model; against the raw values it is off by at
most the bucket widths (see `histograms.bucket_stats`). What the writers produce:

- TF2 ``tf.summary.histogram`` (TensorBoard 2.21 ``summary_v2``): 30 equal-width
  buckets over [min, max]; all values equal: 30 zero-width buckets at the value
  with all the count in the last; an empty tensor: 30 all-zero rows (no rows
  once normalised); any NaN in the tensor: NaN edges and zero counts (no rows
  either, which is why a histogram that *becomes* empty counts as exploding).
- TF1 ``HistogramProto`` (tensorboardX / PyTorch ``add_histogram``, TF1 summaries):
  hundreds of exponentially spaced bucket limits (~10% apart), empty ones dropped,
  the outer edges at the min and max (float32 in tensorboardX).

Tag conventions (`parse_weight_tag`)
------------------------------------
- Keras 3 ``TensorBoard(histogram_freq=1)``: ``<model>/<layer>/<weight>/histogram``
  (``sequential/dense_1/kernel/histogram``), one histogram per epoch at
  step = 0-based epoch, written at the *end* of the epoch.
- tf_keras: ``dense_1/kernel_0/histogram`` or ``dense_1/kernel_0``
  (the variable name with ``:`` replaced by ``_``).
- PyTorch ``add_histogram(name, param)``: ``layer1.0.conv1.weight``.
- Anything else: its own layer.

Flags
-----
``identical_values`` and ``all_zero`` (errors), ``exploding`` (error),
``collapsing`` and ``unchanged`` (warnings); see `analyze_tensor` for the rules
and `Thresholds` for every number they use (each overridable from a query
parameter of the same name).

Speed
-----
Series are analysed in batches (`_CHUNK_BUCKETS` buckets at a time, ragged:
every step's histogram has its own bucket count): every statistic, the
Wasserstein movement between consecutive steps, the trends and each flag rule
are one vectorised numpy pass over all histograms (or series) of the batch.
Python only words the flags raised and assembles each tensor's JSON. That JSON
(a list per step and statistic) then costs about as much as the numpy passes;
`summarize_layers` gives a run's summary (all a leaderboard needs) without it.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Dict, Hashable, List, Mapping, Optional, Tuple, TypeVar

import numpy as np

from tb_overfit_plugin.analysis.histograms import PERCENTILES  # noqa: F401 (re-exported)
from tb_overfit_plugin.analysis.layer_flags import facts_of, layer_flags
from tb_overfit_plugin.analysis.series import HistogramSeries, looks_downsampled
from tb_overfit_plugin.analysis.weight_batch import Batch, batch_of
from tb_overfit_plugin.analysis.weight_flags import (  # noqa: F401 (re-exported)
    BROKEN_FROM,
    BROKEN_WEIGHTS,
    FLAG_SEVERITIES,
    SEVERITIES,
    UNCHANGED_MIN_STEPS,
    Flag,
    Thresholds,
    batch_flags,
    is_flagged,
    weights_status,
)
from tb_overfit_plugin.analysis.weight_tags import KINDS, parse_weight_tag
from tb_overfit_plugin.documents.weights.health_json import flag_json, float_rows, histogram_json

# Series are analysed in batches of about this many buckets: large enough that
# numpy's per-call overhead vanishes, small enough to stay in cache.
_CHUNK_BUCKETS = 30_000
Name = TypeVar("Name", bound=Hashable)  # what `summarize_runs` names runs by
_STAT_NAMES = (
    "count",
    "mean",
    "std",
    "min",
    "max",
    "percentiles",
    "iqr",
    "peak_count",
    "peak_density",
    "near_zero_share",
)


def _ratio(last: np.ndarray, first: np.ndarray) -> list:
    """last / first per series; None where either is not finite, first is 0 or the ratio overflows."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return float_rows(np.where(np.isfinite(last) & np.isfinite(first) & (first != 0), last / first, np.nan))


def _trends(batch: Batch) -> Dict[str, list]:
    """Per series (see `analyze_tensor`): std_ratio, mean_drift, peak_density_ratio, final_movement."""
    std, mean = batch.stats["std"], batch.stats["mean"]
    first, last = np.where(batch.size > 0, batch.start, -1), batch.end
    with np.errstate(invalid="ignore", over="ignore"):
        drift = batch.at(mean, last) - batch.at(mean, first)
    density = batch.stats["peak_density"]
    return {
        "std_ratio": _ratio(batch.at(std, last), batch.at(std, first)),
        "mean_drift": _ratio(drift, batch.at(std, first)),
        "peak_density_ratio": _ratio(batch.at(density, last), batch.at(density, first)),
        "final_movement": float_rows(batch.at(batch.stats["movement"], np.where(batch.size > 1, batch.end, -1))),
    }


def _tensor_json(item, columns: dict, series: int, rows: slice) -> dict:
    """One tensor's `analyze_tensor` document from its batch's `columns` (`_documents`)."""
    histograms, run, tag, kind, tensor = item
    stats = {name: columns[name][rows] for name in _STAT_NAMES + ("identical",)}
    movement = columns["movement"][rows]
    steps = columns["steps"][rows]
    return {
        "tensor": tensor,
        "kind": kind,
        "run": run,
        "tag": tag,
        "steps": steps,
        "sampled": looks_downsampled(histograms.steps),
        "stats": stats,
        "trends": {
            "std_ratio": columns["std_ratio"][series],
            "mean_drift": columns["mean_drift"][series],
            "peak_density_ratio": columns["peak_density_ratio"][series],
            "movement": movement,
            "final_movement": columns["final_movement"][series],
        },
        "first_histogram": histogram_json(histograms.buckets[0]) if steps else [],
        "last_histogram": histogram_json(histograms.buckets[-1]) if steps else [],
        "flags": [flag_json(flag) for flag in columns["flags"][series]],
    }


def _documents(items, thresholds: Thresholds) -> List[dict]:
    """`analyze_tensor` documents of a chunk of items (see `batch_of`)."""
    batch = batch_of(items, thresholds)
    columns = {name: float_rows(batch.stats[name]) for name in _STAT_NAMES + ("movement",)}
    flags = batch_flags(batch, thresholds)
    columns.update(_trends(batch), identical=batch.stats["identical"].tolist(), steps=batch.steps.tolist(), flags=flags)
    facts = facts_of(batch, [item[4] for item in items], flags)
    return [
        dict(_tensor_json(item, columns, series, slice(r0, r0 + n)), _facts=facts[series])
        for series, (item, r0, n) in enumerate(zip(items, batch.start.tolist(), batch.size.tolist()))
    ]


def _verdicts(items, thresholds: Thresholds) -> List[dict]:
    """What `weights_summary` reads of each item's document (tensor, run, sampled, flags), without
    the per-step lists: the same batch and flag rules as `_documents`, a few Python objects per tensor."""
    batch = batch_of(items, thresholds, shape=False)
    flags = batch_flags(batch, thresholds)
    facts = facts_of(batch, [item[4] for item in items], flags)
    return [
        {
            "tensor": item[4],
            "run": item[1],
            "sampled": looks_downsampled(item[0].steps),
            "flags": [flag_json(flag) for flag in tensor_flags],
            "_facts": tensor_facts,
        }
        for item, tensor_flags, tensor_facts in zip(items, flags, facts)
    ]


def _analyze_all(items, thresholds: Thresholds, analyze=_documents) -> List[dict]:
    """`analyze(chunk, thresholds)` (`_documents` or `_verdicts`) for every (series, run, tag)
    in `items`, in chunks of about `_CHUNK_BUCKETS` buckets; same order."""
    results, chunk, size = [], [], 0
    for series, run, tag in items:
        _, tensor, kind = parse_weight_tag(tag) if tag is not None else (None, None, "other")
        chunk.append((series, run, tag, kind, tensor))
        size += len(series.buckets) * (len(series.buckets[0]) + 1 if len(series.buckets) else 1)
        if size >= _CHUNK_BUCKETS:
            results.extend(analyze(chunk, thresholds))
            chunk, size = [], 0
    if chunk:
        results.extend(analyze(chunk, thresholds))
    return results


def analyze_tensor(
    series: HistogramSeries,
    thresholds: Thresholds = Thresholds(),
    *,
    run: Optional[str] = None,
    tag: Optional[str] = None,
) -> dict:
    """Statistics, trends and flags of one weight tensor's histogram series (JSON-ready).

    Returns ``{"tensor", "kind", "run", "tag", "steps", "sampled", "stats", "trends",
    "first_histogram", "last_histogram", "flags"}`` where

    - ``stats``: per step (lists aligned with ``steps``) count, mean, std, min, max,
      percentiles (one list of the 9 `PERCENTILES` values per step), iqr, peak_count,
      peak_density, near_zero_share, identical (see `histograms.bucket_stats`);
    - ``trends``: ``std_ratio`` = std_last / std_first (null if std_first is 0),
      ``mean_drift`` = (mean_last - mean_first) / std_first, ``peak_density_ratio`` =
      peak_density_last / peak_density_first (below 1: flatter), ``movement`` =
      per step W1(hist_{i-1}, hist_i) / std_{i-1}: the 1-Wasserstein distance between
      consecutive histograms (`wasserstein_consecutive`) in units of the earlier
      step's spread (|mean_{i-1}| stands in for a zero std; first element null),
      ``final_movement`` = its last element;
    - ``sampled``: the steps are unevenly spaced (`series.looks_downsampled`):
      TensorBoard's reservoir sampling dropped some;
    - ``first_histogram`` / ``last_histogram``: the first and last step's buckets as
      ``[[left, right, count], ...]``;
    - ``flags``: ``[{"flag", "severity", "first_step", "message", "evidence"}]``, worst
      first:
        * ``identical_values`` (error): count > 1 and all values equal at the last step
          (constant initialisation: symmetry never broken). first_step = first step it
          holds. Holding only at the first step is no flag (a histogram written before
          training); holding at later steps but no longer at the last is a warning.
        * ``all_zero`` (error): all values exactly 0, same step rules; it replaces
          identical_values on the same tensor.
        * ``exploding`` (error): non-finite statistics, or std or max|value| more than
          ``explode_factor`` x its first-step value (that reference floored by
          ``explode_min_scale`` for kernels, ``explode_min_scale_bias`` otherwise).
        * ``collapsing`` (warning): std below ``collapse_factor`` x its first-step value.
        * ``unchanged`` (warning): `UNCHANGED_MIN_STEPS`+ steps and every movement below
          ``unchanged_tolerance``.

    `run` and `tag` only label the output (`tag` also gives tensor and kind via
    `parse_weight_tag`; without it tensor is None and kind "other").
    """
    document = _analyze_all([(series, run, tag)], thresholds)[0]
    document.pop("_facts")  # read by the layer rules only (`_apply_layer_flags`)
    return document


# -- per layer --------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)  # a sweep's runs share their layer and tensor names
def _natural(text: str) -> tuple:
    """Sort key with digit runs compared as numbers: dense, dense_1, dense_2, dense_10."""
    return tuple(int(part) if i % 2 else part.lower() for i, part in enumerate(re.split(r"(\d+)", text)))


def _worst(severities) -> Optional[str]:
    ranked = [SEVERITIES.index(s) for s in severities]
    return SEVERITIES[max(ranked)] if ranked else None


def analyze_layers(
    histograms: Mapping[Tuple[str, str], HistogramSeries], thresholds: Thresholds = Thresholds()
) -> List[dict]:
    """Per-layer analysis of weight histograms keyed by (TensorBoard run, tag).

    Tags are grouped into layers with `parse_weight_tag` within their run. Layers
    come in order of their run's first appearance in `histograms`, then by layer
    name with numbers compared numerically (dense, dense_1, dense_2, dense_10: Keras
    numbers layers in creation order); tensors within a layer: kernel, bias, other,
    then by name. Each layer is ``{"layer", "run", "worst_severity" (null or one of
    `SEVERITIES`), "flags" (number of flags of its tensors), "tensors": [analyze_tensor
    dicts]}``.
    """
    return _layers(histograms, thresholds, _documents)


def summarize_layers(
    histograms: Mapping[Tuple[str, str], HistogramSeries], thresholds: Thresholds = Thresholds()
) -> dict:
    """``weights_summary(analyze_layers(histograms, thresholds))`` plus ``"sampled"`` (whether
    any tensor's steps look downsampled), without building the per-step documents.

    Same statistics and flag rules; what it saves is the JSON-ready lists (percentiles
    per step, first/last histograms, ...): Python objects that cost more than the numpy
    passes, mostly in garbage collection in a process as large as TensorBoard's.
    """
    return summarize_runs({None: histograms}, thresholds)[None]


def summarize_runs(
    runs: Mapping[Name, Mapping[Tuple[str, str], HistogramSeries]], thresholds: Thresholds = Thresholds()
) -> Dict[Name, dict]:
    """`summarize_layers` of each of `runs` (name -> its histograms), their series analysed in the same batches:
    each summary is the one it has alone (every rule is per series, per layer or per TensorBoard run), with
    numpy's per-call costs paid per batch instead of per run (a TensorBoard run under two names: each alone)."""
    owner: Dict[str, Name] = {}
    for name, histograms in runs.items():
        if any(owner.setdefault(run, name) != name for run, _ in histograms):
            return {name: summarize_runs({name: histograms}, thresholds)[name] for name, histograms in runs.items()}
    layers_of: Dict[Name, List[dict]] = {name: [] for name in runs}
    union = {key: series for histograms in runs.values() for key, series in histograms.items()}
    for layer in _layers(union, thresholds, _verdicts):
        layers_of[owner[layer["run"]]].append(layer)
    return {
        name: dict(weights_summary(layers), sampled=any(t["sampled"] for layer in layers for t in layer["tensors"]))
        for name, layers in layers_of.items()
    }


def _layers(histograms: Mapping[Tuple[str, str], HistogramSeries], thresholds: Thresholds, analyze) -> List[dict]:
    """`analyze_layers` with each tensor's entry made by `analyze` (see `_analyze_all`)."""
    run_order: Dict[str, int] = {}
    groups: Dict[Tuple[str, str], list] = {}
    for (run, tag), series in histograms.items():
        run_order.setdefault(run, len(run_order))
        layer, tensor, kind = parse_weight_tag(tag)
        groups.setdefault((run, layer), []).append((KINDS.index(kind), _natural(tensor), tag, series))
    order = sorted(groups, key=lambda key: (run_order[key[0]], _natural(key[1])))
    members = {key: sorted(groups[key], key=lambda member: member[:3]) for key in order}
    analysed = iter(
        _analyze_all(
            [(series, run, tag) for (run, _) in order for _, _, tag, series in members[(run, _)]], thresholds, analyze
        )
    )
    tensors_of = [[next(analysed) for _ in members[key]] for key in order]
    _apply_layer_flags(order, tensors_of, thresholds)
    layers = []
    for (run, layer), tensors in zip(order, tensors_of):
        flags = [flag for tensor in tensors for flag in tensor["flags"]]
        layers.append(
            {
                "layer": layer,
                "run": run,
                "worst_severity": _worst(flag["severity"] for flag in flags),
                "flags": len(flags),
                "tensors": tensors,
            }
        )
    return layers


def _flag_order(flag: dict) -> tuple:
    step = flag["first_step"]
    return -SEVERITIES.index(flag["severity"]), math.inf if step is None else step


def _apply_layer_flags(order: List[Tuple[str, str]], tensors_of: List[List[dict]], thresholds: Thresholds) -> None:
    """Adds `layer_flags`' flags (per TensorBoard run, its layers in order) to the tensors' entries and drops
    the flags they replace; removes each entry's ``_facts``."""
    by_run: Dict[str, List[int]] = {}
    for position, (run, _) in enumerate(order):
        by_run.setdefault(run, []).append(position)
    for positions in by_run.values():
        found = layer_flags([(order[p][1], [t.pop("_facts") for t in tensors_of[p]]) for p in positions], thresholds)
        for (li, ti), names in found.dropped.items():
            tensor = tensors_of[positions[li]][ti]
            tensor["flags"] = [flag for flag in tensor["flags"] if flag["flag"] not in names]
        for (li, ti), added in found.added.items():
            tensor = tensors_of[positions[li]][ti]
            tensor["flags"] = sorted(tensor["flags"] + [flag_json(flag) for flag in added], key=_flag_order)


def weights_summary(layers: List[dict]) -> dict:
    """``{"layers": n, "flagged_layers": k, "worst_flag": {...} | None, "status"}`` for `analyze_layers` output.

    flagged_layers counts layers with a warning-or-worse flag. worst_flag is the
    most severe flag (ties: earliest first_step, then layer order) as ``{"flag",
    "severity", "layer", "tensor", "run", "first_step", "message"}``, None when no
    tensor has any flag. status is `weights_status` of the worst flag's severity:
    ``"broken_weights"`` for an error, else None.
    """
    worst, worst_key = None, None
    flagged = 0
    for position, layer in enumerate(layers):
        if is_flagged(layer["worst_severity"]):
            flagged += 1
        for tensor in layer["tensors"]:
            for flag in tensor["flags"]:
                step = flag["first_step"] if flag["first_step"] is not None else math.inf
                key = (-SEVERITIES.index(flag["severity"]), step, position)
                if worst_key is None or key < worst_key:
                    worst_key = key
                    worst = {
                        "flag": flag["flag"],
                        "severity": flag["severity"],
                        "layer": layer["layer"],
                        "tensor": tensor["tensor"],
                        "run": tensor["run"],
                        "first_step": flag["first_step"],
                        "message": flag["message"],
                    }
    return {
        "layers": len(layers),
        "flagged_layers": flagged,
        "worst_flag": worst,
        "status": weights_status(worst["severity"] if worst else None),
    }
