"""Loads a logdir outside a TensorBoard server, with TensorBoard's own loaders.

The CLI and the tests use this. Two loaders, as `tensorboard --load_fast`
has them, both serving the data-provider API the plugin uses inside a
running TensorBoard, so all paths share one code path from there on:

- `rust` (the default where it can be used): TensorBoard's Rust data server
  (`data_server.loaded`), the loader of a default `tensorboard` today. No
  TensorFlow import.
- `python`: TensorBoard's Python event multiplexer and its
  `MultiplexerDataProvider` (`tensorboard --load_fast=false`). It imports
  TensorFlow when installed (for its file system layer), which costs seconds.

`server_process.LOAD_FAST` maps the CLI's `--load-fast` values onto them: `auto` uses the
data server where it is installed and supports the logdir's scheme.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from typing import Callable, Iterator, Mapping, Optional, Tuple

from tensorboard import context as context_lib

from tb_overfit_plugin.analysis.wording import quoted
from tb_overfit_plugin.data import data_server, integrity, reading, server_process

_CTX = context_lib.RequestContext()  # one logdir, one experiment (""), no request


class LoadError(RuntimeError):
    """The logdir could not be loaded (one line, for the CLI's exit code 2)."""


@dataclasses.dataclass(frozen=True)
class LogdirData:
    """Everything the analysis needs from one logdir."""

    scalars: reading.SeriesSet
    histograms: reading.SeriesSet
    # What the loaders skipped: found by `integrity.Scanner` for a local logdir,
    problems: Tuple[integrity.Problem, ...] = ()
    # else the data server's own warnings, where it loaded the logdir.
    loader_warnings: Tuple[str, ...] = ()
    # Hyper-parameters by TensorBoard run (`sessions.read_sessions`).
    sessions: Mapping[str, dict] = dataclasses.field(default_factory=dict)
    # Inside `open_logdir` only: `reading.SeriesReader.histogram_batches` on the loader.
    histogram_batches: Optional[Callable] = None


def local_data_provider(logdir: str, progress: Optional[Callable[[int, int, str], None]] = None):
    """A `MultiplexerDataProvider` over `logdir` (the Python loader), loaded completely.

    Every point is kept (a one-shot load has no memory budget to protect, and
    sampled data would give wrong best epochs). `progress(done, total, run)`
    is called after each run has been loaded.
    """
    # Imported here: TensorBoard's Python loader imports TensorFlow when installed.
    from tensorboard.backend.event_processing import data_provider as data_provider_lib
    from tensorboard.backend.event_processing import plugin_event_multiplexer
    from tensorboard.compat import tf  # TensorFlow, or TensorBoard's stub of its file layer

    keep_all = {reading.SCALARS_PLUGIN: 0, reading.HISTOGRAMS_PLUGIN: 0}
    multiplexer = plugin_event_multiplexer.EventMultiplexer(tensor_size_guidance=keep_all)
    try:
        multiplexer.AddRunsFromDirectory(logdir)
        runs = sorted(multiplexer.Runs())
        for done, run in enumerate(runs, start=1):
            multiplexer.GetAccumulator(run).Reload()
            if progress is not None:
                progress(done, len(runs), run)
    except (tf.errors.OpError, OSError) as error:  # e.g. a run directory it may not list
        detail = getattr(error, "message", None) or str(error)
        raise LoadError(f"TensorBoard's Python loader cannot read the logdir: {detail}") from None
    return data_provider_lib.MultiplexerDataProvider(multiplexer, logdir)


@contextlib.contextmanager
def _loader(
    logdir: str, progress, load_fast: str, histograms: bool = True, timeout: Optional[float] = None
) -> Iterator[Tuple[object, Tuple[str, ...], bool]]:
    """(data provider, the loader's warnings, whether the data server found nothing to warn about).

    `histograms=False`: the data server keeps histogram names and versions only (`data_server.loaded`);
    `timeout`: seconds the data server's load may take.
    """
    if load_fast != "false":
        if server_process.supports(logdir):
            with contextlib.ExitStack() as stack:
                try:
                    loaded = stack.enter_context(data_server.loaded(logdir, histograms=histograms, timeout=timeout))
                except data_server.NoDataServer as error:
                    if load_fast == "true":
                        raise LoadError(f"--load-fast=true: {error}") from None
                except data_server.DataServerError as error:
                    raise LoadError(str(error)) from None
                else:
                    yield loaded.provider, loaded.warnings, not loaded.warnings
                    return
        elif load_fast == "true":
            raise LoadError(
                f"--load-fast=true: TensorBoard's data server reads only local and "
                f"{', '.join(server_process.SUPPORTED_SCHEMES)} paths, not {quoted(logdir)}"
            )
    yield local_data_provider(logdir, progress), (), False


@contextlib.contextmanager
def _opened(
    logdir: str, progress, load_fast: str, histograms: bool = True, timeout: Optional[float] = None
) -> Iterator[Tuple[reading.SeriesReader, LogdirData]]:
    """(reader on the loader, the logdir's scalars, histogram names and sessions) while the loader lives.

    `histograms=False`: names and versions only, and no `histogram_batches`.
    """
    logdir = str(logdir)
    with _loader(logdir, progress, load_fast, histograms, timeout) as (provider, warnings, server_clean):
        reader = reading.SeriesReader(provider, cache_bytes=0)  # one pass: nothing is read twice
        data = LogdirData(
            scalars=reader.scalars(_CTX, ""),
            histograms=reading.SeriesSet(versions=reader.listing(_CTX, "", reading.HISTOGRAMS_PLUGIN).versions),
            sessions=reader.sessions(_CTX, ""),
            loader_warnings=warnings,
            histogram_batches=functools.partial(reader.histogram_batches, _CTX, "") if histograms else None,
        )
        yield reader, _checked(logdir, data, server_clean)


@contextlib.contextmanager
def open_logdir(
    logdir: str,
    progress: Optional[Callable[[int, int, str], None]] = None,
    load_fast: str = "auto",
    histograms: bool = True,
    timeout: Optional[float] = None,
) -> Iterator[LogdirData]:
    """The logdir loaded: every scalar series, the histograms' names, and their reader while open.

    Histograms are read through `LogdirData.histogram_batches` inside the
    `with` block (a batch of runs at a time, as `/weights_summary` reads them).

    Args:
      logdir: a local path or any URL TensorBoard can read.
      progress: `progress(done, total, run)`, called per run by the Python loader.
      load_fast: one of `server_process.LOAD_FAST`, as TensorBoard's `--load_fast`.
      histograms: False when no histogram will be read: the histograms'
        names and versions only (the data server then loads faster), and
        `histogram_batches` is None.
      timeout: seconds TensorBoard's data server may take to load the logdir (None: no limit).

    Raises:
      LoadError: `load_fast="true"` where the data server cannot be used,
        the data server failed to load the logdir or took longer than `timeout`, or the Python loader
        could not read part of it (it stops where the data server skips).
    """
    with _opened(logdir, progress, load_fast, histograms, timeout) as (_, data):
        yield data


def read_logdir(
    logdir: str,
    progress: Optional[Callable[[int, int, str], None]] = None,
    load_fast: str = "auto",
    with_histograms: bool = True,
) -> LogdirData:
    """`open_logdir`'s data with every histogram series read (`with_histograms`), usable once closed.

    Raises:
      LoadError: as `open_logdir`.
    """
    with _opened(logdir, progress, load_fast) as (reader, data):
        histograms = reader.histograms(_CTX, "") if with_histograms else data.histograms
        return dataclasses.replace(data, histograms=histograms, histogram_batches=None)


def _checked(logdir: str, data: LogdirData, server_clean: bool = False) -> LogdirData:
    """`data` with the problems `integrity.Scanner` finds in a local logdir (its whole files).

    `server_clean`: the data server, which checksums every record
    (`data_server.loaded`), logged no read error: there is nothing to find,
    and the scan (seconds on a large sweep) is skipped.
    """
    if server_clean or not integrity.supports(logdir):
        return data
    # The scanner's problems name the file, byte and last good step: they replace the server's lines.
    return dataclasses.replace(data, problems=integrity.Scanner(logdir).scan(), loader_warnings=())
