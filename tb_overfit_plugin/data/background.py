"""The plugin's work ahead of requests, in one daemon thread: the default view's verdicts and the integrity scan.

Neither ever delays an answer. The thread, started when TensorBoard loads the
plugin, repeats every `RESCAN_SECONDS`:

1. **Prepare** (`prepare`, given by the plugin; only while the tab is in use,
   `in_use`, and with at most `PREPARE_MAX_SHARE` of one core): the default
   view's `/runs` and `/weights_summary` are built into the plugin's caches
   as requests for them would build them, so the tab's first requests after
   TensorBoard starts, and its first polls after a reload, find their answers
   made (or under way: they wait for that build instead of starting another).
2. **Scan** (local logdirs only): `integrity.Scanner` reads every event file
   once (2.2 s for the 98 MB of a 1,000-run sweep, more on slow disks); files
   are checked again only when they change. Requests read the problems of its
   latest complete walk (`problems`), so `/runs` answers from the data at once
   and carries the scan's warnings from the first request after the walk that
   found them (its document key holds the problems: a changed answer has a
   new ETag, and the tab, polling every 20 s, fetches it).
3. **Prepare again** when the walk changed the problems (the answer changed).

The thread yields to requests: before each event file and before a preparation
it waits while a request is being served (`serving`), at most
`YIELD_MAX_SECONDS` at a time, so a file's check never runs beside a document
being built; a preparation once started runs beside requests as a request for
`/runs` does (Python threads share the GIL, every 5 ms). An error in either
step is logged and the step tried again after `RESCAN_SECONDS`; it never
reaches a request.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Callable, Optional, Tuple

from tb_overfit_plugin.data import integrity

logger = logging.getLogger(__name__)

RESCAN_SECONDS = 5.0  # pause between rounds (TensorBoard's default reload interval)
YIELD_MAX_SECONDS = 2.0  # longest wait for requests to finish before the next file or preparation goes anyway
# The default view is prepared while TensorBoard started less than this ago or the plugin was last asked less
# than this ago (an open tab polls every 20 s): an idle TensorBoard does no work for the tab.
IN_USE_SECONDS = 120.0
# Preparing takes at most this share of one core: after a preparation of t seconds the next waits until
# t / PREPARE_MAX_SHARE seconds after it began (10,000 runs: a 10 s first build, then a 1.3 s listing a round).
PREPARE_MAX_SHARE = 0.2


class Background:
    """The work ahead of requests: one daemon thread.

    Args:
      logdir: the logdir TensorBoard was started with; None or a remote one
        (`integrity.supports` is False) is never scanned: `problems()` is ().
      prepare: builds the default view's answers into the plugin's caches;
        None: nothing is prepared.
    """

    def __init__(self, logdir: Optional[str], prepare: Optional[Callable[[], None]] = None):
        self._problems: Tuple[integrity.Problem, ...] = ()
        self._serving = 0
        self._idle = threading.Condition()
        self._walks = 0
        self._prepared = 0
        self._prepare_after = 0.0  # monotonic time before which nothing is prepared (`PREPARE_MAX_SHARE`)
        self._last_asked = time.monotonic()  # TensorBoard's start counts as a use
        self._prepare = prepare
        self._scanner = None
        if logdir is not None and integrity.supports(logdir):
            self._scanner = integrity.Scanner(logdir, pause=self._wait_for_requests)
        self._thread = None
        if self._scanner is not None or prepare is not None:
            self._thread = threading.Thread(target=self._run, name="tb-overfit background", daemon=True)
            self._thread.start()

    def problems(self) -> Tuple[integrity.Problem, ...]:
        """The problems of the latest complete walk (() before the first one ends)."""
        return self._problems

    @property
    def walks(self) -> int:
        """How many walks have completed."""
        return self._walks

    @property
    def prepared(self) -> int:
        """How many times the default view has been prepared (whether or not anything had changed)."""
        return self._prepared

    def in_use(self) -> bool:
        """Whether TensorBoard started, or the plugin was asked, less than `IN_USE_SECONDS` ago."""
        return time.monotonic() - self._last_asked < IN_USE_SECONDS

    @contextlib.contextmanager
    def serving(self):
        """Marks a request being served: the thread waits before its next file or preparation until none is."""
        with self._idle:
            self._last_asked = time.monotonic()
        with self.busy():
            yield

    @contextlib.contextmanager
    def busy(self):
        """Marks work done for requests (a request, or a build a request left to finish in a thread of its own):
        the thread waits meanwhile as for a request, but it is not a use of the plugin (`in_use`)."""
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

    def _step(self, what: str, step: Callable[[], None]) -> None:
        try:
            step()
        except Exception:  # contained: work ahead of requests is never a reason to stop serving
            logger.exception("overfit plugin: the %s failed; trying again", what)

    def _prepare_view(self) -> None:
        if self._prepare is None or not self.in_use() or time.monotonic() < self._prepare_after:
            return
        self._wait_for_requests()
        began = time.monotonic()
        try:
            self._prepare()
            self._prepared += 1
        finally:
            self._prepare_after = began + (time.monotonic() - began) / PREPARE_MAX_SHARE

    def _walk(self) -> None:
        if self._scanner is not None:
            self._problems = self._scanner.scan()
            self._walks += 1

    def _run(self) -> None:
        while True:
            self._step("preparation of the default view", self._prepare_view)
            before = self._problems
            self._step("event-file integrity scan", self._walk)
            if self._problems != before:
                self._step("preparation of the default view", self._prepare_view)
            time.sleep(RESCAN_SECONDS)
