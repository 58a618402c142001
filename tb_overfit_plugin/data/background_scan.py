"""The integrity scan in a background thread: it never delays an answer.

`integrity.Scanner` reads every event file once (2.2 s for the 98 MB of a
1,000-run sweep, more on slow disks), so the plugin does not scan inside a
request. One daemon thread, started when the plugin loads, walks the logdir
and then again every `RESCAN_SECONDS`; requests read the problems of its
latest complete walk (`problems`), so `/runs` answers from the data at once
and carries the scan's warnings from the first request after the walk that
found them (its document key holds the problems: a changed answer has a new
ETag, and the tab, polling every 20 s, fetches it).

The thread yields to requests: before each event file it waits while a
request is being served (`serving`), at most `YIELD_MAX_SECONDS` at a time,
so a file's check (a Python loop over frames, holding the GIL) never runs
beside a document being built. Its memory is the scanner's: one chunk of a
file (`integrity.SCAN_CHUNK_BYTES`) and a few numbers per file. An error in a
walk is logged and the walk is tried again after `RESCAN_SECONDS`; it never
reaches a request.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Optional, Tuple

from tb_overfit_plugin.data import integrity

logger = logging.getLogger(__name__)

RESCAN_SECONDS = 5.0  # pause between walks (TensorBoard's default reload interval)
YIELD_MAX_SECONDS = 2.0  # longest wait for requests to finish before the next file is checked anyway


class BackgroundScan:
    """The problems of a local logdir, kept current by one daemon thread.

    Args:
      logdir: the logdir TensorBoard was started with; None or a remote one
        (`integrity.supports` is False) is never scanned: `problems()` is ().
    """

    def __init__(self, logdir: Optional[str]):
        self._problems: Tuple[integrity.Problem, ...] = ()
        self._serving = 0
        self._idle = threading.Condition()
        self._walks = 0
        self._thread = None
        if logdir is not None and integrity.supports(logdir):
            self._scanner = integrity.Scanner(logdir, pause=self._wait_for_requests)
            self._thread = threading.Thread(target=self._run, name="tb-overfit integrity scan", daemon=True)
            self._thread.start()

    def problems(self) -> Tuple[integrity.Problem, ...]:
        """The problems of the latest complete walk (() before the first one ends)."""
        return self._problems

    @property
    def walks(self) -> int:
        """How many walks have completed."""
        return self._walks

    @contextlib.contextmanager
    def serving(self):
        """Marks a request being served: the scan waits before its next file until none is."""
        with self._idle:
            self._serving += 1
        try:
            yield
        finally:
            with self._idle:
                self._serving -= 1
                if self._serving == 0:
                    self._idle.notify_all()

    def _wait_for_requests(self) -> None:
        with self._idle:
            self._idle.wait_for(lambda: self._serving == 0, timeout=YIELD_MAX_SECONDS)

    def _run(self) -> None:
        while True:
            try:
                self._problems = self._scanner.scan()
                self._walks += 1
            except Exception:  # contained: the scan is a diagnostic, never a reason to stop serving
                logger.exception("overfit plugin: the event-file integrity scan failed; trying again")
            time.sleep(RESCAN_SECONDS)
