"""Direction of a metric, and the Keras rule for "better".

* ``mode`` is ``"min"`` (lower is better, e.g. a loss) or ``"max"`` (higher is
  better, e.g. accuracy); `metric_mode` guesses it from a metric's name.
* `is_improvement` is Keras' ``MonitorCallback._is_improvement``, written
  once here; `keras_improvements` applies it along a whole series, as every
  Keras monitor callback does.
"""

from __future__ import annotations

import re
from typing import Optional, Sequence, Union

import numpy as np

ArrayLike = Union[np.ndarray, Sequence[float]]

MODES = ("min", "max")

# Names of quantities that are maximised. Matched as "words": not preceded or
# followed by a letter, so digits and separators may touch them ("top5",
# "map50", "val_acc", "mAP@0.5") but "accumulated" or "mapping" do not match.
_MAXIMISED = re.compile(
    r"(?<![a-z])(?:"
    r"acc|accuracy|auc|auroc|auprc|ap|map|precision|recall|sensitivity|specificity"
    r"|f\d|fbeta|f_beta|iou|io_u|jaccard|dice|r2|top_?k|top_?\d+|psnr|ssim"
    r"|bleu|rouge\w*|ndcg|mrr|hits|kappa|similarity|correlation|true_positives|true_negatives"
    r"|mar|miou|\w*bleu|chrf\w*|meteor|exact_match|em|mcc|spearman\w*|pearson\w*|fitness"
    r"|hit_rate|hit_ratio|reward|success_rate"
    r")(?![a-z])"
)
# Words that make a name minimised even when it also contains a maximised word
# ("top5_error", "recall_loss"); "loss" wins wherever it appears.
_MINIMISED = re.compile(r"loss|(?<![a-z])(?:error|err|wer|cer)(?![a-z])")
# camelCase boundary: "valAcc" -> "val_Acc", "MeanIoU" -> "Mean_Io_U".
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def metric_mode(name: str) -> str:
    """Whether a metric is minimised (``"min"``) or maximised (``"max"``), from its name.

    The name is lower-cased and read twice: as is ("mAP" -> "map") and with
    camelCase split into words ("valAcc" -> "val_acc", "MeanIoU" ->
    "mean_io_u"). It is ``"min"`` if either reading contains "loss" anywhere
    or the word error/err/wer/cer; else ``"max"`` if either reading contains
    a word naming a score (accuracy, acc, auc, precision, recall, f1, fbeta,
    iou, mIoU, mAP, mAR, r2, top-k, dice, psnr, ssim, BLEU, exact_match,
    Spearman/Pearson correlation, YOLO's fitness, reward, ...); else ``"min"`` — the
    default Keras uses for a monitor it does not recognise as a score, and
    right for mae, mse, rmse, mape, perplexity, ce, nll and friends.

    >>> metric_mode("sparse_categorical_accuracy"), metric_mode("val_loss"), metric_mode("mAP")
    ('max', 'min', 'max')
    """
    readings = (name.lower(), _CAMEL_BOUNDARY.sub("_", name).lower())
    if any(_MINIMISED.search(reading) for reading in readings):
        return "min"
    if any(_MAXIMISED.search(reading) for reading in readings):
        return "max"
    return "min"


def check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")


def is_improvement(
    current: float, reference: Optional[float], mode: str, min_delta: float = 0.0
) -> bool:
    """Whether `current` improves on `reference`, exactly as Keras' callbacks decide.

    Keras' ``MonitorCallback._is_improvement``::

        reference is None                                  -> True
        mode "min":  float32(current + |min_delta|) < float32(reference)
        mode "max":  float32(current - |min_delta|) > float32(reference)

    The comparison is in float32 because Keras hands the Python floats to
    ``keras.ops.less`` / ``greater``, which convert them to tensors of the
    default float type (float32). Consequences worth knowing: equal values
    (ties) never improve; NaN never improves on a number and nothing
    improves on NaN.
    """
    check_mode(mode)
    if reference is None:
        return True
    margin = abs(min_delta)
    with np.errstate(over="ignore"):  # beyond float32's range: +-inf (Keras would raise)
        if mode == "min":
            return bool(np.float32(current + margin) < np.float32(reference))
        return bool(np.float32(current - margin) > np.float32(reference))


def keras_improvements(values: ArrayLike, mode: str, min_delta: float) -> np.ndarray:
    """Boolean mask: ``improved[i] = is_improvement(values[i], best_before_i)``.

    ``best_before_i`` is the running best of a Keras monitor callback: None
    before the first value, then the latest value that improved. Both
    ModelCheckpoint(save_best_only=True) and EarlyStopping (baseline None)
    keep exactly this running best, so both are functions of this mask.

    The float32 casts of `is_improvement` are done once for the whole
    series (``float32(v + |min_delta|)`` or ``float32(v - |min_delta|)``, and
    ``float32(v)`` for the best); comparing those as Python floats is exact,
    so the loop only compares numbers. Without a margin the running best is
    the running min (max) of the earlier values, so no loop is needed.
    """
    check_mode(mode)
    values = np.asarray(values, dtype=np.float64)
    margin = abs(min_delta)
    with np.errstate(over="ignore"):  # beyond float32's range: +-inf, as in `is_improvement`
        if margin == 0 and not np.isnan(values).any():
            return _beyond_every_earlier(values.astype(np.float32), mode)
        shifted = (values + margin if mode == "min" else values - margin).astype(np.float32).tolist()
        as_best = values.astype(np.float32).tolist()
    improved = np.zeros(len(values), dtype=bool)
    best = None
    for index, current in enumerate(shifted):
        if best is None or (current < best if mode == "min" else current > best):
            improved[index] = True
            best = as_best[index]
    return improved


def _beyond_every_earlier(values: np.ndarray, mode: str) -> np.ndarray:
    """`keras_improvements` without a margin (and without NaN): each value beyond the running best before it."""
    improved = np.ones(len(values), dtype=bool)
    before = (np.minimum if mode == "min" else np.maximum).accumulate(values)[:-1]
    improved[1:] = values[1:] < before if mode == "min" else values[1:] > before
    return improved


def best_index(values: np.ndarray, mode: str) -> Optional[int]:
    """Position of the best finite value, the earliest on ties; None if no value is finite."""
    finite = np.isfinite(values)
    if not finite.any():
        return None
    if mode == "min":
        return int(np.argmin(np.where(finite, values, np.inf)))
    return int(np.argmax(np.where(finite, values, -np.inf)))


def worsening(values, reference, mode: str):
    """How much worse than `reference` `values` are: ``v - ref`` (min) or ``ref - v`` (max)."""
    return values - reference if mode == "min" else reference - values

