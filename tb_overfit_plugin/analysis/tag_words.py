"""Tag and run-folder names read as words, as an engineer reads them.

`words(name)` splits a name into lowercase words: on ``/ _ - . : ,``, spaces,
brackets, ``@ # = + * |`` and camelCase boundaries (``valLoss`` -> val, loss;
``TrainAcc`` -> train, acc; ``mAP`` stays map, ``mIoU`` -> m, iou), with
``learning rate`` read as one word, ``lr``. On those words:

* **Split words** (`SPLIT_WORDS`): a name is of the train, validation or test
  split when one of its words names it, anywhere in the name (`split_of`).
* **Qualifiers** (`QUALIFIERS`): words that only qualify a metric (``avg``,
  ``mean``, ``epoch``, ``on``, ``set``...). The metric a name names is its
  words without split words and qualifiers, with aliases (``rew`` is reward,
  ``len`` is length) applied: `metric_words`. Two series pair when these are
  the same words (`metric_key`, order ignored).
* **Bookkeeping** (`is_bookkeeping`): episode length, fps, entropy (not
  cross-entropy), wall-clock time, gradient norm (``gnorm``), per-second rates
  and batch sizes (``wps``, ``ups``, ``bsz``...), policy KL (``kl`` / ``approx_kl``, not a ``kl`` loss), clip
  fraction/range, explained variance, times (``data_time``, ``Epoch time``,
  ``eta_seconds``), throughput, memory and counts (``num_*``): series that
  describe the run, never a model's quality.
* **Known evaluation metrics** (`EVALUATION_WORDS`): mAP, IoU, BLEU, F1, AUC...
  are computed on held-out data; a name made of one without a split word is a
  validation series.

Pure standard library: no data, no TensorBoard import.
"""

from __future__ import annotations

import functools
import re
from typing import Iterable, List, Optional, Tuple

TRAIN, VALIDATION, TEST = "train", "validation", "test"

SPLIT_WORDS = {
    **dict.fromkeys(("train", "training", "trn", "learn", "learning", "rollout", "rollouts"), TRAIN),
    **dict.fromkeys(("val", "valid", "validation", "eval", "evaluation", "dev", "holdout"), VALIDATION),
    **dict.fromkeys(("test", "testing"), TEST),
}
"""Word -> split. ``rollout``: a reinforcement-learning agent's own (training) episodes."""

QUALIFIERS = frozenset(
    (
        "avg",
        "average",
        "mean",
        "epoch",
        "epochs",
        "on",
        "of",
        "per",
        "set",
        "data",
        "ep",
        "episode",
        "episodic",
        "the",
        "for",
        "over",
    )
)
"""Words that only qualify a metric: ``Test loss (avg on test)`` names the metric ``loss``."""

ALIASES = {"rew": "reward", "rewards": "reward", "len": "length", "ret": "return", "returns": "return"}
"""Short forms read as the word they abbreviate."""

EVALUATION_WORDS = frozenset(
    (
        "map",
        "miou",
        "iou",
        "bleu",
        "sacrebleu",
        "rouge",
        "meteor",
        "cider",
        "f1",
        "auc",
        "auroc",
        "auprc",
        "wer",
        "cer",
        "ndcg",
        "mrr",
        "fid",
    )
)
"""Metrics computed on held-out data; a name of one without a split word is a validation series."""

LOSS_FUNCTION_WORDS = ("nll", "logloss", "xent", "crossentropy")
"""Words naming a loss function without the word "loss" (OpenNMT ``xent``, Keras ``categorical_crossentropy``):
lower is better (`direction.MODE_WORDS`), and they rank as losses (`headline.objective_rank`)."""

