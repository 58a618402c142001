"""Scalar event files written with numpy: millions of points in seconds, for the benchmarks only.

`write_scalars(path, tags, steps, values)` writes one TFRecord event file of legacy
`simple_value` scalar events, step-major (every tag at step 0, then step 1...), as
`tf.summary`/tensorboardX writers order them. All records of one step-varint length
share one layout, so they are built as one numpy array (wall time, step, value
written into columns); only the CRC-32C of each record's data is a Python loop
(`google_crc32c`, C, hardware CRC). The Event protobuf (TFRecord framing: length,
masked CRC of the length, data, masked CRC of the data):

    Event  { 1: wall_time (double)  2: step (varint)  5: summary }
    Summary{ 1: value }   Value{ 1: tag (bytes)  2: simple_value (float) }
"""

from __future__ import annotations

import struct
import time
from pathlib import Path
from typing import Sequence

import google_crc32c
import numpy as np

from tb_overfit_plugin.data.fast_provider import _varint  # a protobuf varint

MASK_DELTA = 0xA282EAD8


def masked_crc(data) -> int:
    """TFRecord's masked CRC-32C: ``((crc >> 15) | (crc << 17)) + 0xa282ead8 (mod 2**32)``."""
    crc = google_crc32c.value(bytes(data))
    return (((crc >> 15) | (crc << 17)) + MASK_DELTA) & 0xFFFFFFFF


def _record(data: bytes) -> bytes:
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked_crc(length)) + data + struct.pack("<I", masked_crc(data))


def _group(tags: Sequence[bytes], steps: np.ndarray, values: np.ndarray, wall: float) -> bytes:
    """The records of `steps` (all of one varint length k), step-major; values[tag, step]."""
    k = len(_varint(int(steps[0])))
    n_steps, n_tags = steps.size, len(tags)
    value_len = 2 + len(tags[0]) + 5
    data_len = 9 + 1 + k + 2 + 2 + value_len
    size = 12 + data_len + 4
    records = np.zeros((n_steps, n_tags, size), dtype=np.uint8)
    records[:, :, 0:8] = np.frombuffer(struct.pack("<Q", data_len), np.uint8)
    records[:, :, 8:12] = np.frombuffer(struct.pack("<I", masked_crc(struct.pack("<Q", data_len))), np.uint8)
    records[:, :, 12] = 0x09
    records[:, :, 13:21] = np.frombuffer(struct.pack("<d", wall), np.uint8)
    records[:, :, 21] = 0x10
    remaining = steps.astype(np.int64)
    for i in range(k):  # the step's varint, 7 bits a byte, least significant first
        byte = (remaining & 0x7F) | (0x80 if i < k - 1 else 0)
        records[:, :, 22 + i] = byte[:, None]
        remaining = remaining >> 7
    at = 22 + k
    for t, tag in enumerate(tags):
        header = bytes([0x2A, 2 + value_len, 0x0A, value_len, 0x0A, len(tag)]) + tag + b"\x15"
        records[:, t, at : at + len(header)] = np.frombuffer(header, np.uint8)
    floats = np.ascontiguousarray(values.T.astype("<f4"))  # (step, tag)
    records[:, :, size - 8 : size - 4] = floats.view(np.uint8).reshape(n_steps, n_tags, 4)
    flat = records.reshape(-1, size)
    blob = flat.tobytes()
    crcs = np.fromiter(
        (masked_crc(blob[row * size + 12 : row * size + 12 + data_len]) for row in range(flat.shape[0])),
        dtype=np.uint32,
        count=flat.shape[0],
    )
    flat[:, size - 4 :] = crcs.astype("<u4").view(np.uint8).reshape(-1, 4)
    return flat.tobytes()


def write_scalars(path: Path, tags: Sequence[str], steps: np.ndarray, values: np.ndarray) -> None:
    """One event file at `path` (a folder: `events.out.tfevents.<time>.bench`) with values[tag, step].

    Tag names must have one length (so every record of a step-varint length has one layout)."""
    encoded = [tag.encode() for tag in tags]
    assert len({len(tag) for tag in encoded}) == 1 and len(encoded[0]) < 100, "tags of one length, < 100 bytes"
    path.mkdir(parents=True, exist_ok=True)
    wall = time.time()
    version = b"\x09" + struct.pack("<d", wall) + b"\x1a\x0dbrain.Event:2"  # Event{wall_time, file_version}
    lengths = np.array([len(_varint(int(step))) for step in steps])
    with open(path / f"events.out.tfevents.{int(wall)}.bench", "wb") as out:
        out.write(_record(version))
        for k in np.unique(lengths):
            chosen = lengths == k
            out.write(_group(encoded, steps[chosen], values[:, chosen], wall))
