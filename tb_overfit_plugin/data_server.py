"""One complete load of a logdir by TensorBoard's own Rust data server.

The CLI reads logs the way `tensorboard --load_fast=true` does: it starts
the data server that ships with TensorBoard (the `tensorboard_data_server`
package, found as TensorBoard's `server_ingester` finds it) with
`--reload=once` and every point kept, waits for the server's own
"Finished load cycle" log line, and reads through TensorBoard's gRPC data
provider. Nothing here imports TensorFlow, so the CLI starts fast and quiet.

Supported logdirs are those the data server supports: local paths and
`gs://` (`SUPPORTED_SCHEMES`); `logdir.read_logdir` falls back to the
Python loader for the rest.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import time
from typing import Iterator

import grpc
from tensorboard.data import grpc_provider, server_ingester

# Schemes the Rust data server reads (as TensorBoard's program.py decides).
SUPPORTED_SCHEMES = ("gs://",)
# The server logs this line (with -v) when a `--reload=once` load is complete.
_LOAD_DONE = "Finished load cycle"
# One gRPC answer may hold every histogram of a sweep; TensorBoard's ingester
# allows 256 MiB, a one-shot CLI load allows more.
MAX_MESSAGE_BYTES = 2**31 - 1
_POLL_SECONDS = 0.005


class DataServerError(RuntimeError):
    """The data server could not load the logdir; the message says why in one line."""


class NoDataServer(RuntimeError):
    """No data server binary for this platform or installation."""


def supports(logdir: str) -> bool:
    """Whether the data server can read `logdir` (a local path or a supported URL)."""
    return "://" not in logdir or logdir.startswith(SUPPORTED_SCHEMES)


def _binary_path() -> str:
    try:
        return server_ingester.get_server_binary().path
    except server_ingester.NoDataServerError as error:
        raise NoDataServer(str(error)) from None


def _last_line(path: str) -> str:
    with open(path, errors="replace") as file:
        lines = [line.strip() for line in file if line.strip()]
    return lines[-1] if lines else ""


def _wait_for_load(process: subprocess.Popen, log_path: str, error_path: str) -> int:
    """Waits for the server's "Finished load cycle"; returns its gRPC port."""
    port_path = os.path.join(os.path.dirname(log_path), "port")
    while True:
        with open(log_path, errors="replace") as log:
            if _LOAD_DONE in log.read():
                with open(port_path) as port_file:
                    return int(port_file.read())
        if process.poll() is not None:
            reason = ""
            if os.path.exists(error_path):
                reason = _last_line(error_path)
            reason = reason or _last_line(log_path) or f"exit code {process.returncode}"
            raise DataServerError(f"TensorBoard's data server could not load the logdir: {reason}")
        time.sleep(_POLL_SECONDS)


@contextlib.contextmanager
def loaded(logdir: str) -> Iterator[grpc_provider.GrpcDataProvider]:
    """A gRPC data provider over `logdir`, completely loaded, with every point kept.

    The server lives for the `with` block and is stopped after it.

    Raises:
      NoDataServer: no server binary is installed for this platform.
      DataServerError: the server exited before finishing its load.
    """
    binary = _binary_path()
    with tempfile.TemporaryDirectory(prefix="tb_overfit_data_server_") as tmp:
        log_path, error_path = os.path.join(tmp, "log"), os.path.join(tmp, "error")
        args = [
            binary,
            f"--logdir={os.path.expanduser(logdir)}",
            "--reload=once",
            "--samples-per-plugin=scalars=all,histograms=all",
            "--port=0",
            f"--port-file={os.path.join(tmp, 'port')}",
            f"--error-file={error_path}",
            "--die-after-stdin",
            "--verbose",
        ]
        with open(log_path, "w") as log:
            process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log)
        channel = None
        try:
            port = _wait_for_load(process, log_path, error_path)
            channel = grpc.secure_channel(
                f"localhost:{port}",
                grpc.local_channel_credentials(),
                options=[("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)],
            )
            yield grpc_provider.GrpcDataProvider(f"localhost:{port}", grpc_provider.make_stub(channel))
        finally:
            if channel is not None:
                channel.close()
            process.stdin.close()  # --die-after-stdin: the server exits
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