WORDS_CACHE_NAMES = 4096  # names whose words are kept (`words`)
_SEPARATORS = re.compile(r"[\s/_\-.:,;()\[\]{}<>@#=+*|'\"]+")
# camelCase: a lower-case letter or digit followed by an upper-case letter that starts a word
# (valLoss, TrainAcc, MeanIoU; not mAP or IOU).
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z][a-z])")
_BOOKKEEPING_WORDS = frozenset(
    (
        "fps",
        "time",
        "times",
        "seconds",
        "sec",
        "runtime",
        "duration",
        "throughput",
        "memory",
        "mem",
        "num",
        "count",
        "counts",
        "eta",
        "entropy",
        "wall",  # wall-clock seconds (fairseq `wall`, `train_wall`)
        "gnorm",  # gradient norm
        "wps",  # words, updates, tokens per second; words per batch; batch size (fairseq, metaseq)
        "ups",
        "tps",
        "wpb",
        "bsz",
        "gb",  # memory (fairseq `gb_free`)
    )
)
_BOOKKEEPING_PHRASES = (
    ("explained", "variance"),
    ("clip", "fraction"),
    ("clip", "range"),
    ("approx", "kl"),
    ("ep", "len"),
    ("episode", "length"),
    ("ep", "length"),
    ("episode", "len"),
)


@functools.lru_cache(maxsize=WORDS_CACHE_NAMES)
def words(name: str) -> Tuple[str, ...]:
    """The lowercase words of `name` (see the module docstring); ``learning rate`` is one word, ``lr``.

    Memoised: a sweep names the same few tags and splits in every run (a regex split per name
    was a tenth of grouping 1,000 runs)."""
    parts = [part.lower() for part in _SEPARATORS.split(_CAMEL.sub(" ", name)) if part]
    out: List[str] = []
    for part in parts:
        if part == "rate" and out and out[-1] == "learning":
            out[-1] = "lr"
        else:
            out.append(part)
    return tuple(out)


def split_of(name_words: Iterable[str], extra: Optional[dict] = None) -> Optional[str]:
    """The split the first split word of `name_words` names (`SPLIT_WORDS`, then `extra`), or None."""
    table = {**SPLIT_WORDS, **(extra or {})}
    return next((table[word] for word in name_words if word in table), None)


def metric_words(name_words: Iterable[str], extra: Optional[dict] = None) -> Tuple[str, ...]:
    """`name_words` without split words and qualifiers, aliases applied (all of them if nothing remains)."""
    if not extra:
        return _plain_metric_words(tuple(name_words))  # memoised: every run of a sweep names the same metrics
    return _metric_words(tuple(name_words), {**SPLIT_WORDS, **extra})


@functools.lru_cache(maxsize=WORDS_CACHE_NAMES)
def _plain_metric_words(name_words: Tuple[str, ...]) -> Tuple[str, ...]:
    return _metric_words(name_words, SPLIT_WORDS)


def _metric_words(name_words: Tuple[str, ...], table: dict) -> Tuple[str, ...]:
    name_words = tuple(ALIASES.get(word, word) for word in name_words)
    kept = tuple(word for word in name_words if word not in table and word not in QUALIFIERS)
    return kept or tuple(word for word in name_words if word not in table) or name_words


def metric_key(name: str, extra: Optional[dict] = None) -> Tuple[str, ...]:
    """What two series must share to be one metric: `metric_words` of `name`, sorted."""
    return tuple(sorted(metric_words(words(name), extra)))


@functools.lru_cache(maxsize=WORDS_CACHE_NAMES)  # every run of a sweep logs the same tags
def is_bookkeeping(name: str) -> bool:
    """Whether `name` describes the run rather than the model (the module docstring's list)."""
    found = words(name)
    if "loss" in found and not ({"entropy"} & set(found) and "cross" not in found):
        return False  # a loss is a quality (a `kl` loss, a cross-entropy), except an RL entropy loss
    if "entropy" in found:
        return "cross" not in found
    pairs = set(zip(found, found[1:]))
    if pairs & set(_BOOKKEEPING_PHRASES):
        return True
    return bool(set(found) & _BOOKKEEPING_WORDS) or found == ("kl",)


def is_evaluation_metric(name: str) -> bool:
    """Whether the metric `name` names is a known evaluation metric (`EVALUATION_WORDS`, trailing digits ignored)."""
    return any(
        word in EVALUATION_WORDS or word.rstrip("0123456789") in EVALUATION_WORDS for word in metric_words(words(name))
    )
