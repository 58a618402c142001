"""Loads a logdir outside a TensorBoard server, with TensorBoard's own code.

The CLI and the tests use this: TensorBoard's event multiplexer reads the
event files (local or any path TensorBoard can read), and its
`MultiplexerDataProvider` serves them through the same data-provider API the
plugin uses in a running TensorBoard, so both share one code path.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Optional

from tensorboard import context as context_lib
from tensorboard.backend.event_processing import data_provider as data_provider_lib
from tensorboard.backend.event_processing import plugin_event_multiplexer

from tb_overfit_plugin import reading

# 0 keeps every point: a one-shot load of a logdir has no memory budget to
# protect, and sampled data would give wrong best epochs.
_KEEP_ALL = {reading.SCALARS_PLUGIN: 0, reading.HISTOGRAMS_PLUGIN: 0}


@dataclasses.dataclass(frozen=True)
class LogdirData:
    """Everything the analysis needs from one logdir."""

    scalars: reading.SeriesSet
    histograms: reading.SeriesSet


def local_data_provider(
    logdir: str, progress: Optional[Callable[[int, int, str], None]] = None
) -> data_provider_lib.MultiplexerDataProvider:
    """A data provider over `logdir`, loaded completely before returning.

    `progress(done, total, run)` is called after each run has been loaded.
    """
    multiplexer = plugin_event_multiplexer.EventMultiplexer(tensor_size_guidance=_KEEP_ALL)
    multiplexer.AddRunsFromDirectory(logdir)
    runs = sorted(multiplexer.Runs())
    for done, run in enumerate(runs, start=1):
        multiplexer.GetAccumulator(run).Reload()
        if progress is not None:
            progress(done, len(runs), run)
    return data_provider_lib.MultiplexerDataProvider(multiplexer, logdir)


def read_logdir(logdir: str, progress: Optional[Callable[[int, int, str], None]] = None) -> LogdirData:
    """Reads every scalar and histogram series under `logdir`."""
    reader = reading.SeriesReader(local_data_provider(str(logdir), progress))
    ctx = context_lib.RequestContext()
    return LogdirData(scalars=reader.scalars(ctx, ""), histograms=reader.histograms(ctx, ""))
