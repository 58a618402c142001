"""Serialized JSON documents, kept by what they were computed from.

A document (`/runs`, `/curves`, ...) is a function of the experiment id, the
versions of the series it used and the request's parameters. Its key holds
exactly those, so an answer whose key is cached is the bytes computed
before: no analysis, no JSON encoding, no compression. The entity tag sent
with it is a hash of the key, so a client holding that tag gets
`304 Not Modified` instead of the body.

The cache holds at most `DOCUMENT_CACHE_BYTES` of compressed documents, the
least recently used dropped first. Builds are single-flight: requests for a
key being built (N tabs polling the same changed data) wait for that build
instead of building it again. A document may name its *slot* (route,
experiment and parameters, without the data versions): a slot holds one
document, so a polled live run keeps its latest answer, not one per version.

A build given as a `Progressive` can answer before it ends: a request that
waits for it at most `wait_s` seconds (`get(wait_s=...)`) gets, past them, the
build's *snapshot* (what it has done so far, a document of its own saying
what is still missing, under its own entity tag and never cached), and the
build goes on in its own thread; the next request finds it done, or under
way and gets a newer snapshot.
"""

from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import gzip
import hashlib
import json
import os
import threading
from typing import Any, Callable, Dict, Hashable, Optional, Tuple, Union

DOCUMENT_CACHE_BYTES = 64 * 2**20
_GZIP_LEVEL = 3  # as TensorBoard's own http_util.Respond

Document = Tuple[str, bytes]  # (entity tag, gzip-compressed JSON)
# Tags are per process: a restarted (perhaps upgraded) server never confirms a
# document an earlier process computed.
_TAG_SALT = os.urandom(8).hex()
# While a build has nothing to show yet (`Progressive.snapshot` is None), a request done waiting looks again
# this often, until the build ends or shows something.
SNAPSHOT_RETRY_S = 0.05


@dataclasses.dataclass(frozen=True)
class Progressive:
    """A build that can show what it has done so far.

    Args:
      start: makes the progress object one build fills in; the requests waiting for that build read it.
      build: progress -> the document (filling in the progress as it goes).
      snapshot: progress -> (what it holds, a hashable: part of the snapshot's entity tag; the document so far),
        or None while it has nothing to show. Called from other threads while the build runs.
    """

    start: Callable[[], Any]
    build: Callable[[Any], dict]
    snapshot: Callable[[Any], Optional[Tuple[Hashable, dict]]]


Build = Union[Callable[[], dict], Progressive]


@dataclasses.dataclass(frozen=True)
class Answered:
    """A route's answer found before its key was known (`DocumentCache.under_way`)."""

    document: Document


@dataclasses.dataclass(frozen=True)
class _Flight:
    """A build under way: its result to come, and what its snapshots read (None: it shows none)."""

    result: concurrent.futures.Future
    progressive: Optional[Progressive] = None
    progress: Any = None

    @classmethod
    def of(cls, build: Build) -> "_Flight":
        """The flight of `build` about to start (a `Progressive` build's progress object made)."""
        if isinstance(build, Progressive):
            return cls(concurrent.futures.Future(), build, build.start())
        return cls(concurrent.futures.Future())


def entity_tag(key: Hashable) -> str:
    """A strong HTTP entity tag (unquoted) for a document key: a short hash of its repr."""
    return hashlib.blake2b((_TAG_SALT + repr(key)).encode(), digest_size=16).hexdigest()


def encode(document: dict) -> bytes:
    """Compact, strict JSON (the plugin never emits NaN/Infinity), gzip-compressed."""
    text = json.dumps(document, allow_nan=False, separators=(",", ":"))
    return gzip.compress(text.encode("ascii"), compresslevel=_GZIP_LEVEL, mtime=0)


