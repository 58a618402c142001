"""Direction of a metric, and the Keras rule for "better".

* ``mode`` is ``"min"`` (lower is better, e.g. a loss) or ``"max"`` (higher is
  better, e.g. accuracy); `metric_mode` guesses it from a metric's name.
* `is_improvement` is Keras' ``MonitorCallback._is_improvement``, written
  once here; `keras_improvements` applies it along a whole series, as every
  Keras monitor callback does.
"""

from __future__ import annotations

import functools
from typing import Optional, Sequence, Union

import numpy as np

from tb_overfit_plugin.analysis import tag_words

ArrayLike = Union[np.ndarray, Sequence[float]]

MODES = ("min", "max")

MODE_WORDS = {
    "max": (
        "accuracy",
        "acc",
        "auc",
        "auroc",
        "auprc",
        "f1",
        "fbeta",
        "precision",
        "recall",
        "sensitivity",
        "specificity",
        "map",
        "ap",
        "mar",
        "ar",
        "iou",
        "miou",
        "jaccard",
        "dice",
        "bleu",
        "sacrebleu",
        "rouge",
        "rougel",
        "meteor",
        "chrf",
        "cider",
        "psnr",
        "ssim",
        "r2",
        "reward",
        "rew",
        "return",
        "score",
        "top1",
        "top5",
        "topk",
        "ndcg",
        "mrr",
        "hit",
        "hits",
        "kappa",
        "mcc",
        "correlation",
        "spearman",
        "spearmanr",
        "pearson",
        "pearsonr",
        "similarity",
        "fitness",
        "em",
        "exact_match",
        "hit_rate",
        "hit_ratio",
        "success_rate",
        "true_positives",
        "true_negatives",
    ),
    "min": (
        "loss",
        "error",
        "err",
        "perplexity",
        "ppl",
        "mse",
        "mae",
        "rmse",
        "mape",
        *tag_words.LOSS_FUNCTION_WORDS,
        "wer",
        "cer",
        "fid",
        "distance",
    ),
}
"""Mode from words: a metric is ``min`` when one of its words (or a pair of them joined by ``_``) is a
``min`` word or contains "loss", else ``max`` when one is a ``max`` word, else ``min`` (as Keras).
A word with trailing digits is also read without them (``map50``, ``rouge1``). Served at ``/meta``."""
_MAX, _MIN = frozenset(MODE_WORDS["max"]), frozenset(MODE_WORDS["min"])


def _readings(name: str) -> frozenset:
    """The words of `name`, each also without trailing digits, and each pair of neighbours joined (by "_" and by "")."""
    found = tag_words.words(name)
    joined = [sep.join(pair) for pair in zip(found, found[1:]) for sep in ("_", "")]
    return frozenset(found) | {word.rstrip("0123456789") for word in found} | set(joined)


def metric_mode(name: str) -> str:
    """Whether a metric is minimised (``"min"``) or maximised (``"max"``), from its words (`MODE_WORDS`).

    ``min`` if a word contains "loss" or is a ``min`` word (error, perplexity,
    mse, wer, fid...), else ``max`` if a word is a ``max`` word (accuracy,
    auc, f1, mAP, IoU, BLEU, reward, return, score, top5...), else ``min``:
    the default Keras uses for a monitor it does not recognise as a score.

    >>> metric_mode("sparse_categorical_accuracy"), metric_mode("val_loss"), metric_mode("mAP")
    ('max', 'min', 'max')
    """
    return named_mode(name) or "min"


@functools.lru_cache(maxsize=tag_words.WORDS_CACHE_NAMES)  # every run of a sweep names the same metrics
def named_mode(name: str) -> Optional[str]:
    """The mode a metric's words name (`metric_mode`'s rule), or None when no word decides (Keras' default)."""
    readings = _readings(name)
    if readings & _MIN or any("loss" in word for word in readings):
        return "min"
    return "max" if readings & _MAX else None


_BETTER = {"min": "lower", "max": "higher"}


def mode_warning(name: str, mode: str) -> Optional[str]:
    """A sentence when `mode` contradicts the mode `name`'s words name (accuracy with ``min``), else None."""
    named = named_mode(name)
    if named is None or named == mode:
        return None
    return (
        f"The mode {mode} ({_BETTER[mode]} is better) contradicts the metric's name: {name} reads as a metric "
        f"where {_BETTER[named]} is better, so this verdict, its best epoch and onset may be upside down; "
        f"leave mode on auto (or set {named}) unless {name} really improves downwards."
    )


def check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")


def is_improvement(current: float, reference: Optional[float], mode: str, min_delta: float = 0.0) -> bool:
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
