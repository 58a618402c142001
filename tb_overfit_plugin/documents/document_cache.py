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
"""

from __future__ import annotations

import collections
import concurrent.futures
import gzip
import hashlib
import json
import os
import threading
from typing import Callable, Hashable, Tuple

DOCUMENT_CACHE_BYTES = 64 * 2**20
_GZIP_LEVEL = 3  # as TensorBoard's own http_util.Respond

Document = Tuple[str, bytes]  # (entity tag, gzip-compressed JSON)
# Tags are per process: a restarted (perhaps upgraded) server never confirms a
# document an earlier process computed.
_TAG_SALT = os.urandom(8).hex()


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
        self._building: dict = {}  # key -> Future of the build under way
        self._slots: dict = {}  # slot -> the key of its document
        self._slot_of: dict = {}  # key -> its slot

    def get(self, key: Hashable, build: Callable[[], dict], slot: Hashable = None) -> Document:
        """The cached (tag, bytes) for `key`, else that of the build of `key` under way, else `build()` encoded.

        A built document replaces the one cached in its `slot` (None: none).

        Raises:
          whatever the build of `key` raised (the waiting requests' too).
        """
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            waiting = self._building.get(key)
            if waiting is None:
                flight: concurrent.futures.Future = concurrent.futures.Future()
                self._building[key] = flight
        return self._built(key, build, flight, slot) if waiting is None else waiting.result()

    def _built(
        self, key: Hashable, build: Callable[[], dict], flight: concurrent.futures.Future, slot: Hashable
    ) -> Document:
        """Builds `key`'s document, caches it, and hands it to every request waiting on `flight`."""
        try:
            item = (entity_tag(key), encode(build()))
        except BaseException as error:
            with self._lock:
                del self._building[key]
            flight.set_exception(error)
            raise
        with self._lock:
            del self._building[key]
            if slot is not None and slot in self._slots:
                self._drop(self._slots[slot])  # the slot's superseded document
            if slot is not None:
                self._slots[slot], self._slot_of[key] = key, slot
            self._items[key] = item
            self._bytes += len(item[1])
            while self._bytes > self._capacity and len(self._items) > 1:
                self._drop(next(iter(self._items)))
        flight.set_result(item)
        return item

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
