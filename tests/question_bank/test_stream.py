"""The keyed stream: known-answer vectors, scalar and vectorised forms agree."""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from question_bank.stream import (
    fisher_yates,
    label_key,
    permutations,
    shuffle_rows,
    words,
    words_batch,
)

SEED = "contoh-seed-2026"
LABEL = "pool|TWK|Nasionalisme|easy|0"
# Pinned forever: docs/papers.md quotes these bytes.
KEY_HEX = "44fc9c34cf034cc8ef938502350e2a21186859ffed63af699ebeaab4e3e18e37"
FIRST_WORDS = [10227138110319745123, 1518077467666620583, 6969153933373100148]


def reference_words(seed: str, label: str, count: int) -> list[int]:
    """From docs/papers.md, section 1, with hmac and the AES block cipher only."""
    key = hmac.new(seed.encode(), label.encode(), hashlib.sha256).digest()
    ecb = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305 (counter blocks)
    out = []
    for block in range((count + 1) // 2):
        ks = ecb.update(block.to_bytes(16, "big"))
        out += [int.from_bytes(ks[:8], "big"), int.from_bytes(ks[8:], "big")]
    return out[:count]


def test_label_key_and_words_known_answer() -> None:
    assert label_key(SEED, LABEL).hex() == KEY_HEX
    assert words(SEED, LABEL, 3) == FIRST_WORDS


def test_words_follow_the_documented_counter_construction() -> None:
    for label in (LABEL, "order|2411000000001|TIU", "options|ÄÖ-ü", ""):
        assert words(SEED, label, 7) == reference_words(SEED, label, 7)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=6), st.integers(1, 9))
def test_batch_words_equal_scalar_words(labels: list[str], count: int) -> None:
    batch = words_batch("s", labels, count)
    assert batch.shape == (len(labels), count)
    for row, label in zip(batch, labels, strict=True):
        assert [int(x) for x in row] == words("s", label, count)


def test_fisher_yates_uses_word_mod_i_plus_one_from_the_top() -> None:
    # i=3: j = 7 mod 4 = 3 (no move); i=2: j = 4 mod 3 = 1; i=1: j = 9 mod 2 = 1.
    assert fisher_yates("abcd", [7, 4, 9]) == ["a", "c", "b", "d"]
    assert fisher_yates([], []) == []
    assert fisher_yates(["x"], []) == ["x"]


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 12), st.integers(1, 5), st.integers(0, 2**32))
def test_vectorised_shuffle_equals_scalar(n: int, rows: int, salt: int) -> None:
    stream = words_batch(str(salt), [f"r{i}" for i in range(rows)], max(n - 1, 1))
    perms = permutations(stream, n)
    for r in range(rows):
        expected = fisher_yates(list(range(n)), [int(x) for x in stream[r]])
        assert perms[r].tolist() == expected
        assert sorted(perms[r].tolist()) == list(range(n))
    values = np.arange(rows * n, dtype=np.intp).reshape(rows, n)
    shuffle_rows(values, stream)
    assert values.tolist() == [[r * n + x for x in perms[r]] for r in range(rows)]
