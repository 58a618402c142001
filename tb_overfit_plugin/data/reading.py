"""Reads scalar and histogram series through TensorBoard's data provider.

Everything the plugin knows about a logdir comes through
`context.data_provider`, so it works with the Rust data server,
`--load_fast`, and remote logdirs. Reads are batched (one provider call per
plugin per request, not one per run; large reads in batches of about
`read_plan.READ_BATCH_BYTES`) and cached by each series' version,
`(max_step, max_wall_time)` from the cheap `list_*` call: unchanged series
are never read twice, and a run that gains epochs is re-read.

Memory is bounded: the cached series of all experiments together hold at
most `SERIES_CACHE_BYTES` (numpy bytes); past that, the least recently used
experiment's series are dropped first (an experiment larger than the whole
budget is read for each request and not kept). Every cache entry is keyed by
experiment id, so `/experiment/<id>/...` URLs never share or mix data.
"""

from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import threading
import time
from typing import Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

from tensorboard.data import provider as provider_lib

from tb_overfit_plugin.data import read_plan, run_names
from tb_overfit_plugin.data import sessions as sessions_lib
from tb_overfit_plugin.data.provider_series import histograms_of, scalars_of, series_nbytes
from tb_overfit_plugin.data.read_plan import HISTOGRAMS_PLUGIN, SCALARS_PLUGIN
from tb_overfit_plugin.data.series_set import EMPTY, Listing, RunTag, SeriesSet, Version  # noqa: F401 (EMPTY re-exported)

# Cached series of all experiments together, in numpy bytes (see the module docstring).
SERIES_CACHE_BYTES = 256 * 2**20
SESSION_EXPERIMENTS = 64
"""Experiments whose hyper-parameter sessions are kept (a few kB each)."""
_LISTED_SERIES_BYTES = 200  # a listed series' key and version, counted against the budget too


@dataclasses.dataclass
class _Entry:
    """What is cached for one (experiment, plugin): a listing and the series read."""

    listing: Optional[Listing] = None
    listed_at: float = -float("inf")
    series: Dict[RunTag, Tuple[Version, object]] = dataclasses.field(default_factory=dict)
    series_bytes: int = 0
    # Every listed series as one SeriesSet, while neither the listing nor the series change:
    # a warm request reuses it (and its digest) instead of regrouping thousands of series.
    whole: Optional[SeriesSet] = None

    @property
    def nbytes(self) -> int:
        listed = len(self.listing.versions) if self.listing is not None else 0
        return self.series_bytes + listed * _LISTED_SERIES_BYTES


_EVERYTHING = provider_lib.RunTagFilter()
# plugin -> (listing method, read method, the read's series -> [(version, series)])
_KINDS: Dict[str, Tuple[str, str, Callable[[list], list]]] = {
    SCALARS_PLUGIN: ("list_scalars", "read_scalars", scalars_of),
    HISTOGRAMS_PLUGIN: ("list_tensors", "read_tensors", histograms_of),
}


