"""Which split a tag or folder name names: the writers' forms first, then any split word.

`SplitNames` reads a name's split in two ways, tried in order:

1. **Forms** the popular writers use, whose metric is the rest of the name as
   written: ``Loss/train``, ``train/loss``, ``val_loss`` (also TF1 Keras),
   ``loss_val`` (`split_in_form`), with the split words of `FORM_WORDS`.
2. **Words** (`split_in_words`): a split word anywhere in the name's words
   (`tag_words.words`): ``Training loss``, ``Test loss (avg on test)``,
   ``valLoss``, ``loss/trn``; its metric is the name's other words
   (`tag_words.metric_words`) joined by spaces ("loss").

3. **A mirrored prefix** (`mirrored_train_prefix`): in a run whose tags name a
   held-out split by prefix (``valid/xent``, ``valid/ppl``) but never the train
   split, another prefix holding the same metrics (OpenNMT's ``progress/xent``,
   ``progress/ppl``) names the train split; `for_run` reads it so.

The user may add split words (``train_split=learn``, ``validation_split=test``,
`SplitNames.with_words`): they name their split in both ways and win over the
built-in words.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import Dict, Iterable, Mapping, Optional, Tuple

from tb_overfit_plugin.analysis import tag_words

MIRROR_MIN_METRICS = 2
"""A prefix mirrors a held-out prefix when it holds every metric of it, and that is at least this many."""

FORM_WORDS = ("train", "training", "validation", "val", "valid", "eval", "evaluation", "dev", "test")
"""The split words of the writers' forms (a subset of `tag_words.SPLIT_WORDS`: ``learning_rate`` is no split)."""


def _forms(words: Tuple[str, ...]) -> Tuple[re.Pattern, ...]:
    pattern = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
    return (
        re.compile(rf"^(?P<metric>.+)/(?P<split>{pattern})$", re.IGNORECASE),
        re.compile(rf"^(?P<split>{pattern})/(?P<metric>.+)$", re.IGNORECASE),
        re.compile(rf"^(?P<split>{pattern})_(?P<metric>.+)$", re.IGNORECASE),
        re.compile(rf"^(?P<metric>.+)_(?P<split>{pattern})$", re.IGNORECASE),
    )


@dataclasses.dataclass(frozen=True)
class SplitNames:
    """The split words in force: the built-in ones plus the user's (`extra`, word -> split)."""

    extra: Tuple[Tuple[str, str], ...] = ()

    @functools.cached_property
    def table(self) -> Mapping[str, str]:
        """Word -> split: `tag_words.SPLIT_WORDS`, then the user's words."""
        return {**tag_words.SPLIT_WORDS, **dict(self.extra)}

    @functools.cached_property
    def extra_table(self) -> Optional[dict]:
        return dict(self.extra) or None

    @functools.cached_property
    def _form_patterns(self) -> Tuple[re.Pattern, ...]:
        return _forms(FORM_WORDS + tuple(word for word, _ in self.extra))

    def word(self, word: str) -> Optional[str]:
        """The split `word` names (case-insensitive), or None."""
        return self.table.get(word.lower())

    def split_in_form(self, name: str) -> Optional[Tuple[str, str]]:
        """(metric, split) when `name` has a writer's form (rule 1), else None."""
        for form in self._form_patterns:
            match = form.match(name)
            if match:
                return match["metric"], self.table[match["split"].lower()]
        return None

    def split_in_words(self, name: str) -> Optional[Tuple[str, str]]:
        """(metric, split) when a word of `name` is a split word (rule 2), else None."""
        found = tag_words.words(name)
        split = tag_words.split_of(found, self.extra_table)
        if split is None:
            return None
        return " ".join(tag_words.metric_words(found, self.extra_table)), split

    def mirrored_train_prefix(self, tags: Iterable[str]) -> Optional[str]:
        """The one prefix (``P`` of ``P/metric``) that mirrors a held-out prefix in tags naming no train split.

        With ``M(p)`` the metrics (case-insensitive) under prefix ``p``: ``P`` names no split, and
        ``M(V) <= M(P)`` with ``|M(V)| >= MIRROR_MIN_METRICS`` for a prefix ``V`` naming validation or
        test. None when a prefix names the train split, or when no prefix, or more than one, mirrors.
        """
        metrics: Dict[str, set] = {}
        for tag in tags:
            prefix, _, metric = tag.partition("/")
            if metric:
                metrics.setdefault(prefix, set()).add(metric.lower())
        splits = {prefix: self.word(prefix) for prefix in metrics}
        if tag_words.TRAIN in splits.values():
            return None
        held_out = [metrics[prefix] for prefix, split in splits.items() if split not in (None, tag_words.TRAIN)]
        mirrors = [
            prefix
            for prefix, split in splits.items()
            if split is None and any(len(held) >= MIRROR_MIN_METRICS and held <= metrics[prefix] for held in held_out)
        ]
        return mirrors[0] if len(mirrors) == 1 else None

    def key(self, metric: str) -> Tuple[str, ...]:
        """`tag_words.metric_key` with these split words."""
        return tag_words.metric_key(metric, self.extra_table)


BUILT_IN = SplitNames()


@functools.lru_cache(maxsize=64)
def with_words(train: Tuple[str, ...] = (), validation: Tuple[str, ...] = ()) -> SplitNames:
    """The built-in split words plus `train` words naming the train split and `validation` words the held-out one."""
    extra = tuple((word.lower(), tag_words.TRAIN) for word in train)
    extra += tuple((word.lower(), tag_words.VALIDATION) for word in validation)
    return SplitNames(extra) if extra else BUILT_IN


@functools.lru_cache(maxsize=tag_words.WORDS_CACHE_NAMES)  # a sweep's runs log the same tags: each set read once
def for_run(names: SplitNames, tags: Tuple[str, ...]) -> SplitNames:
    """`names`, plus the mirrored prefix of a run logging `tags` (`SplitNames.mirrored_train_prefix`) naming the
    train split."""
    prefix = names.mirrored_train_prefix(tags)
    return names if prefix is None else SplitNames(names.extra + ((prefix.lower(), tag_words.TRAIN),))
