"""One complete load of a logdir by TensorBoard's own Rust data server.

The CLI reads logs the way `tensorboard --load_fast=true` does: it starts
the data server that ships with TensorBoard (the `tensorboard_data_server`
package, found as TensorBoard's `server_ingester` finds it; the process is
`server_process`'s) with `--reload=once` and every point kept, waits for the
server's own "Finished load cycle" log line, and reads through TensorBoard's
gRPC data provider. Nothing here imports TensorFlow, so the CLI starts fast
and quiet.

Supported logdirs are those the data server supports: local paths and
`gs://` (`server_process.SUPPORTED_SCHEMES`); `logdir.read_logdir` falls
back to the Python loader for the rest.

The server skips what it cannot read (a corrupt record ends its reading of
a file, an unreadable file or directory is left out) with a WARN line in its
log and nothing in the data; `loaded` hands those lines on as `warnings`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import time
from typing import Iterator, Optional, Tuple

import grpc
from tensorboard.data import grpc_provider, server_ingester

from tb_overfit_plugin.data import fast_provider, server_process

# The server logs this line (with -v) when a `--reload=once` load is complete.
_LOAD_DONE = "Finished load cycle"
# A warning in its log: "[2026-01-01T00:00:00Z WARN  rustboard_core::run] Read error in ..."
_WARNING_LINE = re.compile(r"^\[\S+ WARN\s+[^\]]*\]\s*(?P<message>.+)$")
# One gRPC answer may hold every histogram of a sweep; TensorBoard's ingester
# allows 256 MiB, a one-shot CLI load allows more.
MAX_MESSAGE_BYTES = 2**31 - 1
_POLL_SECONDS = 0.005


class DataServerError(RuntimeError):
    """The data server could not load the logdir; the message says why in one line."""


class NoDataServer(RuntimeError):
    """No data server binary for this platform or installation."""


@dataclasses.dataclass(frozen=True)
class LoadedLogdir:
    """A completely loaded logdir: its data provider and the server's load warnings."""

    provider: grpc_provider.GrpcDataProvider
    warnings: Tuple[str, ...]  # what the server skipped, one message per WARN line


def _warnings(log_path: str) -> Tuple[str, ...]:
    with open(log_path, errors="replace") as log:
        return tuple(match["message"] for match in map(_WARNING_LINE.match, log) if match)


def _binary_path() -> str:
    try:
        return server_ingester.get_server_binary().path
    except server_ingester.NoDataServerError as error:
        raise NoDataServer(str(error)) from None


def _last_line(path: str) -> str:
    with open(path, errors="replace") as file:
        lines = [line.strip() for line in file if line.strip()]
    return lines[-1] if lines else ""


def _wait_for_load(started: server_process.Started, timeout: Optional[float] = None) -> int:
    """Waits for the server's "Finished load cycle" (at most `timeout` seconds); returns its gRPC port."""
    log_path, error_path, process = started.path("log"), started.path("error"), started.process
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        with open(log_path, errors="replace") as log:
            if _LOAD_DONE in log.read():
                with open(started.path("port")) as port_file:
                    return int(port_file.read())
        if process.poll() is not None:
            reason = ""
            if os.path.exists(error_path):
                reason = _last_line(error_path)
            reason = reason or _last_line(log_path) or f"exit code {process.returncode}"
            raise DataServerError(f"TensorBoard's data server could not load the logdir: {reason}")
        if deadline is not None and time.monotonic() > deadline:
            raise DataServerError(
                f"TensorBoard's data server had not loaded the logdir after {timeout:g} s "
                f"(--timeout): slow or stalled storage?"
            )
        time.sleep(_POLL_SECONDS)


@contextlib.contextmanager
def loaded(logdir: str, histograms: bool = True, timeout: Optional[float] = None) -> Iterator[LoadedLogdir]:
    """A gRPC data provider over `logdir`, completely loaded, with every point kept, and its warnings.

    `histograms=False`: of each histogram series the server keeps only the
    latest point (`server_process.NAMES_ONLY_HISTOGRAM_SAMPLES`), so the histograms are
    listed with their names and versions as usual (the reservoir always
    keeps the latest point) but none can be read; a sweep loads in about
    two thirds of the time and a fraction of the memory.

    `timeout`: seconds the load may take (None: as long as it takes).

    The server is the one the console script started for this logdir
    (`server_process.take`), else a new one; it lives for the `with`
    block and is stopped after it.

    Raises:
      NoDataServer: no server binary is installed for this platform.
      DataServerError: the server exited before finishing its load, or took longer than `timeout`.
    """
    started = server_process.take(logdir, histograms) or server_process.start(_binary_path(), logdir, histograms)
    channel = None
    try:
        port = _wait_for_load(started, timeout)
        channel = grpc.secure_channel(
            f"localhost:{port}",
            grpc.local_channel_credentials(),
            options=[("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)],
        )
        provider = fast_provider.FastProvider(f"localhost:{port}", grpc_provider.make_stub(channel))
        yield LoadedLogdir(provider, _warnings(started.path("log")))
    finally:
        if channel is not None:
            channel.close()
        started.stop()  # --die-after-stdin: the server exits
