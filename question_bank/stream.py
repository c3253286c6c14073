"""The keyed stream behind every paper: HMAC-SHA256 label keys, AES-256-CTR keystreams.

For a label (``pool|TIU|Berhitung|hard|0``, ``order|2411000000001|TIU``, ...) the stream is

    key    = HMAC-SHA256(key = UTF-8(exam seed), msg = UTF-8(label))
    stream = AES-256-CTR keystream under ``key``, initial counter block 16 zero bytes
             (the whole block is a big-endian 128-bit counter), read as unsigned 64-bit
             big-endian words w0, w1, ...

A uniform index below ``n`` is ``word mod n`` (no rejection; the bias is below n / 2**64).
Fisher–Yates: for i = n-1 down to 1: j = next word mod (i + 1); swap a[i], a[j].
``docs/papers.md`` specifies this exactly; nothing here depends on numpy's generators.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import TypeVar

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from numpy.typing import NDArray

T = TypeVar("T")
ZERO_BLOCK = bytes(16)
Words = NDArray[np.uint64]
Indices = NDArray[np.intp]


def label_key(seed: str, label: str) -> bytes:
    """The 32-byte AES key of ``label``: HMAC-SHA256 keyed by the exam seed."""
    return hmac.digest(seed.encode("utf-8"), label.encode("utf-8"), "sha256")


def _keystream(key: bytes, nbytes: int) -> bytes:
    encryptor = Cipher(algorithms.AES(key), modes.CTR(ZERO_BLOCK)).encryptor()
    return encryptor.update(bytes(nbytes))


def words(seed: str, label: str, count: int) -> list[int]:
    """The first ``count`` words of the stream of ``label`` (Python ints, scalar form)."""
    data = _keystream(label_key(seed, label), 8 * count)
    return [int.from_bytes(data[8 * i:8 * i + 8], "big") for i in range(count)]


def words_batch(seed: str, labels: Sequence[str], count: int) -> Words:
    """The first ``count`` words of each label's stream: shape ``(len(labels), count)``."""
    if count <= 0 or not labels:
        return np.zeros((len(labels), max(count, 0)), dtype=np.uint64)
    key = seed.encode("utf-8")
    zeros = bytes(8 * count)
    aes, ctr, digest = algorithms.AES, modes.CTR(ZERO_BLOCK), hmac.digest
    data = b"".join(Cipher(aes(digest(key, label.encode("utf-8"), "sha256")), ctr)
                    .encryptor().update(zeros) for label in labels)
    return np.frombuffer(data, dtype=">u8").astype(np.uint64).reshape(len(labels), count)


def fisher_yates(values: Sequence[T], stream: Sequence[int]) -> list[T]:
    """Fisher–Yates shuffle of ``values`` using the words of ``stream`` in order (scalar form).

    Uses ``len(values) - 1`` words: for i = n-1 down to 1, j = word mod (i+1), swap.
    """
    out = list(values)
    n = len(out)
    for s, i in enumerate(range(n - 1, 0, -1)):
        j = stream[s] % (i + 1)
        out[i], out[j] = out[j], out[i]
    return out


def shuffle_rows(rows: NDArray[np.intp], stream: Words) -> None:
    """Fisher–Yates shuffle every row of ``rows`` in place, row r with ``stream[r]``.

    Vectorised form of :func:`fisher_yates`: the same swaps, applied to all rows at once.
    ``stream`` needs at least ``rows.shape[1] - 1`` columns.
    """
    count, n = rows.shape
    index = np.arange(count)
    for s, i in enumerate(range(n - 1, 0, -1)):
        j = (stream[:, s] % np.uint64(i + 1)).astype(np.intp)
        held = rows[:, i].copy()
        rows[:, i] = rows[index, j]
        rows[index, j] = held


def permutations(stream: Words, n: int) -> Indices:
    """Fisher–Yates of ``0..n-1`` under each row of ``stream``: shape ``(rows, n)``."""
    out = np.tile(np.arange(n, dtype=np.intp), (stream.shape[0], 1))
    shuffle_rows(out, stream)
    return out
