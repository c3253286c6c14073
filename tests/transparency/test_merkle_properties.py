"""Every proof verifies, every tampering is caught, and the stored tree stays logarithmic."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proctor_console.transparency import tree as tree_module
from proctor_console.transparency.merkle import (
    MerkleTree,
    audit_path,
    consistency_proof,
    leaf_hash,
    root,
    verify_consistency,
    verify_inclusion,
)
from tests.transparency.helpers import data, load_verifier, ref_mth, ref_path, ref_proof

N = 70  # every size up to N, every index and every earlier size: exhaustive
DATA = data(N)
HASHES = [leaf_hash(x) for x in DATA]
TREE = MerkleTree(HASHES)
VERIFIER = load_verifier()
HASHES_300 = [leaf_hash(b"%d" % i) for i in range(300)]
TREE_300 = MerkleTree(HASHES_300)


def test_tree_equals_the_rfc_definitions_for_every_size_index_and_prefix() -> None:
    for n in range(1, 40):
        d = DATA[:n]
        assert TREE.root(n) == ref_mth(d) == root(HASHES[:n])
        for i in range(n):
            assert TREE.audit_path(i, n) == ref_path(i, d)
        for m in range(1, n):
            assert TREE.consistency_proof(m, n) == ref_proof(m, d)


def test_every_inclusion_proof_verifies_for_every_index_and_size() -> None:
    for n in range(1, N + 1):
        rt = TREE.root(n)
        for i in range(n):
            path = TREE.audit_path(i, n)
            assert verify_inclusion(HASHES[i], i, n, path, rt), (i, n)
            assert VERIFIER.verify_inclusion(HASHES[i], i, n, path, rt), (i, n)


def test_every_consistency_proof_verifies_for_every_m_up_to_n() -> None:
    roots = [TREE.root(n) for n in range(N + 1)]
    for n in range(N + 1):
        for m in range(n + 1):
            proof = TREE.consistency_proof(m, n)
            assert verify_consistency(m, n, roots[m], roots[n], proof), (m, n)
            assert VERIFIER.verify_consistency(m, n, roots[m], roots[n], proof), (m, n)


def test_another_size_with_its_own_root_never_verifies() -> None:
    """A proof binds to its tree size when the root is that size's root.

    (With the *same* root and another size, RFC 9162's walk can succeed, e.g. a path for
    leaf 0 of 3 leaves checks as a path in a tree of 4 against the 3-leaf root: the size must
    come from the signed head, never from whoever supplies the proof.)
    """
    roots = [TREE.root(n) for n in range(33)]
    for n in range(1, 33):
        for i in range(n):
            path = TREE.audit_path(i, n)
            for other in range(i + 1, 33):
                if other != n:
                    assert not verify_inclusion(HASHES[i], i, other, path, roots[other])
                    assert not verify_inclusion(HASHES[i], i + 1, n, path, roots[n])
        for m in range(1, n):
            proof = TREE.consistency_proof(m, n)
            for other in range(m, 33):
                if other != n:
                    assert not verify_consistency(m, other, roots[m], roots[other], proof)
            for other in range(n + 1):
                if other != m:
                    assert not verify_consistency(other, n, roots[other], roots[n], proof)


sizes = st.integers(min_value=2, max_value=300)


@settings(max_examples=60, deadline=None)
@given(n=sizes, data=st.data())
def test_a_changed_leaf_is_caught(n: int, data: st.DataObject) -> None:
    j = data.draw(st.integers(0, n - 1), label="changed leaf")
    m = data.draw(st.integers(1, n), label="earlier head")
    old = MerkleTree(HASHES_300[:n])
    leaves = list(HASHES_300[:n])
    leaves[j] = leaf_hash(b"changed")
    new = MerkleTree(leaves)
    assert new.root() != old.root()
    assert not verify_inclusion(leaves[j], j, n, old.audit_path(j), old.root())
    assert not verify_inclusion(leaves[j], j, n, new.audit_path(j), old.root())
    # the new log is consistent with an earlier head exactly when the change came after it
    holds = verify_consistency(m, n, old.root(m), new.root(), new.consistency_proof(m))
    assert holds is (j >= m)


@settings(max_examples=60, deadline=None)
@given(n=sizes, data=st.data())
def test_a_dropped_leaf_is_caught(n: int, data: st.DataObject) -> None:
    j = data.draw(st.integers(0, n - 1), label="dropped leaf")
    m = data.draw(st.integers(1, n - 1), label="earlier head")
    old = MerkleTree(HASHES_300[:n])
    new = MerkleTree(HASHES_300[:j] + HASHES_300[j + 1:n])
    assert new.root() != old.root()
    holds = verify_consistency(m, n - 1, old.root(m), new.root(), new.consistency_proof(m))
    assert holds is (j >= m)
    assert not verify_consistency(n, n - 1, old.root(), new.root(), [])  # a head shrank
    # the dropped record's receipt (its old path) fails against the new head
    assert not verify_inclusion(HASHES_300[j], j, n - 1, old.audit_path(j), new.root())


@settings(max_examples=60, deadline=None)
@given(n=sizes, data=st.data())
def test_swapped_leaves_are_caught(n: int, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, n - 2), label="first")
    j = data.draw(st.integers(i + 1, n - 1), label="second")
    m = data.draw(st.integers(1, n), label="earlier head")
    leaves = list(HASHES_300[:n])
    leaves[i], leaves[j] = leaves[j], leaves[i]
    old, new = MerkleTree(HASHES_300[:n]), MerkleTree(leaves)
    assert new.root() != old.root()
    assert not verify_inclusion(leaves[i], i, n, new.audit_path(i), old.root())
    assert not verify_inclusion(HASHES_300[i], i, n, old.audit_path(i), new.root())
    holds = verify_consistency(m, n, old.root(m), new.root(), new.consistency_proof(m))
    assert holds is (i >= m)


@settings(max_examples=60, deadline=None)
@given(n=sizes, data=st.data())
def test_a_wrong_size_is_caught(n: int, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, n - 1), label="index")
    other = data.draw(st.integers(1, 300).filter(lambda s: s != n and s > i), label="size")
    path, m = TREE_300.audit_path(i, n), max(1, i)
    assert not verify_inclusion(HASHES_300[i], i, other, path, TREE_300.root(other))
    if m < n and m <= other:
        proof = TREE_300.consistency_proof(m, n)
        assert not verify_consistency(m, other, TREE_300.root(m), TREE_300.root(other), proof)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 40), min_size=1, max_size=12))
def test_appending_in_any_batches_gives_the_same_tree(batches: list[int]) -> None:
    tree, start = MerkleTree(), 0
    for k, size in enumerate(batches):
        chunk = HASHES_300[start:start + size]
        if k % 2:
            tree.extend(chunk)
        else:
            for value in chunk:
                tree.append(value)
        start += len(chunk)
        assert tree.root() == TREE_300.root(start)
    assert [tree.leaf_hash(i) for i in range(start)] == HASHES_300[:start]


def test_module_functions_match_the_tree() -> None:
    for n in (1, 2, 7, 64, 65, 300):
        assert audit_path(n - 1, HASHES_300[:n]) == TREE_300.audit_path(n - 1, n)
        assert consistency_proof(n // 2, HASHES_300[:n]) == TREE_300.consistency_proof(n // 2, n)
        assert VERIFIER.prefix_roots(HASHES_300, {n})[n] == root(HASHES_300[:n])


def test_proofs_from_a_large_tree_cost_a_logarithmic_number_of_hashes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    n = 150_001
    tree = MerkleTree(leaf_hash(i.to_bytes(4, "big")) for i in range(n))
    calls = 0
    real = tree_module.node_hash

    def counting(left: bytes, right: bytes) -> bytes:
        nonlocal calls
        calls += 1
        return real(left, right)

    monkeypatch.setattr(tree_module, "node_hash", counting)
    bound = math.ceil(math.log2(n)) ** 2
    for size in (n, n - 1, 131_072, 99_999):
        for name, index in (("root", None), ("audit_path", size // 3),
                            ("audit_path", size - 1), ("consistency_proof", size // 2 + 1)):
            calls = 0
            method = getattr(tree, name)
            method(size) if index is None else method(index, size)
            assert calls <= bound, (name, size, calls)
    calls = 0
    tree.append(leaf_hash(b"one more"))
    assert calls <= math.ceil(math.log2(n))
    monkeypatch.undo()
    m, size = 77_777, n + 1
    assert verify_inclusion(tree.leaf_hash(m), m, size, tree.audit_path(m), tree.root())
    assert verify_consistency(m, size, tree.root(m), tree.root(), tree.consistency_proof(m))