class SeriesReader:
    """Version-cached, batched, memory-bounded reads of scalars and histograms.

    `listing_max_age`: seconds a provider listing is reused before the
    provider is asked again (0: every call lists). The plugin reuses one
    listing across the routes a page load calls at once; TensorBoard itself
    only reloads every `--reload_interval` seconds.
    """

    def __init__(
        self,
        data_provider: provider_lib.DataProvider,
        *,
        listing_max_age: float = 0.0,
        cache_bytes: Optional[int] = None,
    ):
        self._provider = run_names.SlashedRuns(data_provider)  # run names with "/" from here on
        self._listing_max_age = listing_max_age
        self._cache_bytes = SERIES_CACHE_BYTES if cache_bytes is None else cache_bytes
        self._lock = threading.Lock()
        # (experiment_id, plugin_name) -> _Entry, least recently used first.
        self._entries: "collections.OrderedDict[tuple, _Entry]" = collections.OrderedDict()
        # experiment_id -> (listed_at, hyper-parameters by TensorBoard run), least recently used first.
        self._sessions: "collections.OrderedDict[str, tuple]" = collections.OrderedDict()

    def scalars(self, ctx, experiment_id: str) -> SeriesSet:
        """Every scalar series (`ScalarSeries`) of the experiment.

        With nothing cached for the experiment, one read of everything gives the
        series and their versions (no listing call).
        """
        if self._entry(experiment_id, SCALARS_PLUGIN).listing is None:
            return self._read_everything(ctx, experiment_id, SCALARS_PLUGIN)
        return self._series(ctx, experiment_id, SCALARS_PLUGIN, runs=None)

    def histograms(self, ctx, experiment_id: str, runs: Optional[Iterable[str]] = None) -> SeriesSet:
        """Histogram series (`HistogramSeries`) of the experiment: every one, or those of `runs`."""
        return self._series(ctx, experiment_id, HISTOGRAMS_PLUGIN, runs=None if runs is None else set(runs))

    def histogram_batches(
        self, ctx, experiment_id: str, groups: Sequence[Iterable[str]]
    ) -> Iterator[Tuple[List[int], SeriesSet]]:
        """The histograms of `groups` of TensorBoard runs, a batch of whole groups at a time.

        Yields `(indices of the batch's groups, SeriesSet of their series)`,
        batches of about `read_plan.READ_BATCH_BYTES` to read, the next one read while
        the caller works on this one: at most two batches are held, however
        large the sweep. Cached series are used; what is read is cached
        afterwards, as `histograms` would, if it fits the cache's budget.
        """
        listing = self.listing(ctx, experiment_id, HISTOGRAMS_PLUGIN)
        cached = dict(self._entry(experiment_id, HISTOGRAMS_PLUGIN).series)
        by_run = read_plan.by_run(listing.versions)
        keys = [[key for run in sorted(set(group)) for key in by_run.get(run, ())] for group in groups]
        stale = [read_plan.stale(cached, listing, group) for group in keys]
        batches = read_plan.packed(
            list(range(len(keys))), lambda i: read_plan.read_bytes(listing, HISTOGRAMS_PLUGIN, stale[i])
        )
        reads = self._prefetched(
            ctx,
            experiment_id,
            HISTOGRAMS_PLUGIN,
            listing,
            [[key for i in batch for key in stale[i]] for batch in batches],
        )
        kept: Optional[Dict[RunTag, tuple]] = {}
        kept_bytes = 0
        for batch, read in zip(batches, reads):
            wanted = [key for i in batch for key in keys[i]]
            yield batch, self._series_set(listing, collections.ChainMap(read, cached), wanted)
            if kept is not None:
                kept.update(read)
                kept_bytes += sum(series_nbytes(series) for _, series in read.values())
                kept = kept if kept_bytes <= self._cache_bytes else None  # too large to keep: not held
        if kept:
            self._store(experiment_id, HISTOGRAMS_PLUGIN, listing, series={**cached, **kept})

    def listing(self, ctx, experiment_id: str, plugin_name: str) -> Listing:
        """The provider's listing of one kind of series (reused for `listing_max_age` seconds).

        Listings are monotonic: one asked for before the listing cached
        (a slower, older call) does not replace it, and the newer one is answered.
        """
        entry = self._entry(experiment_id, plugin_name)
        if entry.listing is not None and time.monotonic() - entry.listed_at < self._listing_max_age:
            return entry.listing
        asked_at = time.monotonic()
        listing = Listing(versions=self._list_versions(ctx, experiment_id, plugin_name), experiment_id=experiment_id)
        return self._store(experiment_id, plugin_name, listing, listed_at=asked_at)

    def _list_versions(self, ctx, experiment_id: str, plugin_name: str) -> Dict[RunTag, Version]:
        """(run, tag) -> (max_step, max_wall_time) from the provider's `list_*` (its `list_versions` if it has one)."""
        list_name = _KINDS[plugin_name][0]
        list_versions = getattr(self._provider, "list_versions", None)
        if list_versions is not None:
            return list_versions(
                ctx, experiment_id=experiment_id, plugin_name=plugin_name, tensors=list_name == "list_tensors"
            )
        listed = getattr(self._provider, list_name)(ctx, experiment_id=experiment_id, plugin_name=plugin_name)
        return {
            (run, tag): (int(meta.max_step), float(meta.max_wall_time))
            for run, tags in listed.items()
            for tag, meta in tags.items()
        }

    def sessions(self, ctx, experiment_id: str) -> Dict[str, dict]:
        """Hyper-parameters by TensorBoard run (`sessions.read_sessions`), reused as a listing is.

        Kept for the `SESSION_EXPERIMENTS` most recently used experiments (they are small).
        """
        with self._lock:
            listed_at, found = self._sessions.get(experiment_id, (-float("inf"), None))
        if found is None or time.monotonic() - listed_at >= self._listing_max_age:
            found = sessions_lib.read_sessions(self._provider, ctx, experiment_id)
            listed_at = time.monotonic()
        with self._lock:
            self._sessions[experiment_id] = (listed_at, found)
            self._sessions.move_to_end(experiment_id)
            while len(self._sessions) > SESSION_EXPERIMENTS:
                self._sessions.popitem(last=False)
        return found

    def runs_inputs(self, ctx, experiment_id: str) -> Tuple[SeriesSet, Listing, Dict[str, dict]]:
        """`scalars(...)`, `listing(..., HISTOGRAMS_PLUGIN)` and `sessions(...)`: what `/runs` needs.

        The histogram listing and the sessions are asked for while the scalars
        are read, on two threads of this call's own (a request never waits for
        another's, and none outlives the call).
        """
        with concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="overfit-list") as pool:
            listing = pool.submit(self.listing, ctx, experiment_id, HISTOGRAMS_PLUGIN)
            sessions = pool.submit(self.sessions, ctx, experiment_id)
            return self.scalars(ctx, experiment_id), listing.result(), sessions.result()

    def cached_bytes(self, experiment_id: Optional[str] = None) -> int:
        """Bytes of cached series, of one experiment or of all."""
        with self._lock:
            return sum(
                entry.nbytes
                for (eid, _), entry in self._entries.items()
                if experiment_id is None or eid == experiment_id
            )

    def cached_experiments(self) -> List[str]:
        """Experiment ids with cached series, least recently used first."""
        with self._lock:
            return list(dict.fromkeys(eid for eid, _ in self._entries))

    def _entry(self, experiment_id: str, plugin_name: str) -> _Entry:
        """The experiment's entry for `plugin_name`, marked as most recently used."""
        key = (experiment_id, plugin_name)
        with self._lock:
            entry = self._entries.setdefault(key, _Entry())
            self._entries.move_to_end(key)
            return entry

    def _store(
        self,
        experiment_id: str,
        plugin_name: str,
        listing: Listing,
        listed_at: Optional[float] = None,
        series: Optional[Dict[RunTag, Tuple[Version, object]]] = None,
    ) -> Listing:
        """Caches a listing and/or series (listed keys only), evicts to stay within budget, returns the listing cached.

        A listing asked for (`listed_at`) before the cached one was does not replace it.

        Least recently used entries go first; an entry over the whole budget by
        itself keeps its listing and drops its series.
        """
        key = (experiment_id, plugin_name)
        if series is not None:
            series = {k: v for k, v in series.items() if k in listing.versions}
            series_bytes = sum(series_nbytes(s) for _, s in series.values())
        with self._lock:
            entry = self._entries.setdefault(key, _Entry())
            self._entries.move_to_end(key)
            if listed_at is not None and listed_at >= entry.listed_at:
                entry.listing, entry.listed_at = listing, listed_at
            if series is not None:
                entry.series, entry.series_bytes = series, series_bytes
            entry.whole = None
            if entry.nbytes > self._cache_bytes:
                entry.series, entry.series_bytes = {}, 0
            total = sum(e.nbytes for e in self._entries.values())
            for other_key in [k for k in self._entries if k != key]:
                if total <= self._cache_bytes:
                    break
                total -= self._entries.pop(other_key).nbytes
            return entry.listing if entry.listing is not None else listing

    def _read_everything(self, ctx, experiment_id: str, plugin_name: str) -> SeriesSet:
        """One unfiltered read; the versions are those of the points read.

        An answer too large for the channel (TensorBoard's refuses over 256 MiB)
        is read again as `_series` reads: listed first, then in batches.
        """
        _, read_name, to_series = _KINDS[plugin_name]
        asked_at = time.monotonic()
        try:  # an empty filter: everything
            data = getattr(self._provider, read_name)(
                ctx,
                experiment_id=experiment_id,
                plugin_name=plugin_name,
                downsample=read_plan.EVERY_POINT,
                run_tag_filter=_EVERYTHING,
            )
        except Exception as error:
            if not read_plan.too_large(error):
                raise
            return self._series(ctx, experiment_id, plugin_name, runs=None)
        keys = [(run, tag) for run, tags in data.items() for tag, datums in tags.items() if datums]
        series = dict(zip(keys, to_series([data[run][tag] for run, tag in keys])))
        del data
        listing = Listing(versions={key: version for key, (version, _) in series.items()}, experiment_id=experiment_id)
        self._store(experiment_id, plugin_name, listing, listed_at=asked_at, series=series)
        return self._series_set(listing, series, keys=listing.versions)

    def _series(self, ctx, experiment_id: str, plugin_name: str, runs: Optional[set]) -> SeriesSet:
        listing = self.listing(ctx, experiment_id, plugin_name)
        entry = self._entry(experiment_id, plugin_name)
        whole = entry.whole
        if runs is None and whole is not None and whole.versions is listing.versions:
            return whole
        wanted = [key for key in listing.versions if runs is None or key[0] in runs]
        cached = dict(entry.series)
        stale = read_plan.stale(cached, listing, wanted)
        if stale:
            cached.update(self._read_batches(ctx, experiment_id, plugin_name, listing, stale))
            self._store(experiment_id, plugin_name, listing, series=cached)
        found = self._series_set(listing, cached, keys=wanted)
        if runs is None and not stale:
            entry.whole = found  # `_store` clears it: a new listing or series, an eviction
        return found

    @staticmethod
    def _series_set(listing: Listing, series: Mapping[RunTag, tuple], keys) -> SeriesSet:
        by_run: Dict[str, Dict[str, object]] = {}
        for run, tag in sorted(keys):
            if (run, tag) in series:
                by_run.setdefault(run, {})[tag] = series[(run, tag)][1]
        return SeriesSet(versions=listing.versions, experiment_id=listing.experiment_id, by_run=by_run)

    def _read_batches(
        self, ctx, experiment_id: str, plugin_name: str, listing: Listing, keys: List[RunTag]
    ) -> Dict[RunTag, tuple]:
        """Reads `keys` in batches of whole runs of about `read_plan.READ_BATCH_BYTES` each."""
        batches = read_plan.packed(
            list(read_plan.by_run(keys).values()), lambda run_keys: read_plan.read_bytes(listing, plugin_name, run_keys)
        )
        read = {}
        for batch in self._prefetched(
            ctx,
            experiment_id,
            plugin_name,
            listing,
            [[key for run_keys in batch for key in run_keys] for batch in batches],
        ):
            read.update(batch)
        return read

    def _prefetched(
        self, ctx, experiment_id: str, plugin_name: str, listing: Listing, batches: List[List[RunTag]]
    ) -> Iterator[Dict[RunTag, tuple]]:
        """`_read_batch` of each batch in turn, the next one's read under way while the caller uses this one.

        With a provider that can start a read (`fast_provider.FastProvider`:
        the Rust data server answers from its own process), batch i + 1 is
        asked for before batch i is converted and handed out; any other
        provider reads each batch when it comes.
        """
        started = self._start_read(ctx, experiment_id, plugin_name, batches[0]) if batches else None
        for index, batch in enumerate(batches):
            following = batches[index + 1] if index + 1 < len(batches) else []
            started_next = self._start_read(ctx, experiment_id, plugin_name, following)
            read = self._read_batch(ctx, experiment_id, plugin_name, listing, batch, started=started)
            started = started_next  # this batch's answer is let go
            yield read

    def _start_read(self, ctx, experiment_id: str, plugin_name: str, keys: List[RunTag]):
        """The provider's `start_read_*` of `keys` (a function giving the answer), or None."""
        start = getattr(self._provider, "start_" + _KINDS[plugin_name][1], None)
        if start is None or not keys:
            return None
        return start(
            ctx,
            experiment_id=experiment_id,
            plugin_name=plugin_name,
            downsample=read_plan.EVERY_POINT,
            run_tag_filter=read_plan.run_tag_filter(keys),
        )

    def _read_batch(
        self, ctx, experiment_id: str, plugin_name: str, listing: Listing, keys: List[RunTag], started=None
    ) -> Dict[RunTag, tuple]:
        """One provider read of `keys` (`started`: its answer, from `_start_read`); split in two if the
        answer is too large for the channel."""
        _, read_name, to_series = _KINDS[plugin_name]
        if not keys:
            return {}
        try:
            data = (
                started()
                if started is not None
                else getattr(self._provider, read_name)(
                    ctx,
                    experiment_id=experiment_id,
                    plugin_name=plugin_name,
                    downsample=read_plan.EVERY_POINT,
                    run_tag_filter=read_plan.run_tag_filter(keys),
                )
            )
        except Exception as error:
            if len(keys) < 2 or not read_plan.too_large(error):
                raise
            half = len(keys) // 2
            return {
                **self._read_batch(ctx, experiment_id, plugin_name, listing, keys[:half]),
                **self._read_batch(ctx, experiment_id, plugin_name, listing, keys[half:]),
            }
        present = [(run, tag) for run, tag in keys if data.get(run, {}).get(tag)]
        converted = to_series([data[run][tag] for run, tag in present])
        return {key: (listing.versions[key], series) for key, (_, series) in zip(present, converted)}
