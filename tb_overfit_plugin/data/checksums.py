"""TFRecord's masked CRC-32C of many records of one buffer.

A TFRecord frame stores `masked(crc32c(x))` of its length bytes and of its
payload, with

    masked(c) = ((c >> 15) | (c << 17)) + 0xA282EAD8 (mod 2^32)

and CRC-32C the Castagnoli CRC (reflected polynomial 0x82F63B78, initial
and final XOR 0xFFFFFFFF). The checksums come from `google-crc32c` (Google's
C library, hardware CRC-32C instructions where the CPU has them: several
GB/s, one call per record). Where its compiled extension cannot be
installed (`google_crc32c.implementation` is then "python", a loop per
byte), the numpy fallback below computes the same numbers, about 85 MB/s:
many records together, one numpy step per byte position, and the longest
records one by one.
"""

from __future__ import annotations

import numpy as np

try:
    import google_crc32c
except ImportError:  # the dependency could not be installed: the numpy fallback
    google_crc32c = None  # type: ignore[assignment]  # the module, or None: one name for both

VECTOR_MIN_RECORDS = 64  # fallback: records of similar length checksummed together; fewer: one by one

_CRC32C_POLY = 0x82F63B78  # Castagnoli, reflected
_MASK_DELTA = 0xA282EAD8


def hardware_available() -> bool:
    """Whether checksums come from google-crc32c's compiled extension (else the numpy fallback)."""
    return google_crc32c is not None and google_crc32c.implementation == "c"


def mask(crc: int) -> int:
    """TFRecord's mask of one CRC-32C (see the module docstring)."""
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def masked_crc32c(data: bytes, starts: np.ndarray, lengths: np.ndarray, use_library: bool = True) -> np.ndarray:
    """TFRecord's masked CRC-32C of each `data[s:s+n]` (uint32 array).

    By google-crc32c when `use_library` and its extension is there, else by
    the numpy fallback (`_crc32c_numpy`); both give the same numbers.
    """
    if use_library and hardware_available():
        value = google_crc32c.value
        crcs = np.fromiter(
            (value(data[s : s + n]) for s, n in zip(starts.tolist(), lengths.tolist())),
            dtype=np.uint64,
            count=len(starts),
        )
    else:
        crcs = _crc32c_numpy(np.frombuffer(data, dtype=np.uint8), starts, lengths).astype(np.uint64)
    return ((((crcs >> 15) | (crcs << 17)) + _MASK_DELTA) & 0xFFFFFFFF).astype(np.uint32)


# ------------------------------------------------------------------ the numpy fallback


def _crc_table() -> np.ndarray:
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ np.uint32(_CRC32C_POLY), table >> 1).astype(np.uint32)
    return table


_TABLE = _crc_table()
_TABLE_LIST = [int(value) for value in _TABLE]


def _crc32c_one(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _TABLE_LIST[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _crc32c_together(buffer: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """CRC-32C of each `buffer[s:s+n]`, records sorted by length (longest first).

    One numpy step per byte position for all records still that long: no
    padding, and a record's state stops changing where it ends.
    """
    state = np.full(len(starts), 0xFFFFFFFF, dtype=np.uint32)
    still_active = len(lengths) - np.searchsorted(lengths[::-1], np.arange(int(lengths[0])), side="right")
    for column, active in enumerate(still_active):
        current = state[:active]
        state[:active] = _TABLE[(current ^ buffer[starts[:active] + column]) & 0xFF] ^ (current >> 8)
    return state ^ np.uint32(0xFFFFFFFF)


def _crc32c_numpy(buffer: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """CRC-32C (unmasked) of each `buffer[s:s+n]`, uint32.

    Together with numpy, except the records longer than the
    `VECTOR_MIN_RECORDS`-th longest, done one by one (a numpy step per byte
    would serve too few records there: a large graph or image record).
    """
    crcs = np.zeros(len(starts), dtype=np.uint32)
    order = np.argsort(-lengths, kind="stable")
    cut = lengths[order[VECTOR_MIN_RECORDS - 1]] if len(order) >= VECTOR_MIN_RECORDS else -1
    alone, together = order[lengths[order] > cut], order[lengths[order] <= cut]
    for i in alone:
        crcs[i] = _crc32c_one(buffer[starts[i] : starts[i] + lengths[i]].tobytes())
    if len(together):
        crcs[together] = _crc32c_together(buffer, starts[together], lengths[together])
    return crcs
