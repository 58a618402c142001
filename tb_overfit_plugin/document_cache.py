"""Serialized JSON documents, kept by what they were computed from.

A document (`/runs`, `/curves`, ...) is a function of the experiment id, the
versions of the series it used and the request's parameters. Its key holds
exactly those, so an answer whose key is cached is the bytes computed
before: no analysis, no JSON encoding, no compression. The entity tag sent
with it is a hash of the key, so a client holding that tag gets
`304 Not Modified` instead of the body.

The cache holds at most `DOCUMENT_CACHE_BYTES` of compressed documents, the
least recently used dropped first.
"""

from __future__ import annotations

import collections
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

    def get(self, key: Hashable, build: Callable[[], dict]) -> Document:
        """The cached (tag, bytes) for `key`, or `build()` encoded and cached."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        item = (entity_tag(key), encode(build()))
        with self._lock:
            if key not in self._items:
                self._items[key] = item
                self._bytes += len(item[1])
            self._items.move_to_end(key)
            while self._bytes > self._capacity and len(self._items) > 1:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= len(dropped)
        return item

    @property
    def nbytes(self) -> int:
        with self._lock:
            return self._bytes