class DocumentCache:
    """A thread-safe, byte-bounded LRU map: document key -> (entity tag, gzip bytes)."""

    def __init__(self, capacity_bytes: int = DOCUMENT_CACHE_BYTES):
        self._capacity = capacity_bytes
        self._items: "collections.OrderedDict[Hashable, Document]" = collections.OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._building: Dict[Hashable, _Flight] = {}  # key -> the build under way
        self._slots: dict = {}  # slot -> the key of its document
        self._slot_of: dict = {}  # key -> its slot
        # slot -> (key, flight) of its latest `Progressive` build under way
        self._slot_flights: Dict[Hashable, Tuple[Hashable, _Flight]] = {}

    def get(self, key: Hashable, build: Build, slot: Hashable = None, wait_s: Optional[float] = None) -> Document:
        """The cached (tag, bytes) for `key`, else that of the build of `key` under way, else `build` encoded.

        A built document replaces the one cached in its `slot` (None: none).
        `wait_s` (None: no limit) matters when the build is `Progressive`, this
        one or the one under way: waited that long for it, the answer is the
        build's latest snapshot (tag and bytes of its own, not
        cached) while the build goes on in a thread of its own.

        Raises:
          whatever the build of `key` raised (the waiting requests' too).
        """
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            flight = self._building.get(key)
            mine = flight is None
            if flight is None:
                flight = self._building[key] = _Flight.of(build)
                if slot is not None and flight.progressive is not None:
                    self._slot_flights[slot] = key, flight
        if mine and (wait_s is None or flight.progressive is None):
            return self._built(key, build, flight, slot)
        if mine:
            threading.Thread(target=self._build_apart, args=(key, build, flight, slot), daemon=True).start()
        if wait_s is None or flight.progressive is None:
            return flight.result.result()
        return self._answer_within(key, flight, wait_s)

    def under_way(self, slot: Hashable, wait_s: float) -> Optional[Document]:
        """The answer of the `Progressive` build under way in `slot`, as `get` gives it after `wait_s`; None when
        there is none (then the caller lists the data and asks `get`).

        Lets a request polling a build it knows is under way skip listing the data again to learn its key (0.4 s
        at 10,000 runs: time the build does not get); it sees that build's data, as a request waiting for it does.
        """
        with self._lock:
            under_way = self._slot_flights.get(slot)
        return None if under_way is None else self._answer_within(*under_way, wait_s)

    def _answer_within(self, key: Hashable, flight: _Flight, wait_s: float) -> Document:
        """The build's document if it ends within `wait_s`, else its first snapshot that shows something."""
        assert flight.progressive is not None
        timeout = wait_s
        while True:
            try:
                return flight.result.result(timeout=timeout)
            except concurrent.futures.TimeoutError:
                shown = flight.progressive.snapshot(flight.progress)
                if shown is not None:
                    held, document = shown
                    return entity_tag((key, "snapshot", held)), encode(document)
                timeout = SNAPSHOT_RETRY_S

    def _build_apart(self, key: Hashable, build: Build, flight: _Flight, slot: Hashable) -> None:
        """`_built` in a thread of its own: its error reaches the requests through `flight`, not this thread."""
        try:
            self._built(key, build, flight, slot)
        except BaseException:  # noqa: S110  (handed to every request waiting on the flight)
            pass

    def _built(self, key: Hashable, build: Build, flight: _Flight, slot: Hashable) -> Document:
        """Builds `key`'s document, caches it, and hands it to every request waiting on `flight`."""
        try:
            document = build.build(flight.progress) if isinstance(build, Progressive) else build()
            item = (entity_tag(key), encode(document))
        except BaseException as error:
            with self._lock:
                self._landed(key, flight, slot)
            flight.result.set_exception(error)
            raise
        with self._lock:
            self._landed(key, flight, slot)
            if slot is not None and slot in self._slots:
                self._drop(self._slots[slot])  # the slot's superseded document
            if slot is not None:
                self._slots[slot], self._slot_of[key] = key, slot
            self._items[key] = item
            self._bytes += len(item[1])
            while self._bytes > self._capacity and len(self._items) > 1:
                self._drop(next(iter(self._items)))
        flight.result.set_result(item)
        return item

    def _landed(self, key: Hashable, flight: _Flight, slot: Hashable) -> None:
        """Forgets the build of `key` (`flight`), done or failed (the lock held)."""
        del self._building[key]
        if self._slot_flights.get(slot, (None, None))[1] is flight:
            del self._slot_flights[slot]

    def _drop(self, key: Hashable) -> None:
        """Removes `key`'s document and its slot (the lock held)."""
        item = self._items.pop(key, None)
        self._bytes -= len(item[1]) if item is not None else 0
        slot = self._slot_of.pop(key, None)
        if slot is not None and self._slots.get(slot) == key:
            del self._slots[slot]

    @property
    def nbytes(self) -> int:
        with self._lock:
            return self._bytes
