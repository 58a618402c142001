"""TensorBoard's Rust data server as a process: found, started on a logdir, stopped.

Imports only the standard library, so the console script (`console.py`)
can start the server before the rest of the CLI is imported: the server
loads the logdir while Python imports numpy, gRPC and TensorBoard (about
0.3 s saved of a one-second command). `prestart` starts it and keeps it
here; `data_server.loaded` takes it over (`take`) when it was started on
the same logdir with at least the histograms it needs, and starts its own
otherwise.

The binary is found as TensorBoard's `server_ingester.get_server_binary`
finds it (`binary_path`; `tests/test_data_server.py` checks they agree),
without importing that module (0.2 s of imports).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import subprocess
import tempfile
from typing import Optional

# Schemes the Rust data server reads (as TensorBoard's program.py decides).
SUPPORTED_SCHEMES = ("gs://",)
# The CLI's --load-fast values, as tensorboard's --load_fast: the data server where it can be
# used (auto), the data server only (true), TensorBoard's Python loader (false).
LOAD_FAST = ("auto", "true", "false")
# Histogram points kept per series without histograms: the latest, which gives the listing its version.
NAMES_ONLY_HISTOGRAM_SAMPLES = 1
_BINARY_VARIABLE = "TENSORBOARD_DATA_SERVER_BINARY"  # TensorBoard's override of the binary


def supports(logdir: str) -> bool:
    """Whether the data server can read `logdir` (a local path or a supported URL)."""
    return "://" not in logdir or logdir.startswith(SUPPORTED_SCHEMES)


def binary_path() -> Optional[str]:
    """The server binary TensorBoard would run, or None where it has none.

    In TensorBoard's order: the `TENSORBOARD_DATA_SERVER_BINARY` file, the
    binary bundled in TensorBoard's own package, the `tensorboard_data_server` package's.
    """
    override = os.environ.get(_BINARY_VARIABLE)
    if override:
        return override if os.path.isfile(override) else None
    spec = importlib.util.find_spec("tensorboard")
    for location in (spec.submodule_search_locations or []) if spec else []:
        bundled = os.path.join(location, "data", "server", "server")
        if os.path.exists(bundled):
            return bundled
    try:
        import tensorboard_data_server
    except ImportError:
        return None
    return tensorboard_data_server.server_binary()


@dataclasses.dataclass
class Started:
    """A server process loading `logdir` once, and the directory of its port file and logs."""

    process: subprocess.Popen
    directory: tempfile.TemporaryDirectory
    logdir: str
    histograms: bool  # every histogram point kept (else `NAMES_ONLY_HISTOGRAM_SAMPLES`)

    def path(self, name: str) -> str:
        """The server's "port", "log" or "error" file."""
        return os.path.join(self.directory.name, name)

    def stop(self) -> None:
        """Ends the server (it exits when its stdin closes) and removes its files."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.directory.cleanup()


def start(binary: str, logdir: str, histograms: bool = True) -> Started:
    """Starts `binary` loading `logdir` once, every scalar kept (and every histogram if `histograms`)."""
    directory = tempfile.TemporaryDirectory(prefix="tb_overfit_data_server_")
    kept = "all" if histograms else NAMES_ONLY_HISTOGRAM_SAMPLES
    args = [
        binary,
        f"--logdir={os.path.expanduser(logdir)}",
        "--reload=once",
        f"--samples-per-plugin=scalars=all,histograms={kept}",
        "--port=0",
        f"--port-file={os.path.join(directory.name, 'port')}",
        f"--error-file={os.path.join(directory.name, 'error')}",
        "--die-after-stdin",
        "--checksum",  # every record, so a damaged one is always logged (the default checks only unparsable ones)
        "--verbose",
    ]
    try:
        with open(os.path.join(directory.name, "log"), "w") as log:
            process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log)
    except OSError:
        directory.cleanup()
        raise
    return Started(process, directory, logdir, histograms)


_prestarted: Optional[Started] = None


def prestart(logdir: str, histograms: bool) -> None:
    """Starts a server for a later `take`, where one can be: a supported logdir, a binary installed."""
    global _prestarted
    binary = binary_path()
    if (
        _prestarted is None
        and binary
        and supports(logdir)
        and ("://" in logdir or os.path.isdir(os.path.expanduser(logdir)))
    ):
        try:
            _prestarted = start(binary, logdir, histograms)
        except OSError:  # not executable, say: the load proper reports it
            _prestarted = None


def take(logdir: str, histograms: bool) -> Optional[Started]:
    """The prestarted server if it loads `logdir` with the histograms asked for (a superset will do), else None.

    A server that does not fit is stopped.
    """
    global _prestarted
    started, _prestarted = _prestarted, None
    if started is not None and (started.logdir != logdir or (histograms and not started.histograms)):
        started.stop()
        started = None
    return started


def discard() -> None:
    """Stops a prestarted server nobody took (the command ended before loading)."""
    global _prestarted
    started, _prestarted = _prestarted, None
    if started is not None:
        started.stop()
