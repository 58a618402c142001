"""Reads scalar and histogram series through TensorBoard's data provider.

Everything the plugin knows about a logdir comes through
`context.data_provider`, so it works with the Rust data server,
`--load_fast`, and remote logdirs. Reads are batched (one provider call per
plugin per request, not one per run) and cached by each series' version,
`(max_step, max_wall_time)` from the cheap `list_*` call: unchanged series
are never read twice, and a run that gains epochs is re-read.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Callable, Dict, Mapping, Tuple

from tensorboard.data import provider as provider_lib

from tb_overfit_plugin import series as series_lib

SCALARS_PLUGIN = "scalars"
HISTOGRAMS_PLUGIN = "histograms"

# Ask for every point the provider holds; the provider's own retention
# (reservoir sampling) is the only limit, and `looks_downsampled` reports it.
_ALL_POINTS = 1_000_000

RunTag = Tuple[str, str]
Version = Tuple[int, float]


@dataclasses.dataclass(frozen=True)
class SeriesSet:
    """All series of one kind in an experiment: `by_run[run][tag]` plus versions."""

    by_run: Mapping[str, Mapping[str, object]]
    versions: Mapping[RunTag, Version]

    def version_of(self, keys) -> tuple:
        """A hashable version for a group of (run, tag) keys (None for absent ones)."""
        return tuple((key, self.versions.get(key)) for key in sorted(keys))


EMPTY = SeriesSet(by_run={}, versions={})


def _scalar_series(datums) -> series_lib.ScalarSeries:
    return series_lib.scalar_series(
        [d.step for d in datums], [d.wall_time for d in datums], [d.value for d in datums]
    )


def _histogram_series(datums) -> series_lib.HistogramSeries:
    return series_lib.histogram_series(
        [d.step for d in datums], [d.wall_time for d in datums], [d.numpy for d in datums]
    )


class SeriesReader:
    """Version-cached, batched reads of scalars and histograms from a data provider."""

    def __init__(self, data_provider: provider_lib.DataProvider):
        self._provider = data_provider
        self._lock = threading.Lock()
        # (experiment_id, plugin_name) -> {(run, tag): (version, series)}
        self._cache: Dict[tuple, Dict[RunTag, tuple]] = {}

    def scalars(self, ctx, experiment_id: str) -> SeriesSet:
        """Every scalar series (`ScalarSeries`) of the experiment."""
        return self._read(
            ctx,
            experiment_id,
            SCALARS_PLUGIN,
            self._provider.list_scalars,
            self._provider.read_scalars,
            _scalar_series,
        )

    def histograms(self, ctx, experiment_id: str) -> SeriesSet:
        """Every histogram series (`HistogramSeries`) of the experiment."""
        return self._read(
            ctx,
            experiment_id,
            HISTOGRAMS_PLUGIN,
            self._provider.list_tensors,
            self._provider.read_tensors,
            _histogram_series,
        )

    def _read(
        self,
        ctx,
        experiment_id: str,
        plugin_name: str,
        list_series: Callable,
        read_series: Callable,
        to_series: Callable,
    ) -> SeriesSet:
        listing = list_series(ctx, experiment_id=experiment_id, plugin_name=plugin_name)
        versions = {
            (run, tag): (int(meta.max_step), float(meta.max_wall_time))
            for run, tags in listing.items()
            for tag, meta in tags.items()
        }
        cache_key = (experiment_id, plugin_name)
        with self._lock:
            cached = dict(self._cache.get(cache_key, {}))
        stale = [key for key, version in versions.items() if cached.get(key, (None,))[0] != version]
        if stale:
            # One batched read. The filter is runs x tags, so it may return a
            # few fresh series too; only the stale ones are converted.
            data = read_series(
                ctx,
                experiment_id=experiment_id,
                plugin_name=plugin_name,
                downsample=_ALL_POINTS,
                run_tag_filter=provider_lib.RunTagFilter(
                    runs={run for run, _ in stale}, tags={tag for _, tag in stale}
                ),
            )
            for run, tag in stale:
                datums = data.get(run, {}).get(tag)
                if datums:
                    cached[(run, tag)] = (versions[(run, tag)], to_series(datums))
        current = {key: cached[key] for key in sorted(versions) if key in cached}
        with self._lock:
            self._cache[cache_key] = current
        by_run: Dict[str, Dict[str, object]] = {}
        for (run, tag), (_, series) in current.items():
            by_run.setdefault(run, {})[tag] = series
        return SeriesSet(by_run=by_run, versions={key: v for key, (v, _) in current.items()})
