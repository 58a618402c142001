"""What one batched read asks the provider for: keys by run, stale keys, estimated bytes, batches.

A read asks for every point the provider holds (`EVERY_POINT`), for batches
of whole runs of about `READ_BATCH_BYTES` each, estimated from the listing as
(max_step + 1) points per series x `POINT_BYTES`; an answer the channel refuses
(`too_large`) is read again in halves by `reading.SeriesReader`.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Mapping

from tensorboard.data import provider as provider_lib

from tb_overfit_plugin.data.series_set import Listing, RunTag

SCALARS_PLUGIN = "scalars"
HISTOGRAMS_PLUGIN = "histograms"

# One provider read asks for about this many bytes, estimated from the listing as
# (max_step + 1) points per series x `POINT_BYTES`; TensorBoard's gRPC channel
# refuses answers over 256 MB, and a read that is still too large is split in two.
READ_BATCH_BYTES = 16 * 2**20
POINT_BYTES = {SCALARS_PLUGIN: 24, HISTOGRAMS_PLUGIN: 30 * 3 * 8 + 24}  # TF2 histograms: 30 buckets
# Ask for every point the provider holds, however long the series: the largest
# `num_points` the protocol holds (int64). The provider's own retention
# (reservoir sampling) is the only limit, and `looks_downsampled` reports it.
EVERY_POINT = 2**63 - 1


def too_large(error: Exception) -> bool:
    """Whether a provider error says the answer exceeded the channel's message size."""
    code = getattr(error, "code", None)
    return callable(code) and getattr(code(), "name", "") == "RESOURCE_EXHAUSTED"


def by_run(keys: Iterable[RunTag]) -> Dict[str, List[RunTag]]:
    """`keys` sorted and grouped by TensorBoard run."""
    grouped: Dict[str, List[RunTag]] = {}
    for key in sorted(keys):
        grouped.setdefault(key[0], []).append(key)
    return grouped


def stale(cached: Mapping[RunTag, tuple], listing: Listing, keys: Iterable[RunTag]) -> List[RunTag]:
    """The keys whose cached series is missing or of another version than the listing's."""
    return [key for key in keys if cached.get(key, (None,))[0] != listing.versions[key]]


def read_bytes(listing: Listing, plugin_name: str, keys: Iterable[RunTag]) -> int:
    """Estimated bytes of reading `keys`: (max_step + 1) points per series x `POINT_BYTES`."""
    return sum((max(listing.versions[key][0], 0) + 1) * POINT_BYTES[plugin_name] for key in keys)


def packed(items: list, size_of) -> List[list]:
    """`items` in order, cut into consecutive batches of about `READ_BATCH_BYTES` (`size_of(item)` each).

    A batch is closed before the item that would take it over the size, so
    an item larger than the size is a batch of its own.
    """
    batches: List[list] = []
    batch: list = []
    size = 0
    for item in items:
        item_size = size_of(item)
        if batch and size + item_size > READ_BATCH_BYTES:
            batches.append(batch)
            batch, size = [], 0
        batch.append(item)
        size += item_size
    return batches + [batch] if batch else batches


def run_tag_filter(keys: Iterable[RunTag]) -> provider_lib.RunTagFilter:
    """The provider filter for `keys`: runs x tags, so it may match a few other series too (left unconverted)."""
    keys = list(keys)
    return provider_lib.RunTagFilter(runs={run for run, _ in keys}, tags={tag for _, tag in keys})
