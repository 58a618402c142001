"""What a read of one kind of series gives: a `Listing` (names and versions) or a `SeriesSet` (with the series).

Value classes shared by `reading` (which builds them from the data
provider), the document builders and the CLI. A series' version is
`(max_step, max_wall_time)` from the provider's cheap `list_*` call.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from typing import Any, Dict, List, Mapping, Tuple

RunTag = Tuple[str, str]
Version = Tuple[int, float]


@dataclasses.dataclass(frozen=True)
class Listing:
    """Every series of one kind in an experiment, by (run, tag), with its version."""

    versions: Mapping[RunTag, Version]
    experiment_id: str = ""

    def version_of(self, keys) -> tuple:
        """A hashable version for a group of (run, tag) keys (None for absent ones)."""
        return tuple((key, self.versions.get(key)) for key in sorted(keys))

    @functools.cached_property
    def tags(self) -> Dict[str, Tuple[str, ...]]:
        """TensorBoard run -> its tags, sorted."""
        tags: Dict[str, List[str]] = {}
        for run, tag in sorted(self.versions):
            tags.setdefault(run, []).append(tag)
        return {run: tuple(names) for run, names in tags.items()}

    @functools.cached_property
    def digest(self) -> str:
        """A short hash of every (run, tag, version): equal digests, equal data."""
        return _digest(sorted(self.versions.items()))

    @functools.cached_property
    def tags_digest(self) -> str:
        """A short hash of the (run, tag) names only."""
        return _digest(sorted(self.versions))


@dataclasses.dataclass(frozen=True)
class SeriesSet(Listing):
    """Series of one kind in an experiment: `by_run[run][tag]` plus the listing's versions.

    `by_run` holds every listed series unless the set was read for some runs only.
    """

    by_run: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)


EMPTY = SeriesSet(versions={}, by_run={})


def _digest(value) -> str:
    return hashlib.blake2b(repr(value).encode(), digest_size=12).hexdigest()
